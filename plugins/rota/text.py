"""Reading dates and times from commands, and writing days, runs and shifts in replies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from core.commands import UsageError

if TYPE_CHECKING:
    from core.calendars import Calendars
    from plugins.rota.schedule import RotaDay, Shift

MAX_RANGE_DAYS = 366
_TIME_RANGE = re.compile(r"(\d{1,2}):(\d\d)-(\d{1,2}):(\d\d)")
_DATE_HELP = "write YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"


def parse_day(word: str, today: date) -> date:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(f"{word!r} is not a date: {_DATE_HELP}.") from None


def looks_like_days(word: str) -> bool:
    return word in ("today", "tomorrow") or bool(
        re.fullmatch(r"\d{4}-\d\d-\d\d(\.\.\d{4}-\d\d-\d\d)?", word)
    )


def parse_days(word: str, today: date) -> tuple[date, date]:
    """``DATE`` or ``DATE..DATE`` (inclusive), today or later, at most a year long."""
    first_word, dots, last_word = word.partition("..")
    first = parse_day(first_word, today)
    last = parse_day(last_word, today) if dots else first
    if last < first:
        raise UsageError(f"The range {word} ends before it starts.")
    if first < today:
        raise UsageError(f"{first} is in the past; changes start today ({today}) or later.")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise UsageError(f"The range {word} is longer than {MAX_RANGE_DAYS} days.")
    return first, last


def parse_times(word: str) -> tuple[int, int]:
    """``HH:MM-HH:MM`` as local minutes since midnight."""
    match = _TIME_RANGE.fullmatch(word)
    if match is None:
        raise UsageError(f"{word!r} is not a time range: write HH:MM-HH:MM, e.g. 12:00-13:00.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise UsageError(f"{word!r} is not a time range: no such time.")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise UsageError(f"The time range {word} ends before it starts.")
    return start, end


def span(first: date, last: date) -> str:
    """``2026-12-08`` or ``2026-12-08 to 2026-12-10``."""
    return f"{first}" if first == last else f"{first} to {last}"


def short_day(day: date) -> str:
    return f"{day:%a} {day}"


def long_day(day: date) -> str:
    return f"{day:%A} {day}"


def moment(calendars: Calendars, instant: datetime) -> str:
    """An instant as ``YYYY-MM-DD HH:MM`` in the team's timezone."""
    return f"{calendars.local(instant):%Y-%m-%d %H:%M}"


def runs(days: Sequence[date], calendars: Calendars) -> list[tuple[date, date]]:
    """Consecutive working days joined into (first, last) runs: a Mon-Fri week is one run."""
    found: list[tuple[date, date]] = []
    for day in sorted(days):
        if found and calendars.next_working_day(found[-1][1]) == day:
            found[-1] = (found[-1][0], day)
        else:
            found.append((day, day))
    return found


def spans_of(days: Iterable[date], calendars: Calendars) -> str:
    """Working days as comma-separated runs: ``2026-12-07 to 2026-12-11, 2026-12-14``."""
    return ", ".join(span(first, last) for first, last in runs(list(days), calendars))


def shift_text(shift: Shift, lead: bool) -> str:
    notes = (["lead"] if lead else []) + ([shift.note] if shift.note else [])
    return f"{shift.person} ({'; '.join(notes)})" if notes else shift.person


def roster_text(rota_day: RotaDay) -> str:
    """``alice (lead), bob (swap #4 with carol)``, ``nobody``, plus who is short."""
    if not rota_day.working:
        return f"no support ({rota_day.holiday})" if rota_day.holiday else "no support"
    people = ", ".join(shift_text(s, i == 0) for i, s in enumerate(rota_day.shifts)) or "nobody"
    if rota_day.short:
        people += f" (short: {', '.join(rota_day.short)} on leave)"
    return people
