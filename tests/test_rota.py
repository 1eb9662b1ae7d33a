"""The support rota: generation with holidays and leave, fairness, strategies as plugins, roles,
cover gaps, the week-ahead warning and the iCal feeds.

A team of four (amy, ben, cat, dan) in cohorts of two, one week each, from Monday 2026-04-27;
Monday 2026-05-04 is the Early May bank holiday ("May Day" in the ``holidays`` package).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select
from werkzeug.test import Client

from core import hookimpl
from core.clock import FakeClock
from core.ical import CalendarEvent, render
from core.models import ChatPost
from core.plugin_manager import PluginError
from core.process import ProcessError
from core.receiver import Credential
from core.runtime import Runtime
from plugins.rota import hooks as rota_hooks
from plugins.rota.service import rota_of

PEOPLE = """
[[people]]
id = "amy"
name = "Amy Adams"
chat = "@amy"

[[people]]
id = "ben"
name = "Ben Brown"
chat = "@ben"

[[people]]
id = "cat"
name = "Cat Cole"
chat = "@cat"

[[people]]
id = "dan"
name = "Dan Dale"
chat = "@dan"

[groups]
leads = ["amy"]
"""

COHORTS = (
    PEOPLE
    + """
[rota.support]
members = ["amy", "ben", "cat", "dan"]
cohort_size = 2
weeks = 1
start = 2026-04-27
"""
)

LEAD_SECONDARY = (
    PEOPLE
    + """
[rota.support]
strategy = "lead-secondary"
members = ["amy", "ben", "cat"]
start = 2026-04-27
"""
)

LONDON = ZoneInfo("Europe/London")
BEFORE = datetime(
    2026, 4, 20, 8, 0, tzinfo=UTC
)  # a Monday, 09:00 BST: a week before the rota starts


def rota_table(runtime: Runtime, first: date, last: date) -> dict[str, str]:
    """Each day as 'person, person (note)'; non-working days as '-' or the holiday's name."""
    table = {}
    for day in rota_of(runtime).days(first, last):
        if not day.working:
            table[f"{day.day:%a %d}"] = day.holiday or "-"
            continue
        people = [f"{s.person} ({s.note})" if s.note else s.person for s in day.shifts]
        short = [f"short: {p}" for p in day.short]
        table[f"{day.day:%a %d}"] = ", ".join(people + short) or "nobody"
    return table


def ask(runtime: Runtime, command: str, args: str = "", who: str = "@amy") -> str:
    return runtime.run_command(command, args, who)


