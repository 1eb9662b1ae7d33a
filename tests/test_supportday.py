"""The support day, lived through with a fake clock: checklist, nudge, notices, replies, handover.

Who is on support or on call comes from a tiny test plugin (``Roles``), and every other
feature plugin is disabled, so the exact posts asserted here depend on this plugin alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core import hookimpl
from core.chat import InboundMessage
from core.clock import FakeClock
from core.models import AuditEntry, ChatPost
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from tests.conftest import ChatBot, advance

PROCESS = """
[team]
name = "Test team"

[channels]
team = "#team"
support = "#support"

[[people]]
id = "alice"
name = "Alice"
chat = "@alice"

[[people]]
id = "bob"
name = "Bob"
chat = "@bob"

[[people]]
id = "dave"
name = "Dave"
chat = "@dave"
"""
NOTICES = PROCESS + "\n[supportday]\nsupport_notices = true\n"
OTHER_FEATURES = frozenset(DEFAULT_PLUGINS) - {"supportday", "system", "team"}

CHECKLIST_ITEMS = (
    "1. Check the high- and low-priority alarm channels (#high-priority-alarms, #lower-priority-alarms)\n"
    "2. Check the board for requests not yet assigned\n"
    "3. Get the handover from the on-call engineer about anything out of hours\n"
    "4. Read the support channel (#support)\n"
)
FOOTER = "Claim it with `!checklist claim`; tick items with `!checklist done N`."
ESCALATION = (
    "For a service-affecting critical incident (never routine help), page the on-call engineer "
    "with `!page oncall <what is broken>`; out of hours this is best-endeavours."
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Roles:
    """Answers ``dutybot_role_holders`` from a fixed table, standing in for the rotas."""

    def __init__(self, **holders: list[str]) -> None:
        self.holders = {role.replace("_", "."): people for role, people in holders.items()}

    @hookimpl
    def dutybot_role_holders(self, role: str) -> list[str] | None:
        return self.holders.get(role)


class Contributions:
    """Another feature's lines for the checklist and the handover."""

    @hookimpl
    def dutybot_checklist_items(self, day: date) -> list[str]:
        return [f"2 requests not yet assigned (as of {day})"]

    @hookimpl
    def dutybot_handover_items(self, day: date) -> list[str]:
        return ["Open high-priority incidents: none"]


class Broken:
    """A plugin whose contributions fail: the others' lines and the post must still go out."""

    @hookimpl
    def dutybot_checklist_items(self) -> list[str]:
        raise RuntimeError("board unreachable")

    @hookimpl
    def dutybot_handover_items(self) -> list[str]:
        raise RuntimeError("incidents unreachable")


ON_DUTY = Roles(support=["alice", "bob"], oncall_primary=["dave"])


@pytest.fixture
def start(make_runtime: Callable[..., Runtime]) -> Callable[..., Runtime]:
    """A runtime on the test process with only the support day (and the framework) loaded."""

    def make(process: str = PROCESS, plugins: tuple[object, ...] = (ON_DUTY,)) -> Runtime:
        return make_runtime(process=process, plugins=plugins, disabled_plugins=OTHER_FEATURES)

    return make


def posts(runtime: Runtime) -> list[tuple[str, str, str]]:
    """Every post so far as (team-local time, address, text), oldest first."""
    with runtime.db.session() as session:
        rows = session.scalars(select(ChatPost).order_by(ChatPost.id)).all()
        return [(runtime.calendars.format(p.created_at), p.address, p.text) for p in rows]


def say(runtime: Runtime, sender: str, text: str, channel: str = "support") -> list[str]:
    """A user's message in a channel, as the bridge hands it over; returns the bot's replies."""
    address = runtime.chat.address(channel)
    person = runtime.process.person_by_chat(sender)
    return runtime.handle_message(InboundMessage(text, sender, person, address, channel))


def run(runtime: Runtime, command: str, sender: str) -> str:
    name, _, args = command.partition(" | ")
    return runtime.run_command(name, args, sender)


# --- a whole day ---------------------------------------------------------------------------


