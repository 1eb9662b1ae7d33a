"""Who can take a turn: leave, on-call unavailability, and rest after out-of-hours work.

Leave is personal and belongs to whichever plugin records it (the support rota's ``!leave``):
this plugin asks through the ``dutybot_leave`` hook and never reads another feature's
tables. Unavailability for on-call only (a week someone cannot carry the pager but is at work)
is this plugin's own ``!oncall unavailable`` entry. Rest is the ``rest_hours`` after a recorded
stretch of out-of-hours work; nobody is picked as secondary or cover while resting.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.oncall.models import APPLIED, UNAVAILABLE, WORKED, Entry
from plugins.oncall.periods import days_of
from plugins.oncall.settings import OncallSection

if TYPE_CHECKING:
    from core.runtime import Runtime


def _entries(session: Session, kind: str, start: datetime, end: datetime) -> list[Entry]:
    return list(
        session.scalars(
            select(Entry)
            .where(
                Entry.kind == kind,
                Entry.state == APPLIED,
                Entry.starts_at < end,
                Entry.ends_at > start,
            )
            .order_by(Entry.starts_at)
        ).all()
    )


class Availability:
    """Leave, unavailability and rest around ``[start, end)``, loaded once per rota pass."""

    def __init__(
        self,
        runtime: Runtime,
        session: Session,
        section: OncallSection,
        start: datetime,
        end: datetime,
    ) -> None:
        self._runtime = runtime
        self._tz = runtime.calendars.tz
        self._rest = timedelta(hours=section.rest_hours)
        self._unavailable: dict[str, set[date]] = {}
        for entry in _entries(session, UNAVAILABLE, start, end):
            days = days_of(self._tz, entry.starts_at, entry.ends_at)
            self._unavailable.setdefault(entry.person, set()).update(days)
        self._worked = _entries(session, WORKED, start - self._rest, end)
        self._leave = _leave(runtime, start, end)

    def on_leave(self, person: str, day: date) -> bool:
        return day in self._leave.get(person, set())

    def leave_days(self, person: str, start: datetime, end: datetime) -> list[date]:
        return [d for d in days_of(self._tz, start, end) if self.on_leave(person, d)]

    def unavailable_days(self, person: str, start: datetime, end: datetime) -> list[date]:
        marked = self._unavailable.get(person, set())
        return [d for d in days_of(self._tz, start, end) if d in marked]

    def free(self, person: str, start: datetime, end: datetime) -> bool:
        """Neither on leave nor unavailable on any local day that ``[start, end)`` touches."""
        marked = self._unavailable.get(person, set())
        return not any(
            d in marked or self.on_leave(person, d) for d in days_of(self._tz, start, end)
        )

    def resting_until(self, person: str, start: datetime, end: datetime) -> datetime | None:
        """The end of a rest period of ``person`` that overlaps ``[start, end)``, if any."""
        ends = [
            e.ends_at + self._rest
            for e in self._worked
            if e.person == person and e.ends_at < end and e.ends_at + self._rest > start
        ]
        return max(ends) if ends else None


def _leave(runtime: Runtime, start: datetime, end: datetime) -> dict[str, set[date]]:
    """Everyone's leave days around ``[start, end)``: one ``dutybot_leave`` call per rota pass."""
    tz = runtime.calendars.tz
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    people = [p.id for p in runtime.process.people]
    days: dict[str, set[date]] = {}
    for spans in runtime.hook.dutybot_leave(runtime=runtime, people=people, first=first, last=last):
        for person, span_first, span_last in spans or []:
            day = max(span_first, first)
            while day <= min(span_last, last):
                days.setdefault(person, set()).add(day)
                day += timedelta(days=1)
    return days


def resting(session: Session, section: OncallSection, at: datetime) -> dict[str, datetime]:
    """Everyone resting after out-of-hours work at ``at``, with when their rest ends."""
    rest = timedelta(hours=section.rest_hours)
    rows = session.execute(
        select(Entry.person, Entry.ends_at).where(
            Entry.kind == WORKED,
            Entry.state == APPLIED,
            Entry.ends_at <= at,
            Entry.ends_at > at - rest,
        )
    ).all()
    until: dict[str, datetime] = {}
    for person, ended in rows:
        until[person] = max(until.get(person, ended + rest), ended + rest)
    return until


def describe_days(days: list[date]) -> str:
    """``2026-12-20 to 2026-12-22, 2026-12-24``: runs of consecutive days."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(f"{r[0]}" if len(r) == 1 else f"{r[0]} to {r[-1]}" for r in runs)
