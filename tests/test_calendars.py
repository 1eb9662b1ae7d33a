"""Business calendars: hand-computed expectations for the default process, plus properties.

Dates used (England & Wales, 2026): bank holidays Fri 3 Apr, Mon 6 Apr, Mon 4 May, Mon 25 May,
Mon 31 Aug, Fri 25 Dec, Mon 28 Dec (Boxing Day substitute); clocks go forward Sun 29 Mar
(01:00 GMT -> 02:00 BST) and back Sun 25 Oct (02:00 BST -> 01:00 GMT).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendars import Calendars, HolidayCalendar, WeeklySchedule, Window

LONDON = ZoneInfo("Europe/London")
SUPPORT = {"mon-fri": ["10:00-17:00"]}
WORKING = {"mon-fri": ["09:00-18:00"]}
ONCALL = {
    "mon-fri": ["07:00-10:00", "17:00-22:00"],
    "sat-sun": ["07:00-22:00"],
    "holiday": ["07:00-22:00"],
}


def make_calendars(closures: tuple[date, ...] = ()) -> Calendars:
    return Calendars(
        "Europe/London",
        HolidayCalendar("GB", "ENG", closures),
        {
            "support": WeeklySchedule.parse(SUPPORT),
            "working": WeeklySchedule.parse(WORKING),
            "oncall": WeeklySchedule.parse(ONCALL),
            "always": WeeklySchedule.parse("24x7"),
        },
    )


CAL = make_calendars()


def lon(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def window(spec: dict[str, list[str]] | str, closures: tuple[date, ...] = ()) -> Window:
    return Window("test", WeeklySchedule.parse(spec), HolidayCalendar("GB", "ENG", closures))


# -- open / closed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (lon(2026, 6, 1, 9, 59, 59), False),
        (lon(2026, 6, 1, 10, 0), True),  # ranges are [start, end)
        (lon(2026, 6, 1, 16, 59, 59), True),
        (lon(2026, 6, 1, 17, 0), False),
        (utc(2026, 6, 1, 9, 0), True),  # 10:00 BST, given in UTC
        (utc(2026, 1, 5, 9, 30), False),  # 09:30 GMT: winter has no offset
        (lon(2026, 6, 6, 12, 0), False),  # Saturday
        (lon(2026, 8, 31, 12, 0), False),  # Late Summer Bank Holiday
    ],
)
def test_support_open_at_edges(instant: datetime, expected: bool) -> None:
    assert CAL.support.is_open(instant) is expected


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        CAL.support.is_open(datetime(2026, 6, 1, 12))
    with pytest.raises(ValueError, match="naive datetime"):
        CAL.support.intervals(datetime(2026, 6, 1), lon(2026, 6, 2))
    with pytest.raises(ValueError, match="naive datetime"):
        CAL.local(datetime(2026, 6, 1))


# -- next opening / closing ---------------------------------------------------------------


def test_next_opening_over_weekend() -> None:
    assert CAL.support.next_opening(lon(2026, 6, 5, 17, 30)) == utc(2026, 6, 8, 9, 0)


def test_next_opening_over_bank_holiday_monday() -> None:
    assert CAL.support.next_opening(lon(2026, 8, 28, 17, 30)) == utc(2026, 9, 1, 9, 0)


def test_next_opening_when_open_is_the_instant_itself_in_utc() -> None:
    opened = CAL.support.next_opening(lon(2026, 6, 1, 12, 34, 56, 789))
    assert opened == utc(2026, 6, 1, 11, 34, 56, 789)
    assert opened.tzinfo is UTC


def test_next_opening_before_opening_same_day() -> None:
    assert CAL.support.next_opening(lon(2026, 6, 1, 8, 0)) == utc(2026, 6, 1, 9, 0)


def test_next_closing() -> None:
    assert CAL.support.next_closing(lon(2026, 6, 1, 10, 30)) == utc(2026, 6, 1, 16, 0)
    assert CAL.support.next_closing(lon(2026, 6, 1, 17, 0)) is None
    # on-call Friday evening, then the weekend starts at 07:00 Saturday, not at 22:00
    assert CAL.oncall.next_closing(lon(2026, 6, 5, 21, 0)) == utc(2026, 6, 5, 21, 0)


def test_ranges_meeting_at_midnight_are_one_period() -> None:
    late = window({"mon": ["20:00-24:00"], "tue": ["00:00-02:00", "08:00-09:00"]})
    assert late.next_closing(lon(2026, 6, 1, 21, 0)) == utc(2026, 6, 2, 1, 0)
    assert list(late.intervals(lon(2026, 6, 1), lon(2026, 6, 3))) == [
        (utc(2026, 6, 1, 19, 0), utc(2026, 6, 2, 1, 0)),
        (utc(2026, 6, 2, 7, 0), utc(2026, 6, 2, 8, 0)),
    ]
    assert late.day_ranges(date(2026, 6, 1)) == [(utc(2026, 6, 1, 19, 0), utc(2026, 6, 1, 23, 0))]


# -- holidays and closures ----------------------------------------------------------------


def test_christmas_2026() -> None:
    holidays = CAL.holidays
    assert holidays.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert holidays.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert holidays.holiday_name(date(2026, 12, 24)) is None
    assert not CAL.support.is_open(lon(2026, 12, 28, 12, 0))
    # Thu 24 Dec after close -> Fri 25 and Mon 28 are holidays -> Tue 29 Dec 10:00 GMT
    assert CAL.support.next_opening(lon(2026, 12, 24, 17, 0)) == utc(2026, 12, 29, 10, 0)
    assert CAL.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    # on-call uses the 'holiday' ranges on a weekday holiday: one 07:00-22:00 range
    assert CAL.oncall.day_ranges(date(2026, 12, 25)) == [
        (utc(2026, 12, 25, 7, 0), utc(2026, 12, 25, 22, 0))
    ]
    assert CAL.oncall.day_ranges(date(2026, 12, 24)) == [
        (utc(2026, 12, 24, 7, 0), utc(2026, 12, 24, 10, 0)),
        (utc(2026, 12, 24, 17, 0), utc(2026, 12, 24, 22, 0)),
    ]


@pytest.mark.parametrize(
    "day",
    [date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25), date(2026, 8, 31)],
)
def test_bank_holidays_close_support_and_working(day: date) -> None:
    assert CAL.holidays.is_holiday(day)
    assert CAL.support.day_ranges(day) == []
    assert not CAL.is_working_day(day)
    assert CAL.oncall.minutes_between(lon(day.year, day.month, day.day), lon(2026, 12, 31)) > 0
    assert len(CAL.oncall.day_ranges(day)) == 1


def test_extra_closure_date() -> None:
    cal = make_calendars(closures=(date(2026, 6, 3),))
    assert cal.holidays.is_holiday(date(2026, 6, 3))
    assert cal.holidays.holiday_name(date(2026, 6, 3)) == "Closure"
    assert cal.holidays.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert not cal.support.is_open(lon(2026, 6, 3, 12, 0))
    assert cal.support.next_opening(lon(2026, 6, 2, 17, 0)) == utc(2026, 6, 4, 9, 0)
    assert cal.support.minutes_between(lon(2026, 6, 1), lon(2026, 6, 6)) == 4 * 7 * 60
    assert CAL.support.minutes_between(lon(2026, 6, 1), lon(2026, 6, 6)) == 5 * 7 * 60


def test_no_country_means_closures_only() -> None:
    cal = HolidayCalendar(None, None, [date(2026, 1, 2)])
    assert not cal.is_holiday(date(2026, 12, 25))
    assert cal.is_holiday(date(2026, 1, 2))


def test_unknown_country_fails_early() -> None:
    with pytest.raises(ValueError, match="holidays: "):
        HolidayCalendar("XX")


def test_working_days() -> None:
    assert CAL.is_working_day(date(2026, 8, 28))
    assert not CAL.is_working_day(date(2026, 8, 29))
    assert not CAL.is_working_day(date(2026, 8, 31))
    assert CAL.next_working_day(date(2026, 8, 28)) == date(2026, 9, 1)
    assert CAL.next_working_day(date(2026, 6, 1)) == date(2026, 6, 2)


# -- durations ----------------------------------------------------------------------------


def test_minutes_between_over_bank_holiday_weekend() -> None:
    # Fri 16:50-17:00 (10 min), Sat/Sun/bank-holiday Mon closed, Tue 10:00-10:30 (30 min)
    start, end = lon(2026, 8, 28, 16, 50), lon(2026, 9, 1, 10, 30)
    assert CAL.support.minutes_between(start, end) == 40
    assert CAL.support.seconds_between(start, end) == 2400
    assert CAL.support.minutes_between(end, start) == 0


def test_minutes_between_within_one_day_and_working_hours() -> None:
    assert CAL.support.minutes_between(lon(2026, 6, 1, 9), lon(2026, 6, 1, 11, 15)) == 75
    assert CAL.working.minutes_between(lon(2026, 6, 1, 8), lon(2026, 6, 1, 20)) == 9 * 60


def test_minutes_between_over_a_quarter() -> None:
    # Q3 2026 (Jul-Sep): 66 weekdays minus 31 Aug = 65 support days of 7 h
    assert CAL.support.minutes_between(lon(2026, 7, 1), lon(2026, 10, 1)) == 65 * 7 * 60


def test_oncall_hours_on_dst_change_days() -> None:
    # 07:00-22:00 local is 15 h of real time on both change days; the gap is 01:00-02:00.
    assert CAL.oncall.day_ranges(date(2026, 3, 29)) == [
        (utc(2026, 3, 29, 6, 0), utc(2026, 3, 29, 21, 0))
    ]
    assert CAL.oncall.day_ranges(date(2026, 10, 25)) == [
        (utc(2026, 10, 25, 7, 0), utc(2026, 10, 25, 22, 0))
    ]
    spring = CAL.oncall.minutes_between(lon(2026, 3, 29), lon(2026, 3, 30))
    autumn = CAL.oncall.minutes_between(lon(2026, 10, 25), lon(2026, 10, 26))
    assert spring == autumn == 15 * 60


def test_whole_day_lengths_on_dst_change_days() -> None:
    always = CAL["always"]
    assert always.minutes_between(lon(2026, 3, 29), lon(2026, 3, 30)) == 23 * 60
    assert always.minutes_between(lon(2026, 10, 25), lon(2026, 10, 26)) == 25 * 60
    assert always.day_ranges(date(2026, 10, 25)) == [
        (utc(2026, 10, 24, 23, 0), utc(2026, 10, 26, 0, 0))
    ]


def test_support_interval_spanning_dst_changes() -> None:
    # Fri 27 Mar 16:00 GMT -> Mon 30 Mar 11:00 BST: 60 min on Friday + 60 min on Monday
    assert CAL.support.minutes_between(lon(2026, 3, 27, 16), lon(2026, 3, 30, 11)) == 120
    assert CAL.support.next_opening(lon(2026, 3, 27, 17)) == utc(2026, 3, 30, 9, 0)
    # Fri 23 Oct 16:30 BST -> Mon 26 Oct 10:30 GMT: 30 + 30 min
    assert CAL.support.minutes_between(lon(2026, 10, 23, 16, 30), lon(2026, 10, 26, 10, 30)) == 60
    assert CAL.support.next_opening(lon(2026, 10, 23, 17)) == utc(2026, 10, 26, 10, 0)


def test_nonexistent_and_ambiguous_local_times() -> None:
    # 01:30 does not exist on 29 Mar: it means the jump instant, 02:00 BST = 01:00 UTC
    gap = window({"sun": ["01:30-03:00"]})
    assert gap.day_ranges(date(2026, 3, 29)) == [(utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))]
    assert window({"sun": ["01:10-01:50"]}).day_ranges(date(2026, 3, 29)) == []
    # ranges separated only by the gap become one period
    split = window({"sun": ["00:00-01:30", "01:45-03:00"]})
    assert split.day_ranges(date(2026, 3, 29)) == [(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0))]
    assert split.next_closing(utc(2026, 3, 29, 0, 30)) == utc(2026, 3, 29, 2, 0)
    # 01:30 happens twice on 25 Oct: the first (BST) occurrence is used
    overlap = window({"sun": ["01:30-02:00"]})
    assert overlap.day_ranges(date(2026, 10, 25)) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 0))
    ]


def test_intervals_are_clipped_and_utc() -> None:
    got = list(CAL.support.intervals(lon(2026, 8, 28, 16, 50), lon(2026, 9, 1, 10, 30)))
    assert got == [
        (utc(2026, 8, 28, 15, 50), utc(2026, 8, 28, 16, 0)),
        (utc(2026, 9, 1, 9, 0), utc(2026, 9, 1, 9, 30)),
    ]
    assert list(CAL.support.intervals(lon(2026, 6, 2), lon(2026, 6, 1))) == []


# -- 24x7 ---------------------------------------------------------------------------------


def test_24x7() -> None:
    always = CAL["always"]
    t = utc(2026, 3, 25, 3, 17)  # the next 240 days span both DST changes and Christmas
    assert always.is_open(t)
    assert always.is_open(lon(2026, 12, 25, 3, 0))
    assert always.next_opening(t) == t
    assert always.next_closing(t) is None  # documented: never closes -> None
    assert always.add(t, 240 * 24 * 60) == t + timedelta(days=240)
    assert always.minutes_between(t, t + timedelta(days=240)) == 240 * 24 * 60
    assert list(always.intervals(t, t + timedelta(days=3))) == [(t, t + timedelta(days=3))]


# -- add ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (lon(2026, 6, 1, 10, 0), 120, utc(2026, 6, 1, 11, 0)),
        (lon(2026, 6, 1, 7, 0), 120, utc(2026, 6, 1, 11, 0)),  # clock starts at opening
        (lon(2026, 6, 5, 16, 0), 60, utc(2026, 6, 5, 16, 0)),  # due exactly at Friday close
        (lon(2026, 6, 5, 16, 0), 120, utc(2026, 6, 8, 10, 0)),  # across a weekend
        (lon(2026, 8, 28, 16, 30), 60, utc(2026, 9, 1, 9, 30)),  # and a bank holiday
        (lon(2026, 6, 1, 10, 0), 5 * 7 * 60, utc(2026, 6, 5, 16, 0)),  # one support week
        (lon(2026, 6, 1, 10, 0), 20 * 7 * 60, utc(2026, 6, 26, 16, 0)),  # four weeks
        (lon(2026, 12, 24, 16, 0), 90, utc(2026, 12, 29, 10, 30)),  # over Christmas
        (lon(2026, 3, 27, 16, 0), 120, utc(2026, 3, 30, 10, 0)),  # over the spring change
        (lon(2026, 6, 1, 10, 0), 0.5, utc(2026, 6, 1, 9, 0, 30)),
    ],
)
def test_add(start: datetime, minutes: float, expected: datetime) -> None:
    assert CAL.support.add(start, minutes) == expected
    assert CAL.support.minutes_between(start, expected) == pytest.approx(minutes)


def test_add_zero_minutes() -> None:
    assert CAL.support.add(lon(2026, 6, 5, 17, 0), 0) == utc(2026, 6, 8, 9, 0)
    assert CAL.support.add(lon(2026, 6, 5, 12, 0), 0) == utc(2026, 6, 5, 11, 0)


def test_add_rejects_negative_minutes() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.support.add(lon(2026, 6, 1, 12), -1)


def test_empty_schedule_never_opens() -> None:
    closed = window({})
    assert closed.next_opening(lon(2026, 6, 1)) is None
    assert closed.minutes_between(lon(2026, 1, 1), lon(2027, 1, 1)) == 0
    with pytest.raises(ValueError, match="never opens"):
        closed.add(lon(2026, 6, 1), 0)
    with pytest.raises(ValueError, match="no open time"):
        closed.add(lon(2026, 6, 1), 1)


def test_holiday_only_schedule_finds_next_years_holiday() -> None:
    christmas_cover = window({"holiday": ["10:00-12:00"]})
    assert christmas_cover.next_opening(lon(2026, 12, 29)) == utc(2027, 1, 1, 10, 0)
    # Mon 28 Dec (Boxing Day substitute) 11:00-12:00, then 30 min on New Year's Day
    assert christmas_cover.add(lon(2026, 12, 28, 11, 0), 90) == utc(2027, 1, 1, 10, 30)


# -- Calendars ----------------------------------------------------------------------------


def test_calendars_lookup_and_local() -> None:
    assert CAL["support"] is CAL.support
    assert CAL.oncall.name == "oncall"
    assert CAL.tz == LONDON
    with pytest.raises(KeyError, match="unknown window 'sla' \\(known: always, oncall"):
        CAL["sla"]
    local = CAL.local(utc(2026, 6, 1, 9, 0))
    assert local.tzinfo == LONDON
    assert (local.hour, local.utcoffset()) == (10, timedelta(hours=1))


# -- parsing ------------------------------------------------------------------------------


def test_parse_forms() -> None:
    parsed = WeeklySchedule.parse(ONCALL)
    assert parsed.ranges_for(0, False) == ((420, 600), (1020, 1320))
    assert parsed.ranges_for(5, False) == ((420, 1320),)
    assert parsed.ranges_for(2, True) == ((420, 1320),)
    assert WeeklySchedule.parse(SUPPORT).ranges_for(0, True) == ()
    listed = WeeklySchedule.parse({"Sat, sun": "08:00-12:00", "mon-wed,fri": ["12:00-13:00"]})
    assert listed.ranges_for(6, False) == ((480, 720),)
    assert listed.ranges_for(3, False) == ()
    assert listed.ranges_for(4, False) == ((720, 780),)
    adjacent = WeeklySchedule.parse({"mon": ["12:00-13:00", "09:00-12:00", "20:00-24:00"]})
    assert adjacent.ranges_for(0, False) == ((540, 780), (1200, 1440))
    always = WeeklySchedule.parse("24x7")
    assert always.always_open
    assert always.ranges_for(3, True) == ((0, 1440),)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"mon-fri": ["10:00-09:00"]}, "mon-fri: '10:00-09:00': end must be after start"),
        ({"mon": ["10:00-10:00"]}, "mon: '10:00-10:00': end must be after start"),
        (
            {"tue": ["09:00-12:00", "11:00-13:00"]},
            "tue: ranges '09:00-12:00' and '11:00-13:00' overlap",
        ),
        (
            {"funday": ["09:00-12:00"]},
            "'funday': unknown day (use mon..sun, ranges like mon-fri, or holiday)",
        ),
        (
            {"sat,funday": ["09:00-12:00"]},
            "'funday' in 'sat,funday': unknown day (use mon..sun, ranges like mon-fri, or holiday)",
        ),
        (
            {"mon": ["09:00-12:00"], "mon-fri": ["13:00-14:00"]},
            "mon: day given twice (in 'mon' and 'mon-fri')",
        ),
        ({"mon-fri,wed": ["09:00-12:00"]}, "wed: day given twice (in 'mon-fri,wed')"),
        (
            {"fri-mon": ["09:00-12:00"]},
            "'fri-mon': day ranges cannot wrap past sun (write 'fri-sun,mon')",
        ),
        ({"mon": ["9-17"]}, "mon: '9-17': expected 'HH:MM-HH:MM'"),
        ({"mon": ["25:00-26:00"]}, "mon: '25:00-26:00': no such time '25:00'"),
        ({"mon": ["09:00-24:30"]}, "mon: '09:00-24:30': no such time '24:30'"),
        ({"mon": ["09:60-10:00"]}, "mon: '09:60-10:00': no such time '09:60'"),
        ({"mon": 9}, "mon: expected a list of 'HH:MM-HH:MM' ranges, got 9"),
        ("weekdays", "'weekdays': unknown schedule (use '24x7' or a mapping of days to ranges)"),
    ],
)
def test_parse_errors(spec: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        WeeklySchedule.parse(spec)  # type: ignore[arg-type]
    assert str(caught.value) == message


# -- properties ---------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.just(UTC),
)


def reference_seconds(win: Window, start: datetime, end: datetime) -> float:
    """Independent of the module's cache: localize every range of every date with zoneinfo."""
    total = 0.0
    day = start.astimezone(LONDON).date() - timedelta(days=1)
    while day <= end.astimezone(LONDON).date():
        holiday = win.holidays.is_holiday(day)
        for lo, hi in win.schedule.ranges_for(day.weekday(), holiday):
            midnight = datetime(day.year, day.month, day.day, tzinfo=LONDON)
            s = midnight + timedelta(minutes=lo)  # wall-clock arithmetic, then the offset of
            e = midnight + timedelta(minutes=hi)  # that wall time (default specs avoid the gap)
            e = e if hi < 1440 else datetime.combine(day + timedelta(days=1), e.time(), LONDON)
            s, e = s.astimezone(UTC), e.astimezone(UTC)  # same-tzinfo subtraction is wall time
            total += max(0.0, (min(e, end) - max(s, start)).total_seconds())
        day += timedelta(days=1)
    return total


