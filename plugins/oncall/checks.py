"""The rota's rules, checked over a stretch of the plan: what to tell the team is wrong.

Problems are reported, never silently fixed: when the rota is planned (start-up and the daily
job post them to the team channel, once each) and in the reply to any change. The rules:

* someone new to on-call (``new_to_oncall``) is primary with an experienced secondary;
* somebody holds each role (the planner found nobody free, or a change left a gap);
* nobody holds both roles at once;
* nobody is rostered on a day they are on leave or unavailable for on-call.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.oncall.availability import Availability, describe_days
from plugins.oncall.generate import shifts_between
from plugins.oncall.models import Reported
from plugins.oncall.periods import Period, shift_bounds
from plugins.oncall.settings import ROLES, OncallSection
from plugins.oncall.timeline import Segment, planned_until, timeline

if TYPE_CHECKING:
    from core.calendars import Calendars
    from core.runtime import Runtime


@dataclass(frozen=True)
class Problem:
    """A broken rule during ``[start, end)``."""

    start: datetime
    end: datetime
    text: str

    def line(self, calendars: Calendars) -> str:
        return f"{calendars.format(self.start)} to {calendars.format(self.end)}: {self.text}"


def problems(
    runtime: Runtime, session: Session, section: OncallSection, period: Period
) -> list[Problem]:
    """Every broken rule in ``period``, in time order, never spanning a handoff.

    Cutting at handoffs keeps a problem's line the same while the plan grows, so the daily
    check can recognise what it already reported.
    """
    handoffs = {
        t
        for shift in shifts_between(session, period.start, period.end)
        for t in (shift.start, shift.end)
    }
    lines = {
        role: _split(timeline(session, role, period.start, period.end), handoffs) for role in ROLES
    }
    found = _pairing(section, lines["primary"], lines["secondary"], handoffs)
    found.extend(
        _availability(runtime, session, section, period, [*lines["primary"], *lines["secondary"]])
    )
    return sorted(found, key=lambda p: (p.start, p.text))


def _split(segments: list[Segment], handoffs: set[datetime]) -> list[Segment]:
    """The segments cut at every handoff that falls inside one."""
    pieces = []
    for segment in segments:
        cuts = sorted(
            {segment.start, segment.end} | {t for t in handoffs if segment.start < t < segment.end}
        )
        pieces.extend(Segment(segment.role, segment.person, a, b) for a, b in pairwise(cuts))
    return pieces


def _pairing(
    section: OncallSection,
    primaries: list[Segment],
    secondaries: list[Segment],
    handoffs: set[datetime],
) -> list[Problem]:
    """Pairing rules on every stretch where the (primary, secondary) pair is constant."""
    cuts = sorted({t for s in (*primaries, *secondaries) for t in (s.start, s.end)})
    found: list[Problem] = []
    for a, b in pairwise(cuts):
        primary = next((s for s in primaries if s.start <= a < s.end), None)
        secondary = next((s for s in secondaries if s.start <= a < s.end), None)
        if primary is None and secondary is None:
            continue  # not planned
        text = _pair_problem(
            section, primary.person if primary else None, secondary.person if secondary else None
        )
        if text is None:
            continue
        if found and found[-1].end == a and found[-1].text == text and a not in handoffs:
            found[-1] = Problem(found[-1].start, b, text)
        else:
            found.append(Problem(a, b, text))
    return found


def _pair_problem(section: OncallSection, primary: str | None, secondary: str | None) -> str | None:
    new = section.new_to_oncall
    if primary is None:
        return "nobody is primary"
    if primary == secondary:
        return f"{primary} is both primary and secondary"
    if primary in new and secondary is None:
        return f"{primary} is new to on-call and has no secondary"
    if primary in new and secondary in new:
        return f"{primary} is new to on-call and the secondary, {secondary}, is new to on-call too"
    if secondary is None:
        return "nobody is secondary"
    return None


def _availability(
    runtime: Runtime,
    session: Session,
    section: OncallSection,
    period: Period,
    segments: list[Segment],
) -> list[Problem]:
    availability = Availability(runtime, session, section, period.start, period.end)
    found = []
    for s in segments:
        if s.person is None:
            continue
        for label, days in (
            ("on leave", availability.leave_days(s.person, s.start, s.end)),
            ("unavailable for on-call", availability.unavailable_days(s.person, s.start, s.end)),
        ):
            if days:
                text = f"{s.person} is {s.role} but {label} on {describe_days(days)}"
                found.append(Problem(s.start, s.end, text))
    return found


def report(runtime: Runtime, section: OncallSection) -> list[str]:
    """Post the plan's problems from now on to the team channel, each one only once.

    Problems are computed from the start of the current shift so that a problem reads the same
    every day it lasts; a ``Reported`` row per problem keeps the daily job from repeating it.
    """
    tz = runtime.calendars.tz
    now = runtime.clock.now()
    with runtime.db.session() as session:
        end = planned_until(session)
        if end is None or end <= now:
            return []
        current = shift_bounds(section, tz, now).start
        lines = [
            p.line(runtime.calendars)
            for p in problems(runtime, session, section, Period(current, end))
            if p.end > now
        ]
        keys = {line: hashlib.sha256(line.encode()).hexdigest() for line in lines}
        known = set(
            session.scalars(select(Reported.key).where(Reported.key.in_(keys.values()))).all()
        )
        new = [line for line in lines if keys[line] not in known]
        if new:
            session.add_all(Reported(key=keys[line], reported_at=now) for line in new)
            text = (
                "On-call rota check: please fix these with an override, swap or cover:\n"
                + "\n".join(f"- {line}" for line in new)
            )
            runtime.chat.post("team", text, session=session)
    return new
