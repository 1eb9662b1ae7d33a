"""On-call hours and pay for December 2026, computed by hand, as text, CSV and over HTTP.

The rota: alice, bob and carol hand over on Mondays at 10:00. On a handoff Monday the outgoing
engineer keeps the 07:00-10:00 window (3 h) and the incoming one gets 17:00-22:00 (5 h); on the
Monday 2026-12-28 bank holiday (07:00-22:00, 15 h) that is 3 h and 12 h. The plan (fewest
primary hours first, then fewest hours; see plugins/oncall/generate.py):

    2026-11-30 10:00  carol primary, alice secondary   Dec 1-7 10:00:  8*4 + 15*2 + 3  = 65 h
    2026-12-07 10:00  bob, carol                       a whole week:    5 + 8*4 + 15*2 + 3 = 70 h
    2026-12-14 10:00  alice, bob                       70 h
    2026-12-21 10:00  carol, alice     5 + 8*3 + 15 (25th) + 15*2 + 3 (28th till 10:00) = 77 h
    2026-12-28 10:00  bob, carol       to the month's end: 12 + 8*3 = 36 h

dave overrides bob as primary on Saturday 12th and Sunday 13th (30 h). So December:
alice 65 + 70 + 77 = 212 h; bob 70 - 30 + 70 + 36 = 146 h; carol 65 + 70 + 77 + 36 = 248 h;
dave 30 h. Out-of-hours work: alice 02:00-04:30 on Saturday 5th (2.5 h, 2 full hours); bob
17:30-19:15 on Wednesday 9th (working hours end at 18:00, so 1.25 h) and 21:00-21:50 on Sunday
20th (0.83 h): 2.08 h in the month, 2 full hours. Pay, day rate = salary / 230:

    alice 46,000 → £200/day: availability 200 * 15% * 212/8 = £795.00; worked 2 * 200/8 = £50.00
    bob   34,500 → £150/day: availability 150 * 15% * 146/8 = £410.625 → £410.63; worked £37.50
    dave  40,250 → £175/day: availability 175 * 15% * 30/8 = £98.4375 → £98.44; worked £0.00
    carol: no salary variable set, so hours only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from werkzeug.test import Client

from core.clock import FakeClock
from core.receiver import Credential
from core.runtime import Runtime
from tests.test_oncall_fixtures import Desk, start

MONDAYS = """
    members = ["alice", "bob", "carol"]
    handoff = "mon 10:00"
    start = 2026-11-02
    horizon_weeks = 6
