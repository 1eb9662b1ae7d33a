"""The ``requests`` and ``alarms`` sections of ``dutybot_metrics``, and ``!rate``.

The requests are driven through the commands on the fake clock, so the support-hours durations
are the ones stored when things happened. Support hours are Mon-Fri 10:00-17:00 London with
England's bank holidays: Christmas 2026 is Friday 25 December and Boxing Day's substitute is
Monday 28 December, so from Thursday 24th 17:00 support is closed until Tuesday 29th 10:00.
Every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.aggregates import median_p90
from core.clock import FakeClock
from core.runtime import Runtime
from plugins.alarms.models import AlarmEvent, AlarmGroup
from plugins.triage.models import Request
from tests.conftest import ChatBot
from tests.test_triage_harness import SUPPORT, Desk, Post, desk_maker, london

PERIOD = (london(2026, 12, 21, 0), london(2027, 1, 4, 0))  # two weeks around Christmas
RATE_USAGE = "Usage: !rate ID N"


@pytest.fixture
def make_desk(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Callable[..., Desk]:
    return desk_maker(make_runtime, clock)


def section(
    runtime: Runtime,
    name: str,
    priority: str | None = None,
    period: tuple[datetime, datetime] = PERIOD,
) -> dict[str, Any] | None:
    """One section of the hook's answer, merged across the plugins that contribute to it."""
    merged: dict[str, dict[str, Any]] = {}
    for part in runtime.hook.dutybot_metrics(
        runtime=runtime, start=period[0], end=period[1], priority=priority
    ):
        for key, figures in part.items():
            merged.setdefault(key, {}).update(figures)
    return merged.get(name)


def at(desk: Desk, when: datetime, line: str, who: str = "@grace") -> str:
    desk.at(when)
    return desk.ask(line, as_user=who)


@pytest.fixture
def christmas(make_desk: Callable[..., Desk]) -> Desk:
    """Five requests, numbered in the order they are opened; R-1 before the period."""
    desk = make_desk(start=london(2026, 12, 18, 14, 0))
    # R-1 (normal), Fri 18 Dec 14:00; answered 15:00 (before the period: not in the response
    # figures); resolved Mon 21 10:30: Fri 14:00-17:00 (180) + Mon 10:00-10:30 (30) = 210.
    desk.ask("request new Old question about quotas", as_user="@uma")
    at(desk, london(2026, 12, 18, 15, 0), "request start R-1")
    # R-2 (high: "down"), Mon 21 Dec 09:00, before support opens; answered 11:30:
    # 10:00-11:30 = 90 (> 60: missed); resolved 16:00: 10:00-16:00 = 360 (<= 420: met).
    at(desk, london(2026, 12, 21, 9, 0), "request new Website is down", who="@vic")
    at(desk, london(2026, 12, 21, 10, 30), "request resolve R-1 quota raised")
    at(desk, london(2026, 12, 21, 11, 30), "request start R-2")
    at(desk, london(2026, 12, 21, 16, 0), "request resolve R-2 restarted the ingress")
    # R-3 (high: "blocked"), Wed 23 Dec 16:30; answered 16:45: 15 (met); waits on the user from
    # 16:50 to Thu 10:10, pausing Wed 16:50-17:00 and Thu 10:00-10:10 (20); resolved Thu 11:00:
    # Wed 16:30-17:00 (30) + Thu 10:00-11:00 (60) - 20 paused = 70 (met).
    at(desk, london(2026, 12, 23, 16, 30), "request new We are blocked on a release", who="@vic")
    at(desk, london(2026, 12, 23, 16, 45), "request start R-3")
    at(desk, london(2026, 12, 23, 16, 50), "request wait R-3 send the logs please")
    at(desk, london(2026, 12, 24, 10, 10), "request start R-3")
    at(desk, london(2026, 12, 24, 11, 0), "request resolve R-3 pipeline fixed")
    # R-4 (normal), Thu 24 Dec 16:00 in the support channel; answered Tue 29 10:30:
    # Thu 16:00-17:00 (60) + nothing Fri 25 (holiday), Sat, Sun, Mon 28 (holiday)
    # + Tue 10:00-10:30 (30) = 90 (<= 120: met); resolved Tue 12:00: 60 + 120 = 180 (met).
    desk.at(london(2026, 12, 24, 16, 0))
    desk.say("Printer question for the platform", sender="@uma", message_id="m-4")
    at(desk, london(2026, 12, 29, 10, 30), "request start R-4")
    # R-5 (normal), Tue 29 Dec 09:00, never answered: open at the period's end.
    at(desk, london(2026, 12, 29, 9, 0), "request new Question about namespaces", who="@uma")
    at(desk, london(2026, 12, 29, 12, 0), "request resolve R-4 paper tray replaced")
    desk.take()
    return desk


