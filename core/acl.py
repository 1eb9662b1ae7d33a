"""dutybot's own access control: permissions held by people and groups of the process file.

Errbot's ACLs still apply by command name on top; these work on every backend and are
configured in the same file as the rotas they protect.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.commands import Permission
from core.process import Person, Process, ProcessError


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
