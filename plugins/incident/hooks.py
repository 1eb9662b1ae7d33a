"""The incident plugin's hook implementations (registered as ``incident``).

docs/incidents.md describes the behaviour; the pieces live beside this module: ``service`` (the
changes), ``commands``, ``messages`` (the team's phrases), ``jobs`` (the minutely sweep),
``texts`` and ``view`` (the snapshot listeners receive).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from core import hookimpl
from plugins.incident import commands, messages, metrics, reactions, service, texts
from plugins.incident.jobs import jobs
from plugins.incident.service import Declaration
from plugins.incident.settings import SECTION, IncidentSection

if TYPE_CHECKING:
    from core.chat import ChatReaction, InboundMessage
    from core.commands import Command
    from core.runtime import Runtime
    from core.scheduler import Job

MIGRATIONS = Path(__file__).parent / "migrations"


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: IncidentSection}


@hookimpl
def dutybot_migrations() -> list[str]:
    return [str(MIGRATIONS)]


@hookimpl
def dutybot_commands() -> list[Command]:
    return commands.commands()


@hookimpl
def dutybot_chat_message(runtime: Runtime, message: InboundMessage) -> str | None:
    return messages.handle(runtime, message)


@hookimpl
def dutybot_chat_reaction(runtime: Runtime, reaction: ChatReaction) -> None:
    reactions.react(runtime, reaction)


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    return jobs(runtime)


@hookimpl(trylast=True)
def dutybot_alarm_escalated(runtime: Runtime, alarm: Any, by: str) -> str:
    """``!alarm incident ID``: declare an incident from the alarm and link them."""
    scheme = service.section(runtime).active
    summary = getattr(alarm, "summary", "") or alarm.title
    declared = service.declare(
        runtime,
        Declaration(
            reason=alarm.title,
            impact=f"not yet assessed (alarm #{alarm.id}: {summary})",
            by=by,
            source=f"alarm #{alarm.id}",
            priority=scheme.from_alarms.get(alarm.priority),
            detected_at=getattr(alarm, "starts_at", None) or alarm.fired_at,
            alarm=str(alarm.id),
            alarm_title=alarm.title,
        ),
    )
    return str(declared.id)


@hookimpl
def dutybot_alert_received(runtime: Runtime, alarm: Any, change: str) -> None:
    for incident_id in service.alarm_changed(runtime, alarm, change):
        service.fire(runtime, "dutybot_incident_updated", incident_id, change="alarm")


@hookimpl
def dutybot_page_acknowledged(runtime: Runtime, page: Any, by: str) -> None:
    incident_id = service.page_acknowledged(runtime, page, by)
    if incident_id is not None:
        service.fire(runtime, "dutybot_incident_updated", incident_id, change="page")


@hookimpl
def dutybot_handover_items(runtime: Runtime, day: date) -> list[str]:
    """Open urgent (high-priority) incidents, handed over to the on-call engineer at 18:00."""
    settings = service.section(runtime)
    with runtime.db.session() as session:
        return [
            texts.handover_line(
                runtime, incident, level.label, service.holders(session, incident.id)
            )
            for incident in service.open_incidents(session)
            if (level := settings.level(incident.priority)).urgent
        ]


@hookimpl
def dutybot_checklist_items(runtime: Runtime, day: date) -> list[str]:
    """Every open incident, for the 09:00 checklist: the day starts by picking them up."""
    settings = service.section(runtime)
    with runtime.db.session() as session:
        return [
            texts.handover_line(
                runtime,
                incident,
                settings.level(incident.priority).label,
                service.holders(session, incident.id),
            )
            for incident in service.open_incidents(session)
        ]


@hookimpl
def dutybot_metrics(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    return metrics.figures(runtime, start, end, priority)


@hookimpl
def dutybot_availability(runtime: Runtime, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The built-in: downtime of high-priority incidents, as the service ``all``."""
    return metrics.availability(runtime, start, end)
