"""Business calendars: "business-time" arithmetic in a team's timezone.

Support hours, working (cover) hours and on-call hours are all a :class:`Window`: a
:class:`WeeklySchedule` of local wall-clock ranges, a :class:`HolidayCalendar` and a timezone.
Every feature (SLA clocks, rotas, the 09:00 post) asks a Window rather than doing datetime
arithmetic itself, so these rules hold everywhere:

* Ranges are half-open ``[start, end)`` local wall-clock times of one local date, turned into
  instants per date with :mod:`zoneinfo`, so DST days come out right: an 07:00-22:00 range is
  15 h of real time on both change days, while a 00:00-24:00 day lasts 23 h on the spring day
  and 25 h on the autumn day.  ``24:00`` is the next date's 00:00.
* A local time that does not exist (the spring gap) means the instant the clocks jump to
  (01:30 on 2026-03-29 in London is 02:00 BST = 01:00 UTC); an ambiguous one (the autumn
  overlap) means its first occurrence (``fold=0``).  So a range lying wholly inside the gap is
  empty that day, and one starting inside the autumn overlap gains the repeated hour.
* Inputs are aware datetimes in any zone; outputs are UTC.  Naive datetimes raise ValueError,
  because guessing their zone is how an SLA clock drifts by an hour.
* Work is per local date, never per minute.  Each date's open intervals (POSIX seconds) are
  computed once and cached in blocks of 256 dates together with prefix sums of open seconds,
  so ``seconds_between`` over 90 days is at most two block look-ups plus two partial days, and
  ``add`` skips whole blocks and dates by their totals.
* The caches are plain dicts filled with ``setdefault``: fine for read-mostly use from several
  threads (two threads may compute the same block; the results are equal and one is kept).
* Forward searches (``next_opening``, ``next_closing``, ``add``) stop after ``_HORIZON_DAYS``
  without finding what they look for, so a schedule that never opens cannot hang a caller.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import accumulate
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays as _holidays

Ranges = tuple[tuple[int, int], ...]
"""Sorted, disjoint, non-adjacent (start, end) minutes since local midnight; end may be 1440."""

_Spans = tuple[tuple[int, int], ...]  # one date's open intervals as POSIX seconds
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOLIDAY = 7  # slot after the weekdays while parsing
_NAMES = (*_DAYS, "holiday")
_DAY_MINUTES = 24 * 60
_WHOLE_DAY: Ranges = ((0, _DAY_MINUTES),)
_BLOCK_BITS = 8  # blocks of 256 dates: a 90-day span touches at most two
_BLOCK = 1 << _BLOCK_BITS
_MASK = _BLOCK - 1
_HORIZON_DAYS = 4 * 366  # a holidays-only schedule still finds next year's holidays
_RANGE_RE = re.compile(r"(\d{1,2}):(\d\d)-(\d{1,2}):(\d\d)")
_UNKNOWN_DAY = "unknown day (use mon..sun, ranges like mon-fri, or holiday)"


class HolidayCalendar:
    """Which local dates are holidays/closures for a team.

    Public holidays come from the ``holidays`` package, fetched a year at a time and kept;
    closures are the team's own extra dates (office moves, company days) and read "Closure".
    """

    def __init__(
        self,
        country: str | None = "GB",
        subdivision: str | None = "ENG",
        closures: Iterable[date] = (),
    ) -> None:
        if country is not None:
            try:  # fail when the process file is loaded, not at the first lookup
                _holidays.country_holidays(country, subdiv=subdivision)
            except NotImplementedError as exc:
                raise ValueError(f"holidays: {exc}") from None
        self.country = country
        self.subdivision = subdivision
        self.closures = frozenset(closures)
        self._years: dict[int, dict[date, str]] = {}

    def is_holiday(self, day: date) -> bool:
        return day in self.closures or day in self._year(day.year)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's name, else "Closure" for an extra closure date, else None."""
        name = self._year(day.year).get(day)
        return "Closure" if name is None and day in self.closures else name

    def _year(self, year: int) -> dict[date, str]:
        if year not in self._years:
            names: Mapping[date, str] = {}
            if self.country is not None:
                names = _holidays.country_holidays(self.country, self.subdivision, years=year)
            self._years.setdefault(year, dict(names))
        return self._years[year]


