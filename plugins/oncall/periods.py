"""Time arithmetic of the rota: handoff boundaries, periods typed in chat, months, formatting.

Everything a person types or reads is local time in the team's timezone; everything stored or
compared is UTC. A local wall-clock time is turned into an instant with ``zoneinfo`` (an
ambiguous autumn time means its first occurrence), so a 09:30 handoff is 08:30 UTC in summer
and 09:30 UTC in winter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.commands import UsageError
from plugins.oncall.settings import OncallSection

_STAMP_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d))?")
_MONTH_RE = re.compile(r"(\d{4})-(\d\d)")
_HOURS_RE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
PERIOD_HELP = (
    "Give the period as FROM..TO with dates (2026-12-05..2026-12-06, whole days) "
    "or local times (2026-12-05T17:00..2026-12-06T09:30)."
)
DATES_HELP = "Give the days as FROM..TO dates, like 2026-12-20..2026-12-22, or one date."


@dataclass(frozen=True)
class Period:
    """A half-open stretch of time ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


def at_local(tz: ZoneInfo, day: date, wall: time = time(0)) -> datetime:
    """The UTC instant of a local wall-clock time on a local date."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def fmt_hours(value: float) -> str:
    """Hours with at most two decimals and no trailing zeros: 56, 2.5, 2.67."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def local_date(tz: ZoneInfo, t: datetime) -> date:
    return t.astimezone(tz).date()


def days_of(tz: ZoneInfo, start: datetime, end: datetime) -> list[date]:
    """The local dates that ``[start, end)`` touches."""
    first, last = local_date(tz, start), local_date(tz, end - timedelta(microseconds=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- handoffs -----------------------------------------------------------------------------------


def boundary(section: OncallSection, tz: ZoneInfo, index: int) -> datetime:
    """The start of the rota's ``index``-th shift (0 is the first, on ``start``)."""
    day = section.start + timedelta(days=7 * section.weeks * index)
    return at_local(tz, day, section.handoff.at)


def shift_index(section: OncallSection, tz: ZoneInfo, t: datetime) -> int:
    """The index of the shift containing ``t`` (negative before the rota starts)."""
    length = 7 * section.weeks
    index = (local_date(tz, t) - section.start).days // length
    while boundary(section, tz, index) > t:
        index -= 1
    while boundary(section, tz, index + 1) <= t:
        index += 1
    return index


def shift_bounds(section: OncallSection, tz: ZoneInfo, t: datetime) -> Period:
    """The shift (handoff to handoff) containing ``t``, or the first one if ``t`` is before it."""
    index = max(shift_index(section, tz, t), 0)
    return Period(boundary(section, tz, index), boundary(section, tz, index + 1))


# --- what people type ---------------------------------------------------------------------------


def _stamp(text: str, tz: ZoneInfo, dates_only: bool) -> tuple[datetime, bool]:
    """An instant and whether it was a bare date; UsageError if it cannot be read."""
    match = _STAMP_RE.fullmatch(text)
    if match is None or (dates_only and match.group(4) is not None):
        raise UsageError(f"Could not read {text!r}.")
    year, month, day = (int(g) for g in match.group(1, 2, 3))
    try:
        if match.group(4) is None:
            return at_local(tz, date(year, month, day)), True
        return at_local(
            tz, date(year, month, day), time(int(match.group(4)), int(match.group(5)))
        ), False
    except ValueError as exc:
        raise UsageError(f"Could not read {text!r}: {exc}.") from exc


def parse_period(text: str, tz: ZoneInfo, dates_only: bool = False) -> Period:
    """``FROM..TO`` (or one date): a bare date starts at 00:00 and, as TO, includes its day."""
    first, sep, second = text.partition("..")
    try:
        start, _ = _stamp(first, tz, dates_only)
        end, whole_day = _stamp(second if sep else first, tz, dates_only)
        if not sep and not whole_day:
            raise UsageError(f"Could not read {text!r}.")
    except UsageError as exc:
        raise UsageError(f"{exc} {DATES_HELP if dates_only else PERIOD_HELP}") from None
    if whole_day:
        end = at_local(tz, local_date(tz, end) + timedelta(days=1))
    if end <= start:
        raise UsageError(f"The period {text} ends before it starts.")
    return Period(start, end)


def parse_month(text: str, tz: ZoneInfo) -> tuple[str, Period]:
    """``YYYY-MM`` as its label and the local month's ``[first 00:00, next month 00:00)``."""
    match = _MONTH_RE.fullmatch(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"Could not read the month {text!r}: give it as YYYY-MM, like 2026-11.")
    year, month = int(match.group(1)), int(match.group(2))
    following = date(year + month // 12, month % 12 + 1, 1)
    return text, Period(at_local(tz, date(year, month, 1)), at_local(tz, following))


def parse_worked(day_text: str, hours_text: str, tz: ZoneInfo) -> Period:
    """``DATE HH:MM-HH:MM`` in local time; an end at or before the start is the next day."""
    try:
        day = date.fromisoformat(day_text) if re.fullmatch(r"\d{4}-\d\d-\d\d", day_text) else None
    except ValueError:
        day = None
    match = _HOURS_RE.fullmatch(hours_text)
    if day is None or match is None:
        raise UsageError(f"Could not read {day_text} {hours_text}: give a date and HH:MM-HH:MM.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise UsageError(f"Could not read {hours_text}: no such time.")
    start = at_local(tz, day, time(h1, m1))
    end_day = day if (h2, m2) > (h1, m1) else day + timedelta(days=1)
    return Period(start, at_local(tz, end_day, time(h2, m2)))
