"""Who a page calls, in which order, and whether anyone may be paged right now.

A page walks a list of *steps*: for ``oncall`` the escalation policy of the process file (with
the support engineers first inside support hours), for any other target just that target. A
step is a person id, a group, ``team`` or a role answered by ``dutybot_role_holders``. The list
is walked ``repeat + 1`` times; a *position* counts steps across rounds. Steps whose holders have
no contact method are skipped, so nobody waits on a call that could not be made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core.process import EVERYONE
from plugins.pager.settings import PagerSection

if TYPE_CHECKING:
    from core.runtime import Runtime

POLICY = "oncall"
SUPPORT_ROLE = "support"
KNOWN_ROLES = ("oncall.primary", "oncall.secondary", SUPPORT_ROLE)


@dataclass(frozen=True)
class Recipient:
    person: str
    contacts: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    """The next call a page makes: its position in the walk, the step, and who it reaches."""

    position: int
    step: str
    recipients: tuple[Recipient, ...]

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(r.person for r in self.recipients)


def steps_for(runtime: Runtime, section: PagerSection, target: str, at: datetime) -> list[str]:
    """The steps a page to ``target`` walks when its first call goes out at ``at``."""
    if target != POLICY:
        return [target]
    steps = list(section.escalation.steps)
    if (
        section.escalation.support_first
        and runtime.calendars.support.is_open(at)
        and steps[0] != SUPPORT_ROLE
    ):
        steps.insert(0, SUPPORT_ROLE)
    return steps


def is_target(runtime: Runtime, section: PagerSection, name: str) -> bool:
    """Whether ``name`` is something a page can be addressed to."""
    process = runtime.process
    return (
        name in (POLICY, EVERYONE, *KNOWN_ROLES)
        or name in section.escalation.steps
        or process.person(name) is not None
        or name in process.core.groups
    )


def holders(runtime: Runtime, step: str, at: datetime) -> list[str]:
    """The person ids a step names at ``at``, in the process file's order for groups."""
    process = runtime.process
    if process.person(step) is not None:
        return [step]
    if step == EVERYONE or step in process.core.groups:
        members = process.resolve([step])
        return [p.id for p in process.people if p.id in members]
    return list(runtime.hook.dutybot_role_holders(runtime=runtime, role=step, at=at) or [])


def plan_call(
    runtime: Runtime, section: PagerSection, steps: list[str], start: int, at: datetime
) -> Call | None:
    """The first call at or after position ``start`` that reaches somebody; None past the end."""
    total = len(steps) * (section.escalation.repeat + 1)
    for position in range(max(start, 0), total):
        step = steps[position % len(steps)]
        recipients = reachable(section, holders(runtime, step, at))
        if recipients:
            return Call(position, step, recipients)
    return None


def reachable(section: PagerSection, people: list[str]) -> tuple[Recipient, ...]:
    """The people who have at least one contact method, with their methods in order."""
    return tuple(
        Recipient(person, tuple(section.contacts[person]))
        for person in people
        if section.contacts.get(person)
    )


def paging_open(runtime: Runtime, section: PagerSection, at: datetime) -> bool:
    """Whether people may be paged at ``at``: inside paging hours, or the team pages anyway."""
    return section.when_closed == "page" or any(
        runtime.calendars[w].is_open(at) for w in section.hours
    )


def next_opening(runtime: Runtime, section: PagerSection, at: datetime) -> datetime | None:
    """When paging hours next open (None if they never do)."""
    openings = [
        o for w in section.hours if (o := runtime.calendars[w].next_opening(at)) is not None
    ]
    return min(openings, default=None)
