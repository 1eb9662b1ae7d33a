"""Building the support rota day by day: strategy, then changes, then leave and the fairness ledger.

Everything here is pure (no database, no clock), so the rules are easy to test and to read:

1. the strategy plans each working day's roster, the day's lead first; non-working days (weekends,
   bank holidays, closures) have nobody;
2. the day's active changes apply in the order they were made: swaps, accepted cover, overrides;
3. people on leave come off; their places are filled, up to ``min_staff`` (default: as planned),
   by the available rota members who have served the fewest days so far (the fairness ledger),
   ties broken by the order of ``members``; a place nobody can fill leaves the day short-staffed.

Days are walked from the rota's ``start``, because who fills a gap depends on the ledger of
every earlier day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from plugins.rota.models import COVER, OVERRIDE, SWAP

if TYPE_CHECKING:
    from core.calendars import Calendars
    from plugins.rota.settings import SupportRota
    from plugins.rota.strategies import Strategy


@dataclass(frozen=True)
class Shift:
    """A person on support on a day, and why when it is not as the strategy planned."""

    person: str
    note: str = ""


@dataclass(frozen=True)
class RotaDay:
    day: date
    working: bool
    shifts: tuple[Shift, ...] = ()
    short: tuple[str, ...] = ()
    """Planned people on leave whose places nobody filled."""
    holiday: str | None = None

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(s.person for s in self.shifts)

    @property
    def lead(self) -> str | None:
        return self.shifts[0].person if self.shifts else None


@dataclass(frozen=True)
class LeaveSpan:
    person: str
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Change:
    """An active change (see ``plugins.rota.models.RotaChange`` for what each kind means)."""

    id: int
    kind: str
    person: str | None
    other: str | None
    first_day: date
    last_day: date


@dataclass
class Rota:
    """The generated days from the rota's start to ``last``, and the ledger of days served."""

    start: date
    days: dict[date, RotaDay] = field(default_factory=dict)

    def day(self, day: date, calendars: Calendars) -> RotaDay:
        found = self.days.get(day)
        if found is not None:
            return found
        return RotaDay(
            day, calendars.is_working_day(day), holiday=calendars.holidays.holiday_name(day)
        )

    def served(self, before: date) -> Counter[str]:
        """Days on support per person, from the start up to (not including) ``before``."""
        ledger: Counter[str] = Counter()
        for day, rota_day in self.days.items():
            if day < before:
                ledger.update(rota_day.people)
        return ledger


def generate(
    settings: SupportRota,
    strategy: Strategy,
    calendars: Calendars,
    leave: Iterable[LeaveSpan],
    changes: Iterable[Change],
    last: date,
) -> Rota:
    """The rota from ``settings.start`` to ``last`` (inclusive)."""
    start = settings.start
    rota = Rota(start)
    away = _leave_by_day(leave, start, last)
    ordered = sorted(changes, key=lambda c: c.id)
    ledger: Counter[str] = Counter()
    members = list(settings.members)
    rank = {person: index for index, person in enumerate(members)}
    working_day = 0
    day = start
    while day <= last:
        if not calendars.is_working_day(day):
            rota.days[day] = RotaDay(day, False, holiday=calendars.holidays.holiday_name(day))
            day += timedelta(days=1)
            continue
        shifts = [Shift(p) for p in strategy.roster(day, working_day)]
        working_day += 1
        for change in ordered:
            if change.first_day <= day <= change.last_day:
                shifts = _apply(change, shifts)
        shifts, short = _take_leave(
            shifts, away.get(day, set()), settings.min_staff, members, rank, ledger
        )
        rota.days[day] = RotaDay(day, True, tuple(shifts), tuple(short))
        ledger.update(s.person for s in shifts)
        day += timedelta(days=1)
    return rota


def _leave_by_day(leave: Iterable[LeaveSpan], first: date, last: date) -> dict[date, set[str]]:
    away: dict[date, set[str]] = defaultdict(set)
    for span in leave:
        day = max(span.first_day, first)
        while day <= min(span.last_day, last):
            away[day].add(span.person)
            day += timedelta(days=1)
    return away


def _apply(change: Change, shifts: list[Shift]) -> list[Shift]:
    if change.kind == SWAP:
        a, b = change.person, change.other
        people = {s.person for s in shifts}
        if a in people and b in people:  # both on that day: trading changes nothing
            return shifts
        swapped = {a: b, b: a}
        return [
            Shift(swapped[s.person], f"swap #{change.id} with {s.person}")
            if s.person in swapped
            else s
            for s in shifts
        ]
    if change.kind == COVER and change.other is not None:
        return _replace(
            shifts, change.person, change.other, f"cover #{change.id} for {change.person}"
        )
    if change.kind == OVERRIDE and change.other is not None:
        if change.person is not None:
            return _replace(
                shifts, change.person, change.other, f"override #{change.id} for {change.person}"
            )
        if change.other not in {s.person for s in shifts}:
            return [*shifts, Shift(change.other, f"override #{change.id}")]
    return shifts


def _replace(shifts: list[Shift], old: str | None, new: str, note: str) -> list[Shift]:
    """``new`` takes ``old``'s place; if ``new`` is already on that day, ``old`` just comes off."""
    if old not in {s.person for s in shifts}:
        return shifts
    already = new in {s.person for s in shifts}
    result: list[Shift] = []
    for shift in shifts:
        if shift.person != old:
            result.append(shift)
        elif not already:
            result.append(Shift(new, note))
    return result


def _take_leave(
    shifts: list[Shift],
    away: set[str],
    min_staff: int | None,
    members: Sequence[str],
    rank: dict[str, int],
    ledger: Counter[str],
) -> tuple[list[Shift], list[str]]:
    if not away.intersection(s.person for s in shifts):
        return shifts, []
    planned = len(shifts)
    staying = sum(1 for s in shifts if s.person not in away)
    target = planned if min_staff is None else min(min_staff, planned)
    fills = max(0, target - staying)
    on_day = {s.person for s in shifts}
    candidates = sorted(
        (m for m in members if m not in away and m not in on_day),
        key=lambda m: (ledger[m], rank[m]),
    )
    result: list[Shift] = []
    short: list[str] = []
    for shift in shifts:
        if shift.person not in away:
            result.append(shift)
        elif fills and candidates:
            result.append(Shift(candidates.pop(0), f"for {shift.person}, on leave"))
            fills -= 1
        else:
            short.append(shift.person)
    return result, short
