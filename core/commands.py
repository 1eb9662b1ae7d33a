"""Chat commands as plain data, so features stay chat-agnostic.

A plugin returns ``Command`` objects from ``dutybot_commands``; the Errbot bridge turns each into
an Errbot command named after it (``rota swap`` → ``!rota swap``, Errbot ACL name ``rota_swap``)
and runs it through ``execute``, which applies dutybot's own ACL and turns errors into replies.
"""

from __future__ import annotations

import logging
import secrets
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core.db import unavailable

if TYPE_CHECKING:
    from core.process import Person
    from core.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Permission:
    """A named right (``rota.change``); the process file's [acl] says who holds it."""

    name: str
    description: str
    default: tuple[str, ...] = ("team",)


class CommandError(Exception):
    """The command was understood but cannot be done; the message is the whole reply."""


class UsageError(CommandError):
    """The command's arguments are wrong; the reply adds the command's usage line."""


@dataclass(frozen=True)
class Command:
    """A chat command contributed by a plugin."""

    name: str
    feature: str
    summary: str
    usage: str
    handler: Callable[[CommandContext], str]
    permission: Permission | None = None

    @property
    def errbot_name(self) -> str:
        return self.name.replace(" ", "_")


@dataclass
class CommandContext:
    """Everything a handler needs: who asked, where, with which arguments, and the runtime."""

    runtime: Runtime
    command: Command
    args: str
    sender: str
    person: Person | None
    room: str | None = None
    prefix: str = "!"
    _words: list[str] | None = field(default=None, repr=False)

    def words(self) -> list[str]:
        """The arguments split like a shell would, so ``"two words"`` stays one argument."""
        if self._words is None:
            try:
                self._words = shlex.split(self.args)
            except ValueError as exc:
                raise UsageError(f"Could not read the arguments: {exc}.") from exc
        return self._words

    def person_arg(self, word: str) -> Person:
        """A person named in an argument as ``@chat-handle``, ``@id`` or ``id``."""
        process = self.runtime.process
        person = process.person_by_chat(word) or process.person(word.removeprefix("@"))
        if person is None:
            known = ", ".join(p.id for p in process.people)
            raise UsageError(f"I don't know anyone called {word!r}. People in this team: {known}.")
        return person

    def require_permission(self, permission: Permission, what: str) -> None:
        """Refuse (a ``CommandError`` naming the permission) unless the sender holds it.

        Commands are checked by name before they run; this is for a command whose arguments
        decide (changing your own shift is one right, changing someone else's another).
        """
        if not self.runtime.acl.allows(self.person, permission):
            who = self.person.id if self.person else self.sender
            raise CommandError(
                f"Sorry {who}, {what} needs the permission '{permission.name}' ({permission.description})."
            )

    def require_person(self) -> Person:
        if self.person is None:
            raise CommandError(
                f"You ({self.sender}) are not in the team's process file, so I don't know who you are."
            )
        return self.person


def execute(ctx: CommandContext) -> str:
    """Run a command with its ACL check; every failure becomes a clear reply, never a crash."""
    command = ctx.command
    try:
        if command.permission:
            ctx.require_permission(command.permission, f"`{ctx.prefix}{command.name}`")
        _take_rate(ctx)
        try:
            return command.handler(ctx)
        except BaseException:  # only uses that worked count
            ctx.runtime.limits.give_back(command.name, _sender_key(ctx))
            raise
    except UsageError as exc:
        return f"{exc}\nUsage: {ctx.prefix}{command.usage}"
    except CommandError as exc:
        return str(exc)
    except Exception as exc:
        outage = unavailable(exc)
        if outage is not None:  # not a bug: say what is wrong and that a retry will do
            log.warning("command %r could not run: %s", command.name, outage)
            return f"Sorry, `{ctx.prefix}{command.name}` could not run: {outage}. Try again in a minute."
        error_id = secrets.token_hex(4)
        log.exception("command %r failed (error id %s)", command.name, error_id)
        return (
            f"Sorry, `{ctx.prefix}{command.name}` failed unexpectedly (error id {error_id}); "
            "the details are in the bot's log."
        )


def _sender_key(ctx: CommandContext) -> str:
    return ctx.person.id if ctx.person else ctx.sender


def _take_rate(ctx: CommandContext) -> None:
    """Take one use of ``[limits.commands]``; refuse (and audit the refusal) when none is left."""
    runtime, name, who = ctx.runtime, ctx.command.name, _sender_key(ctx)
    decision = runtime.limits.take(name, who)
    if decision.allowed:
        return
    log.warning("rate limit: %s refused %r (%s)", who, name, runtime.limits.rate(name))
    with runtime.db.session() as session:
        runtime.audit(session, who, "refused: rate limit", f"{ctx.prefix}{name}", ctx.args[:200])
    again = runtime.calendars.format(_next_minute(runtime.clock.now() + decision.retry_after))
    raise CommandError(
        f"Sorry {who}, `{ctx.prefix}{name}` is limited to {runtime.limits.rate(name)} per person; "
        f"you can use it again at {again}."
    )


def _next_minute(t: datetime) -> datetime:
    """Round up, so "again at 08:04" is never a minute at which it would still be refused."""
    whole = t.replace(second=0, microsecond=0)
    return whole if whole == t else whole + timedelta(minutes=1)
