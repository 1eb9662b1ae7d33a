"""The runtime: one object per process that owns every shared service.

It is built from settings and the process file, starts before (and independently of) the chat
connection, and is what every hook receives as ``runtime``. The Errbot bridge attaches to the
running one, so paging, webhooks and scheduled jobs keep working while chat is disconnected.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from core import __version__
from core.acl import Acl, CommandLimits
from core.calendars import Calendars, HolidayCalendar
from core.chat import ChatOutbox, ChatReaction, InboundMessage
from core.clock import Clock, FileClock, SystemClock
from core.commands import Command, CommandContext, execute
from core.db import Database, unavailable
from core.leader import for_database
from core.models import AuditEntry
from core.plugin_manager import build_plugin_manager
from core.process import Process, disabled_plugins, read_raw, validate
from core.receiver import HttpError, Receiver, Route
from core.scheduler import Scheduler
from core.settings import Settings

log = logging.getLogger(__name__)

_current: Runtime | None = None
_current_lock = threading.Lock()


class Runtime:
    """Settings, process, plugins, database, clock, calendars, chat outbox, scheduler, receiver."""

    def __init__(
        self, settings: Settings, clock: Clock | None = None, plugins: Iterable[object] = ()
    ) -> None:
        self.settings = settings
        self.clock = clock or _clock(settings)
        raw, source = read_raw(settings.process_file)
        disabled = frozenset(settings.disabled_plugins | set(disabled_plugins(raw)))
        self.pm = build_plugin_manager(disabled, plugins)
        self.hook = self.pm.hook
        sections = _merge(self.hook.dutybot_process_sections())
        self.process: Process = validate(raw, source, sections, ignored=disabled)
        self.calendars = _calendars(self.process)
        self.db = Database(
            settings.database_url, itertools.chain.from_iterable(self.hook.dutybot_migrations())
        )
        self.leadership = for_database(self.db.url, settings.leader_takeover_seconds)
        self.commands = _collect_commands(self.hook.dutybot_commands())
        self.acl = Acl(self.process, {c.permission for c in self.commands.values() if c.permission})
        self.limits = CommandLimits(
            self.process, self.commands.values(), self.clock, some_disabled=bool(disabled)
        )
        self.chat = ChatOutbox(self.db, self.clock, self.process)
        self.scheduler = Scheduler(
            self.db,
            self.clock,
            self.calendars,
            itertools.chain.from_iterable(self.hook.dutybot_scheduled_jobs(runtime=self)),
            after_run=self.chat.flush,
            is_leader=lambda: self.leadership.is_leader,
        )
        self.receiver = Receiver(
            [
                _answer_503_while_the_database_is_down(route)
                for route in itertools.chain.from_iterable(
                    self.hook.dutybot_webhook_routes(runtime=self)
                )
            ],
            settings.credentials,
            rate=self.process.core.limits.webhook,
            clock=self.clock,
        )
        self.started = False

    @property
    def version(self) -> str:
        return __version__

    def start(self) -> Runtime:
        """Migrate the database, then start the receiver and scheduler as the settings say."""
        self.db.upgrade()
        self.scheduler.reset()
        if self.settings.http_enabled:
            self.receiver.start(self.settings.http_host, self.settings.http_port)
        if self.settings.scheduler_enabled:
            self.leadership.start()
            self.scheduler.start()
        self.started = True
        self.hook.dutybot_startup(runtime=self)
        log.info("dutybot %s ready on %s", self.version, self.db.display_url)
        return self

    def stop(self) -> None:
        if not self.started:
            return
        self.hook.dutybot_shutdown(runtime=self)
        self.scheduler.stop()
        self.leadership.stop()
        self.receiver.stop()
        self.chat.detach()
        self.db.dispose()
        self.started = False

    def run_command(
        self, name: str, args: str, sender: str, room: str | None = None, prefix: str = "!"
    ) -> str:
        """Run a contributed command as ``sender`` (a chat handle) and return the reply."""
        command = self.commands[name]
        ctx = CommandContext(
            runtime=self,
            command=command,
            args=args.strip(),
            sender=sender,
            person=self.process.person_by_chat(sender),
            room=room,
            prefix=prefix,
        )
        try:
            return execute(ctx)
        finally:
            self.chat.flush()

    def handle_message(self, message: InboundMessage) -> list[str]:
        """Offer a non-command message to every plugin; returns their replies for its thread."""
        try:
            replies = [
                r for r in self.hook.dutybot_chat_message(runtime=self, message=message) if r
            ]
        except Exception:
            log.exception("a plugin failed handling a message in %s", message.channel)
            replies = []
        self.chat.flush()
        return replies

    def handle_reaction(self, reaction: ChatReaction) -> None:
        """Offer an emoji reaction to every plugin; what they say, they post through the outbox.

        A reaction has no thread of its own to reply in, so there is no reply to return.
        """
        try:
            self.hook.dutybot_chat_reaction(runtime=self, reaction=reaction)
        except Exception:
            log.exception("a plugin failed handling a reaction in %s", reaction.channel)
        self.chat.flush()

    def audit(
        self, session: Any, actor: str, action: str, subject: str = "", detail: str = ""
    ) -> None:
        """Record who changed what, in the caller's transaction."""
        session.add(
            AuditEntry(
                at=self.clock.now(), actor=actor, action=action, subject=subject, detail=detail
            )
        )


