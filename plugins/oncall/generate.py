"""Planning the rota: one shift per role from handoff to handoff, picked fairly from the members.

Planning starts at the shift containing the moment the bot first plans (there is no invented
history) and runs ``horizon_weeks`` ahead; the daily job extends it. Shifts once planned stay
put, so people can rely on them: leave recorded later is reported as a conflict to resolve with
cover, not silently re-planned. Picking, per shift:

* only members free for the whole shift (not on leave, not unavailable on any of its days);
* primary: fewest primary hours on the ledger, then fewest hours in total, then rota order;
* secondary: someone else, not resting, and experienced when the primary is new to on-call;
  fewest hours in total, then fewest secondary hours, then rota order.

The ledger counts credited on-call hours (see ``hours``) of everything planned so far, with
overrides, swaps and cover applied, so whoever has carried more is picked less.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plugins.oncall.availability import Availability
from plugins.oncall.hours import credited_hours
from plugins.oncall.models import Shift
from plugins.oncall.periods import Period, boundary, shift_bounds, shift_index
from plugins.oncall.settings import ROLES, OncallSection
from plugins.oncall.timeline import planned_from, planned_until, timeline

if TYPE_CHECKING:
    from core.calendars import Calendars
    from core.runtime import Runtime

Ledger = dict[str, dict[str, float]]


def ledger(
    session: Session, calendars: Calendars, section: OncallSection, start: datetime, end: datetime
) -> Ledger:
    """Credited on-call hours per person and role in ``[start, end)``."""
    hours: Ledger = defaultdict(lambda: dict.fromkeys(ROLES, 0.0))
    for role in ROLES:
        for segment in timeline(session, role, start, end):
            if segment.person is not None:
                credit = credited_hours(calendars, section.hours, segment.start, segment.end)
                hours[segment.person][role] += credit
    return hours


def plan(runtime: Runtime, section: OncallSection, until: datetime) -> list[Period]:
    """Plan shifts up to ``until``; returns the new ones (none if another replica got there first)."""
    if not section.members:
        return []
    try:
        with runtime.db.session() as session:
            return _plan(runtime, session, section, until)
    except IntegrityError:
        return []


def _plan(
    runtime: Runtime, session: Session, section: OncallSection, until: datetime
) -> list[Period]:
    tz = runtime.calendars.tz
    now = runtime.clock.now()
    start = planned_until(session) or shift_bounds(section, tz, now).start
    if start >= until:
        return []
    first = planned_from(session) or start
    hours = ledger(session, runtime.calendars, section, first, start)
    availability = Availability(runtime, session, section, start, until)
    made: list[Period] = []
    while start < until:
        shift = Period(start, boundary(section, tz, shift_index(section, tz, start) + 1))
        primary, secondary = pick(section, hours, availability, shift)
        for role, person in (("primary", primary), ("secondary", secondary)):
            session.add(
                Shift(
                    role=role,
                    person=person,
                    starts_at=shift.start,
                    ends_at=shift.end,
                    created_at=now,
                )
            )
            if person is not None:
                hours[person][role] += credited_hours(
                    runtime.calendars, section.hours, shift.start, shift.end
                )
        runtime.audit(
            session,
            "dutybot",
            "oncall.plan",
            f"shift {runtime.calendars.format(shift.start)}",
            f"primary {primary or 'nobody'}, secondary {secondary or 'nobody'}",
        )
        made.append(shift)
        start = shift.end
    session.flush()
    return made


def pick(
    section: OncallSection, hours: Ledger, availability: Availability, shift: Period
) -> tuple[str | None, str | None]:
    """The primary and secondary for one shift, by the rules in this module's docstring."""
    order = {person: index for index, person in enumerate(section.members)}
    free = [p for p in section.members if availability.free(p, shift.start, shift.end)]

    def load(person: str) -> dict[str, float]:
        return hours.get(person) or dict.fromkeys(ROLES, 0.0)

    def total(person: str) -> float:
        return sum(load(person).values())

    primary = min(free, key=lambda p: (load(p)["primary"], total(p), order[p]), default=None)
    others = [
        p
        for p in free
        if p != primary and availability.resting_until(p, shift.start, shift.end) is None
    ]
    if primary in section.new_to_oncall:
        others = [p for p in others if p not in section.new_to_oncall] or others
    secondary = min(others, key=lambda p: (total(p), load(p)["secondary"], order[p]), default=None)
    return primary, secondary


def shifts_between(session: Session, start: datetime, end: datetime) -> list[Period]:
    """The planned shift boundaries overlapping ``[start, end)``, in order."""
    rows = session.execute(
        select(Shift.starts_at, Shift.ends_at)
        .where(Shift.role == ROLES[0], Shift.starts_at < end, Shift.ends_at > start)
        .order_by(Shift.starts_at)
    ).all()
    return [Period(s, e) for s, e in rows]
