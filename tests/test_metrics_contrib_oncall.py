"""The ``oncall`` section of ``dutybot_metrics`` (pager and rota) and the pager's gauges.

Pages go through the real pager to a local HTTP receiver (apprise ``json://``) on the fake clock,
so when each page landed and its time to acknowledge are the values stored at the events.
Hours on the default process: support Mon-Fri 10:00-17:00, on call Mon-Fri 07:00-10:00 and
17:00-22:00 and 07:00-22:00 on weekends and bank holidays (25 and 28 December 2026), paging in
either (22:00-07:00 pages wait). Every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from core import hookimpl
from core.clock import FakeClock
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from plugins.pager import jobs, metrics, worker
from plugins.pager.models import PENDING, SENDING, Delivery, Page
from plugins.pager.service import section as pager_section
from tests.conftest import ROOT
from tests.phones import Phones
from tests.test_metrics_contrib import section
from tests.test_triage_harness import london

DEFAULT_PROCESS = (ROOT / "core" / "default_process.toml").read_text(encoding="utf-8")
PAGED = ("bob", "carol", "dave", "erin")


@pytest.fixture
def receiver() -> Iterator[Phones]:
    found = Phones()
    yield found
    found.stop()


class Rota:
    """Stands in for the rotas: who holds the roles the escalation steps name."""

    @hookimpl
    def dutybot_role_holders(self, role: str) -> list[str] | None:
        return {"oncall.primary": ["dave"], "oncall.secondary": ["erin"], "support": ["carol"]}.get(
            role
        )


@pytest.fixture
def pager(
    make_runtime: Callable[..., Runtime],
    receiver: Phones,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
) -> Runtime:
    contacts = "[pager.contacts]\n"
    for person in PAGED:
        monkeypatch.setenv(f"METRICS_PAGE_{person.upper()}", receiver.url(f"/{person}"))
        contacts += f'{person} = ["env:METRICS_PAGE_{person.upper()}"]\n'
    clock.set(london(2026, 12, 21, 11, 0))
    return make_runtime(
        process=DEFAULT_PROCESS.replace("[pager.contacts]\n", contacts),
        plugins=(Rota(),),
        disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team", "pager"},
    )


def run(runtime: Runtime, clock: FakeClock, when: datetime, line: str, who: str) -> str:
    """Run a command at ``when``; with the pager running, let its sends finish before going on
    (a clock jump past a send's lease would otherwise let another worker send it again)."""
    clock.set(when)
    name = max((n for n in runtime.commands if line.startswith(n + " ")), key=len)
    reply = runtime.run_command(name, line[len(name) :], who)
    if worker.running(runtime) is not None:
        idle(runtime)
    return reply


def idle(runtime: Runtime) -> None:
    pager = worker.running(runtime)
    assert pager is not None and pager.wait_idle(10), "the pager did not finish sending"


def test_pages_per_person_by_when_they_landed_and_time_to_acknowledge(
    pager: Runtime, clock: FakeClock, receiver: Phones
) -> None:
    # 1: Mon 21 12:00, support hours: working_hours (bob); acknowledged after 4 minutes.
    run(pager, clock, london(2026, 12, 21, 12, 0), "page @bob disk full", "@alice")
    run(pager, clock, london(2026, 12, 21, 12, 4), "ack 1", "@bob")
    run(pager, clock, london(2026, 12, 21, 12, 10), "resolve 1", "@bob")  # no re-page
    # 2: Mon 21 19:00, on-call evening: dave; nobody acknowledges in 15 minutes, so it
    # escalates to erin (one escalation), who acknowledges 20 minutes after the first call.
    run(pager, clock, london(2026, 12, 21, 19, 0), "page oncall api down", "@alice")
    clock.set(london(2026, 12, 21, 19, 15))
    jobs.sweep(pager)
    idle(pager)
    run(pager, clock, london(2026, 12, 21, 19, 20), "ack 2", "@erin")
    run(pager, clock, london(2026, 12, 21, 19, 40), "resolve 2", "@erin")
    # 3: Tue 22 23:00, outside paging hours: waits, and lands at Wed 07:00 (on-call morning:
    # oncall_evening), bob; acknowledged 6 minutes after that call, not after it was raised.
    run(pager, clock, london(2026, 12, 22, 23, 0), "page @bob certificate expires", "@alice")
    clock.set(london(2026, 12, 23, 7, 0))
    jobs.sweep(pager)
    idle(pager)
    run(pager, clock, london(2026, 12, 23, 7, 6), "ack 3", "@bob")
    run(pager, clock, london(2026, 12, 23, 7, 30), "resolve 3", "@bob")
    # 4: Sat 26 12:00: weekend_holiday (carol); 30 minutes.
    run(pager, clock, london(2026, 12, 26, 12, 0), "page @carol backups failing", "@alice")
    run(pager, clock, london(2026, 12, 26, 12, 30), "ack 4", "@carol")
    # 5: Thu 31 12:00: working_hours (bob), never acknowledged: no time to acknowledge.
    run(pager, clock, london(2026, 12, 31, 12, 0), "page @bob quota", "@alice")
    idle(pager)
    assert len(receiver.calls()) == 6  # one notification per call: 1, 2 (twice), 3, 4, 5
    figures = section(pager, "oncall")
    assert figures == {
        "pages": 5,
        "pages_by_band": {
            "working_hours": 2,
            "oncall_evening": 2,
            "weekend_holiday": 1,
            "night": 0,
        },
        "pages_per_person": {"bob": 3, "carol": 1, "dave": 1, "erin": 1},
        "pages_per_person_working_hours": {"bob": 2},
        "pages_per_person_oncall_evening": {"bob": 1, "dave": 1, "erin": 1},
        "pages_per_person_weekend_holiday": {"carol": 1},
        "pages_per_person_night": {},
        "acknowledge_median_minutes": 13.0,  # 4, 6, 20, 30: (6 + 20) / 2
        "acknowledge_p90_minutes": 30.0,  # rank ceil(0.9 * 4) = 4
        "escalations": 1,
        "pages_escalated": 1,
        "pages_unanswered": 0,
    }
    # Pages have no priority: a priority filter does not change the on-call figures.
    assert section(pager, "oncall", priority="high") == figures


def test_when_a_page_landed(pager: Runtime) -> None:
    settings = pager_section(pager)
    cases = {
        london(2026, 12, 21, 10, 0): "working_hours",  # support opens
        london(2026, 12, 21, 9, 59): "oncall_evening",  # weekday on-call morning
        london(2026, 12, 21, 17, 0): "oncall_evening",  # support closed, on call until 22:00
        london(2026, 12, 21, 22, 0): "night",  # no paging window open
        london(2026, 12, 22, 6, 59): "night",
        london(2026, 12, 25, 12, 0): "weekend_holiday",  # Christmas Day, a Friday
        london(2026, 12, 28, 12, 0): "weekend_holiday",  # Boxing Day substitute, a Monday
        london(2026, 12, 27, 7, 0): "weekend_holiday",  # Sunday
        london(2026, 12, 27, 23, 0): "night",  # Sunday night
    }
    assert {t: metrics.band(pager, settings, t) for t in cases} == cases


def test_gauges_report_the_outbox_depth_and_the_oldest_undelivered_age(
    pager: Runtime, clock: FakeClock
) -> None:
    assert pager.hook.dutybot_gauges(runtime=pager) == [
        {"pager_outbox_depth": 0.0, "pager_oldest_undelivered_age_seconds": 0.0}
    ]
    now = clock.now()
    later = now + timedelta(days=1)
    with pager.db.session() as session:
        page = Page(target="bob", message="m", source="test", state="paging", created_at=now)
        session.add(page)
        session.flush()
        for call, (state, made) in enumerate(
            ((PENDING, now - timedelta(minutes=10)), (SENDING, now - timedelta(minutes=3))), 1
        ):  # neither is due for a worker: a retry backing off, a claim that has not lapsed
            session.add(
                Delivery(
                    page_id=page.id,
                    call=call,
                    person="bob",
                    method=0,
                    contact="env:METRICS_PAGE_BOB",
                    title="t",
                    body="b",
                    state=state,
                    due_at=later,
                    claimed_by="elsewhere" if state == SENDING else None,
                    claimed_until=later if state == SENDING else None,
                    created_at=made,
                )
            )
    assert pager.hook.dutybot_gauges(runtime=pager) == [
        {"pager_outbox_depth": 2.0, "pager_oldest_undelivered_age_seconds": 600.0}
    ]


# --- the rota: hours on call and out-of-hours work ---------------------------------------------


@pytest.fixture
def rota(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Runtime:
    clock.set(london(2026, 12, 14, 12, 0))
    return make_runtime(disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team", "oncall"})


def test_hours_on_call_and_out_of_hours_work_per_person(rota: Runtime, clock: FakeClock) -> None:
    stretch = "2026-12-24T17:00..2026-12-29T10:00"
    for who, role in (("@bob", "primary"), ("@carol", "secondary")):
        reply = run(
            rota,
            clock,
            london(2026, 12, 14, 12, 0),
            f"oncall override {who} {stretch} {role}",
            "@alice",
        )
        assert reply.startswith("Entry"), reply
    # Bob works on Monday 28 (a bank holiday) 10:00-12:30: all out of hours (2.5 h); Carol on
    # Tuesday 29 08:00-10:30: only 08:00-09:00 is before working hours open at 09:00 (1 h).
    for who, line in (
        ("@bob", "oncall worked 2026-12-28 10:00-12:30 registry disk"),
        ("@carol", "oncall worked 2026-12-29 08:00-10:30 restore test"),
    ):
        reply = run(rota, clock, london(2026, 12, 29, 12, 0), line, who)
        assert reply.startswith("Entry"), reply
    # Credited hours equal on-call window hours with the default [oncall.hours] (8 for the 8 h
    # weekday window, 15 for the 15 h weekend one): Thu 24 17:00-22:00 (5) + Fri 25, Sat 26,
    # Sun 27, Mon 28 07:00-22:00 (4 x 15) + Tue 29 07:00-10:00 (3) = 68 each.
    stretch_period = (london(2026, 12, 24, 17, 0), london(2026, 12, 29, 10, 0))
    assert section(rota, "oncall", period=stretch_period) == {
        "hours_on_call": {"bob": 68.0, "carol": 68.0},
        "out_of_hours_worked_hours": {"bob": 2.5},  # carol's record ends after the period
    }
    figures = section(rota, "oncall")
    assert figures is not None
    assert figures["out_of_hours_worked_hours"] == {"bob": 2.5, "carol": 1.0}
    assert section(rota, "oncall", priority="high") == figures  # the rota has no priorities
