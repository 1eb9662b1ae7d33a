"""Working-day reminders: overdue actions to their owners, stale drafts to the postmortem owner.

The fake clock starts on Monday 2026-11-30 08:00 (London is on GMT); reminders go at 09:30.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from core.clock import FakeClock
from core.runtime import Runtime
from tests.conftest import advance
from tests.test_postmortem import World, golden_incidents, start
from tests.test_postmortem_review import posts


def reminders_at(runtime: Runtime, clock: FakeClock, day: datetime) -> None:
    """Jump to just before 09:30 on ``day`` and live through the reminder minute."""
    clock.set(day.replace(hour=9, minute=29))
    runtime.scheduler.run_due()
    advance(runtime, clock, day.replace(hour=9, minute=31))


def test_overdue_actions_and_stale_drafts_are_reminded_once_per_working_day(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = start(make_runtime, World())
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=golden_incidents()[0])
    runtime.run_command(
        "action add", "1 document the restart --owner @dave --due 2026-11-27", "@alice"
    )
    runtime.run_command("action add", "1 alert on 5xx --owner @bob --due 2026-12-10", "@alice")
    overdue = (
        "Reminder: action 1 of postmortem 1 was due 2026-11-27: document the restart. "
        "When it is done: !action done 1."
    )

    reminders_at(runtime, clock, datetime(2026, 11, 30, tzinfo=UTC))
    assert posts(runtime, "@dave") == [overdue]
    assert posts(runtime, "@alice") == []  # the draft is new

    reminders_at(runtime, clock, datetime(2026, 12, 5, tzinfo=UTC))  # Saturday: no reminders
    assert posts(runtime, "@dave") == [overdue]

    reminders_at(runtime, clock, datetime(2026, 12, 7, tzinfo=UTC))
    assert posts(runtime, "@dave") == [overdue, overdue]
    assert posts(runtime, "@alice") == [
        "Postmortem 1 (Incident on 2026-03-27 – Ingress is down) is still a draft after 7 days. "
        "Finish it and publish it with !postmortem publish 1."
    ]
    assert posts(runtime, "@bob") == []  # not due yet

    assert runtime.run_command("action done", "1", "@dave") == "Action 1 done: document the restart"
    assert runtime.run_command("postmortem publish", "1", "@alice").startswith(
        "Published postmortem 1"
    )
    reminders_at(runtime, clock, datetime(2026, 12, 8, tzinfo=UTC))
    assert len(posts(runtime, "@dave")) == 2 and len(posts(runtime, "@alice")) == 1
