"""Support-channel cover: who answers the support channel at each minute of support hours.

Times are local wall-clock minutes of one date (support hours come from the calendars, so bank
holidays and DST are already settled there). The day's lead covers every minute that no cover
slot names; where slots overlap the later one wins. A minute is a *gap* when its holder is
nobody (no one is on support that day) or someone no longer on support that day (a swap or leave
after the slot was set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.calendars import Calendars
    from plugins.rota.schedule import RotaDay

DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Slot:
    start: int
    end: int
    person: str


@dataclass(frozen=True)
class CoverSpan:
    start: int
    end: int
    person: str | None
    problem: str | None = None

    @property
    def times(self) -> str:
        return f"{hhmm(self.start)}-{hhmm(self.end)}"

    def describe(self) -> str:
        if self.problem is None:
            return f"{self.times} {self.person}"
        return f"{self.times} nobody ({self.problem})"


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def local_minute(calendars: Calendars, instant: datetime, day: date) -> int:
    """Minutes from the local midnight that starts ``day`` to ``instant`` (1440 = next midnight)."""
    local = calendars.local(instant)
    return (local.date() - day).days * DAY_MINUTES + local.hour * 60 + local.minute


def support_ranges(calendars: Calendars, day: date) -> list[tuple[int, int]]:
    """The day's support hours as local (start, end) minutes; empty on non-support days."""
    return [
        (local_minute(calendars, start, day), local_minute(calendars, end, day))
        for start, end in calendars.support.day_ranges(day)
    ]


def plan(
    ranges: Sequence[tuple[int, int]], rota_day: RotaDay, slots: Sequence[Slot]
) -> list[CoverSpan]:
    """Who covers each part of the support hours ``ranges``; ``slots`` oldest first."""
    cuts = {minute for slot in slots for minute in (slot.start, slot.end)}
    spans: list[CoverSpan] = []
    for first, last in ranges:
        points = [first, *sorted(c for c in cuts if first < c < last), last]
        for start, end in pairwise(points):
            holder = next(
                (s.person for s in reversed(slots) if s.start <= start and end <= s.end),
                rota_day.lead,
            )
            problem = None
            if holder is None:
                problem = "nobody is on support"
            elif holder not in rota_day.people:
                problem = f"{holder} is not on support"
            span = CoverSpan(start, end, holder if problem is None else None, problem)
            previous = spans[-1] if spans else None
            if (
                previous
                and previous.end == start
                and (previous.person, previous.problem) == (span.person, span.problem)
            ):
                spans[-1] = CoverSpan(previous.start, end, span.person, span.problem)
            else:
                spans.append(span)
    return spans
