"""The on-call rota: planning across weeks (DST, bank holidays), fairness, the new-to-on-call
rule, leave and unavailability, rest, the daily check, and who holds a role at an instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from core import hookimpl
from core.clock import FakeClock
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from tests.conftest import advance
from tests.test_oncall_fixtures import KEEP, Desk, start

FOUR = """
    members = ["alice", "bob", "carol", "dave"]
    handoff = "wed 09:30"
    start = 2026-10-07
    horizon_weeks = 12
"""


def holders(runtime: Runtime, role: str, at: datetime) -> list[str] | None:
    return runtime.hook.dutybot_role_holders(runtime=runtime, role=role, at=at)


def test_default_process_plans_eight_weeks_fairly_and_pairs_the_newcomer(
    make_runtime: Callable[..., Runtime],
) -> None:
    others = frozenset(name for name in DEFAULT_PLUGINS if name not in KEEP)
    desk = Desk(make_runtime(disabled_plugins=others))  # the built-in process file
    assert desk.ask("!oncall") == (
        "On call now (2026-11-30 08:00), in on-call hours until 2026-11-30 10:00:\n"
        "- primary: Alice Archer (alice) until 2026-12-02 09:30\n"
        "- secondary: Bob Baker (bob) until 2026-12-02 09:30"
    )
    # ivan is new to on-call: his primary week gets alice, who has not been primary since.
    assert desk.ask("!oncall next 8") == (
        "Next 8 on-call shifts:\n"
        "- 2026-12-02 09:30 to 2026-12-09 09:30: primary carol, secondary dave\n"
        "- 2026-12-09 09:30 to 2026-12-16 09:30: primary erin, secondary frank\n"
        "- 2026-12-16 09:30 to 2026-12-23 09:30: primary grace, secondary heidi\n"
        "- 2026-12-23 09:30 to 2026-12-30 09:30: primary ivan, secondary alice\n"
        "- 2026-12-30 09:30 to 2027-01-06 09:30: primary bob, secondary carol\n"
        "- 2027-01-06 09:30 to 2027-01-13 09:30: primary dave, secondary erin\n"
        "- 2027-01-13 09:30 to 2027-01-20 09:30: primary frank, secondary grace\n"
        "- 2027-01-20 09:30 to 2027-01-27 09:30: primary heidi, secondary ivan"
    )
    desk.assert_quiet()


def test_planning_across_the_clock_change_and_christmas(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    clock.set(datetime(2026, 10, 14, 12, 0, tzinfo=UTC))  # a Wednesday, 13:00 BST
    desk = start(make_runtime, FOUR)
    # Four people settle into a four-week cycle: (a,b) (c,d) (b,a) (d,c). Every ordinary week
    # counts 70 h; Christmas week 84 h (25th and the 28th are bank holidays, 15 h each) and New
    # Year's week 77 h, which is why dave, not alice, is primary on 2026-12-30.
    assert desk.ask("!oncall next 12") == (
        "Next 12 on-call shifts:\n"
        "- 2026-10-21 09:30 to 2026-10-28 09:30: primary carol, secondary dave\n"
        "- 2026-10-28 09:30 to 2026-11-04 09:30: primary bob, secondary alice\n"
        "- 2026-11-04 09:30 to 2026-11-11 09:30: primary dave, secondary carol\n"
        "- 2026-11-11 09:30 to 2026-11-18 09:30: primary alice, secondary bob\n"
        "- 2026-11-18 09:30 to 2026-11-25 09:30: primary carol, secondary dave\n"
        "- 2026-11-25 09:30 to 2026-12-02 09:30: primary bob, secondary alice\n"
        "- 2026-12-02 09:30 to 2026-12-09 09:30: primary dave, secondary carol\n"
        "- 2026-12-09 09:30 to 2026-12-16 09:30: primary alice, secondary bob\n"
        "- 2026-12-16 09:30 to 2026-12-23 09:30: primary carol, secondary dave\n"
        "- 2026-12-23 09:30 to 2026-12-30 09:30: primary bob, secondary alice\n"
        "- 2026-12-30 09:30 to 2027-01-06 09:30: primary dave, secondary carol\n"
        "- 2027-01-06 09:30 to 2027-01-13 09:30: primary carol, secondary dave"
    )
    # The 09:30 handoff is 08:30 UTC before 2026-10-25 and 09:30 UTC after it.
    runtime = desk.runtime
    assert holders(runtime, "oncall.primary", datetime(2026, 10, 21, 8, 29, 59, tzinfo=UTC)) == [
        "alice"
    ]
    assert holders(runtime, "oncall.primary", datetime(2026, 10, 21, 8, 30, tzinfo=UTC)) == [
        "carol"
    ]
    assert holders(runtime, "oncall.primary", datetime(2026, 10, 28, 8, 30, tzinfo=UTC)) == [
        "carol"
    ]
    assert holders(runtime, "oncall.primary", datetime(2026, 10, 28, 9, 29, 59, tzinfo=UTC)) == [
        "carol"
    ]
    assert holders(runtime, "oncall.primary", datetime(2026, 10, 28, 9, 30, tzinfo=UTC)) == ["bob"]
    # Alice has been primary since 09:30 BST: half an hour of the morning window so far.
    assert desk.ask("!oncall ledger") == (
        "On-call ledger (credited hours; planned up to 2027-01-13 09:30):\n"
        "- alice: 0.5 h so far, 434 h in all (primary 210, secondary 224)\n"
        "- bob: 0.5 h so far, 434 h in all (primary 224, secondary 210)\n"
        "- carol: 0 h so far, 497 h in all (primary 280, secondary 217)\n"
        "- dave: 0 h so far, 497 h in all (primary 217, secondary 280)"
    )
    desk.assert_quiet()


def test_role_holders_at_instants_and_at_the_handoff_minute(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = start(make_runtime, FOUR.replace("2026-10-07", "2026-11-04")).runtime
    handoff = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)  # 09:30 GMT
    assert holders(runtime, "oncall.primary", handoff - timedelta(seconds=1)) == ["alice"]
    assert holders(runtime, "oncall.secondary", handoff - timedelta(seconds=1)) == ["bob"]
    assert holders(runtime, "oncall.primary", handoff) == ["carol"]
    assert holders(runtime, "oncall.secondary", handoff) == ["dave"]
    # At night nobody is paged, but the role is still held: the pager decides when to page.
    assert holders(runtime, "oncall.primary", datetime(2026, 12, 3, 2, 0, tzinfo=UTC)) == ["carol"]
    # Beyond the plan nobody holds it yet; roles that are not ours are left to other plugins.
    assert holders(runtime, "oncall.primary", datetime(2028, 1, 1, tzinfo=UTC)) == []
    assert holders(runtime, "oncall.tertiary", handoff) is None
    assert holders(runtime, "support", handoff) is None


def test_before_the_rota_starts_nobody_is_on_call(make_runtime: Callable[..., Runtime]) -> None:
    desk = start(make_runtime, FOUR.replace("2026-10-07", "2026-12-16"))
    assert holders(desk.runtime, "oncall.primary", desk.runtime.clock.now()) == []
    assert desk.ask("!oncall") == "Nobody is on call now. The rota starts 2026-12-16 09:30."
    assert desk.ask("!oncall next 1") == (
        "Next on-call shift:\n- 2026-12-16 09:30 to 2026-12-23 09:30: primary alice, secondary bob"
    )


def test_an_installed_plugin_can_answer_who_is_on_call_instead(
    make_runtime: Callable[..., Runtime],
) -> None:
    class ExternalSchedule:
        @hookimpl
        def dutybot_role_holders(self, role: str, at: datetime) -> list[str] | None:
            return ["erin"] if role == "oncall.primary" else None

    runtime = start(make_runtime, FOUR, plugins=(ExternalSchedule(),)).runtime
    now = runtime.clock.now()
    assert holders(runtime, "oncall.primary", now) == ["erin"]
    assert holders(runtime, "oncall.secondary", now) == ["bob"]


NEWCOMERS = """
    members = ["alice", "bob", "carol"]
    new_to_oncall = ["bob", "carol"]
    horizon_weeks = 3
