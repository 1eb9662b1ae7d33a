"""The alarms plugin's hook implementations: the glue between the core and this feature."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from core import hookimpl
from plugins.alarms import commands, jobs, metrics, report, webhooks
from plugins.alarms.chatparse import parse_alertmanager_slack
from plugins.alarms.ingest import FIRED, follow_up, ingest
from plugins.alarms.paging import CHAT_SOURCE
from plugins.alarms.render import prefix
from plugins.alarms.routing import channel_priority
from plugins.alarms.settings import SECTION, AlarmsSection, section_of
from plugins.alarms.sources import BUILT_IN, Parser, validate_alerts

if TYPE_CHECKING:
    from core.chat import InboundMessage
    from core.commands import Command
    from core.receiver import Route
    from core.runtime import Runtime
    from core.scheduler import Job

log = logging.getLogger(__name__)


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: AlarmsSection}


@hookimpl
def dutybot_migrations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def dutybot_commands() -> list[Command]:
    return commands.commands()


@hookimpl
def dutybot_alert_sources() -> dict[str, Parser]:
    return dict(BUILT_IN)


@hookimpl
def dutybot_webhook_routes(runtime: Runtime) -> list[Route]:
    return webhooks.routes(runtime)


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    return jobs.jobs(runtime)


@hookimpl(trylast=True)
def dutybot_parse_alarm_message(message: InboundMessage) -> list[dict[str, Any]] | None:
    return parse_alertmanager_slack(message.text)


@hookimpl
def dutybot_chat_message(runtime: Runtime, message: InboundMessage) -> str | None:
    """Record alerts another tool posted in an alarm channel, with that channel's priority."""
    section = section_of(runtime)
    priority = channel_priority(section, message.channel_name)
    if not section.chat.parse or priority is None:
        return None
    found = runtime.hook.dutybot_parse_alarm_message(runtime=runtime, message=message)
    if not found:
        return None
    try:
        alerts = validate_alerts(found)
    except ValueError as exc:
        log.warning("ignoring an alert read in %s: %s", message.channel, exc)
        return None
    changes = ingest(runtime, CHAT_SOURCE, alerts, priority=priority, post=False)
    follow_up(runtime, changes)
    return (
        "\n".join(
            f"Recorded as alarm #{c.alarm.id} ({c.alarm.priority}). Triage: {prefix()}alarm ack {c.alarm.id}"
            for c in changes
            if c.kind == FIRED
        )
        or None
    )


@hookimpl
def dutybot_checklist_items(runtime: Runtime, day: date) -> list[str]:
    return [report.checklist_line(runtime, day)]


@hookimpl
def dutybot_handover_items(runtime: Runtime) -> list[str]:
    return [report.handover_line(runtime)]


@hookimpl
def dutybot_status(runtime: Runtime) -> list[str]:
    return report.status_lines(runtime, sorted(webhooks.collect_sources(runtime)))


@hookimpl
def dutybot_metrics(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    return metrics.figures(runtime, start, end, priority)