def test_requests_figures_clip_to_support_hours_across_a_weekend_and_bank_holidays(
    christmas: Desk,
) -> None:
    desk = christmas
    # R-4 came from the channel: the requester is asked in its thread; R-2 by direct message.
    assert at(desk, london(2026, 12, 29, 12, 5), "rate R-4 4", who="@uma") == (
        "Thanks! You rated R-4 4 out of 5."
    )
    assert at(desk, london(2026, 12, 29, 12, 6), "rate R-4 5", who="@uma") == (
        "Thanks! Your rating of R-4 is now 5 out of 5."
    )
    assert at(desk, london(2026, 12, 29, 12, 7), "rate R-2 2", who="@vic") == (
        "Thanks! You rated R-2 2 out of 5."
    )
    assert section(desk.runtime, "requests") == {
        "opened": 4,  # R-2..R-5
        "opened_by_priority": {"high": 2, "normal": 2},
        "resolved": 4,  # R-1..R-4
        # first answers in the period: R-3 15, R-2 90, R-4 90
        "first_response_median_support_minutes": 90.0,
        "first_response_p90_support_minutes": 90.0,  # rank ceil(0.9 * 3) = 3
        # resolutions: R-3 70, R-4 180, R-1 210, R-2 360
        "resolve_median_support_minutes": 195.0,  # (180 + 210) / 2
        "resolve_p90_support_minutes": 360.0,  # rank ceil(0.9 * 4) = 4
        "first_response_within_target_percent": {"high": 50.0, "normal": 100.0},
        "resolve_within_target_percent": {"high": 100.0, "normal": 100.0},
        "open_at_end": 1,
        "rating_mean": 3.5,  # R-4 re-rated 5, R-2 2
        "ratings": 2,
    }


def test_requests_figures_filtered_by_priority(christmas: Desk) -> None:
    at(christmas, london(2026, 12, 29, 12, 7), "rate R-2 2", who="@vic")
    at(christmas, london(2026, 12, 29, 12, 8), "rate R-4 5", who="@uma")
    assert section(christmas.runtime, "requests", priority="HIGH") == {
        "opened": 2,
        "opened_by_priority": {"high": 2},
        "resolved": 2,
        "first_response_median_support_minutes": 52.5,  # (15 + 90) / 2
        "first_response_p90_support_minutes": 90.0,  # rank ceil(0.9 * 2) = 2
        "resolve_median_support_minutes": 215.0,  # (70 + 360) / 2
        "resolve_p90_support_minutes": 360.0,
        "first_response_within_target_percent": {"high": 50.0},
        "resolve_within_target_percent": {"high": 100.0},
        "open_at_end": 0,
        "rating_mean": 2.0,
        "ratings": 1,
    }
    # A priority the active scheme does not have: no requests section at all, not zeros.
    assert section(christmas.runtime, "requests", priority="P1") is None


def test_an_empty_period_has_counts_of_zero_and_undefined_durations(christmas: Desk) -> None:
    empty = (london(2027, 2, 1, 0), london(2027, 2, 8, 0))
    figures = section(christmas.runtime, "requests", period=empty)
    assert figures is not None
    assert figures["opened"] == figures["resolved"] == figures["ratings"] == 0
    assert figures["first_response_median_support_minutes"] is None
    assert figures["resolve_p90_support_minutes"] is None
    assert figures["first_response_within_target_percent"] == {}
    assert figures["rating_mean"] is None
    assert figures["open_at_end"] == 1  # R-5 is still open