def test_a_normal_monday(start: Callable[..., Runtime], clock: FakeClock) -> None:
    runtime = start(plugins=(ON_DUTY, Contributions()))
    assert advance(runtime, clock, utc(2026, 11, 30, 8, 59)) == []
    advance(runtime, clock, utc(2026, 11, 30, 9, 0))
    checklist = (
        "Good morning! Support checklist for Monday 2026-11-30. On support today: @alice, @bob.\n"
        + CHECKLIST_ITEMS
        + "5. 2 requests not yet assigned (as of 2026-11-30)\n"
        + FOOTER
    )
    assert posts(runtime) == [("2026-11-30 09:00", "#team", checklist)]

    advance(runtime, clock, utc(2026, 11, 30, 11, 2))
    assert run(runtime, "handover add | Ingress upgrade paused; resume tomorrow", "@alice") == (
        "Noted. 1 note waiting for the handover to on-call at 2026-11-30 18:00."
    )
    advance(runtime, clock, utc(2026, 11, 30, 19, 0))
    handover = (
        "Handover to on-call for Monday 2026-11-30. On call: @dave.\n"
        "- alice at 2026-11-30 11:02: Ingress upgrade paused; resume tomorrow\n"
        "- Open high-priority incidents: none"
    )
    assert posts(runtime)[1:] == [
        (
            "2026-11-30 09:30",
            "#team",
            "Nobody has claimed or ticked today's checklist yet. On support today: @alice, @bob. "
            "Please claim it with `!checklist claim`.",
        ),
        (
            "2026-11-30 17:30",
            "#team",
            "The handover to on-call is at 18:00. On support today: @alice, @bob. Add what the "
            "on-call engineer should know with `!handover add <text>` (so far: 1 note).",
        ),
        ("2026-11-30 18:00", "@dave", handover),
        ("2026-11-30 18:00", "#team", handover),
    ]
    assert run(runtime, "handover", "@bob").startswith("No handover notes yet;")


