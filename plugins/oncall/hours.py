"""On-call hours and pay: what a stretch on call counts for, and what a month earns.

A whole day on call counts ``hours.weekday`` (8) or, on a weekend day or bank holiday,
``hours.weekend`` (15) hours. When a day changes hands (a handoff at 09:30, an override) its
hours are shared in proportion to the on-call window time each holder had that day, so with the
default windows (07:00-10:00 and 17:00-22:00 on weekdays) a credited hour is a real hour of
on-call window. Pay follows the scheme in ``[oncall.pay]``: availability is a percentage of
the day rate per ``availability_hours`` on call, pro rata; time worked out of hours pays the day
rate divided by ``worked_hours_per_day`` for every full hour of the month's total.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendars import Calendars
from plugins.oncall.models import APPLIED, WORKED, Entry
from plugins.oncall.periods import Period, days_of
from plugins.oncall.settings import CreditedHours, OncallSection, PayScheme
from plugins.oncall.timeline import timeline

PENNY = Decimal("0.01")


def day_credit(calendars: Calendars, rules: CreditedHours, day: date) -> float:
    """The hours a whole local day on call counts for."""
    weekend = day.weekday() >= 5 or calendars.holidays.is_holiday(day)
    return rules.weekend if weekend else rules.weekday


def credited_hours(
    calendars: Calendars, rules: CreditedHours, start: datetime, end: datetime
) -> float:
    """The on-call hours ``[start, end)`` counts for, each day's credit shared pro rata."""
    total = 0.0
    for day in days_of(calendars.tz, start, end):
        spans = calendars.oncall.day_ranges(day)
        window = sum((e - s).total_seconds() for s, e in spans)
        if not window:
            continue
        held = sum(max(0.0, (min(e, end) - max(s, start)).total_seconds()) for s, e in spans)
        total += day_credit(calendars, rules, day) * held / window
    return total


def hours_on_call(
    session: Session, calendars: Calendars, section: OncallSection, period: Period
) -> dict[str, float]:
    """Credited hours per person holding a paid role in ``period`` (a person holding both
    roles at once is counted once)."""
    held: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for role in section.paid_roles:
        for segment in timeline(session, role, period.start, period.end):
            if segment.person is not None:
                held[segment.person].append((segment.start, segment.end))
    return {
        person: sum(credited_hours(calendars, section.hours, s, e) for s, e in _union(stretches))
        for person, stretches in held.items()
    }


def _union(stretches: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(stretches):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def worked_entries(session: Session, period: Period) -> list[Entry]:
    """Applied records of out-of-hours work that ended inside ``period``."""
    return list(
        session.scalars(
            select(Entry)
            .where(
                Entry.kind == WORKED,
                Entry.state == APPLIED,
                Entry.ends_at > period.start,
                Entry.ends_at <= period.end,
            )
            .order_by(Entry.starts_at)
        ).all()
    )


def out_of_hours_seconds(calendars: Calendars, start: datetime, end: datetime) -> float:
    """The part of ``[start, end)`` outside working hours."""
    return (end - start).total_seconds() - calendars.working.seconds_between(start, end)


@dataclass(frozen=True)
class Claim:
    """One person's month: hours on call, out-of-hours time worked and the pay due."""

    person: str
    oncall_hours: float
    worked_seconds: float
    variable: str
    availability_pay: Decimal | None = None
    worked_pay: Decimal | None = None
    salary_problem: str | None = None

    @property
    def full_hours_worked(self) -> int:
        return int(self.worked_seconds // 3600)

    @property
    def total_pay(self) -> Decimal | None:
        if self.availability_pay is None or self.worked_pay is None:
            return None
        return self.availability_pay + self.worked_pay


def claims(
    session: Session, calendars: Calendars, section: OncallSection, period: Period
) -> list[Claim]:
    """Every member (and anyone else with hours) for the month, members first in rota order."""
    oncall = hours_on_call(session, calendars, section, period)
    worked: dict[str, float] = defaultdict(float)
    for entry in worked_entries(session, period):
        worked[entry.person] += out_of_hours_seconds(calendars, entry.starts_at, entry.ends_at)
    others = sorted((set(oncall) | set(worked)) - set(section.members))
    return [
        _claim(section.pay, person, oncall.get(person, 0.0), worked.get(person, 0.0))
        for person in [*section.members, *others]
    ]


def _claim(scheme: PayScheme, person: str, hours: float, worked_seconds: float) -> Claim:
    variable = scheme.variable_for(person)
    raw = os.environ.get(variable)
    if not raw:
        return Claim(person, hours, worked_seconds, variable, salary_problem="salary not set")
    try:
        salary = Decimal(raw.strip().replace(",", ""))
    except InvalidOperation:
        return Claim(
            person, hours, worked_seconds, variable, salary_problem="salary is not a number"
        )
    day_rate = salary / scheme.working_days_per_year
    availability = (
        day_rate * scheme.availability_percent / 100 * _decimal(hours) / scheme.availability_hours
    )
    full_hours = int(worked_seconds // 3600)
    worked = day_rate / scheme.worked_hours_per_day * full_hours
    return Claim(
        person,
        hours,
        worked_seconds,
        variable,
        availability_pay=availability.quantize(PENNY, ROUND_HALF_UP),
        worked_pay=worked.quantize(PENNY, ROUND_HALF_UP),
    )


def _decimal(hours: float) -> Decimal:
    """Hours as an exact-enough decimal (pro rata shares are rounded to 1/10000 h)."""
    return Decimal(str(round(hours, 4)))