def test_the_requester_is_asked_to_rate_in_the_thread_or_directly(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(start=london(2026, 11, 30, 10, 0))
    desk.say("Printer question", sender="@uma", message_id="m-1")
    desk.ask("request new Access to the cluster", as_user="@vic")
    desk.take()
    at(desk, london(2026, 11, 30, 11, 0), "request resolve R-1 replaced the toner")
    at(desk, london(2026, 11, 30, 11, 5), "request resolve R-2 access granted")
    asked = [p for p in desk.take() if "How did we do" in p.text]
    assert asked == [
        Post(
            "2026-11-30 11:00",
            SUPPORT,
            "@uma, R-1 is resolved. How did we do? Rate it from 1 (poor) to 5 (great) with "
            "!rate R-1 N.",
            "m-1",
        ),
        Post(
            "2026-11-30 11:05",
            "@vic",
            "@vic, R-2 is resolved. How did we do? Rate it from 1 (poor) to 5 (great) with "
            "!rate R-2 N.",
        ),
    ]
    # Reopened and resolved again: asked again (a new resolution), the old rating stays.
    assert desk.ask("rate R-1 3", as_user="@uma") == "Thanks! You rated R-1 3 out of 5."
    at(desk, london(2026, 11, 30, 11, 10), "request reopen R-1 still jams", who="@uma")
    at(desk, london(2026, 11, 30, 11, 20), "request resolve R-1 new printer")
    assert [p.at for p in desk.take() if "How did we do" in p.text] == ["2026-11-30 11:20"]


def test_rate_through_errbot_checks_who_what_and_when(runtime: Runtime, clock: FakeClock) -> None:
    bot = ChatBot(runtime)
    try:
        assert bot.ask("!request new Printer is jammed", as_user="@uma").startswith(
            "Thanks @uma, this is request R-1 (normal)."
        )
        assert bot.ask("!rate R-1 4", as_user="@uma") == (
            "R-1 is not resolved yet; rate it once it is."
        )
        clock.set(clock.now() + timedelta(hours=3))
        # The question goes out with the change, before the command's reply.
        assert bot.ask("!request resolve R-1 unjammed", as_user="@grace") == (
            "@uma, R-1 is resolved. How did we do? Rate it from 1 (poor) to 5 (great) with "
            "!rate R-1 N."
        )
        assert bot.pop() == "R-1 is resolved: unjammed"
        # Only the requester: not the resolver, not an admin.
        for who in ("@grace", "@alice"):
            assert bot.ask("!rate R-1 5", as_user=who) == "Only the requester of R-1 can rate it."
        assert bot.ask("!rate R-1", as_user="@uma") == (
            f"Give the request's id and a rating from 1 to 5.\n{RATE_USAGE}"
        )
        for bad in ("0", "6", "five", "4.5", "-1"):
            assert bot.ask(f"!rate R-1 {bad}", as_user="@uma") == (
                f"'{bad}' is not a rating: give a whole number from 1 to 5.\n{RATE_USAGE}"
            )
        assert bot.ask("!rate R-9 4", as_user="@uma") == f"There is no request R-9.\n{RATE_USAGE}"
        assert bot.ask("!rate R-1 4", as_user="@uma") == "Thanks! You rated R-1 4 out of 5."
        assert bot.ask("!rate r1 2", as_user="@uma") == (
            "Thanks! Your rating of R-1 is now 2 out of 5."
        )
        start, end = clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)
        figures = section(runtime, "requests", period=(start, end))
        assert figures is not None
        assert (figures["ratings"], figures["rating_mean"]) == (1, 2.0)
        bot.assert_quiet()
    finally:
        bot.stop()


# --- alarms -------------------------------------------------------------------------------------


def add_alarm(
    runtime: Runtime,
    title: str,
    priority: str,
    feedback: str | None,
    fired: list[datetime],
    paged: list[datetime] = (),  # type: ignore[assignment]
) -> None:
    """An alarm as the ingest leaves it: its group, one ``fired`` event per episode, pages."""
    first = fired[0]
    with runtime.db.session() as session:
        group = AlarmGroup(
            source="test",
            key_hash=title.lower().ljust(64, "0")[:64],
            group_key=title,
            title=title,
            priority=priority,
            channel="#alarms",
            status="resolved",
            first_seen_at=first,
            fired_at=fired[-1],
            last_notified_at=fired[-1],
            feedback=feedback,
            feedback_at=None if feedback is None else fired[-1],
        )
        session.add(group)
        session.flush()
        session.add_all(
            AlarmEvent(group_id=group.id, at=t, kind=kind, priority=priority)
            for kind, times in (("fired", fired), ("paged", paged), ("resolved", fired))
            for t in times
        )


