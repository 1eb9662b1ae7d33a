"""The on-call plugin's hook implementations (registered as ``oncall``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import func, select

from core import hookimpl
from plugins.oncall import commands as oncall_commands
from plugins.oncall import metrics
from plugins.oncall.incidents import record_incident_work
from plugins.oncall.jobs import jobs, plan_and_check
from plugins.oncall.models import COVER, OPEN, Entry
from plugins.oncall.periods import shift_bounds
from plugins.oncall.routes import routes
from plugins.oncall.settings import ROLES, OncallSection
from plugins.oncall.timeline import holder_at, person_segments, planned_until

if TYPE_CHECKING:
    from core.commands import Command
    from core.receiver import Route
    from core.runtime import Runtime
    from core.scheduler import Job

SECTION = oncall_commands.SECTION
ROLE_PREFIX = "oncall."


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: OncallSection}


@hookimpl
def dutybot_migrations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def dutybot_startup(runtime: Runtime) -> None:
    plan_and_check(runtime, oncall_commands.section_of(runtime))
    runtime.chat.flush()


@hookimpl
def dutybot_commands() -> list[Command]:
    return oncall_commands.commands()


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    return jobs(runtime, oncall_commands.section_of(runtime))


@hookimpl
def dutybot_webhook_routes(runtime: Runtime) -> list[Route]:
    return routes(runtime, oncall_commands.section_of(runtime))


@hookimpl(trylast=True)
def dutybot_role_holders(runtime: Runtime, role: str, at: datetime) -> list[str] | None:
    """``oncall.primary`` / ``oncall.secondary`` from the rota; an installed plugin may answer first."""
    if not role.startswith(ROLE_PREFIX) or role.removeprefix(ROLE_PREFIX) not in ROLES:
        return None
    with runtime.db.session() as session:
        segment = holder_at(session, role.removeprefix(ROLE_PREFIX), at)
    return [segment.person] if segment and segment.person else []


@hookimpl
def dutybot_person_roles(runtime: Runtime, person: str) -> list[str]:
    section = oncall_commands.section_of(runtime)
    tz, now = runtime.calendars.tz, runtime.clock.now()
    with runtime.db.session() as session:
        end = planned_until(session)
        since = shift_bounds(section, tz, now).start
        ahead = (
            [s for s in person_segments(session, person, since, end) if s.end > now] if end else []
        )
    if not ahead:
        return ["on-call rota: member, no shift planned yet"] if person in section.members else []
    first = ahead[0]
    if first.start <= now:
        return [f"on-call rota: {first.role} now, until {runtime.calendars.format(first.end)}"]
    return [
        f"on-call rota: next {first.role} {runtime.calendars.format(first.start)} to {runtime.calendars.format(first.end)}"
    ]


@hookimpl
def dutybot_incident_resolved(runtime: Runtime, incident: Any) -> None:
    record_incident_work(runtime, oncall_commands.section_of(runtime), incident)
    runtime.chat.flush()


@hookimpl
def dutybot_status(runtime: Runtime) -> list[str]:
    with runtime.db.session() as session:
        end = planned_until(session)
        waiting = session.scalar(
            select(func.count())
            .select_from(Entry)
            .where(Entry.kind == COVER, Entry.state == OPEN, Entry.ends_at > runtime.clock.now())
        )
    planned = f"planned up to {runtime.calendars.format(end)}" if end else "nothing planned"
    return [f"On-call rota: {planned}, {waiting} open cover requests"]


@hookimpl
def dutybot_metrics(runtime: Runtime, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Hours on call per person (the fairness ledger) and out-of-hours time worked (no priorities)."""
    return metrics.figures(runtime, start, end)