"""


def test_someone_new_to_on_call_gets_an_experienced_secondary_and_overrides_are_checked(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    desk = start(make_runtime, NEWCOMERS)
    # Without the rule the secondary of 2026-12-02 would be bob (fewest hours after carol).
    assert desk.ask("!oncall next 3") == (
        "Next 3 on-call shifts:\n"
        "- 2026-12-02 09:30 to 2026-12-09 09:30: primary carol, secondary alice\n"
        "- 2026-12-09 09:30 to 2026-12-16 09:30: primary bob, secondary alice\n"
        "- 2026-12-16 09:30 to 2026-12-23 09:30: primary carol, secondary alice"
    )
    desk.assert_quiet()  # the plan breaks no rule, so nothing was reported
    assert desk.ask("!oncall override @bob 2026-12-05..2026-12-06 secondary") == (
        "Entry 1: bob is secondary from 2026-12-05 00:00 to 2026-12-07 00:00. Undo with !oncall undo 1.\n"
        "Rota problems in that period:\n"
        "- 2026-12-05 00:00 to 2026-12-07 00:00: carol is new to on-call and the secondary, bob, "
        "is new to on-call too"
    )
    # The daily check reports it to the team once.
    advance(desk.runtime, clock, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), step=timedelta(hours=1))
    assert desk.pop() == (
        "#team",
        "On-call rota check: please fix these with an override, swap or cover:\n"
        "- 2026-12-05 00:00 to 2026-12-07 00:00: carol is new to on-call and the secondary, bob, "
        "is new to on-call too",
    )
    advance(desk.runtime, clock, datetime(2026, 12, 2, 9, 0, tzinfo=UTC), step=timedelta(hours=1))
    desk.assert_quiet()
    assert desk.ask("!oncall undo 1") == "Entry 1 (bob is secondary) is undone."
    assert holders(desk.runtime, "oncall.secondary", datetime(2026, 12, 5, 12, tzinfo=UTC)) == [
        "alice"
    ]


def test_a_plan_that_breaks_the_rule_is_reported_at_start_up_and_each_new_problem_once(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    desk = start(
        make_runtime,
        """
        members = ["bob", "carol"]
        new_to_oncall = ["bob", "carol"]
        horizon_weeks = 1
    """,
    )
    assert desk.pop() == (
        "#team",
        "On-call rota check: please fix these with an override, swap or cover:\n"
        "- 2026-11-25 09:30 to 2026-12-02 09:30: bob is new to on-call and the secondary, carol, "
        "is new to on-call too\n"
        "- 2026-12-02 09:30 to 2026-12-09 09:30: carol is new to on-call and the secondary, bob, "
        "is new to on-call too",
    )
    # Monday to Wednesday 09:00: nothing new is planned, nothing is said again.
    ran = advance(
        desk.runtime, clock, datetime(2026, 12, 2, 12, 0, tzinfo=UTC), step=timedelta(hours=1)
    )
    assert [name for name, _ in ran] == ["oncall.plan"] * 3
    desk.assert_quiet()
    # Thursday 09:00 plans the week from 2026-12-09 and reports only that week.
    advance(desk.runtime, clock, datetime(2026, 12, 3, 12, 0, tzinfo=UTC), step=timedelta(hours=1))
    assert desk.pop() == (
        "#team",
        "On-call rota check: please fix these with an override, swap or cover:\n"
        "- 2026-12-09 09:30 to 2026-12-16 09:30: bob is new to on-call and the secondary, carol, "
        "is new to on-call too",
    )
    desk.assert_quiet()


class Leave:
    """A stand-in for the support rota's ``!leave``: answers dutybot_leave from a set of days."""

    def __init__(self, *days: tuple[str, date]) -> None:
        self.days = set(days)

    @hookimpl
    def dutybot_leave(
        self, people: list[str], first: date, last: date
    ) -> list[tuple[str, date, date]]:
        return [(p, d, d) for p, d in sorted(self.days) if p in people and first <= d <= last]