def test_no_nudge_once_someone_claimed_or_ticked(
    start: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = start()
    advance(runtime, clock, utc(2026, 11, 30, 9, 5))
    assert run(runtime, "checklist claim", "@bob") == (
        "You have claimed the checklist for Monday 2026-11-30. Thank you!"
    )
    advance(runtime, clock, utc(2026, 11, 30, 10, 0))
    assert len(posts(runtime)) == 1
    clock.set(utc(2026, 12, 1, 8, 0))
    runtime.scheduler.reset()
    advance(runtime, clock, utc(2026, 12, 1, 9, 10))
    assert run(runtime, "checklist done | 2", "@alice").startswith("Ticked 2.")
    advance(runtime, clock, utc(2026, 12, 1, 10, 0))
    assert [(when, text.splitlines()[0]) for when, _, text in posts(runtime)] == [
        (
            "2026-11-30 09:00",
            "Good morning! Support checklist for Monday 2026-11-30. On support today: @alice, @bob.",
        ),
        (
            "2026-12-01 09:00",
            "Good morning! Support checklist for Tuesday 2026-12-01. On support today: @alice, @bob.",
        ),
    ]


def test_the_night_notes_of_on_call_open_the_next_checklist(
    start: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = start()
    clock.set(utc(2026, 11, 30, 17, 55))
    runtime.scheduler.reset()
    run(runtime, "handover add | Deploy freeze until Wednesday", "@bob")
    advance(runtime, clock, utc(2026, 11, 30, 23, 10))
    assert run(runtime, "handover add | Restarted the ingress at 23:00, watch it", "@dave") == (
        "Noted. 1 note waiting for the checklist at 2026-12-01 09:00."
    )
    assert run(runtime, "handover", "@alice") == (
        "1 note waiting for the checklist at 2026-12-01 09:00:\n"
        "- dave at 2026-11-30 23:10: Restarted the ingress at 23:00, watch it"
    )
    advance(runtime, clock, utc(2026, 12, 1, 9, 0))
    handover, checklist = posts(runtime)[-2][2], posts(runtime)[-1][2]
    assert "Deploy freeze until Wednesday" in handover and "Restarted" not in handover
    assert checklist == (
        "Good morning! Support checklist for Tuesday 2026-12-01. On support today: @alice, @bob.\n"
        + CHECKLIST_ITEMS
        + "5. Handover note from dave at 2026-11-30 23:10: Restarted the ingress at 23:00, watch it\n"
        + FOOTER
    )
    assert run(runtime, "handover", "@alice").startswith(
        "No handover notes yet; notes added now go to the handover to on-call at 2026-12-01 18:00."
    )


def test_nobody_on_support_or_on_call(start: Callable[..., Runtime], clock: FakeClock) -> None:
    runtime = start(plugins=())  # no plugin answers dutybot_role_holders at all
    clock.set(utc(2026, 11, 30, 17, 0))
    runtime.scheduler.reset()
    advance(runtime, clock, utc(2026, 11, 30, 18, 0))
    assert posts(runtime) == [
        (
            "2026-11-30 17:30",
            "#team",
            "The handover to on-call is at 18:00. On support today: nobody. Add what the on-call "
            "engineer should know with `!handover add <text>` (so far: 0 notes).",
        ),
        (
            "2026-11-30 18:00",
            "#team",
            "Handover to on-call for Monday 2026-11-30. On call: nobody.\nNothing to hand over.",
        ),
    ]


def test_a_failing_plugin_does_not_silence_the_day(
    start: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = start(plugins=(ON_DUTY, Contributions(), Broken()))
    advance(runtime, clock, utc(2026, 11, 30, 9, 0))
    clock.set(utc(2026, 11, 30, 17, 59))
    runtime.scheduler.reset()
    advance(runtime, clock, utc(2026, 11, 30, 18, 0))
    failed = "(a plugin failed to add its lines here; the details are in the bot's log)"
    checklist, handover = posts(runtime)[0][2], posts(runtime)[-1][2]
    assert checklist.splitlines()[5:7] == [
        f"5. {failed}",
        "6. 2 requests not yet assigned (as of 2026-11-30)",
    ]
    assert handover.splitlines()[1:] == [f"- {failed}", "- Open high-priority incidents: none"]


# --- calendars: bank holidays and DST ----------------------------------------------------------


def test_a_bank_holiday_monday_is_silent(start: Callable[..., Runtime], clock: FakeClock) -> None:
    clock.set(utc(2026, 8, 28, 18, 0))  # Friday after the handover
    runtime = start(NOTICES)
    assert say(runtime, "@user", "is anyone there?") == [
        f"Hi @user, support is closed right now and reopens at Tuesday 2026-09-01 10:00; we will answer then. {ESCALATION}"
    ]
    advance(runtime, clock, utc(2026, 9, 1, 0, 0))
    assert posts(runtime) == []
    advance(runtime, clock, utc(2026, 9, 1, 11, 0))
    assert [(when, address, text.splitlines()[0]) for when, address, text in posts(runtime)] == [
        (
            "2026-09-01 09:00",
            "#team",
            "Good morning! Support checklist for Tuesday 2026-09-01. On support today: @alice, @bob.",
        ),
        (
            "2026-09-01 09:30",
            "#team",
            "Nobody has claimed or ticked today's checklist yet. On support today: "
            "@alice, @bob. Please claim it with `!checklist claim`.",
        ),
        (
            "2026-09-01 10:00",
            "#support",
            "Support is open until Tuesday 2026-09-01 17:00. Ask your questions here.",
        ),
    ]


@pytest.mark.parametrize(
    ("sunday", "monday_0900_utc"),
    [(date(2026, 3, 29), utc(2026, 3, 30, 8, 0)), (date(2026, 10, 25), utc(2026, 10, 26, 9, 0))],
    ids=["spring-forward", "fall-back"],
)
def test_the_monday_after_a_clock_change_posts_at_0900_london(
    start: Callable[..., Runtime], clock: FakeClock, sunday: date, monday_0900_utc: datetime
) -> None:
    friday = sunday - timedelta(days=2)
    clock.set(utc(friday.year, friday.month, friday.day, 12, 0))
    runtime = start()
    ran = advance(runtime, clock, monday_0900_utc + timedelta(minutes=45))
    assert [(job, when) for job, when in ran] == [
        (
            "supportday.handover-prompt",
            utc(friday.year, friday.month, friday.day, 16 if friday.month == 10 else 17, 30),
        ),
        (
            "supportday.handover",
            utc(friday.year, friday.month, friday.day, 17 if friday.month == 10 else 18, 0),
        ),
        ("supportday.checklist", monday_0900_utc),
        ("supportday.nudge", monday_0900_utc + timedelta(minutes=30)),
    ]
    assert [when for when, _, _ in posts(runtime)][-2:] == [
        f"{monday_0900_utc:%Y-%m-%d} 09:00",
        f"{monday_0900_utc:%Y-%m-%d} 09:30",
    ]


# --- idempotency -------------------------------------------------------------------------------


def test_a_restart_at_0900_30_does_not_post_twice(
    start: Callable[..., Runtime], clock: FakeClock
) -> None:
    first = start()
    advance(first, clock, utc(2026, 11, 30, 9, 0))
    clock.set(utc(2026, 11, 30, 9, 0, 30))
    first.stop()
    second = start()  # same database, scheduler looks back over its grace period
    assert second.scheduler.run_due() == []
    assert len(posts(second)) == 1
    advance(second, clock, utc(2026, 11, 30, 9, 31))
    assert [text.split(".")[0] for _, _, text in posts(second)] == [
        "Good morning! Support checklist for Monday 2026-11-30",
        "Nobody has claimed or ticked today's checklist yet",
    ]


def test_two_replicas_at_0900_30_post_once(start: Callable[..., Runtime], clock: FakeClock) -> None:
    one, two = start(), start()
    clock.set(utc(2026, 11, 30, 9, 0, 30))
    ran = one.scheduler.run_due() + two.scheduler.run_due()
    assert ran == [("supportday.checklist", utc(2026, 11, 30, 9, 0))]
    assert len(posts(one)) == 1


def test_a_bot_started_at_0900_30_catches_up_once(
    start: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(utc(2026, 11, 30, 9, 0, 30))
    runtime = start()
    assert runtime.scheduler.run_due() == [("supportday.checklist", utc(2026, 11, 30, 9, 0))]
    assert runtime.scheduler.run_due() == []
    assert len(posts(runtime)) == 1


# --- support hours: notices and the out-of-hours reply -----------------------------------------


def test_open_and_closed_notices_follow_the_support_window(
    start: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(utc(2026, 12, 4, 9, 55))  # a Friday
    runtime = start(NOTICES)
    advance(runtime, clock, utc(2026, 12, 4, 17, 5))
    support = [(when, text) for when, address, text in posts(runtime) if address == "#support"]
    assert support == [
        (
            "2026-12-04 10:00",
            "Support is open until Friday 2026-12-04 17:00. Ask your questions here.",
        ),
        ("2026-12-04 17:00", f"Support is closed until Monday 2026-12-07 10:00. {ESCALATION}"),
    ]


def test_notices_are_off_by_default(start: Callable[..., Runtime], clock: FakeClock) -> None:
    runtime = start()
    assert "supportday.support-hours" not in {job.name for job in runtime.scheduler.jobs}
    advance(runtime, clock, utc(2026, 11, 30, 17, 5), step=timedelta(minutes=5))
    assert all(address == "#team" for _, address, _ in posts(runtime))


def test_a_user_is_answered_once_per_closed_period(
    start: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = start()
    monday = f"Hi @user1, support is closed right now and reopens at Monday 2026-11-30 10:00; we will answer then. {ESCALATION}"
    assert say(runtime, "@user1", "my deploy is stuck") == [monday]
    assert say(runtime, "@user1", "hello?") == []
    assert say(runtime, "@user2", "me too")[0].startswith("Hi @user2, support is closed right now")
    assert say(runtime, "@alice", "looking") == []  # team members are not told the hours
    assert say(runtime, "@user3", "wrong channel", channel="team") == []

    restarted = start()
    assert say(restarted, "@user1", "still stuck") == []

    clock.set(utc(2026, 11, 30, 10, 0))
    assert say(restarted, "@user1", "now?") == []
    clock.set(utc(2026, 11, 30, 17, 0))
    assert say(restarted, "@user1", "again") == [
        f"Hi @user1, support is closed right now and reopens at Tuesday 2026-12-01 10:00; we will answer then. {ESCALATION}"
    ]
    assert posts(restarted) == []  # replies go to the thread, not through the outbox


def test_auto_reply_can_be_switched_off(start: Callable[..., Runtime]) -> None:
    runtime = start(PROCESS + "\n[supportday]\nauto_reply = false\n")
    assert say(runtime, "@user1", "hello") == []


# --- commands ----------------------------------------------------------------------------------


@pytest.fixture
def posted(start: Callable[..., Runtime], clock: FakeClock) -> Runtime:
    """Monday 2026-11-30 at 09:10, the checklist posted."""
    runtime = start()
    advance(runtime, clock, utc(2026, 11, 30, 9, 10))
    return runtime


def test_checklist_shows_who_claimed_and_ticked_what(posted: Runtime, clock: FakeClock) -> None:
    assert run(posted, "checklist", "@alice") == (
        "Support checklist for Monday 2026-11-30 (on support: alice, bob), not claimed yet:\n"
        "1. [ ] Check the high- and low-priority alarm channels (#high-priority-alarms, #lower-priority-alarms)\n"
        "2. [ ] Check the board for requests not yet assigned\n"
        "3. [ ] Get the handover from the on-call engineer about anything out of hours\n"
        "4. [ ] Read the support channel (#support)\n"
        "0 of 4 done."
    )
    assert run(posted, "checklist claim", "@alice").startswith("You have claimed")
    clock.advance(minutes=2)
    assert run(posted, "checklist done | 3 1", "@bob") == (
        "Ticked 1. Check the high- and low-priority alarm channels (#high-priority-alarms, "
        "#lower-priority-alarms); 3. Get the handover from the on-call engineer about anything "
        "out of hours. 2 of 4 done."
    )
    assert run(posted, "checklist done | 2 4", "@alice") == (
        "Ticked 2. Check the board for requests not yet assigned; 4. Read the support channel "
        "(#support). All done, thank you!"
    )
    assert run(posted, "checklist", "@dave").splitlines()[0:2] == [
        "Support checklist for Monday 2026-11-30 (on support: alice, bob), claimed by alice at 2026-11-30 09:10:",
        "1. [x] Check the high- and low-priority alarm channels (#high-priority-alarms, "
        "#lower-priority-alarms) (bob at 2026-11-30 09:12)",
    ]
    with posted.db.session() as session:
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(a.actor, a.action, a.detail.split(".")[0]) for a in audit] == [
            ("alice", "checklist.claim", ""),
            ("bob", "checklist.done", "1"),
            ("bob", "checklist.done", "3"),
            ("alice", "checklist.done", "2"),
            ("alice", "checklist.done", "4"),
        ]


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (
            "checklist done",
            "Give the number of each item you have done, e.g. `done 2` or `done 1 3`.\n"
            "Usage: !checklist done N [N ...]",
        ),
        (
            "checklist done | two",
            "Give the number of each item you have done, e.g. `done 2` or `done 1 3`.\n"
            "Usage: !checklist done N [N ...]",
        ),
        (
            "checklist done | 1 9",
            "There is no item 9: today's checklist has items 1 to 4.\n"
            "Usage: !checklist done N [N ...]",
        ),
        ("checklist claim | now", "`checklist claim` takes no arguments.\nUsage: !checklist claim"),
        (
            "checklist | done",
            "`checklist` takes no arguments; did you mean `!checklist done N`?\nUsage: !checklist",
        ),
        ("handover add |   ", "Write the note after `handover add`.\nUsage: !handover add <text>"),
        (
            "handover | add",
            "`handover` takes no arguments; to add a note use `!handover add <text>`.\n"
            "Usage: !handover",
        ),
        (
            "handover add | " + "x" * 2001,
            "A note can be at most 2000 characters; this one has 2001.\n"
            "Usage: !handover add <text>",
        ),
    ],
)
def test_bad_input_gets_the_problem_and_the_usage_and_changes_nothing(
    posted: Runtime, command: str, reply: str
) -> None:
    before = run(posted, "checklist", "@alice"), run(posted, "handover", "@alice")
    assert run(posted, command, "@alice") == reply
    assert (run(posted, "checklist", "@alice"), run(posted, "handover", "@alice")) == before


def test_ticking_twice_or_claiming_twice_is_refused(posted: Runtime) -> None:
    run(posted, "checklist done | 2", "@bob")
    assert run(posted, "checklist done | 1 2", "@alice") == (
        "Item 2 was already ticked by bob at 2026-11-30 09:10; nothing changed."
    )
    assert "1. [ ]" in run(posted, "checklist", "@alice")  # all or nothing
    run(posted, "checklist claim", "@bob")
    assert run(posted, "checklist claim", "@alice") == (
        "bob already claimed the checklist for Monday 2026-11-30 at 2026-11-30 09:10."
    )
    assert run(posted, "checklist claim", "@bob") == (
        "You already claimed the checklist for Monday 2026-11-30 at 2026-11-30 09:10."
    )


def test_strangers_may_look_but_not_tick_or_add(posted: Runtime) -> None:
    assert run(posted, "checklist done | 1", "@mallory") == (
        "Sorry @mallory, `!checklist done` needs the permission 'supportday.checklist' "
        "(claim and tick the day's checklist)."
    )
    assert run(posted, "handover add | hi", "@mallory") == (
        "Sorry @mallory, `!handover add` needs the permission 'supportday.handover' "
        "(add handover notes for on-call)."
    )
    assert run(posted, "checklist", "@mallory").startswith(
        "Support checklist for Monday 2026-11-30"
    )


def test_permissions_are_configurable(start: Callable[..., Runtime], clock: FakeClock) -> None:
    runtime = start(PROCESS + '\n[acl]\n"supportday.checklist" = ["bob"]\n')
    advance(runtime, clock, utc(2026, 11, 30, 9, 0))
    assert run(runtime, "checklist claim", "@alice").startswith("Sorry alice,")
    assert run(runtime, "checklist claim", "@bob").startswith("You have claimed")


@pytest.mark.parametrize(
    ("now", "reply"),
    [
        (
            utc(2026, 11, 30, 8, 30),
            "Today's checklist (Monday 2026-11-30) is posted at 2026-11-30 09:00.",
        ),
        (
            utc(2026, 12, 5, 12, 0),
            "Today (Saturday 2026-12-05) is not a working day, so there is no "
            "checklist. The next one is posted at 2026-12-07 09:00.",
        ),
        (
            utc(2026, 8, 31, 12, 0),
            "Today (Monday 2026-08-31) is not a working day, so there is no "
            "checklist. The next one is posted at 2026-09-01 09:00.",
        ),
        (
            utc(2026, 11, 30, 12, 0),
            "There is no checklist for today (Monday 2026-11-30): it was not posted.",
        ),
    ],
)
def test_no_checklist_today_says_why(
    start: Callable[..., Runtime], clock: FakeClock, now: datetime, reply: str
) -> None:
    clock.set(now)
    runtime = start()
    assert run(runtime, "checklist", "@alice") == reply
    assert run(runtime, "checklist claim", "@alice") == reply


def test_commands_through_errbot(start: Callable[..., Runtime], clock: FakeClock) -> None:
    runtime = start()
    advance(runtime, clock, utc(2026, 11, 30, 9, 0))
    bot = ChatBot(runtime)
    try:
        assert runtime.chat.pending() == 0  # the 09:00 post went out when chat attached
        assert bot.ask("!checklist claim", as_user="@bob") == (
            "You have claimed the checklist for Monday 2026-11-30. Thank you!"
        )
        assert bot.ask("!checklist done 4", as_user="@bob") == (
            "Ticked 4. Read the support channel (#support). 1 of 4 done."
        )
        assert bot.ask('!handover add Don\'t restart "db-1" tonight', as_user="@alice") == (
            "Noted. 1 note waiting for the handover to on-call at 2026-11-30 18:00."
        )
        assert bot.ask("!handover", as_user="@dave") == (
            "1 note waiting for the handover to on-call at 2026-11-30 18:00:\n"
            '- alice at 2026-11-30 09:00: Don\'t restart "db-1" tonight'
        )
        bot.assert_quiet()
    finally:
        bot.stop()


def test_the_handover_is_audited_and_stored(
    start: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(utc(2026, 11, 30, 17, 59))
    runtime = start(plugins=(ON_DUTY, Contributions()))
    advance(runtime, clock, utc(2026, 11, 30, 18, 1))
    with runtime.db.session() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action, entry.subject, entry.detail) == (
            "dutybot",
            "handover",
            "2026-11-30",
            "to dave; 0 notes, 1 lines from plugins",
        )
