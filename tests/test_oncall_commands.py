"""Every ``!oncall`` command: the happy path, bad input (the problem and the usage line, nothing
changed) and refusal without the permission. The rota is the demo team's: alice primary and bob
secondary until 2026-12-02 09:30, then carol and dave, erin and frank, grace and heidi."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from core.models import AuditEntry
from core.runtime import Runtime
from tests.conftest import ChatBot
from tests.test_oncall_fixtures import PEOPLE, Desk, process, start

NINE = f"""
    members = {list(PEOPLE)!r}
    new_to_oncall = ["ivan"]
"""


@pytest.fixture
def desk(make_runtime: Callable[..., Runtime]) -> Iterator[Desk]:
    desk = start(make_runtime, NINE)
    yield desk
    desk.assert_quiet()


def holder(desk: Desk, role: str, *at: int) -> list[str] | None:
    instant = datetime(*at, tzinfo=UTC)
    return desk.runtime.hook.dutybot_role_holders(
        runtime=desk.runtime, role=f"oncall.{role}", at=instant
    )


# --- reading ------------------------------------------------------------------------------------


def test_oncall_now_a_person_and_bad_names(desk: Desk, clock: FakeClock) -> None:
    assert desk.ask("!oncall", as_user="@erin") == (
        "On call now (2026-11-30 08:00), in on-call hours until 2026-11-30 10:00:\n"
        "- primary: Alice Archer (alice) until 2026-12-02 09:30\n"
        "- secondary: Bob Baker (bob) until 2026-12-02 09:30"
    )
    assert desk.ask("!oncall @ivan", as_user="@erin") == (
        "On-call rota for Ivan Ivanov (ivan):\n"
        "- primary 2026-12-23 09:30 to 2026-12-30 09:30\n"
        "- secondary 2027-01-20 09:30 to 2027-01-27 09:30\n"
        "- new to on-call: always paired with an experienced secondary\n"
        "- ledger: 0 h on call so far, 154 h including what is planned"
    )
    assert desk.ask("!oncall @nobody") == (
        "I don't know anyone called '@nobody'. People in this team: "
        "alice, bob, carol, dave, erin, frank, grace, heidi, ivan.\n"
        "Usage: !oncall [@person]"
    )
    assert desk.ask("!oncall @bob @carol") == "Name at most one person.\nUsage: !oncall [@person]"
    clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert desk.ask("!oncall").splitlines()[0] == (
        "On call now (2026-11-30 12:00), outside on-call hours (they resume 2026-11-30 17:00):"
    )


def test_next_and_the_ledger(desk: Desk) -> None:
    assert desk.ask("!oncall next") == (
        "Next on-call shift:\n- 2026-12-02 09:30 to 2026-12-09 09:30: primary carol, secondary dave"
    )
    for bad in ("0", "9", "two", "1 2"):
        assert desk.ask(f"!oncall next {bad}") == (
            "Give how many shifts to show, a number from 1 to 8.\nUsage: !oncall next [COUNT]"
        )
    assert desk.ask("!oncall ledger", as_user="@ivan") == (
        "On-call ledger (credited hours; planned up to 2027-01-27 09:30):\n"
        "- alice: 52.5 h so far, 154 h in all (primary 70, secondary 84)\n"
        "- bob: 52.5 h so far, 147 h in all (primary 77, secondary 70)\n"
        "- carol: 0 h so far, 147 h in all (primary 70, secondary 77)\n"
        "- dave: 0 h so far, 140 h in all (primary 70, secondary 70)\n"
        "- erin: 0 h so far, 140 h in all (primary 70, secondary 70)\n"
        "- frank: 0 h so far, 140 h in all (primary 70, secondary 70)\n"
        "- grace: 0 h so far, 140 h in all (primary 70, secondary 70)\n"
        "- heidi: 0 h so far, 140 h in all (primary 70, secondary 70)\n"
        "- ivan: 0 h so far, 154 h in all (primary 84, secondary 70)"
    )
    assert (
        desk.ask("!oncall ledger now")
        == "`oncall ledger` takes no arguments.\nUsage: !oncall ledger"
    )


# --- override and undo --------------------------------------------------------------------------


def test_override_then_undo(desk: Desk) -> None:
    assert desk.ask("!oncall override @erin 2026-12-05..2026-12-06") == (
        "Entry 1: erin is primary from 2026-12-05 00:00 to 2026-12-07 00:00. Undo with !oncall undo 1."
    )
    assert holder(desk, "primary", 2026, 12, 5, 12) == ["erin"]
    assert desk.ask("!oncall next") == (
        "Next on-call shift:\n- 2026-12-02 09:30 to 2026-12-09 09:30: "
        "primary carol; erin from 2026-12-05 00:00; carol from 2026-12-07 00:00, secondary dave"
    )
    assert desk.ask("!oncall changes", as_user="@bob") == (
        "On-call changes from now on:\n- 1: erin is primary, 2026-12-05 00:00 to 2026-12-07 00:00"
    )
    assert desk.ask("!oncall undo 1", as_user="@bob") == "Entry 1 is not yours to undo; ask a lead."
    assert desk.ask("!oncall undo 1", as_user="@erin") == "Entry 1 (erin is primary) is undone."
    assert desk.ask("!oncall undo 1") == "Entry 1 was already undone by erin."
    assert holder(desk, "primary", 2026, 12, 5, 12) == ["carol"]
    assert desk.ask("!oncall changes") == "No on-call changes or cover requests from now on."


def test_an_override_in_progress_ends_now_when_undone(desk: Desk, clock: FakeClock) -> None:
    assert desk.ask(
        "!oncall override @dave 2026-11-30T17:00..2026-12-01T09:00 secondary", as_user="@dave"
    ) == (
        "Entry 1: dave is secondary from 2026-11-30 17:00 to 2026-12-01 09:00. Undo with !oncall undo 1."
    )
    clock.set(datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    assert desk.ask("!oncall undo 1") == (
        "Entry 1 (dave is secondary) ends now; the rota as it was before applies from now on."
    )
    assert holder(desk, "secondary", 2026, 11, 30, 19, 59) == ["dave"]
    assert holder(desk, "secondary", 2026, 11, 30, 20, 0) == ["bob"]
    assert desk.ask("!oncall undo 1") == "Entry 1 is over; the past is not changed."


def test_override_bad_input_and_permission_change_nothing(desk: Desk) -> None:
    usage = "Usage: !oncall override @person FROM..TO [primary|secondary]"
    help_text = (
        "Give the period as FROM..TO with dates (2026-12-05..2026-12-06, whole days) "
        "or local times (2026-12-05T17:00..2026-12-06T09:30)."
    )
    assert (
        desk.ask("!oncall override @erin tomorrow")
        == f"Could not read 'tomorrow'. {help_text}\n{usage}"
    )
    assert desk.ask("!oncall override @erin 2026-12-05..2026-13-01") == (
        f"Could not read '2026-13-01': month must be in 1..12. {help_text}\n{usage}"
    )
    assert desk.ask("!oncall override @erin 2026-12-06..2026-12-05") == (
        f"The period 2026-12-06..2026-12-05 ends before it starts.\n{usage}"
    )
    assert desk.ask("!oncall override @erin 2026-12-05 tertiary") == (
        f"Name the person, the period and optionally the role (primary or secondary).\n{usage}"
    )
    assert desk.ask("!oncall override @zed 2026-12-05").startswith(
        "I don't know anyone called '@zed'."
    )
    assert desk.ask("!oncall override @erin 2026-11-01..2026-11-02") == (
        "That period ended at 2026-11-03 00:00; the past is not changed."
    )
    assert desk.ask("!oncall override @erin 2026-12-05..2028-01-01") == (
        "That period is longer than a year; change the rota a year at a time."
    )
    assert desk.ask("!oncall override @alice 2026-12-01") == (
        "alice is already primary from 2026-12-01 00:00 to 2026-12-02 00:00."
    )
    assert desk.ask("!oncall override @erin 2026-12-05", as_user="@bob") == (
        "Sorry bob, `!oncall override` needs the permission 'oncall.change' "
        "(change the on-call rota: overrides, swaps, and other people's entries)."
    )
    assert desk.ask("!oncall changes") == "No on-call changes or cover requests from now on."


# --- swap ---------------------------------------------------------------------------------------


def test_swap_and_its_refusals(desk: Desk) -> None:
    assert desk.ask("!oncall swap @alice @carol 2026-12-01..2026-12-03", as_user="@dave") == (
        "Entry 1: alice and carol swapped their on-call duties from 2026-12-01 00:00 to 2026-12-04 00:00. "
        "Undo with !oncall undo 1."
    )
    assert holder(desk, "primary", 2026, 12, 1, 12) == ["carol"]
    assert holder(desk, "primary", 2026, 12, 3, 12) == ["alice"]
    assert holder(desk, "primary", 2026, 12, 4, 12) == ["carol"]
    assert desk.ask("!oncall @alice").splitlines()[1:4] == [
        "- primary 2026-11-25 09:30 to 2026-12-01 00:00 (now)",
        "- primary 2026-12-02 09:30 to 2026-12-04 00:00",
        "- secondary 2026-12-23 09:30 to 2026-12-30 09:30",
    ]
    usage = "Usage: !oncall swap @a @b FROM..TO"
    assert (
        desk.ask("!oncall swap @alice @alice 2026-12-01") == f"Name two different people.\n{usage}"
    )
    assert desk.ask("!oncall swap @alice 2026-12-01") == f"Name two people and the period.\n{usage}"
    assert desk.ask("!oncall swap @erin @frank 2026-12-01..2026-12-02") == (
        "Neither erin nor frank is on call from 2026-12-01 00:00 to 2026-12-03 00:00, so there is nothing to swap."
    )
    assert desk.ask("!oncall swap @alice @carol 2026-12-01", as_user="@carol") == (
        "Sorry carol, `!oncall swap` needs the permission 'oncall.change' "
        "(change the on-call rota: overrides, swaps, and other people's entries)."
    )


# --- cover --------------------------------------------------------------------------------------


def test_cover_request_accepted_by_a_colleague(desk: Desk) -> None:
    assert desk.ask("!oncall cover 2026-11-30T17:00..2026-12-01T09:00", as_user="@bob") == (
        "Cover request 1 is posted in #team; you stay on call until someone accepts it."
    )
    assert desk.pop() == (
        "#team",
        "bob asks for on-call cover (secondary 2026-11-30 17:00 to 2026-12-01 09:00). "
        "Accept with !oncall accept 1.",
    )
    assert desk.ask("!oncall changes") == (
        "On-call changes from now on:\n- 1: bob asks for cover (open), 2026-11-30 17:00 to 2026-12-01 09:00"
    )
    assert desk.ask("!oncall accept 1", as_user="@alice") == (
        "You are primary from 2026-11-30 17:00 to 2026-12-01 09:00, so you cannot also be secondary then."
    )
    assert desk.ask("!oncall accept 1", as_user="@bob") == (
        "You cannot cover your own request; someone else has to accept it."
    )
    assert desk.ask("!oncall accept 1", as_user="@erin") == (
        "Thanks erin: you cover bob from 2026-11-30 17:00 to 2026-12-01 09:00. Undo with !oncall undo 1."
    )
    assert desk.pop() == (
        "@bob",
        "erin accepted your cover request 1 and is on call for you from 2026-11-30 17:00 to 2026-12-01 09:00.",
    )
    assert (
        desk.ask("!oncall accept 1", as_user="@frank")
        == "Cover request 1 was already accepted by erin."
    )
    assert holder(desk, "secondary", 2026, 11, 30, 20) == ["erin"]
    assert holder(desk, "secondary", 2026, 12, 1, 9) == ["bob"]


def test_cover_bad_input_permission_and_withdrawal(desk: Desk) -> None:
    assert desk.ask("!oncall cover", as_user="@bob") == (
        "Give the period you need cover for.\nUsage: !oncall cover FROM..TO"
    )
    assert desk.ask("!oncall cover 2026-12-10", as_user="@bob") == (
        "You are not on call from 2026-12-10 00:00 to 2026-12-11 00:00, so there is nothing to cover."
    )
    assert desk.ask("!oncall accept one", as_user="@erin") == (
        "'one' is not an entry number.\nUsage: !oncall accept ID"
    )
    assert desk.ask("!oncall accept 7", as_user="@erin") == "There is no on-call entry 7."
    assert desk.ask("!oncall cover 2026-12-01", as_user="@mallory") == (
        "Sorry @mallory, `!oncall cover` needs the permission 'oncall.cover' "
        "(ask for and accept on-call cover, record your own unavailability and work)."
    )
    desk.ask("!oncall cover 2026-12-01", as_user="@bob")
    desk.pop()
    assert desk.ask("!oncall undo 1", as_user="@bob") == "Entry 1 (bob asks for cover) is undone."
    assert desk.ask("!oncall accept 1", as_user="@erin") == "Cover request 1 was already withdrawn."


# --- unavailability and work --------------------------------------------------------------------


def test_unavailable_for_oneself_and_for_others(desk: Desk) -> None:
    assert desk.ask("!oncall unavailable 2026-12-20..2026-12-22", as_user="@grace") == (
        "Entry 1: grace is unavailable for on-call on 2026-12-20 to 2026-12-22. Undo with !oncall undo 1.\n"
        "Rota problems in that period:\n"
        "- 2026-12-20 00:00 to 2026-12-23 00:00: grace is primary but unavailable for on-call "
        "on 2026-12-20 to 2026-12-22"
    )
    assert desk.ask("!oncall unavailable 2027-02-01 @heidi", as_user="@dave") == (
        "Entry 2: heidi is unavailable for on-call on 2027-02-01. Undo with !oncall undo 2."
    )
    assert desk.ask("!oncall unavailable 2027-02-01 @heidi", as_user="@bob") == (
        "Sorry bob, recording someone else's unavailability needs the permission 'oncall.change' "
        "(change the on-call rota: overrides, swaps, and other people's entries)."
    )
    usage = "Usage: !oncall unavailable FROM..TO [@person]"
    assert desk.ask("!oncall unavailable 2026-12-20T10:00..2026-12-21", as_user="@grace") == (
        "Could not read '2026-12-20T10:00'. "
        f"Give the days as FROM..TO dates, like 2026-12-20..2026-12-22, or one date.\n{usage}"
    )
    assert desk.ask("!oncall unavailable", as_user="@grace") == (
        f"Give the days, and a person if it is not you.\n{usage}"
    )
    assert desk.ask("!oncall unavailable 2026-11-01", as_user="@grace") == (
        "Those days are over (they ended 2026-11-02 00:00)."
    )
    assert desk.ask("!oncall undo 1", as_user="@grace") == (
        "Entry 1 (grace is unavailable for on-call) is undone."
    )


def test_worked_starts_a_rest_period(desk: Desk, clock: FakeClock) -> None:
    assert desk.ask(
        "!oncall worked 2026-11-30 05:00-07:30 restarted the ingress", as_user="@carol"
    ) == (
        "Entry 1: carol worked 2026-11-30 05:00 to 2026-11-30 07:30 (2.5 h out of hours): restarted "
        "the ingress. Rest until 2026-11-30 18:30; you will not be picked as secondary or cover before then."
    )
    assert desk.ask("!oncall").splitlines()[-1] == (
        "- carol is resting after out-of-hours work until 2026-11-30 18:30"
    )
    assert desk.ask("!oncall override @carol 2026-11-30T17:00..2026-11-30T22:00 secondary") == (
        "carol is resting after out-of-hours work until 2026-11-30 18:30, so cannot be secondary then."
    )
    desk.ask("!oncall cover 2026-11-30T17:00..2026-11-30T22:00", as_user="@bob")
    desk.pop()
    assert desk.ask("!oncall accept 2", as_user="@carol") == (
        "carol is resting after out-of-hours work until 2026-11-30 18:30, so cannot take cover then."
    )
    clock.set(datetime(2026, 11, 30, 18, 31, tzinfo=UTC))
    assert desk.ask("!oncall accept 2", as_user="@carol") == (
        "Thanks carol: you cover bob from 2026-11-30 18:31 to 2026-11-30 22:00. Undo with !oncall undo 2."
    )
    assert desk.pop()[0] == "@bob"


def test_worked_bad_input(desk: Desk) -> None:
    usage = "Usage: !oncall worked YYYY-MM-DD HH:MM-HH:MM <what you worked on>"
    assert desk.ask("!oncall worked 2026-11-30 02:00-03:00") == (
        f"Give the date, the times and what you worked on.\n{usage}"
    )
    assert desk.ask("!oncall worked 2026-11-30 2-3 fixed it") == (
        f"Could not read 2026-11-30 2-3: give a date and HH:MM-HH:MM.\n{usage}"
    )
    assert desk.ask("!oncall worked 2026-11-31 02:00-03:00 fixed it") == (
        f"Could not read 2026-11-31 02:00-03:00: give a date and HH:MM-HH:MM.\n{usage}"
    )
    assert desk.ask("!oncall worked 2026-11-27 10:00-11:00 fixed it") == (
        "2026-11-27 10:00 to 2026-11-27 11:00 is inside working hours; only out-of-hours work is recorded here."
    )
    assert desk.ask("!oncall worked 2026-11-30 07:00-09:00 fixed it") == (
        "2026-11-30 07:00 to 2026-11-30 09:00 has not finished yet; record work once it is done."
    )
    # An end before the start is the next morning.
    assert desk.ask("!oncall worked 2026-11-28 23:30-01:00 paged by the database") == (
        "Entry 1: alice worked 2026-11-28 23:30 to 2026-11-29 01:00 (1.5 h out of hours): paged by the "
        "database. Rest until 2026-11-29 12:00; you will not be picked as secondary or cover before then."
    )
    assert desk.ask("!oncall worked 2026-11-29 00:30-02:00 again") == (
        "That overlaps entry 1 (2026-11-28 23:30 to 2026-11-29 01:00)."
    )
    assert desk.ask("!oncall worked 2026-11-29 00:30-02:00 again", as_user="@mallory") == (
        "Sorry @mallory, `!oncall worked` needs the permission 'oncall.cover' "
        "(ask for and accept on-call cover, record your own unavailability and work)."
    )


# --- pay and feed permissions -------------------------------------------------------------------


def test_hours_needs_the_pay_permission_and_the_feed_its_secret(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert desk.ask("!oncall hours 2026-11", as_user="@dave") == (
        "Sorry dave, `!oncall hours` needs the permission 'oncall.pay' (read on-call hours and pay)."
    )
    usage = "Usage: !oncall hours YYYY-MM [csv]"
    assert desk.ask("!oncall hours 2026-13") == (
        f"Could not read the month '2026-13': give it as YYYY-MM, like 2026-11.\n{usage}"
    )
    assert (
        desk.ask("!oncall hours 2026-11 pdf")
        == f"Give the month, and `csv` for a CSV export.\n{usage}"
    )
    assert desk.ask("!oncall hours") == f"Give the month, and `csv` for a CSV export.\n{usage}"
    monkeypatch.delenv("DUTYBOT_ONCALL_FEED_SECRET", raising=False)
    assert desk.ask("!oncall feed") == (
        "On-call calendar feeds are off: the bot's DUTYBOT_ONCALL_FEED_SECRET is not set."
    )
    assert desk.ask("!oncall feed", as_user="@mallory") == (
        "You (@mallory) are not in the team's process file, so I don't know who you are."
    )


def test_every_change_and_pay_read_is_in_the_audit_log(desk: Desk) -> None:
    desk.ask("!oncall override @erin 2026-12-05")
    desk.ask("!oncall undo 1", as_user="@dave")
    desk.ask("!oncall hours 2026-11")
    with desk.runtime.db.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)).all()
        assert [(e.actor, e.action, e.subject, e.detail) for e in entries] == [
            ("alice", "oncall.pay.read", "2026-11", ""),
            ("dave", "oncall.undo", "entry 1", "override of erin"),
            (
                "alice",
                "oncall.override",
                "entry 1",
                "erin primary 2026-12-05 00:00 to 2026-12-06 00:00 instead of carol",
            ),
        ]


# --- through Errbot -----------------------------------------------------------------------------


def test_the_commands_through_errbot(make_runtime: Callable[..., Runtime]) -> None:
    bot = ChatBot(make_runtime(process=process(NINE)))
    try:
        assert bot.ask("!oncall next 2", as_user="@bob") == (
            "Next 2 on-call shifts:\n"
            "- 2026-12-02 09:30 to 2026-12-09 09:30: primary carol, secondary dave\n"
            "- 2026-12-09 09:30 to 2026-12-16 09:30: primary erin, secondary frank"
        )
        assert bot.ask("!oncall @bob", as_user="@bob").splitlines()[1] == (
            "- secondary 2026-11-25 09:30 to 2026-12-02 09:30 (now)"
        )
        assert bot.ask("!oncall override @erin 2026-12-05", as_user="@bob") == (
            "Sorry bob, !oncall override needs the permission 'oncall.change' "
            "(change the on-call rota: overrides, swaps, and other people's entries)."
        )
        assert bot.ask("!oncall override @erin 2026-12-05", as_user="@alice") == (
            "Entry 1: erin is primary from 2026-12-05 00:00 to 2026-12-06 00:00. Undo with !oncall undo 1."
        )
        bot.assert_quiet()
    finally:
        bot.stop()