@settings(max_examples=150, deadline=None)
@given(a=instants, b=instants, name=st.sampled_from(["support", "working", "oncall", "always"]))
def test_seconds_between_matches_references(a: datetime, b: datetime, name: str) -> None:
    win = CAL[name]
    start, end = min(a, b), max(a, b)
    got = win.seconds_between(start, end)
    walked = sum((e - s).total_seconds() for s, e in win.intervals(start, end))
    assert got == pytest.approx(walked, abs=1e-6)
    assert got == pytest.approx(reference_seconds(win, start, end), abs=1e-6)
    assert win.seconds_between(end, start) == 0


@settings(max_examples=150, deadline=None)
@given(
    start=instants,
    minutes=st.floats(min_value=0.001, max_value=200 * 24 * 60),
    name=st.sampled_from(["support", "oncall", "always"]),
)
def test_add_is_inverse_of_minutes_between(start: datetime, minutes: float, name: str) -> None:
    win = CAL[name]
    due = win.add(start, minutes)
    assert win.minutes_between(start, due) == pytest.approx(minutes, rel=1e-9, abs=1e-6)
    # the deadline is never later than needed: a moment earlier, less time has elapsed
    assert win.minutes_between(start, due - timedelta(seconds=1)) < minutes


@settings(max_examples=100, deadline=None)
@given(t=instants, name=st.sampled_from(["support", "oncall"]))
def test_next_opening_and_closing_agree_with_is_open(t: datetime, name: str) -> None:
    win = CAL[name]
    opening = win.next_opening(t)
    assert opening is not None and opening >= t and win.is_open(opening)
    assert win.seconds_between(t, opening) == 0
    closing = win.next_closing(opening)
    assert closing is not None and closing > opening and not win.is_open(closing)
    assert win.seconds_between(opening, closing) == pytest.approx(
        (closing - opening).total_seconds(), abs=1e-5
    )