@pytest.fixture
def team(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Runtime:
    clock.set(BEFORE)
    return make_runtime(process=COHORTS)


# -- generation -----------------------------------------------------------------------------


def test_cohorts_over_weeks_with_a_bank_holiday_and_someone_on_leave(team: Runtime) -> None:
    ask(team, "leave add", "2026-05-12..2026-05-13", "@ben")
    assert rota_table(team, date(2026, 4, 27), date(2026, 5, 22)) == {
        "Mon 27": "amy, ben",
        "Tue 28": "amy, ben",
        "Wed 29": "amy, ben",
        "Thu 30": "amy, ben",
        "Fri 01": "amy, ben",
        "Sat 02": "-",
        "Sun 03": "-",
        "Mon 04": "May Day",  # the bank holiday: nobody, and nobody is owed it
        "Tue 05": "cat, dan",
        "Wed 06": "cat, dan",
        "Thu 07": "cat, dan",
        "Fri 08": "cat, dan",
        "Sat 09": "-",
        "Sun 10": "-",
        "Mon 11": "amy, ben",
        # ben is away: cat and dan have served 4 days to amy's and ben's 6, so they fill in;
        # cat first (listed first), then dan (cat has just served a day more).
        "Tue 12": "amy, cat (for ben, on leave)",
        "Wed 13": "amy, dan (for ben, on leave)",
        "Thu 14": "amy, ben",
        "Fri 15": "amy, ben",
        "Sat 16": "-",
        "Sun 17": "-",
        "Mon 18": "cat, dan",
        "Tue 19": "cat, dan",
        "Wed 20": "cat, dan",
        "Thu 21": "cat, dan",
        "Fri 22": "cat, dan",
    }


def test_the_fairness_ledger_counts_days_served(team: Runtime, clock: FakeClock) -> None:
    ask(team, "leave add", "2026-05-12..2026-05-13", "@ben")
    clock.set(datetime(2026, 5, 25, 8, 0, tzinfo=UTC))  # Spring bank holiday, Monday
    assert ask(team, "rota fairness") == (
        "Support days served from 2026-04-27 to 2026-05-24 (who has served least fills the next gap):\n"
        "- ben: 8\n"
        "- amy: 10\n"
        "- cat: 10\n"
        "- dan: 10"
    )


def test_fairness_before_the_rota_starts(team: Runtime) -> None:
    assert (
        ask(team, "rota fairness")
        == "The support rota starts on 2026-04-27; nobody has served yet."
    )


def test_min_staff_leaves_a_day_short_instead_of_filling_it(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(BEFORE)
    runtime = make_runtime(process=COHORTS + "min_staff = 1\n")
    ask(runtime, "leave add", "2026-05-12", "@ben")
    ask(runtime, "leave add", "2026-05-13", "@ben")
    ask(runtime, "leave add", "2026-05-13", "@amy")
    assert rota_table(runtime, date(2026, 5, 11), date(2026, 5, 14)) == {
        "Mon 11": "amy, ben",
        "Tue 12": "amy, short: ben",
        "Wed 13": "cat (for amy, on leave), short: ben",
        "Thu 14": "amy, ben",
    }


def test_lead_secondary_rotates_daily_through_the_members(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(BEFORE)
    runtime = make_runtime(process=LEAD_SECONDARY)
    ask(runtime, "leave add", "2026-05-07", "@cat")
    assert rota_table(runtime, date(2026, 4, 27), date(2026, 5, 8)) == {
        "Mon 27": "amy, ben",
        "Tue 28": "ben, cat",
        "Wed 29": "cat, amy",
        "Thu 30": "amy, ben",
        "Fri 01": "ben, cat",
        "Sat 02": "-",
        "Sun 03": "-",
        "Mon 04": "May Day",
        "Tue 05": "cat, amy",  # the holiday does not skip anyone's turn
        "Wed 06": "amy, ben",
        "Thu 07": "ben, amy (for cat, on leave)",
        "Fri 08": "cat, amy",
    }
    assert team_roles(runtime, datetime(2026, 5, 7, 12, 0, tzinfo=UTC)) == {
        "support": ["ben", "amy"],
        "support.lead": ["ben"],
        "support.cover": ["ben"],
    }


def test_whoami_describes_a_lead_secondary_rota_from_the_shifts(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 5, 18, 8, 0, tzinfo=UTC))
    runtime = make_runtime(process=LEAD_SECONDARY.replace('"amy", "ben", "cat"', '"amy", "ben"'))
    assert (
        support_roles(runtime, "amy")
        == [
            "support rota (lead-secondary): next shifts 2026-05-18 to 2026-08-07"  # runs span bank holidays
        ]
    )
    assert support_roles(runtime, "dan") == []


def support_roles(runtime: Runtime, person: str) -> list[str]:
    lines = runtime.hook.dutybot_person_roles(runtime=runtime, person=person)
    return [line for found in lines for line in found or [] if line.startswith("support rota")]


# -- strategies as plugins ------------------------------------------------------------------


class SoloStrategy:
    """One person on support every working day, named by ``options.who``."""

    def __init__(self, settings: Any, _calendars: Any) -> None:
        if set(settings.options) != {"who"}:
            raise ValueError("the solo strategy needs exactly the option 'who'")
        self.who = settings.options["who"]

    def roster(self, day: date, working_day: int) -> list[str]:
        return [self.who]

    def describe(self, person: str, today: date) -> str | None:
        return f"support rota: {self.who} does it all" if person == self.who else None


class SoloPlugin:
    @hookimpl
    def dutybot_rota_strategies(self) -> dict[str, Any]:
        return {"solo": SoloStrategy}


def test_a_plugin_contributes_a_strategy_chosen_in_the_process_file(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(BEFORE)
    process = COHORTS.replace("cohort_size = 2", 'strategy = "solo"\noptions = { who = "dan" }')
    runtime = make_runtime(process=process, plugins=(SoloPlugin(),))
    assert rota_table(runtime, date(2026, 5, 1), date(2026, 5, 5)) == {
        "Fri 01": "dan",
        "Sat 02": "-",
        "Sun 03": "-",
        "Mon 04": "May Day",
        "Tue 05": "dan",
    }
    assert support_roles(runtime, "dan") == ["support rota: dan does it all"]


def test_an_unknown_strategy_stops_start_up_naming_the_known_ones(
    make_runtime: Callable[..., Runtime],
) -> None:
    with pytest.raises(ProcessError) as raised:
        make_runtime(process=COHORTS.replace("cohort_size = 2", 'strategy = "round-robin"'))
    (problem,) = raised.value.problems
    assert problem.endswith(
        ".toml: rota.support.strategy: unknown strategy 'round-robin' (known: cohorts, lead-secondary)"
    )


def test_a_strategy_refuses_options_it_does_not_read(make_runtime: Callable[..., Runtime]) -> None:
    with pytest.raises(
        ProcessError, match=r"rota.support: the cohorts strategy takes no options \(got who\)"
    ):
        make_runtime(process=COHORTS + 'options = { who = "dan" }\n')


def test_two_plugins_may_not_contribute_one_strategy_name(
    make_runtime: Callable[..., Runtime],
) -> None:
    class Clash:
        @hookimpl
        def dutybot_rota_strategies(self) -> dict[str, Any]:
            return {"cohorts": SoloStrategy}

    with pytest.raises(
        (ProcessError, PluginError), match="two plugins contribute the rota strategy 'cohorts'"
    ):
        make_runtime(process=COHORTS, plugins=(Clash(),))


def test_cohorts_still_need_a_monday_start(make_runtime: Callable[..., Runtime]) -> None:
    with pytest.raises(ProcessError, match="start: 2026-04-28 is not a Monday"):
        make_runtime(process=COHORTS.replace("2026-04-27", "2026-04-28"))


# -- roles, cover and the 09:00 checklist ---------------------------------------------------


def cover_items(runtime: Runtime, day: date) -> list[str]:
    """The rota's lines in the 09:00 checklist (other plugins add their own)."""
    found = runtime.hook.dutybot_checklist_items(runtime=runtime, day=day)
    return [
        line for lines in found for line in lines or [] if line.startswith("Support-channel cover")
    ]


def team_roles(runtime: Runtime, at: datetime) -> dict[str, list[str] | None]:
    return {
        role: runtime.hook.dutybot_role_holders(runtime=runtime, role=role, at=at)
        for role in ("support", "support.lead", "support.cover")
    }


def test_role_holders_at_given_instants_with_a_cover_slot(team: Runtime, clock: FakeClock) -> None:
    clock.set(datetime(2026, 5, 11, 7, 0, tzinfo=UTC))  # Monday 08:00 BST
    assert ask(team, "cover", "12:00-13:30 @ben", "@ben") == (
        "ben covers the support channel 12:00-13:30 on Monday 2026-05-11.\n"
        "Support-channel cover on Monday 2026-05-11:\n"
        "- 10:00-12:00 amy\n"
        "- 12:00-13:30 ben\n"
        "- 13:30-17:00 amy"
    )
    bst = timedelta(hours=1)
    expected = {
        datetime(2026, 5, 11, 9, 59): [],  # local times; support opens at 10:00
        datetime(2026, 5, 11, 10, 0): ["amy"],
        datetime(2026, 5, 11, 11, 59): ["amy"],
        datetime(2026, 5, 11, 12, 0): ["ben"],
        datetime(2026, 5, 11, 13, 29): ["ben"],
        datetime(2026, 5, 11, 13, 30): ["amy"],
        datetime(2026, 5, 11, 16, 59): ["amy"],
        datetime(2026, 5, 11, 17, 0): [],
    }
    for local, holders in expected.items():
        at = (local - bst).replace(tzinfo=UTC)
        assert team_roles(team, at) == {
            "support": ["amy", "ben"],
            "support.lead": ["amy"],
            "support.cover": holders,
        }
    saturday = datetime(2026, 5, 9, 12, 0, tzinfo=UTC)
    assert team_roles(team, saturday) == {"support": [], "support.lead": [], "support.cover": []}
    assert rota_hooks.dutybot_role_holders(runtime=team, role="oncall.primary", at=saturday) is None


def test_a_cover_slot_of_someone_no_longer_on_support_is_a_gap_in_the_checklist(
    team: Runtime, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 5, 11, 7, 0, tzinfo=UTC))
    ask(team, "cover", "12:00-13:00 @ben", "@amy")
    assert cover_items(team, date(2026, 5, 11)) == []
    ask(team, "rota swap", "@ben @cat today", "@ben")
    assert cover_items(team, date(2026, 5, 11)) == [
        "Support-channel cover has a gap: 12:00-13:00 (ben is not on support). "
        "Arrange cover with !cover HH:MM-HH:MM @person."
    ]
    assert team_roles(team, datetime(2026, 5, 11, 11, 30, tzinfo=UTC))["support.cover"] == []
    assert team_roles(team, datetime(2026, 5, 11, 13, 0, tzinfo=UTC))["support.cover"] == ["amy"]


def test_a_day_with_nobody_on_support_is_one_whole_gap(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(BEFORE)
    runtime = make_runtime(process=COHORTS + "min_staff = 0\n")
    ask(runtime, "leave add", "2026-05-12", "@amy")
    ask(runtime, "leave add", "2026-05-12", "@ben")
    assert cover_items(runtime, date(2026, 5, 12)) == [
        "Support-channel cover has a gap: 10:00-17:00 (nobody is on support). "
        "Arrange cover with !cover HH:MM-HH:MM @person."
    ]
    assert cover_items(runtime, date(2026, 5, 9)) == []  # Saturday


def test_cover_follows_local_time_across_the_spring_dst_change(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 27, 8, 0, tzinfo=UTC))  # Friday, still GMT
    runtime = make_runtime(process=COHORTS.replace("2026-04-27", "2026-03-23"))
    ask(runtime, "cover", "2026-03-30 10:00-11:00 @dan", "@cat")  # Monday, BST
    assert team_roles(runtime, datetime(2026, 3, 30, 9, 30, tzinfo=UTC))["support.cover"] == [
        "dan"
    ]  # 10:30 BST
    assert team_roles(runtime, datetime(2026, 3, 30, 10, 0, tzinfo=UTC))["support.cover"] == [
        "cat"
    ]  # 11:00 BST
    assert (
        team_roles(runtime, datetime(2026, 3, 30, 8, 59, tzinfo=UTC))["support.cover"] == []
    )  # 09:59 BST


def test_support_open_past_today_says_until_which_day(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 5, 11, 10, 0, tzinfo=UTC))  # Monday 11:00 BST
    runtime = make_runtime(process=COHORTS + '\n[hours.support]\n"mon-fri" = ["00:00-24:00"]\n')
    assert ask(runtime, "support") == (
        "Support is open until Saturday 2026-05-16 00:00.\n"
        "On support today (Monday 2026-05-11): amy (lead), ben.\n"
        "Covering the support channel now: amy (until 24:00)."
    )


def test_leave_is_answered_for_other_rotas(team: Runtime) -> None:
    ask(team, "leave add", "2026-05-12..2026-05-13", "@ben")

    def asked(first: date, last: date) -> list:
        return team.hook.dutybot_leave(runtime=team, people=["ben", "amy"], first=first, last=last)

    assert asked(date(2026, 5, 13), date(2026, 5, 20)) == [
        [("ben", date(2026, 5, 12), date(2026, 5, 13))]
    ]
    assert asked(date(2026, 5, 14), date(2026, 5, 20)) == [[]]
    ask(team, "leave remove", "1", "@ben")
    assert asked(date(2026, 5, 13), date(2026, 5, 13)) == [[]]


class HrSystem:
    """Another plugin that knows about leave: ben is away on Tuesday 2026-05-12."""

    @hookimpl
    def dutybot_leave(
        self, people: list[str], first: date, last: date
    ) -> list[tuple[str, date, date]]:
        day = date(2026, 5, 12)
        return [("ben", day, day)] if "ben" in people and first <= day <= last else []


def test_leave_known_to_another_plugin_is_respected(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(BEFORE)
    runtime = make_runtime(process=COHORTS, plugins=(HrSystem(),))
    assert rota_table(runtime, date(2026, 5, 11), date(2026, 5, 13)) == {
        "Mon 11": "amy, ben",
        "Tue 12": "amy, cat (for ben, on leave)",
        "Wed 13": "amy, ben",
    }
    assert (
        ask(runtime, "rota swap", "@cat @ben 2026-05-12", "@cat")
        == "ben is on leave on 2026-05-12."
    )


# -- the week-ahead warning -----------------------------------------------------------------


def rota_posts(runtime: Runtime) -> list[tuple[str, str, datetime]]:
    with runtime.db.session() as session:
        rows = session.scalars(
            select(ChatPost).where(ChatPost.key.like("rota.%")).order_by(ChatPost.id)
        ).all()
        return [(row.channel, row.text, row.created_at) for row in rows]


def mornings(
    runtime: Runtime, clock: FakeClock, first: date, last: date
) -> list[tuple[str, datetime]]:
    """Live through 09:00 of each day, with a restart at 09:00:30 (jobs must not run twice)."""
    ran: list[tuple[str, datetime]] = []
    day = first
    while day <= last:
        nine = datetime.combine(day, time(9), tzinfo=LONDON)
        for instant in (nine - timedelta(minutes=1), nine, nine + timedelta(seconds=30)):
            clock.set(instant)
            if instant.second:
                runtime.scheduler.reset()  # what a restart does
            ran.extend(runtime.scheduler.run_due())
        day += timedelta(days=1)
    return ran


def test_a_working_day_with_nobody_on_support_is_warned_of_a_week_ahead_once(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 5, 1, 7, 0, tzinfo=UTC))  # Friday 08:00 BST
    runtime = make_runtime(process=COHORTS + "min_staff = 0\n")
    ask(runtime, "leave add", "2026-05-12", "@amy")
    ask(runtime, "leave add", "2026-05-12", "@ben")
    ran = mornings(runtime, clock, date(2026, 5, 1), date(2026, 5, 12))
    assert rota_posts(runtime) == [
        (
            "team",
            "Nobody is on support on Tuesday 2026-05-12 (on leave: amy, ben). Someone with the "
            "rota.override permission can put a person on with !rota override @person 2026-05-12.",
            datetime(2026, 5, 5, 8, 0, tzinfo=UTC),  # Tuesday 09:00 BST: Monday was a bank holiday
        )
    ]
    # It checked each working day at 09:00 (the 1st, then the 5th to the 12th), once each.
    checks = [t for name, t in ran if name == "rota.nobody_on_support"]
    assert [t.day for t in checks] == [1, 5, 6, 7, 8, 11, 12]


def test_the_warning_job_posts_nothing_when_every_day_is_staffed(
    team: Runtime, clock: FakeClock
) -> None:
    ask(team, "leave add", "2026-05-12..2026-05-13", "@ben")  # filled from the ledger
    mornings(team, clock, date(2026, 5, 5), date(2026, 5, 6))
    assert rota_posts(team) == []


# -- calendar feeds -------------------------------------------------------------------------


@pytest.fixture
def feed_team(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Runtime:
    clock.set(datetime(2026, 5, 6, 8, 0, tzinfo=UTC))
    return make_runtime(process=COHORTS, credentials={"calendar": Credential(token="s3cret")})


def fetch(runtime: Runtime, path: str) -> tuple[int, Any]:
    response = Client(runtime.receiver).get(path)
    if response.status_code != 200:
        return response.status_code, response.get_json()
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return 200, Calendar.from_ical(response.get_data())


def events(calendar: Calendar) -> dict[date, tuple[str, str, str]]:
    found = {}
    for event in calendar.walk("VEVENT"):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert end - start == timedelta(days=1)
        found[start] = (str(event["uid"]), str(event["summary"]), str(event.get("description", "")))
    return found


def test_the_rota_feed_parses_and_has_one_event_per_working_day(feed_team: Runtime) -> None:
    status, calendar = fetch(feed_team, "/calendar/support.ics?token=s3cret")
    assert status == 200
    assert str(calendar["x-wr-calname"]) == "My team: support rota"
    found = events(calendar)
    assert min(found) == date(2026, 4, 27)  # the rota's start (less than four weeks ago)
    assert max(found) == date(2026, 8, 5)  # thirteen weeks ahead, a Wednesday
    assert date(2026, 5, 4) not in found and date(2026, 5, 9) not in found  # bank holiday, Saturday
    assert found[date(2026, 5, 11)] == (
        "support-20260511@dutybot",
        "Support: amy, ben",
        "Lead: amy",
    )


def test_swaps_and_overrides_show_in_the_feeds(feed_team: Runtime) -> None:
    assert ask(feed_team, "rota swap", "@ben @cat 2026-05-12", "@ben").startswith(
        "Swap #1 recorded"
    )
    assert ask(feed_team, "rota override", "@dan 2026-05-13 @amy", "@amy").startswith(
        "Override #2:"
    )
    found = events(fetch(feed_team, "/calendar/support.ics?token=s3cret")[1])
    assert found[date(2026, 5, 12)][1:] == ("Support: amy, cat", "Lead: amy\ncat: swap #1 with ben")
    assert found[date(2026, 5, 13)][1:] == (
        "Support: dan, ben",
        "Lead: dan\ndan: override #2 for amy",
    )

    dan = events(fetch(feed_team, "/calendar/support/dan.ics?token=s3cret")[1])
    assert dan[date(2026, 5, 13)] == (
        "support-dan-20260513@dutybot",
        "Support (lead)",
        "With: ben\nWhy: override #2 for amy",
    )
    ben = events(fetch(feed_team, "/calendar/support/ben.ics?token=s3cret")[1])
    assert date(2026, 5, 12) not in ben and date(2026, 5, 11) in ben
    assert ben[date(2026, 5, 11)] == ("support-ben-20260511@dutybot", "Support", "With: amy")
    cat = events(fetch(feed_team, "/calendar/support/cat.ics?token=s3cret")[1])
    assert cat[date(2026, 5, 12)][1:] == ("Support", "With: amy\nWhy: swap #1 with ben")

    ask(feed_team, "rota undo", "1", "@ben")
    assert date(2026, 5, 12) in events(
        fetch(feed_team, "/calendar/support/ben.ics?token=s3cret")[1]
    )


def test_feeds_need_the_token(feed_team: Runtime, make_runtime: Callable[..., Runtime]) -> None:
    assert fetch(feed_team, "/calendar/support.ics") == (401, {"reason": "missing or wrong token"})
    assert fetch(feed_team, "/calendar/support.ics?token=s3cre") == (
        401,
        {"reason": "missing or wrong token"},
    )
    assert fetch(feed_team, "/calendar/support/zed.ics?token=s3cret") == (
        404,
        {"reason": "no person 'zed' in the team"},
    )
    unconfigured = make_runtime(process=COHORTS)
    assert fetch(unconfigured, "/calendar/support.ics?token=") == (
        401,
        {"reason": "calendar feeds are off: set DUTYBOT_WEBHOOK_TOKEN_CALENDAR"},
    )


def test_ical_render_writes_timed_events_in_utc_and_refuses_bad_ones() -> None:
    london = LONDON
    stamp = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    body = render(
        [
            CalendarEvent(
                "oncall-1@x",
                "On call",
                datetime(2026, 5, 1, 17, tzinfo=london),
                datetime(2026, 5, 1, 22, tzinfo=london),
            )
        ],
        name="On call",
        stamp=stamp,
    )
    assert b"DTSTART:20260501T160000Z" in body and b"DTEND:20260501T210000Z" in body
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("dtstamp") == stamp
    with pytest.raises(ValueError, match="both be dates or both datetimes"):
        render([CalendarEvent("x", "x", date(2026, 5, 1), stamp)], name="x", stamp=stamp)
    with pytest.raises(ValueError, match="before it starts"):
        render([CalendarEvent("x", "x", date(2026, 5, 2), date(2026, 5, 1))], name="x", stamp=stamp)
    with pytest.raises(ValueError, match="naive datetime"):
        render(
            [CalendarEvent("x", "x", datetime(2026, 5, 1), datetime(2026, 5, 2))],
            name="x",
            stamp=stamp,
        )
