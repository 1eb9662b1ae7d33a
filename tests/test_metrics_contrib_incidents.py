"""The ``incidents`` section of ``dutybot_metrics`` (incidents and postmortems) and the built-in
``dutybot_availability``.

Incidents are driven through the commands on the fake clock, so the stored durations are the
ones computed when first detected, repaired and resolved were set. Support hours are Mon-Fri
10:00-17:00 London; Friday 25 and Monday 28 December 2026 are bank holidays in England.
Every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from core import hookimpl
from core.clock import FakeClock
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from plugins.postmortem.models import Action, Postmortem
from tests.test_metrics_contrib import PERIOD, section
from tests.test_triage_harness import london

OTHERS = frozenset(DEFAULT_PLUGINS) - {"system", "team", "incident", "postmortem"}


class Stand:
    """Stands in for the rotas and the pager: urgent incidents page, nobody is reached."""

    @hookimpl
    def dutybot_role_holders(self, role: str) -> list[str] | None:
        return {"support": ["bob"], "oncall.primary": ["dave"]}.get(role)

    @hookimpl
    def dutybot_page(self, target: str, message: str) -> dict[str, Any]:
        return {"id": 1}


@pytest.fixture
def ops(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Runtime:
    """Six incidents (ids in declaration order) and the clock left at Thu 31 Dec 18:00."""
    clock.set(london(2026, 12, 18, 16, 0))
    runtime = make_runtime(plugins=(Stand(),), disabled_plugins=OTHERS)

    def do(when: datetime, line: str) -> None:
        clock.set(when)
        name = max((n for n in runtime.commands if line.startswith(n + " ")), key=len)
        reply = runtime.run_command(name, line[len(name) :], "@alice")
        assert "Usage" not in reply and "Sorry" not in reply, reply

    # 1 (high): declared Fri 18 Dec 16:00, before the period; repaired Mon 21 10:30 (in it):
    # wall Fri 16:00 -> Mon 10:30 = 66.5 h = 3990; support Fri 16-17 (60) + Mon 10-10:30 (30) = 90.
    do(
        london(2026, 12, 18, 16, 0),
        "incident declare Ingress down --impact no logins --priority high",
    )
    # 2 (high): declared Mon 21 09:00; repaired 10:00: wall 60, support 0 (before 10:00);
    # resolved 12:00: wall 180, support 10:00-12:00 = 120.
    do(london(2026, 12, 21, 9, 0), "incident declare DNS down --impact no deploys --priority high")
    do(london(2026, 12, 21, 10, 0), "incident repaired 2")
    do(london(2026, 12, 21, 10, 30), "incident repaired 1")
    do(london(2026, 12, 21, 12, 0), "incident resolve 2 moved the resolver")
    # 3 (high): declared in error, cancelled: counts nowhere.
    do(london(2026, 12, 21, 13, 0), "incident declare Test alert --impact none --priority high")
    do(london(2026, 12, 21, 13, 5), "incident cancel 3 a test")
    # 4 (normal): declared Wed 23 16:00; repaired 16:45 (45, 45); resolved Wed 30 10:15:
    # wall 7 days - 5h45m = 9735; support Wed 16-17 (60) + Thu 24 (420) + [Fri 25, Mon 28
    # holidays, weekend] + Tue 29 (420) + Wed 30 10:00-10:15 (15) = 915.
    do(
        london(2026, 12, 23, 16, 0),
        "incident declare Slow builds --impact builds wait --priority normal",
    )
    do(london(2026, 12, 23, 16, 45), "incident repaired 4")
    # 5 (high): declared Thu 24 15:00, first detected 14:30; repaired Tue 29 10:30 (set later):
    # wall Thu 14:30 -> Tue 10:30 = 4 d 20 h = 6960; support Thu 14:30-17:00 (150) +
    # Tue 10:00-10:30 (30) = 180. Resolved Tue 11:00: wall 6990, support 210.
    do(
        london(2026, 12, 24, 15, 0),
        "incident declare Registry down --impact no pulls --priority high",
    )
    do(london(2026, 12, 24, 15, 10), "incident detected 5 2026-12-24 14:30")
    do(london(2026, 12, 29, 11, 0), "incident resolve 5 replaced the disk")
    do(london(2026, 12, 29, 11, 5), "incident repaired 5 2026-12-29 10:30")
    do(london(2026, 12, 30, 10, 15), "incident resolve 4 more runners")
    # 6 (high): declared Thu 31 16:00, still down at 18:00 (now).
    do(london(2026, 12, 31, 16, 0), "incident declare Auth down --impact no logins --priority high")
    clock.set(london(2026, 12, 31, 18, 0))
    return runtime


def test_incident_figures_in_wall_clock_and_support_hours(ops: Runtime) -> None:
    assert section(ops, "incidents") == {
        "declared": 4,  # 2, 4, 5, 6 (1 before the period, 3 cancelled)
        "declared_by_priority": {"high": 3, "normal": 1},
        "high_priority": 3,
        "repaired": 4,  # 1, 2, 4, 5
        "repair_mean_minutes": 2763.8,  # (3990 + 60 + 45 + 6960) / 4 = 2763.75
        "repair_median_minutes": 2025.0,  # (60 + 3990) / 2
        "repair_mean_support_minutes": 78.8,  # (90 + 0 + 45 + 180) / 4 = 78.75
        "repair_median_support_minutes": 67.5,  # (45 + 90) / 2
        "resolved": 3,  # 2, 4, 5
        "resolve_mean_minutes": 5635.0,  # (180 + 9735 + 6990) / 3
        "resolve_median_minutes": 6990.0,
        "resolve_mean_support_minutes": 415.0,  # (120 + 915 + 210) / 3
        "resolve_median_support_minutes": 210.0,
        "postmortems_published": 0,
        "postmortem_actions_open": 0,
        "postmortem_actions_overdue": 0,
    }


def test_incident_figures_filtered_by_priority(ops: Runtime) -> None:
    figures = section(ops, "incidents", priority="High")
    assert figures is not None
    assert {k: v for k, v in figures.items() if not k.startswith("postmortem")} == {
        "declared": 3,
        "declared_by_priority": {"high": 3},
        "high_priority": 3,
        "repaired": 3,  # 1, 2, 5
        "repair_mean_minutes": 3670.0,  # (3990 + 60 + 6960) / 3
        "repair_median_minutes": 3990.0,
        "repair_mean_support_minutes": 90.0,  # (90 + 0 + 180) / 3
        "repair_median_support_minutes": 90.0,
        "resolved": 2,  # 2, 5
        "resolve_mean_minutes": 3585.0,  # (180 + 6990) / 2
        "resolve_median_minutes": 3585.0,
        "resolve_mean_support_minutes": 165.0,  # (120 + 210) / 2
        "resolve_median_support_minutes": 165.0,
    }
    normal = section(ops, "incidents", priority="normal")
    assert normal is not None and (normal["declared"], normal["high_priority"]) == (1, 0)
    # A level the active scheme does not have: the incident plugin contributes nothing; the
    # postmortem plugin (which does not know the scheme) reports zeros for it.
    assert section(ops, "incidents", priority="P1") == {
        "postmortems_published": 0,
        "postmortem_actions_open": 0,
        "postmortem_actions_overdue": 0,
    }


def test_availability_counts_overlapping_high_priority_outages_once(ops: Runtime) -> None:
    start, end = PERIOD
    # 1: Fri 18 16:00 -> Mon 21 10:30, clipped to Mon 00:00: 630; 2 (Mon 09:00-10:00) lies
    # inside it: adds nothing; 5: Thu 24 14:30 -> Tue 29 10:30: 6960; 6: Thu 31 16:00 -> now
    # (18:00): 120; 3 is cancelled, 4 is normal priority. 630 + 6960 + 120 = 7710.
    assert ops.hook.dutybot_availability(runtime=ops, start=start, end=end) == [
        [{"service": "all", "downtime_minutes": 7710.0, "source": "incidents"}]
    ]
    monday = (london(2026, 12, 21, 0), london(2026, 12, 22, 0))
    assert ops.hook.dutybot_availability(runtime=ops, start=monday[0], end=monday[1]) == [
        [{"service": "all", "downtime_minutes": 630.0, "source": "incidents"}]
    ]
    quiet = (london(2026, 12, 1, 0), london(2026, 12, 2, 0))
    assert ops.hook.dutybot_availability(runtime=ops, start=quiet[0], end=quiet[1]) == [
        [{"service": "all", "downtime_minutes": 0.0, "source": "incidents"}]
    ]


def add_postmortem(
    runtime: Runtime, incident: int, priority: str, published: datetime | None
) -> int:
    with runtime.db.session() as session:
        report = Postmortem(
            incident_id=incident,
            incident_ref=f"INC-{incident}",
            description="",
            priority=priority,
            priority_label=priority,
            urgent=priority == "high",
            declared_at=london(2026, 12, 1, 9),
            resolved_at=london(2026, 12, 1, 10),
            roles={},
            timeline=[],
            title=f"Incident {incident}",
            created_at=london(2026, 12, 1, 10),
            published_at=published,
        )
        session.add(report)
        session.flush()
        return report.id


def add_action(
    runtime: Runtime, postmortem: int, created: datetime, due: date, done: datetime | None
) -> None:
    with runtime.db.session() as session:
        session.add(
            Action(
                postmortem_id=postmortem,
                text="do it",
                owner="bob",
                due=due,
                priority="normal",
                created_by="alice",
                created_at=created,
                done_at=done,
                done_by="bob" if done else None,
            )
        )


def test_postmortems_published_and_actions_open_or_overdue_at_the_period_end(
    runtime: Runtime,
) -> None:
    a = add_postmortem(runtime, 101, "high", london(2026, 12, 22, 15))
    b = add_postmortem(runtime, 102, "high", london(2026, 12, 10, 15))  # before the period
    c = add_postmortem(runtime, 103, "normal", None)
    dec22 = london(2026, 12, 22, 16)
    add_action(runtime, a, dec22, date(2026, 12, 30), None)  # open, overdue at Jan 4
    add_action(runtime, a, dec22, date(2027, 1, 10), None)  # open, not due yet
    add_action(runtime, b, london(2026, 12, 10, 16), date(2026, 12, 15), london(2026, 12, 23, 9))
    add_action(runtime, c, dec22, date(2026, 12, 24), london(2027, 1, 5, 9))  # done after the end
    add_action(runtime, c, london(2027, 1, 5, 9), date(2027, 1, 6), None)  # made after the end
    add_action(runtime, c, dec22, date(2027, 1, 4), None)  # due on the end's date: not overdue
    figures = section(runtime, "incidents")
    assert figures is not None
    assert {k: v for k, v in figures.items() if k.startswith("postmortem")} == {
        "postmortems_published": 1,
        "postmortem_actions_open": 4,  # the two of a, c's first (done later) and last
        "postmortem_actions_overdue": 2,  # due Dec 30 and Dec 24
    }
    high = section(runtime, "incidents", priority="HIGH")
    assert high is not None
    assert {k: v for k, v in high.items() if k.startswith("postmortem")} == {
        "postmortems_published": 1,
        "postmortem_actions_open": 2,
        "postmortem_actions_overdue": 1,
    }
