"""The rota's chat commands through Errbot, on the default process (a team of nine in three
cohorts: grace, heidi and ivan on support until Sunday 2026-12-06, then alice, bob and carol,
then dave, erin and frank). The clock starts on Monday 2026-11-30 at 08:00 (GMT); the leads
are alice, dave and grace.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.clock import FakeClock
from tests.conftest import ChatBot

OVERRIDE_REFUSED = (
    "needs the permission 'rota.override' (change anyone's support shifts, cover and leave)."
)

THIS_WEEK_AND_NEXT = [
    "Support rota, this week and next:",
    "Mon 2026-11-30: grace (lead), heidi, ivan",
    "Tue 2026-12-01: grace (lead), heidi, ivan",
    "Wed 2026-12-02: grace (lead), heidi, ivan",
    "Thu 2026-12-03: grace (lead), heidi, ivan",
    "Fri 2026-12-04: grace (lead), heidi, ivan",
    "Mon 2026-12-07: alice (lead), bob, carol",
    "Tue 2026-12-08: alice (lead), bob, carol",
    "Wed 2026-12-09: alice (lead), bob, carol",
    "Thu 2026-12-10: alice (lead), bob, carol",
    "Fri 2026-12-11: alice (lead), bob, carol",
]


def rota_lines(chat: ChatBot) -> list[str]:
    return chat.ask("!rota").splitlines()


# -- queries --------------------------------------------------------------------------------


def test_support_before_support_hours_says_when_it_opens(chat: ChatBot) -> None:
    assert chat.ask("!support", as_user="@bob") == (
        "Support is closed; it reopens today at 10:00.\n"
        "On support today (Monday 2026-11-30): grace (lead), heidi, ivan."
    )


def test_support_inside_support_hours_names_who_covers_the_channel(
    chat: ChatBot, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    assert chat.ask("!support") == (
        "Support is open until 17:00.\n"
        "On support today (Monday 2026-11-30): grace (lead), heidi, ivan.\n"
        "Covering the support channel now: grace (until 17:00)."
    )
    assert chat.ask("!cover 12:00-13:00 @heidi", as_user="@heidi").startswith("heidi covers")
    clock.set(datetime(2026, 11, 30, 12, 15, tzinfo=UTC))
    assert (
        chat.ask("!support").splitlines()[2]
        == "Covering the support channel now: heidi (until 13:00)."
    )


def test_support_after_hours_on_friday_names_who_is_on_when_it_reopens(
    chat: ChatBot, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 12, 4, 17, 30, tzinfo=UTC))
    assert chat.ask("!support") == (
        "Support is closed; it reopens on Monday 2026-12-07 at 10:00.\n"
        "On support today (Friday 2026-12-04): grace (lead), heidi, ivan.\n"
        "On support when it reopens (Monday 2026-12-07): alice (lead), bob, carol."
    )
    clock.set(datetime(2026, 12, 5, 12, 0, tzinfo=UTC))
    assert chat.ask("!support") == (
        "Support is closed; it reopens on Monday 2026-12-07 at 10:00.\n"
        "Nobody is on support today (Saturday 2026-12-05 is not a working day).\n"
        "On support when it reopens (Monday 2026-12-07): alice (lead), bob, carol."
    )


def test_support_on_a_bank_holiday(chat: ChatBot, clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 25, 11, 0, tzinfo=UTC))
    assert chat.ask("!support") == (
        "Support is closed; it reopens on Tuesday 2026-12-29 at 10:00.\n"
        "Nobody is on support today (Friday 2026-12-25 is a holiday: Christmas Day).\n"
        "On support when it reopens (Tuesday 2026-12-29): dave (lead), erin, frank."
    )


def test_rota_shows_this_week_and_next(chat: ChatBot, clock: FakeClock) -> None:
    assert rota_lines(chat) == THIS_WEEK_AND_NEXT
    clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=UTC))
    assert rota_lines(chat)[5:7] == [
        "Fri 2026-12-25: no support (Christmas Day)",
        "Mon 2026-12-28: no support (Boxing Day (observed))",
    ]


def test_rota_of_a_person_lists_their_next_shifts(chat: ChatBot) -> None:
    assert chat.ask("!rota @alice", as_user="@bob") == (
        "alice's support shifts in the next 12 weeks:\n- 2026-12-07 to 2026-12-18 (lead)\n- 2027-01-18 to 2027-01-29 (lead)"
    )
    assert chat.ask("!rota @bob", as_user="@bob") == (
        "bob's support shifts in the next 12 weeks:\n- 2026-12-07 to 2026-12-18\n- 2027-01-18 to 2027-01-29"
    )
    assert chat.ask("!rota @zed") == (
        "I don't know anyone called '@zed'. People in this team: "
        "alice, bob, carol, dave, erin, frank, grace, heidi, ivan.\n"
        "Usage: !rota [@person]"
    )
    assert chat.ask("!rota @bob @carol") == "Name at most one person.\nUsage: !rota [@person]"


def test_fairness_counts_days_served_since_the_start(chat: ChatBot) -> None:
    # 2026-01-05 to 2026-11-29: cohort 1 served 8 turns less Good Friday and Easter Monday,
    # cohort 2 8 turns less the Spring bank holiday, cohort 3 7 turns and a week less the
    # Early May and Summer bank holidays.
    assert chat.ask("!rota fairness") == (
        "Support days served from 2026-01-05 to 2026-11-29 (who has served least fills the next gap):\n"
        "- grace: 73\n- heidi: 73\n- ivan: 73\n"
        "- alice: 78\n- bob: 78\n- carol: 78\n"
        "- dave: 79\n- erin: 79\n- frank: 79"
    )


def rotas_line(chat: ChatBot) -> str:
    """The support-rota line of ``!whoami`` (other rotas add lines of their own)."""
    return next(
        line for line in chat.ask("!whoami").splitlines() if line.startswith("- support rota")
    )


def test_whoami_stays_accurate_after_a_change(chat: ChatBot) -> None:
    planned = (
        "- support rota: cohort 1 of 3 (alice, bob, carol), 2 weeks in every 6; "
        "next on support 2026-12-07 to 2026-12-20"
    )
    assert rotas_line(chat) == planned
    chat.ask("!rota swap @alice @heidi 2026-12-07")
    assert rotas_line(chat) == (
        planned
        + "; after leave and changes, next shifts: 2026-12-08 to 2026-12-18, 2027-01-18 to 2027-01-29"
    )


# -- swaps ----------------------------------------------------------------------------------


def test_swap_and_undo(chat: ChatBot) -> None:
    assert chat.ask("!rota swap @alice @heidi 2026-12-03..2026-12-07") == (
        "Swap #1 recorded: heidi serves instead of alice on 2026-12-07, and alice serves instead of "
        "heidi on 2026-12-03 to 2026-12-04. Undo with !rota undo 1."
    )
    lines = rota_lines(chat)
    assert lines[4:7] == [
        "Thu 2026-12-03: grace (lead), alice (swap #1 with heidi), ivan",
        "Fri 2026-12-04: grace (lead), alice (swap #1 with heidi), ivan",
        "Mon 2026-12-07: heidi (lead; swap #1 with alice), bob, carol",
    ]
    assert chat.ask("!rota changes") == (
        "Rota changes from today on:\n- swap #1: alice and heidi, 2026-12-03 to 2026-12-07 (by alice at 2026-11-30 08:00)"
    )
    assert chat.ask("!rota undo 1") == "Undid swap #1: alice and heidi, 2026-12-03 to 2026-12-07."
    assert rota_lines(chat) == THIS_WEEK_AND_NEXT
    assert chat.ask("!rota undo 1") == "Change #1 was already undone by alice at 2026-11-30 08:00."
    assert chat.ask("!rota changes") == "No rota changes from today on."
    assert chat.ask("!dutybot audit 2") == (
        "Audit log, newest first:\n"
        "- 2026-11-30 08:00 alice: rota.undo #1 swap #1: alice and heidi, 2026-12-03 to 2026-12-07\n"
        "- 2026-11-30 08:00 alice: rota.swap #1 swap #1: alice and heidi, 2026-12-03 to 2026-12-07"
    )


def test_swap_bad_input(chat: ChatBot) -> None:
    usage = "\nUsage: !rota swap @person @person DATE[..DATE]"
    replies = {
        "!rota swap @alice": "Name two people and the days they swap." + usage,
        "!rota swap @alice @alice 2026-12-07": "Name two different people." + usage,
        "!rota swap @alice @zed 2026-12-07": (
            "I don't know anyone called '@zed'. People in this team: "
            "alice, bob, carol, dave, erin, frank, grace, heidi, ivan." + usage
        ),
        "!rota swap @alice @bob 2026-13-01": (
            "'2026-13-01' is not a date: write YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD." + usage
        ),
        "!rota swap @alice @bob 2026-12-09..2026-12-08": "The range 2026-12-09..2026-12-08 ends before it starts."
        + usage,
        "!rota swap @alice @bob 2026-11-27": "2026-11-27 is in the past; changes start today (2026-11-30) or later."
        + usage,
        "!rota swap @alice @bob 2026-12-01..2027-12-02": "The range 2026-12-01..2027-12-02 is longer than 366 days."
        + usage,
        "!rota swap @alice @dave 2026-11-30..2026-12-04": (
            "Neither alice nor dave is on support between 2026-11-30 and 2026-12-04, so there is nothing to swap."
        ),
        "!rota swap @alice @bob 2026-12-07": (
            "alice and bob are on support on the same days on 2026-12-07, so swapping changes nothing."
        ),
    }
    for command, reply in replies.items():
        assert chat.ask(command) == reply, command


def test_swap_onto_someone_on_leave_is_refused(chat: ChatBot) -> None:
    chat.ask("!leave add 2026-12-03", as_user="@bob")
    assert (
        chat.ask("!rota swap @heidi @bob 2026-12-03", as_user="@heidi")
        == "bob is on leave on 2026-12-03."
    )


def test_swapping_other_peoples_shifts_needs_rota_override(chat: ChatBot) -> None:
    assert chat.ask("!rota swap @bob @heidi 2026-12-03", as_user="@carol") == (
        "Sorry carol, swapping other people's shifts " + OVERRIDE_REFUSED
    )
    assert chat.ask("!rota swap @bob @heidi 2026-12-03", as_user="@mallory") == (
        "Sorry @mallory, !rota swap needs the permission 'rota.change' "
        "(change your own support shifts, cover and leave)."
    )
    assert chat.ask("!rota swap @bob @heidi 2026-12-03", as_user="@grace").startswith(
        "Swap #1 recorded"
    )
    assert chat.ask("!rota undo 1", as_user="@heidi") == (
        "Sorry heidi, undoing someone else's change " + OVERRIDE_REFUSED
    )


# -- cover requests -------------------------------------------------------------------------


def test_cover_request_accept_and_undo(chat: ChatBot) -> None:
    assert chat.ask("!rota cover 2026-12-08..2026-12-09", as_user="@bob") == (
        "Cover request #1: bob needs someone to take their support shifts on 2026-12-08 to 2026-12-09. "
        "Anyone can take it with !rota accept 1."
    )
    assert rota_lines(chat)[7] == "Tue 2026-12-08: alice (lead), bob, carol"  # not until accepted
    assert chat.ask("!rota accept 1", as_user="@bob") == (
        "You cannot accept your own cover request; withdraw it with !rota undo 1."
    )
    assert (
        chat.ask("!rota accept 1", as_user="@carol")
        == "You are on support yourself on 2026-12-08 to 2026-12-09."
    )
    assert chat.ask("!rota accept 1", as_user="@erin") == (
        "erin covers bob on 2026-12-08 to 2026-12-09 (cover #1). Undo with !rota undo 1."
    )
    assert rota_lines(chat)[7:9] == [
        "Tue 2026-12-08: alice (lead), erin (cover #1 for bob), carol",
        "Wed 2026-12-09: alice (lead), erin (cover #1 for bob), carol",
    ]
    assert (
        chat.ask("!rota accept 1", as_user="@frank")
        == "Cover request #1 was already accepted by erin."
    )
    assert (
        chat.ask("!rota undo 1", as_user="@erin")
        == "Sorry erin, undoing someone else's change " + OVERRIDE_REFUSED
    )
    assert (
        chat.ask("!rota undo 1", as_user="@bob")
        == "Undid cover #1: erin covers bob, 2026-12-08 to 2026-12-09."
    )
    assert rota_lines(chat) == THIS_WEEK_AND_NEXT


def test_cover_request_bad_input(chat: ChatBot) -> None:
    assert chat.ask("!rota cover", as_user="@bob") == (
        "Give the day or days you need cover for.\nUsage: !rota cover DATE[..DATE]"
    )
    assert chat.ask("!rota cover 2026-12-21..2026-12-22", as_user="@bob") == (
        "You are not on support between 2026-12-21 and 2026-12-22, so there is nothing to cover."
    )
    assert chat.ask("!rota cover 2026-12-08", as_user="@mallory") == (
        "Sorry @mallory, !rota cover needs the permission 'rota.change' "
        "(change your own support shifts, cover and leave)."
    )
    assert chat.ask("!rota cover 2026-12-08", as_user="@bob").startswith("Cover request #1:")
    chat.ask("!leave add 2026-12-08", as_user="@frank")
    assert chat.ask("!rota accept 1", as_user="@frank") == "You are on leave on 2026-12-08."
    assert chat.ask("!rota accept 99", as_user="@frank") == "There is no cover request #99."
    assert chat.ask("!rota accept one", as_user="@frank") == (
        "Give the number of the cover request to accept.\nUsage: !rota accept ID"
    )
    assert (
        chat.ask("!rota undo 1", as_user="@bob")
        == "Undid cover request #1: bob needs cover, 2026-12-08."
    )
    assert chat.ask("!rota accept 1", as_user="@erin") == "Cover request #1 was withdrawn."


# -- overrides ------------------------------------------------------------------------------


def test_override_and_undo(chat: ChatBot) -> None:
    assert chat.ask("!rota override @dave 2026-12-08 @bob") == (
        "Override #1: dave is on support instead of bob on 2026-12-08. Undo with !rota undo 1."
    )
    assert chat.ask("!rota override @erin 2026-12-08..2026-12-09", as_user="@grace") == (
        "Override #2: erin is on support on 2026-12-08 to 2026-12-09, with the planned engineers. "
        "Undo with !rota undo 2."
    )
    assert rota_lines(chat)[7:9] == [
        "Tue 2026-12-08: alice (lead), dave (override #1 for bob), carol, erin (override #2)",
        "Wed 2026-12-09: alice (lead), bob, carol, erin (override #2)",
    ]
    assert (
        chat.ask("!rota undo 2", as_user="@dave")
        == "Undid override #2: erin on support, 2026-12-08 to 2026-12-09."
    )
    assert (
        chat.ask("!rota undo 1", as_user="@bob")
        == "Sorry bob, undoing someone else's change " + OVERRIDE_REFUSED
    )
    assert chat.ask("!rota undo 1") == "Undid override #1: dave instead of bob, 2026-12-08."
    assert rota_lines(chat) == THIS_WEEK_AND_NEXT


def test_override_bad_input_and_acl(chat: ChatBot, clock: FakeClock) -> None:
    usage = "\nUsage: !rota override @person DATE[..DATE] [@replaced]"
    chat.ask("!leave add 2026-12-08", as_user="@dave")
    replies = {
        "!rota override @dave": "Name who goes on support, the days, and optionally whom they replace."
        + usage,
        "!rota override @dave 2026-12-08 @dave": "Name two different people." + usage,
        "!rota override @dave 12/08": "'12/08' is not a date: write YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD."
        + usage,
        "!rota override @erin 2026-12-12..2026-12-13": "There are no working days between 2026-12-12 and 2026-12-13.",
        "!rota override @erin 2026-12-08 @heidi": "heidi is not on support on 2026-12-08, so there is nobody to replace.",
        "!rota override @alice 2026-12-08": "alice is already on support on 2026-12-08.",
        "!rota override @alice 2026-12-07..2026-12-11": (
            "alice is already on support every working day between 2026-12-07 and 2026-12-11."
        ),
        "!rota override @dave 2026-12-08 @bob": "dave is on leave on 2026-12-08.",
        "!rota undo 99": "There is no rota change #99.",
        "!rota undo": "Give the number of the change to undo.\nUsage: !rota undo ID",
    }
    for command, reply in replies.items():
        assert chat.ask(command) == reply, command
    assert chat.ask("!rota override @erin 2026-12-08", as_user="@bob") == (
        "Sorry bob, !rota override " + OVERRIDE_REFUSED
    )
    assert chat.ask("!rota override @erin 2026-12-08").startswith("Override #1:")
    clock.set(datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    assert (
        chat.ask("!rota undo 1")
        == "Change #1 is over (its last day was 2026-12-08); the past stays as it was."
    )


# -- leave ----------------------------------------------------------------------------------


def test_leave_add_list_and_remove(chat: ChatBot) -> None:
    assert chat.ask("!leave add 2026-12-08..2026-12-09", as_user="@bob") == (
        "Leave #1 recorded: bob is away 2026-12-08 to 2026-12-09. That takes bob off support on "
        "2026-12-08 to 2026-12-09; see !rota for who fills in."
    )
    # grace, heidi and ivan have served fewest days (78, to everyone else's 79 by then):
    # grace fills the first day, then heidi (grace has one more by the second).
    assert rota_lines(chat)[7:9] == [
        "Tue 2026-12-08: alice (lead), grace (for bob, on leave), carol",
        "Wed 2026-12-09: alice (lead), heidi (for bob, on leave), carol",
    ]
    assert (
        chat.ask("!leave add 2026-12-24 @heidi") == "Leave #2 recorded: heidi is away 2026-12-24."
    )
    assert chat.ask("!leave list") == (
        "Leave from today on:\n"
        "- #1 bob: 2026-12-08 to 2026-12-09 (recorded by bob at 2026-11-30 08:00)\n"
        "- #2 heidi: 2026-12-24 (recorded by alice at 2026-11-30 08:00)"
    )
    assert chat.ask("!leave list @heidi") == (
        "Leave for heidi from today on:\n- #2 heidi: 2026-12-24 (recorded by alice at 2026-11-30 08:00)"
    )
    assert chat.ask("!leave list @dave") == "No leave for dave from today on."
    assert (
        chat.ask("!leave remove 1", as_user="@carol")
        == "Sorry carol, removing someone else's leave " + OVERRIDE_REFUSED
    )
    assert (
        chat.ask("!leave remove 1", as_user="@bob")
        == "Removed leave #1: bob, 2026-12-08 to 2026-12-09."
    )
    assert rota_lines(chat) == THIS_WEEK_AND_NEXT
    assert (
        chat.ask("!leave remove 1", as_user="@bob")
        == "Leave #1 was already removed by bob at 2026-11-30 08:00."
    )
    assert chat.ask("!leave remove 9") == "There is no leave #9."
    assert chat.ask("!leave list @heidi") == (
        "Leave for heidi from today on:\n- #2 heidi: 2026-12-24 (recorded by alice at 2026-11-30 08:00)"
    )


def test_leave_bad_input_and_acl(chat: ChatBot) -> None:
    chat.ask("!leave add 2026-12-08..2026-12-09", as_user="@bob")
    assert chat.ask("!leave add", as_user="@bob") == (
        "Give the days of leave, and whose leave it is if not yours.\nUsage: !leave add DATE[..DATE] [@person]"
    )
    assert chat.ask("!leave add 2026-12-09..2026-12-11", as_user="@bob") == (
        "That overlaps bob's leave #1 (2026-12-08 to 2026-12-09)."
    )
    assert chat.ask("!leave add 2026-12-10 @carol", as_user="@bob") == (
        "Sorry bob, recording someone else's leave " + OVERRIDE_REFUSED
    )
    assert chat.ask("!leave add 2026-12-10", as_user="@mallory") == (
        "Sorry @mallory, !leave add needs the permission 'rota.change' "
        "(change your own support shifts, cover and leave)."
    )
    assert (
        chat.ask("!leave remove x")
        == "Give the number of the leave to remove.\nUsage: !leave remove ID"
    )
    assert (
        chat.ask("!leave list @bob @carol")
        == "Name at most one person.\nUsage: !leave list [@person]"
    )


# -- support-channel cover ------------------------------------------------------------------


def test_cover_slots_split_the_day(chat: ChatBot) -> None:
    assert (
        chat.ask("!cover", as_user="@ivan")
        == "Support-channel cover on Monday 2026-11-30:\n- 10:00-17:00 grace"
    )
    assert chat.ask("!cover 12:00-13:00 @heidi", as_user="@heidi") == (
        "heidi covers the support channel 12:00-13:00 on Monday 2026-11-30.\n"
        "Support-channel cover on Monday 2026-11-30:\n"
        "- 10:00-12:00 grace\n- 12:00-13:00 heidi\n- 13:00-17:00 grace"
    )
    assert chat.ask("!cover 12:30-14:00 @ivan", as_user="@heidi").splitlines()[1:] == [
        "Support-channel cover on Monday 2026-11-30:",
        "- 10:00-12:00 grace",
        "- 12:00-12:30 heidi",
        "- 12:30-14:00 ivan",
        "- 14:00-17:00 grace",
    ]
    assert (
        chat.ask("!cover 2026-12-07 10:00-17:00 @bob", as_user="@alice").splitlines()[2]
        == "- 10:00-17:00 bob"
    )


def test_cover_gap_when_the_slot_holder_goes_on_leave(chat: ChatBot, clock: FakeClock) -> None:
    chat.ask("!cover 12:00-13:00 @heidi", as_user="@heidi")
    assert chat.ask("!leave add today @heidi", as_user="@grace").startswith("Leave #1 recorded")
    assert chat.ask("!cover", as_user="@grace") == (
        "Support-channel cover on Monday 2026-11-30:\n"
        "- 10:00-12:00 grace\n- 12:00-13:00 nobody (heidi is not on support)\n- 13:00-17:00 grace"
    )
    clock.set(datetime(2026, 11, 30, 12, 30, tzinfo=UTC))
    assert chat.ask("!support").splitlines()[1:] == [
        "On support today (Monday 2026-11-30): grace (lead), alice (for heidi, on leave), ivan.",
        "Covering the support channel now: nobody (heidi is not on support); arrange it with !cover.",
    ]


def test_cover_bad_input_and_acl(chat: ChatBot) -> None:
    usage = "\nUsage: !cover [DATE] [HH:MM-HH:MM @person]"
    replies = {
        "!cover 12-13 @heidi": "'12-13' is not a time range: write HH:MM-HH:MM, e.g. 12:00-13:00."
        + usage,
        "!cover 13:00-12:00 @heidi": "The time range 13:00-12:00 ends before it starts." + usage,
        "!cover 12:00-13:00": "Give a time range and who covers the support channel then." + usage,
        "!cover 2026-12-01..2026-12-02": "Give one day, not a range." + usage,
        "!cover 2026-11-27": "2026-11-27 is in the past; changes start today (2026-11-30) or later."
        + usage,
        "!cover 12:00-19:00 @heidi": "12:00-19:00 is not inside the support hours of Monday 2026-11-30 (10:00-17:00).",
        "!cover 2026-12-05 12:00-13:00 @heidi": "There are no support hours on Saturday 2026-12-05.",
        "!cover 12:00-13:00 @bob": "bob is not on support on Monday 2026-11-30 (on support: grace, heidi, ivan).",
    }
    for command, reply in replies.items():
        assert chat.ask(command, as_user="@grace") == reply, command
    assert chat.ask("!cover 12:00-13:00 @heidi", as_user="@bob") == (
        "Sorry bob, arranging cover on a day you are not on support " + OVERRIDE_REFUSED
    )
    assert (
        chat.ask("!cover 2026-12-05", as_user="@bob")
        == "There are no support hours on Saturday 2026-12-05."
    )