"""
TEXT = (
    "On-call hours and pay for 2026-12:\n"
    "- alice: 212 h on call, 2.5 h worked out of hours (2 full); "
    "pay £845.00 (availability £795.00 + worked £50.00)\n"
    "- bob: 146 h on call, 2.08 h worked out of hours (2 full); "
    "pay £448.13 (availability £410.63 + worked £37.50)\n"
    "- carol: 248 h on call, 0 h worked out of hours (0 full); "
    "pay not computed: salary not set (DUTYBOT_SALARY_CAROL)\n"
    "- dave: 30 h on call, 0 h worked out of hours (0 full); "
    "pay £98.44 (availability £98.44 + worked £0.00)"
)
CSV = (
    "month,person,oncall_hours,worked_hours,full_hours_worked,availability_pay,worked_pay,total_pay\n"
    "2026-12,alice,212,2.5,2,795.00,50.00,845.00\n"
    "2026-12,bob,146,2.08,2,410.63,37.50,448.13\n"
    "2026-12,carol,248,0,0,,,\n"
    "2026-12,dave,30,0,0,98.44,0.00,98.44\n"
)


@pytest.fixture
def december(
    make_runtime: Callable[..., Runtime], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Desk:
    for person, salary in (("ALICE", "46000"), ("BOB", "34,500"), ("DAVE", "40250")):
        monkeypatch.setenv(f"DUTYBOT_SALARY_{person}", salary)
    monkeypatch.delenv("DUTYBOT_SALARY_CAROL", raising=False)
    desk = start(
        make_runtime, MONDAYS, credentials={"oncall_pay": Credential(token="payroll-token")}
    )
    assert desk.ask("!oncall next 5") == (
        "Next 5 on-call shifts:\n"
        "- 2026-11-30 10:00 to 2026-12-07 10:00: primary carol, secondary alice\n"
        "- 2026-12-07 10:00 to 2026-12-14 10:00: primary bob, secondary carol\n"
        "- 2026-12-14 10:00 to 2026-12-21 10:00: primary alice, secondary bob\n"
        "- 2026-12-21 10:00 to 2026-12-28 10:00: primary carol, secondary alice\n"
        "- 2026-12-28 10:00 to 2027-01-04 10:00: primary bob, secondary carol"
    )
    assert desk.ask("!oncall override @dave 2026-12-12..2026-12-13").startswith(
        "Entry 1: dave is primary"
    )
    clock.set(datetime(2027, 1, 4, 12, 0, tzinfo=UTC))
    for user, line in (
        ("@alice", "!oncall worked 2026-12-05 02:00-04:30 node pool scaled to zero"),
        ("@alice", "!oncall worked 2026-11-29 02:00-03:00 November, not counted"),
        ("@bob", "!oncall worked 2026-12-09 17:30-19:15 certificate expired"),
        ("@bob", "!oncall worked 2026-12-20 21:00-21:50 DNS"),
    ):
        assert desk.ask(line, as_user=user).startswith("Entry ")
    return desk


def test_hours_and_pay_for_a_month_with_bank_holidays(december: Desk) -> None:
    assert december.ask("!oncall hours 2026-12") == TEXT
    december.assert_quiet()


def test_hours_as_csv_in_chat_and_over_http_with_the_payroll_token(december: Desk) -> None:
    assert december.ask("!oncall hours 2026-12 csv") == f"```\n{CSV}```"
    client = Client(december.runtime.receiver)
    response = client.get(
        "/oncall/hours/2026-12.csv", headers={"Authorization": "Bearer payroll-token"}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="oncall-hours-2026-12.csv"'
    )
    assert response.get_data(as_text=True) == CSV
    wrong = client.get("/oncall/hours/2026-12.csv", headers={"Authorization": "Bearer guess"})
    assert (wrong.status_code, wrong.json) == (401, {"reason": "missing or wrong credentials"})
    bad = client.get("/oncall/hours/2026-1.csv", headers={"Authorization": "Bearer payroll-token"})
    assert (bad.status_code, bad.json) == (
        400,
        {"reason": "Could not read the month '2026-1': give it as YYYY-MM, like 2026-11."},
    )


def test_a_bad_salary_is_named_not_guessed(december: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUTYBOT_SALARY_ALICE", "lots")
    assert december.ask("!oncall hours 2026-12").splitlines()[1] == (
        "- alice: 212 h on call, 2.5 h worked out of hours (2 full); "
        "pay not computed: salary is not a number (DUTYBOT_SALARY_ALICE)"
    )


def test_the_pay_scheme_is_configurable(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the primary is paid, weekdays count 10 h, 20% per 10 h, salaries from PAY_<ID>."""
    monkeypatch.setenv("PAY_CAROL", "46000")
    desk = start(
        make_runtime,
        MONDAYS
        + """
    paid_roles = ["primary"]
    [oncall.hours]
    weekday = 10
    [oncall.pay]
    salary_variable = "PAY_{ID}"
    availability_percent = 20
    availability_hours = 10
    currency = "€"
    """,
    )
    # carol is primary from 2026-11-30 10:00: 17:00-22:00 of that Monday is 5/8 of its window,
    # 6.25 credited hours of 10. Day rate 200: 200 * 20% * 6.25/10 = €25.00.
    assert desk.ask("!oncall hours 2026-11").splitlines()[3] == (
        "- carol: 6.25 h on call, 0 h worked out of hours (0 full); "
        "pay €25.00 (availability €25.00 + worked €0.00)"
    )
