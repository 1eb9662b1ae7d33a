"""An out-of-hours incident, worked through the real incident plugin, becomes on-call work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from core.clock import FakeClock
from core.models import ChatPost
from core.runtime import Runtime
from plugins.oncall.models import WORKED, Entry


def test_out_of_hours_incident_time_is_recorded_for_the_primary_with_rest(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = make_runtime()
    declared = datetime(
        2026, 12, 1, 19, 0, tzinfo=UTC
    )  # Tuesday 19:00 London: on call, not working hours
    clock.set(declared)
    primary = runtime.hook.dutybot_role_holders(
        runtime=runtime, role="oncall.primary", at=declared
    )[0]
    reply = runtime.run_command(
        "incident declare",
        "ingress is down --impact users cannot reach services --priority high",
        "@carol",
    )
    number = reply.split("Incident ", 1)[1].split(" ", 1)[0].strip("#:")
    runtime.run_command("incident lead", f"{number} @carol", "@carol")
    clock.set(datetime(2026, 12, 1, 20, 30, tzinfo=UTC))
    runtime.run_command("incident resolve", f"{number} rolled back the ingress change", "@carol")

    with runtime.db.session() as session:
        entries = session.scalars(select(Entry).where(Entry.kind == WORKED)).all()
        posts = session.scalars(
            select(ChatPost.text).where(ChatPost.key == f"oncall:incident-work:{number}")
        ).all()
    assert [(e.person, e.starts_at, e.ends_at) for e in entries] == [
        (primary, declared, datetime(2026, 12, 1, 20, 30, tzinfo=UTC))
    ]
    assert posts == [
        f"Incident {number} is resolved. 1.5 h of it were out of hours and are recorded as your on-call "
        "work (see !oncall hours). Rest until 2026-12-02 07:30: you will not be picked as secondary "
        "or cover before then."
    ]


def test_an_incident_inside_working_hours_records_nothing(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = make_runtime()
    clock.set(datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
    reply = runtime.run_command(
        "incident declare", "slow builds --impact builds take longer", "@carol"
    )
    number = reply.split("Incident ", 1)[1].split(" ", 1)[0].strip("#:")
    runtime.run_command("incident lead", f"{number} @carol", "@carol")
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    runtime.run_command("incident resolve", f"{number} cache fixed", "@carol")
    with runtime.db.session() as session:
        assert session.scalars(select(Entry).where(Entry.kind == WORKED)).all() == []