def day(n: int, hour: int = 12) -> datetime:
    """A time on the n-th of December 2026 (London)."""
    return london(2026, 12, n, hour)


def test_alarms_figures_noise_and_top_names(runtime: Runtime) -> None:
    add_alarm(runtime, "CPU-High", "low", "noise", [day(20), day(21), day(22), day(23)])
    add_alarm(runtime, "DiskFull", "low", "noise", [day(24)])
    add_alarm(
        runtime, "NginxIngressDown", "high", "actionable", [day(22), day(29)], [day(22), day(29)]
    )
    add_alarm(runtime, "MemoryPressure", "low", None, [day(21), day(22), day(23), day(30)])
    add_alarm(runtime, "A1", "low", None, [day(28)])
    add_alarm(runtime, "A2", "low", None, [day(28)])
    add_alarm(runtime, "Backup", "high", "noise", [day(1)], [day(1)])  # before the period
    assert section(runtime, "alarms") == {
        "fired": 12,  # CPU 3 (one on the 20th is before), Disk 1, Nginx 2, Memory 4, A1, A2
        "fired_by_priority": {"high": 2, "low": 10},
        "paged": 2,
        "alarms": 6,  # distinct alarms that fired in the period (not Backup)
        "noise": 2,
        "actionable": 1,
        "unmarked": 3,
        "noise_percent": 66.7,  # 2 of the 3 marked
        "top_noisy": [["CPU-High", 3], ["DiskFull", 1]],
        "top_firing": [  # five names; ties (A1, A2, DiskFull at 1) by name
            ["MemoryPressure", 4],
            ["CPU-High", 3],
            ["NginxIngressDown", 2],
            ["A1", 1],
            ["A2", 1],
        ],
    }
    assert section(runtime, "alarms", priority="HIGH") == {
        "fired": 2,
        "fired_by_priority": {"high": 2},
        "paged": 2,
        "alarms": 1,
        "noise": 0,
        "actionable": 1,
        "unmarked": 0,
        "noise_percent": 0.0,
        "top_noisy": [],
        "top_firing": [["NginxIngressDown", 2]],
    }
    assert section(runtime, "alarms", priority="P1") is None


# --- medians and percentiles in SQL ----------------------------------------------------------------


def resolved_request(opened: datetime, resolved: datetime, minutes: float) -> Request:
    """A resolved request that took ``minutes`` of support hours: a row for the medians."""
    return Request(
        summary="s",
        requester="@u",
        state="resolved",
        priority="normal",
        opened_at=opened,
        updated_at=opened,
        resolved_at=resolved,
        resolve_support_minutes=minutes,
    )


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        # several values share a whole minute (SQLite truncates 5.5 to 5, PostgreSQL rounds it to
        # 6): the exact values still come out. Sorted: 0.4 5.1 5.1 5.5 5.9 7.25 100
        ([5.9, 5.1, 5.5, 0.4, 100.0, 7.25, 5.1], 5.5, 100.0),  # ranks 4 and ceil(6.3) = 7
        ([5.9, 5.1, 5.5, 0.4, 100.0, 7.25, 5.1, 6.0], 5.7, 100.0),  # (5.5 + 5.9) / 2; rank 8
        ([3.0], 3.0, 3.0),
        ([2.5, 2.25], 2.375, 2.5),
        (list(range(10, 0, -1)), 5.5, 9.0),  # rank ceil(9) = 9
    ],
)
def test_median_and_p90_in_sql_are_exact(
    runtime: Runtime, values: list[float], median: float, p90: float
) -> None:
    now = runtime.clock.now()
    with runtime.db.session() as session:
        session.add_all(resolved_request(now, now, float(v)) for v in values)
        # not resolved in the period: ignored
        session.add(resolved_request(now, now - timedelta(days=9), 0.0))
    where = [Request.resolved_at >= now - timedelta(days=1)]
    with runtime.db.session() as session:
        assert median_p90(session, Request.resolve_support_minutes, where) == (median, p90)
        assert median_p90(session, Request.resolve_support_minutes, [Request.id < 0]) == (
            None,
            None,
        )