THREE = """
    members = ["alice", "bob", "carol"]
    horizon_weeks = 2
"""


def test_planning_skips_people_on_leave_and_reports_leave_learnt_later(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    leave = Leave(("alice", date(2026, 12, 3)))
    desk = start(make_runtime, THREE, plugins=(leave,))
    # alice would be secondary from 2026-12-02 (fewest hours, rota order) but is on leave then.
    assert desk.ask("!oncall next 2") == (
        "Next 2 on-call shifts:\n"
        "- 2026-12-02 09:30 to 2026-12-09 09:30: primary carol, secondary bob\n"
        "- 2026-12-09 09:30 to 2026-12-16 09:30: primary bob, secondary alice"
    )
    leave.days.add(("alice", date(2026, 12, 1)))
    advance(desk.runtime, clock, datetime(2026, 11, 30, 9, 0, tzinfo=UTC), step=timedelta(hours=1))
    assert desk.pop() == (
        "#team",
        "On-call rota check: please fix these with an override, swap or cover:\n"
        "- 2026-11-25 09:30 to 2026-12-02 09:30: alice is primary but on leave on 2026-12-01",
    )
    desk.assert_quiet()


def test_unavailability_is_respected_by_later_planning_and_conflicts_are_reported(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    desk = start(make_runtime, THREE.replace("horizon_weeks = 2", "horizon_weeks = 1"))
    assert desk.ask("!oncall unavailable 2026-12-10", as_user="@bob") == (
        "Entry 1: bob is unavailable for on-call on 2026-12-10. Undo with !oncall undo 1."
    )
    assert desk.ask("!oncall unavailable 2026-12-01..2026-12-02") == (
        "Entry 2: alice is unavailable for on-call on 2026-12-01 to 2026-12-02. Undo with !oncall undo 2.\n"
        "Rota problems in that period:\n"
        "- 2026-12-01 00:00 to 2026-12-02 09:30: alice is primary but unavailable for on-call "
        "on 2026-12-01 to 2026-12-02\n"
        "- 2026-12-02 09:30 to 2026-12-03 00:00: alice is secondary but unavailable for on-call "
        "on 2026-12-02"
    )
    # Monday's check reports the conflict; Thursday plans the week of the 9th without bob, who
    # had the fewest primary hours.
    advance(desk.runtime, clock, datetime(2026, 12, 3, 12, 0, tzinfo=UTC), step=timedelta(hours=1))
    assert desk.pop() == (
        "#team",
        "On-call rota check: please fix these with an override, swap or cover:\n"
        "- 2026-11-25 09:30 to 2026-12-02 09:30: alice is primary but unavailable for on-call "
        "on 2026-12-01 to 2026-12-02\n"
        "- 2026-12-02 09:30 to 2026-12-09 09:30: alice is secondary but unavailable for on-call "
        "on 2026-12-02",
    )
    assert desk.ask("!oncall next 1") == (
        "Next on-call shift:\n- 2026-12-09 09:30 to 2026-12-16 09:30: primary carol, secondary alice"
    )
    desk.assert_quiet()


def test_nobody_resting_after_out_of_hours_work_is_picked_as_secondary(
    make_runtime: Callable[..., Runtime],
) -> None:
    before = start(make_runtime, "members = []")
    assert before.ask(
        "!oncall worked 2026-11-30 05:00-07:30 disk full on db-2", as_user="@bob"
    ) == (
        "Entry 1: bob worked 2026-11-30 05:00 to 2026-11-30 07:30 (2.5 h out of hours): disk full on db-2. "
        "Rest until 2026-11-30 18:30; you will not be picked as secondary or cover before then."
    )
    desk = start(make_runtime, THREE)
    assert desk.ask("!oncall") == (
        "On call now (2026-11-30 08:00), in on-call hours until 2026-11-30 10:00:\n"
        "- primary: Alice Archer (alice) until 2026-12-02 09:30\n"
        "- secondary: Carol Chen (carol) until 2026-12-02 09:30\n"
        "- bob is resting after out-of-hours work until 2026-11-30 18:30"
    )
    desk.assert_quiet()
