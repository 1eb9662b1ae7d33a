"""dutybot's own access control: permissions held by people and groups of the process file,
and per-sender rate limits on chosen commands.

Errbot's ACLs still apply by command name on top; these work on every backend and are
configured in the same file as the rotas they protect.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from core.clock import Clock
from core.commands import Command, Permission
from core.process import Person, Process, ProcessError
from core.ratelimit import Decision, Rate, TokenBucket

log = logging.getLogger(__name__)


class Acl:
    """Answers "may this person use this permission", from [acl] or the permission's default."""

    def __init__(self, process: Process, permissions: Iterable[Permission]) -> None:
        self._process = process
        self._permissions = {p.name: p for p in permissions}
        unknown = sorted(set(process.core.acl) - set(self._permissions))
        if unknown:
            known = ", ".join(sorted(self._permissions)) or "none"
            raise ProcessError(
                [
                    f"{process.source}: acl.{name}: unknown permission (known: {known})"
                    for name in unknown
                ]
            )

    def holders(self, permission: Permission) -> set[str]:
        names = self._process.core.acl.get(permission.name, list(permission.default))
        return self._process.resolve(names)

    def allows(self, person: Person | None, permission: Permission) -> bool:
        return person is not None and person.id in self.holders(permission)

    @property
    def permissions(self) -> list[Permission]:
        return sorted(self._permissions.values(), key=lambda p: p.name)


class CommandLimits:
    """The per-sender limits of ``[limits.commands]``, checked by ``core.commands.execute``.

    Only successful uses count: a mistyped or refused command does not use up the sender's
    allowance, so a person fixing their typo is not locked out of paging. The use is taken
    before the command runs and given back if it fails: checking first and counting after
    would let one sender's commands sent at once (Errbot runs them in parallel) all pass.
    """

    def __init__(
        self,
        process: Process,
        commands: Iterable[Command],
        clock: Clock,
        some_disabled: bool = False,
    ) -> None:
        limits = process.core.limits.commands
        known = {c.name for c in commands}
        unknown = sorted(set(limits) - known)
        if unknown and some_disabled:
            # A disabled plugin's commands are unknown here; its limits simply do not apply.
            log.info("limits for commands not loaded, ignored: %s", ", ".join(unknown))
        elif unknown:
            raise ProcessError(
                [f"{process.source}: limits.commands.{name}: unknown command" for name in unknown]
            )
        self._buckets: Mapping[str, TokenBucket] = {
            name: TokenBucket(rate, clock) for name, rate in limits.items() if name in known
        }

    def rate(self, command: str) -> Rate | None:
        bucket = self._buckets.get(command)
        return bucket.rate if bucket else None

    def take(self, command: str, sender: str) -> Decision:
        bucket = self._buckets.get(command)
        return bucket.take(sender) if bucket else Decision(True)

    def give_back(self, command: str, sender: str) -> None:
        bucket = self._buckets.get(command)
        if bucket:
            bucket.give_back(sender)