@dataclass(frozen=True)
class WeeklySchedule:
    """Opening ranges per day kind. Day kinds: 'mon'..'sun' and 'holiday'.

    ``holiday``, when non-empty, replaces the weekday's ranges on holidays; when absent or
    empty the window is CLOSED on holidays (support and working hours).
    """

    days: tuple[Ranges, ...]  # index 0 is Monday, as date.weekday()
    holiday: Ranges = ()

    @classmethod
    def parse(cls, spec: Mapping[str, Sequence[str]] | str) -> WeeklySchedule:
        """Build a schedule from process-file values; ValueError messages name the bad key/value.

        ``"24x7"`` is open all day, every day including holidays.  A mapping's keys are a day
        (``mon``), a forward range (``mon-fri``), a comma list (``sat,sun,holiday``) or
        ``holiday``; values are lists of ``'HH:MM-HH:MM'`` ranges (a lone string is one range).
        """
        if isinstance(spec, str):
            if spec.strip().lower() == "24x7":
                return cls(days=(_WHOLE_DAY,) * 7, holiday=_WHOLE_DAY)
            raise ValueError(
                f"'{spec}': unknown schedule (use '24x7' or a mapping of days to ranges)"
            )
        if not isinstance(spec, Mapping):
            raise ValueError(f"expected '24x7' or a mapping of days to ranges, got {spec!r}")
        owner: dict[int, str] = {}
        ranges: dict[int, Ranges] = {}
        for key, value in spec.items():
            parsed = _parse_ranges(key, value)
            for slot in _parse_days(key):
                if slot in owner:
                    where = f"'{key}'" if owner[slot] == key else f"'{owner[slot]}' and '{key}'"
                    raise ValueError(f"{_NAMES[slot]}: day given twice (in {where})")
                owner[slot] = key
                ranges[slot] = parsed
        return cls(
            days=tuple(ranges.get(i, ()) for i in range(7)), holiday=ranges.get(_HOLIDAY, ())
        )

    def ranges_for(self, weekday: int, holiday: bool) -> Ranges:
        """Local (start, end) minutes for a date with this weekday (0 = Monday)."""
        return self.holiday if holiday else self.days[weekday]

    @property
    def always_open(self) -> bool:
        return self.holiday == _WHOLE_DAY and all(day == _WHOLE_DAY for day in self.days)


def _parse_days(key: object) -> Iterator[int]:
    if not isinstance(key, str):
        raise ValueError(f"{key!r}: {_UNKNOWN_DAY}")
    for raw in key.split(","):
        token = raw.strip().lower()
        first, dash, last = (part.strip() for part in token.partition("-"))
        if token == "holiday":
            yield _HOLIDAY
        elif token in _DAYS:
            yield _DAYS.index(token)
        elif dash and first in _DAYS and last in _DAYS:
            lo, hi = _DAYS.index(first), _DAYS.index(last)
            if lo > hi:
                raise ValueError(
                    f"'{raw.strip()}': day ranges cannot wrap past sun "
                    f"(write '{_span(lo, 6)},{_span(0, hi)}')"
                )
            yield from range(lo, hi + 1)
        else:
            where = "" if raw.strip() == key.strip() else f" in '{key}'"
            raise ValueError(f"'{raw.strip()}'{where}: {_UNKNOWN_DAY}")


def _span(lo: int, hi: int) -> str:
    return _DAYS[lo] if lo == hi else f"{_DAYS[lo]}-{_DAYS[hi]}"