def _clock(settings: Settings) -> Clock:
    """The real clock, or the shared test clock that settings only allow when asked twice."""
    if settings.test_clock_file is None:
        return SystemClock()
    log.warning("TEST CLOCK: the time is read from %s, not the system", settings.test_clock_file)
    return FileClock(settings.test_clock_file)


def _answer_503_while_the_database_is_down(route: Route) -> Route:
    """A database outage is a 503 with ``Retry-After``, which webhook senders retry; not a 500."""
    handler = route.handler

    def guarded(request: Any, args: Mapping[str, Any]) -> Any:
        try:
            return handler(request, args)
        except Exception as exc:
            reason = unavailable(exc)
            if reason is None:
                raise
            log.warning("webhook %s %s answered 503: %s", route.method, route.path, reason)
            raise HttpError(503, f"{reason}; retry later", {"Retry-After": "5"}) from None

    return dataclasses.replace(route, handler=guarded)


def _merge(dicts: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for item in dicts:
        for key, value in (item or {}).items():
            if key in merged:
                raise ValueError(f"two plugins declare the process-file section {key!r}")
            merged[key] = value
    return merged


def _collect_commands(contributions: Iterable[list[Command] | None]) -> dict[str, Command]:
    commands: dict[str, Command] = {}
    for command in itertools.chain.from_iterable(c or [] for c in contributions):
        if command.name in commands:
            raise ValueError(f"two plugins contribute the command {command.name!r}")
        commands[command.name] = command
    return commands


def _calendars(process: Process) -> Calendars:
    core = process.core
    holidays = HolidayCalendar(
        core.holidays.country, core.holidays.subdivision, core.holidays.closures
    )
    windows = {
        "support": core.hours.support,
        "working": core.hours.working,
        "oncall": core.hours.oncall,
    }
    return Calendars(core.team.timezone, holidays, windows)


def current() -> Runtime | None:
    """The runtime started in this process, if any."""
    return _current


def install(runtime: Runtime | None) -> Runtime | None:
    """Make ``runtime`` this process's runtime (``dutybot run`` does this before chat starts).

    ``None`` forgets the current one without stopping it (tests that own their runtimes).
    """
    global _current
    with _current_lock:
        _current = runtime
    return runtime


def attach_or_start(settings: Settings | None = None) -> Runtime:
    """The running runtime, or a new one started from the environment (``errbot -c config.py``)."""
    global _current
    with _current_lock:
        if _current is None:
            _current = Runtime(settings or Settings.from_env()).start()
        return _current


def uninstall() -> None:
    """Stop and forget this process's runtime (tests, shutdown)."""
    global _current
    with _current_lock:
        runtime, _current = _current, None
    if runtime is not None:
        runtime.stop()
