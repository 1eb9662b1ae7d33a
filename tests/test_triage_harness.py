"""The support desk the triage tests drive: a runtime with only the triage feature, a stand-in
for the rota answering who is on support, a listener on the lifecycle hooks, and a chat sink that
records every post. Other feature plugins are disabled, so every post seen is triage's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core import hookimpl
from core.chat import InboundMessage
from core.clock import FakeClock
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from tests.conftest import advance

OTHERS = frozenset(set(DEFAULT_PLUGINS) - {"system", "team", "triage"})
LONDON = ZoneInfo("Europe/London")
SUPPORT = "#ask-cloud-platform"
TEAM = "#cloud-platform"

PEOPLE = "\n".join(
    f'[[people]]\nid = "{p}"\nname = "{p.title()}"\nchat = "@{p}"\n'
    for p in ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan")
)
BASE = f"""
[team]
name = "Cloud Platform (test)"

[channels]
team = "{TEAM}"
support = "{SUPPORT}"

[groups]
leads = ["alice", "dave", "grace"]

{PEOPLE}
"""
"""A process file with the demo team and no [triage] section (every triage default applies)."""


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time as the UTC instant the clock is set to."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


class Roster:
    """Stands in for the rota: who is on support (and who leads) is whatever the test says."""

    def __init__(self, support: tuple[str, ...], lead: str | None) -> None:
        self.support = support
        self.lead = lead

    @hookimpl
    def dutybot_role_holders(self, role: str, at: datetime) -> list[str] | None:
        if role == "support":
            return list(self.support)
        if role == "support.lead":
            return [self.lead] if self.lead else []
        return None


class Listener:
    """Records the lifecycle hooks; answers ticket hooks with a link, like a mirror plugin."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str, str]] = []
        self.snapshots: list[Any] = []
        self.link_base: str | None = "https://tracker.example/"

    @hookimpl
    def dutybot_request_created(self, request: Any) -> None:
        self.heard.append(("created", request.ref, request.state))
        self.snapshots.append(request)

    @hookimpl
    def dutybot_request_updated(self, request: Any, change: str) -> None:
        self.heard.append(("updated", request.ref, change))
        self.snapshots.append(request)

    @hookimpl
    def dutybot_ticket_created(self, ticket: Any) -> dict[str, str] | None:
        self.heard.append(("ticket created", ticket.ref, ticket.column))
        self.snapshots.append(ticket)
        return {"tracker": f"{self.link_base}{ticket.id}"} if self.link_base else None

    @hookimpl
    def dutybot_ticket_updated(self, ticket: Any, change: str) -> None:
        self.heard.append(("ticket updated", ticket.ref, f"{change}: {ticket.column}"))
        self.snapshots.append(ticket)

    def take(self) -> list[tuple[str, str, str]]:
        heard, self.heard[:] = list(self.heard), []
        return heard


@dataclass(frozen=True)
class Post:
    """A delivered post: when (London time), where, what, and the ref of the message it replies under."""

    at: str
    address: str
    text: str
    thread: str | None = None


@dataclass
class Desk:
    runtime: Runtime
    clock: FakeClock
    roster: Roster
    listener: Listener
    sent: list[Post] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.runtime.chat.attach(self._deliver)

    def _deliver(self, address: str, text: str, thread: str | None) -> str:
        self.sent.append(
            Post(self.runtime.calendars.format(self.clock.now()), address, text, thread)
        )
        return f"bot-{len(self.sent)}"

    def say(
        self,
        text: str,
        sender: str = "@user1",
        message_id: str | None = None,
        thread_id: str | None = None,
        channel: str = "support",
    ) -> list[str]:
        """A message in a channel as the bridge hands it over; returns the replies for its thread."""
        address = self.runtime.chat.address(channel)
        person = self.runtime.process.person_by_chat(sender)
        message = InboundMessage(text, sender, person, address, channel, message_id, thread_id)
        return self.runtime.handle_message(message)

    def ask(self, line: str, as_user: str = "@alice", room: str | None = None) -> str:
        """Run ``!line`` as a chat user would; returns the reply."""
        name = max(
            (n for n in self.runtime.commands if line == n or line.startswith(n + " ")), key=len
        )
        return self.runtime.run_command(name, line[len(name) :], as_user, room)

    def take(self) -> list[Post]:
        posts, self.sent[:] = list(self.sent), []
        return posts

    def at(self, instant: datetime) -> None:
        """Jump the clock without running jobs, as if the bot had slept (its scheduler restarts)."""
        self.clock.set(instant)
        self.runtime.scheduler.reset()

    def live_until(self, until: datetime, step: timedelta = timedelta(minutes=1)) -> None:
        """Fast-forward, running the sweep as the scheduler would."""
        advance(self.runtime, self.clock, until, step)

    def count(self, model: type) -> int:
        with self.runtime.db.session() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0


def desk_maker(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Callable[..., Desk]:
    """What a test module's ``make_desk`` fixture returns: ``make_desk(triage=TOML, ...)``.

    ``triage`` is TOML for the [triage] section (default: none, so every default applies).
    """

    def make(
        triage: str = "",
        support: tuple[str, ...] = ("grace", "heidi", "ivan"),
        lead: str | None = None,
        plugins: tuple[object, ...] = (),
        disabled: frozenset[str] = OTHERS,
        start: datetime | None = None,
    ) -> Desk:
        if start is not None:
            clock.set(start)
        roster, listener = Roster(support, lead), Listener()
        runtime = make_runtime(
            process=BASE + triage, plugins=(roster, listener, *plugins), disabled_plugins=disabled
        )
        return Desk(runtime, clock, roster, listener)

    return make
