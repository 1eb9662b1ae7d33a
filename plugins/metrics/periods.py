"""Report periods in the team's timezone: a week (Mon–Sun), a month, a quarter.

Periods are local calendar spans turned into UTC instants, so a week that crosses a DST change
is still Monday 00:00 to Monday 00:00 on the wall clock. ``current`` is the period containing an
instant (``!stats`` shows it so far); ``previous`` is the last completed one (the digest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

KINDS = ("week", "month", "quarter")


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC, with the local first and last dates people read."""

    kind: str
    first: date
    last: date
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        if self.kind == "week":
            return f"week of {self.first:%a %d %b %Y}"
        if self.kind == "month":
            return f"{self.first:%B %Y}"
        if self.kind == "quarter":
            return f"{self.first.year} Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}"

    def so_far(self, now: datetime) -> datetime:
        """Where figures for this period stop: its end, or now while it is still running."""
        return min(self.end, max(now, self.start))


def span(first: date, last: date, tz: ZoneInfo, kind: str = "custom") -> Period:
    """The local dates ``first``..``last`` inclusive as a period."""
    return Period(kind, first, last, _midnight(first, tz), _midnight(last + timedelta(days=1), tz))


def current(kind: str, now: datetime, tz: ZoneInfo) -> Period:
    """The ``kind`` period containing ``now``."""
    return _containing(kind, now.astimezone(tz).date(), tz)


def previous(kind: str, now: datetime, tz: ZoneInfo) -> Period:
    """The last ``kind`` period that ended at or before ``now``."""
    this = current(kind, now, tz)
    return _containing(kind, this.first - timedelta(days=1), tz)


def _containing(kind: str, day: date, tz: ZoneInfo) -> Period:
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return span(first, first + timedelta(days=6), tz, kind)
    if kind == "month":
        first = day.replace(day=1)
    elif kind == "quarter":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    else:
        raise ValueError(f"unknown period {kind!r} (use {', '.join(KINDS)})")
    months = 1 if kind == "month" else 3
    year, month = divmod(first.month - 1 + months, 12)
    after = date(first.year + year, month + 1, 1)
    return span(first, after - timedelta(days=1), tz, kind)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
