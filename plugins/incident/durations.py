"""Durations as the process file and people write them (``20m``, ``2h``, ``1h30m``, ``2d``).

A target such as "update after 2 business days" or "respond within 2 h of office hours" counts
only the open time of a calendar window, so a duration keeps its days apart from its minutes:
with a window, ``2d`` means two of the window's open days later and ``2h`` two open hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from core.durations import format_duration

if TYPE_CHECKING:
    from core.calendars import Calendars

ALWAYS = "always"
"""The window name that means wall-clock time."""

_DURATION = re.compile(r"(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_SEARCH_DAYS = 366


@dataclass(frozen=True)
class Duration:
    """Whole days and minutes, kept apart so days can mean business days."""

    days: int = 0
    minutes: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        """``1h30m`` → 90 minutes; ValueError saying what is accepted for anything else."""
        match = _DURATION.fullmatch(text.strip().lower())
        if not match or not any(match.groups()):
            raise ValueError(f"{text!r} is not a duration (write e.g. 30m, 2h, 1h30m or 2d)")
        days, hours, minutes = (int(n) if n else 0 for n in match.groups())
        value = cls(days=days, minutes=hours * 60 + minutes)
        if not value.days and not value.minutes:
            raise ValueError(f"{text!r} is not a positive duration")
        return value

    def __str__(self) -> str:
        hours, minutes = divmod(self.minutes, 60)
        parts = [
            f"{self.days}d" if self.days else "",
            f"{hours}h" if hours else "",
            f"{minutes}m" if minutes else "",
        ]
        return "".join(parts)

    def due(self, start: datetime, calendars: Calendars, window: str = ALWAYS) -> datetime:
        """When this long after ``start`` ends, counting only ``window``'s open time."""
        if window == ALWAYS:
            return start + timedelta(days=self.days, minutes=self.minutes)
        opened = calendars[window]
        moment = _business_days_later(start, self.days, calendars, window) if self.days else start
        return opened.add(moment, self.minutes) if self.minutes else moment


def _business_days_later(start: datetime, days: int, calendars: Calendars, window: str) -> datetime:
    """The same local time ``days`` open days of ``window`` later, moved to its next opening."""
    opened = calendars[window]
    local = calendars.local(start)
    day = local.date()
    for _ in range(days):
        day += timedelta(days=1)
        for _ in range(_SEARCH_DAYS):
            if opened.day_ranges(day):
                break
            day += timedelta(days=1)
    wall = datetime.combine(day, local.time(), tzinfo=calendars.tz)
    return opened.next_opening(wall) or wall


def parse_when(text: str, now: datetime, calendars: Calendars) -> datetime:
    """``30m`` (from now) or ``14:30`` (the next such local time) as an instant."""
    clock = _CLOCK.fullmatch(text.strip())
    if clock is None:
        return Duration.parse(text).due(now, calendars)
    local = calendars.local(now)
    wanted = time(int(clock.group(1)), int(clock.group(2)))
    moment = datetime.combine(local.date(), wanted, tzinfo=calendars.tz)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), wanted, tzinfo=calendars.tz)
    return moment


def span(start: datetime, end: datetime) -> str:
    """A short human length rounded down to the minute: ``45m``, ``1h 05m``, ``3d 2h``."""
    return format_duration(end - start)