def _parse_ranges(key: str, value: object) -> Ranges:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{key}: expected a list of 'HH:MM-HH:MM' ranges, got {value!r}")
    parsed: list[tuple[int, int, str]] = []
    for text in items:
        match = _RANGE_RE.fullmatch(text.replace(" ", ""))
        if match is None:
            raise ValueError(f"{key}: '{text}': expected 'HH:MM-HH:MM'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        for hours, mins in ((h1, m1), (h2, m2)):
            if mins > 59 or hours > 24 or (hours == 24 and mins):
                raise ValueError(f"{key}: '{text}': no such time '{hours:02d}:{mins:02d}'")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise ValueError(f"{key}: '{text}': end must be after start")
        parsed.append((start, end, text))
    parsed.sort()
    merged: list[tuple[int, int]] = []
    for i, (start, end, text) in enumerate(parsed):
        if i and start < parsed[i - 1][1]:  # sorted by start, so checking neighbours suffices
            raise ValueError(f"{key}: ranges '{parsed[i - 1][2]}' and '{text}' overlap")
        if merged and merged[-1][1] == start:  # '09:00-12:00', '12:00-13:00' is one range
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


class _Block(NamedTuple):
    days: tuple[_Spans, ...]  # _BLOCK consecutive dates' open intervals
    cum: tuple[int, ...]  # cum[i] = open seconds of days[:i]; _BLOCK + 1 entries


class Window:
    """A named window (support/working/oncall) = WeeklySchedule + HolidayCalendar + ZoneInfo.

    All public methods take timezone-aware datetimes (any zone) and return UTC ones; naive
    datetimes raise ValueError.
    """

    def __init__(
        self,
        name: str,
        schedule: WeeklySchedule,
        holidays: HolidayCalendar,
        tz: str | ZoneInfo = "Europe/London",
    ) -> None:
        self.name = name
        self.schedule = schedule
        self.holidays = holidays
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self._blocks: dict[int, _Block] = {}

    def __repr__(self) -> str:
        return f"Window({self.name!r}, tz={self.tz.key!r})"

    def is_open(self, t: datetime) -> bool:
        ts = _timestamp(t)
        return any(s <= ts < e for s, e in self._day(self._ordinal(ts)))

    def next_opening(self, t: datetime) -> datetime | None:
        """``t`` itself (in UTC) if open at ``t``, else the next instant the window opens.

        None if it does not open within ``_HORIZON_DAYS`` (in practice: an empty schedule).
        """
        ts = _timestamp(t)
        ordinal = self._ordinal(ts)
        for s, e in self._day(ordinal):
            if ts < e:
                return t.astimezone(UTC) if s <= ts else _utc(s)
        found = self._next_open_day(ordinal + 1)
        return None if found is None else _utc(self._day(found)[0][0])

    def next_closing(self, t: datetime) -> datetime | None:
        """When the open period containing ``t`` ends (ranges meeting at midnight are one period).

        None when closed at ``t`` -- and also when the window never closes: a 24x7 schedule,
        or one that stays open for ``_HORIZON_DAYS``.  Use ``is_open`` to tell the two apart.
        """
        ts = _timestamp(t)
        ordinal = self._ordinal(ts)
        end = next((e for s, e in self._day(ordinal) if s <= ts < e), None)
        if end is None or self.schedule.always_open:  # don't walk the horizon for 24x7
            return None
        for following in range(ordinal + 1, ordinal + _HORIZON_DAYS):
            spans = self._day(following)
            if not spans or spans[0][0] != end:
                return _utc(end)
            end = spans[0][1]
        return None

    def intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals clipped to ``[start, end)``, in UTC, merged where they meet at midnight."""
        return self._intervals(_timestamp(start), _timestamp(end))  # validate eagerly

    def _intervals(self, a: float, b: float) -> Iterator[tuple[datetime, datetime]]:
        if b <= a:
            return
        pending: tuple[float, float] | None = None
        for ordinal in range(self._ordinal(a), self._ordinal(b) + 1):
            for s, e in self._day(ordinal):
                lo, hi = max(s, a), min(e, b)
                if lo >= hi:
                    continue
                if pending is not None and pending[1] == lo:
                    pending = (pending[0], hi)
                    continue
                if pending is not None:
                    yield _utc(pending[0]), _utc(pending[1])
                pending = (lo, hi)
        if pending is not None:
            yield _utc(pending[0]), _utc(pending[1])

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """In-window seconds in ``[start, end)``; 0 if ``end <= start``."""
        a, b = _timestamp(start), _timestamp(end)
        if b <= a:
            return 0.0
        first = datetime.fromtimestamp(a, self.tz).toordinal()  # inlined _ordinal: hot path
        last = datetime.fromtimestamp(b, self.tz).toordinal()
        if first == last:
            return _overlap(self._day(first), a, b)
        return (
            _overlap(self._day(first), a, b)
            + self._open_seconds(first + 1, last)
            + _overlap(self._day(last), a, b)
        )

    def minutes_between(self, start: datetime, end: datetime) -> float:
        return self.seconds_between(start, end) / 60

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant at which ``minutes`` of in-window time have elapsed after ``start``.

        Inverse of ``minutes_between`` (up to float rounding).  A deadline may land exactly on
        a closing time; ``minutes == 0`` returns ``next_opening(start)``.  ValueError if the
        window has no open time within ``_HORIZON_DAYS`` of where it is needed.
        """
        ts = _timestamp(start)
        if minutes < 0:
            raise ValueError(f"{self.name}: cannot add negative minutes ({minutes})")
        if minutes == 0:
            opening = self.next_opening(start)
            if opening is None:
                raise ValueError(f"{self.name}: the window never opens")
            return opening
        need = minutes * 60
        ordinal = self._ordinal(ts)
        for s, e in self._day(ordinal):
            if e > ts:
                s = max(s, ts)
                if need <= e - s:
                    return _utc(s + need)
                need -= e - s
        # Skip whole blocks, then bisect the prefix sums for the date where `need` runs out.
        ordinal += 1
        last_open = ordinal
        while ordinal - last_open < _HORIZON_DAYS:
            base = ordinal & ~_MASK
            block = self._block(ordinal >> _BLOCK_BITS)
            done = block.cum[ordinal - base]
            target = done + need
            if target <= block.cum[_BLOCK]:
                j = bisect_left(block.cum, target, ordinal - base + 1)
                need = target - block.cum[j - 1]  # <= that date's total: the loop returns
                for s, e in block.days[j - 1]:
                    if need <= e - s:
                        return _utc(s + need)
                    need -= e - s
            if block.cum[_BLOCK] > done:
                last_open = base + _BLOCK
            need = target - block.cum[_BLOCK]
            ordinal = base + _BLOCK
        raise ValueError(f"{self.name}: no open time within {_HORIZON_DAYS} days")

    def opens_on(self, day: date) -> bool:
        """Whether the window has any open time on this local date (cached: rotas ask a lot)."""
        return bool(self._day(day.toordinal()))

    def day_ranges(self, day: date) -> list[tuple[datetime, datetime]]:
        """The UTC open intervals of one local date (for rotas and the 09:00 post)."""
        return [(_utc(s), _utc(e)) for s, e in self._day(day.toordinal())]

    # -- per-date cache ------------------------------------------------------------------

    def _ordinal(self, ts: float) -> int:
        return datetime.fromtimestamp(ts, self.tz).toordinal()

    def _day(self, ordinal: int) -> _Spans:
        key = ordinal >> _BLOCK_BITS
        return (self._blocks.get(key) or self._block(key)).days[ordinal & _MASK]

    def _block(self, key: int) -> _Block:
        block = self._blocks.get(key)
        if block is None:
            first = key << _BLOCK_BITS
            days = tuple(self._compute_day(o) for o in range(first, first + _BLOCK))
            cum = tuple(accumulate((sum(e - s for s, e in d) for d in days), initial=0))
            block = self._blocks.setdefault(key, _Block(days, cum))
        return block

    def _compute_day(self, ordinal: int) -> _Spans:
        day = date.fromordinal(ordinal)
        spans: list[tuple[int, int]] = []
        for start, end in self.schedule.ranges_for(day.weekday(), self.holidays.is_holiday(day)):
            s, e = _instant(self.tz, ordinal, start), _instant(self.tz, ordinal, end)
            if spans and spans[-1][1] == s:  # ranges split only by a DST gap
                spans[-1] = (spans[-1][0], e)
            elif s < e:  # a range wholly inside the spring gap is empty
                spans.append((s, e))
        return tuple(spans)

    def _open_seconds(self, lo: int, hi: int) -> int:
        """Open seconds of the dates with ordinals in ``[lo, hi)``, from the prefix sums."""
        total = 0
        while lo < hi:
            base = lo & ~_MASK
            block = self._block(lo >> _BLOCK_BITS)
            stop = min(hi - base, _BLOCK)
            total += block.cum[stop] - block.cum[lo - base]
            lo = base + stop
        return total

    def _next_open_day(self, ordinal: int) -> int | None:
        """The first ordinal >= ``ordinal`` with open time, within ``_HORIZON_DAYS``."""
        limit = ordinal + _HORIZON_DAYS
        while ordinal < limit:
            base = ordinal & ~_MASK
            cum = self._block(ordinal >> _BLOCK_BITS).cum
            j = bisect_right(cum, cum[ordinal - base], ordinal - base)
            if j <= _BLOCK:  # cum rises at j, so date j - 1 has open time
                return base + j - 1 if base + j - 1 < limit else None
            ordinal = base + _BLOCK
        return None


class Calendars:
    """The set of a team's windows, built from the process file values."""

    def __init__(
        self, tz: str | ZoneInfo, holidays: HolidayCalendar, windows: Mapping[str, WeeklySchedule]
    ) -> None:
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.holidays = holidays
        self._windows = {
            name: Window(name, schedule, holidays, self.tz) for name, schedule in windows.items()
        }

    def __getitem__(self, name: str) -> Window:
        try:
            return self._windows[name]
        except KeyError:
            known = ", ".join(sorted(self._windows)) or "none"
            raise KeyError(f"unknown window {name!r} (known: {known})") from None

    @property
    def support(self) -> Window:
        return self["support"]

    @property
    def working(self) -> Window:
        return self["working"]

    @property
    def oncall(self) -> Window:
        return self["oncall"]

    def is_working_day(self, day: date) -> bool:
        """Whether the 'working' window has any open time on this local date."""
        return self.working.opens_on(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        found = self.working._next_open_day(day.toordinal() + 1)
        if found is None:
            raise ValueError(f"no working day within {_HORIZON_DAYS} days after {day}")
        return date.fromordinal(found)

    def local(self, t: datetime) -> datetime:
        """``t`` in the team's timezone."""
        _timestamp(t)
        return t.astimezone(self.tz)

    def format(self, t: datetime) -> str:
        """``t`` as people read it in chat and reports: ``YYYY-MM-DD HH:MM`` in the team's timezone."""
        return self.local(t).strftime("%Y-%m-%d %H:%M")


def _timestamp(t: datetime) -> float:
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t.isoformat()}: pass a timezone-aware datetime")
    return t.timestamp()


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _overlap(spans: _Spans, a: float, b: float) -> float:
    total = 0.0
    for s, e in spans:  # a loop, not sum(genexpr): this is the hot path of SLA reports
        if s < b and e > a:
            total += min(e, b) - max(s, a)
    return total


def _instant(tz: ZoneInfo, ordinal: int, minute: int) -> int:
    """POSIX seconds of local ``minute`` (0..1440) on a date; gap -> jump, overlap -> fold=0."""
    day = date.fromordinal(ordinal + minute // _DAY_MINUTES)
    minute %= _DAY_MINUTES
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    first = int(wall.replace(tzinfo=tz).timestamp())
    if datetime.fromtimestamp(first, tz).replace(tzinfo=None) == wall:
        return first
    # In the gap fold=0 and fold=1 land either side of the transition: find the first
    # instant whose wall clock is past `wall`, i.e. the moment the clocks jump.
    lo, hi = sorted((int(wall.replace(tzinfo=tz, fold=1).timestamp()), first))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) > wall:
            hi = mid
        else:
            lo = mid
    return hi
