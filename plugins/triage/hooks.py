"""The triage plugin's hook implementations: support requests, SLA clocks and the board.

docs/requests.md describes the behaviour; the pieces live beside this module: ``intake`` (the
support channel), ``service`` (the lifecycle), ``sla`` (clocks and timers), ``board``,
``commands``, ``jobs`` (the sweep) and ``queries`` (lists, checklist, metrics).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from core import hookimpl
from plugins.triage import classify, intake, jobs, metrics, queries, ratings
from plugins.triage import commands as triage_commands
from plugins.triage.settings import SECTION, TriageSection, section

if TYPE_CHECKING:
    from core.chat import InboundMessage
    from core.commands import Command
    from core.runtime import Runtime
    from core.scheduler import Job

MIGRATIONS = str(Path(__file__).parent / "migrations")


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: TriageSection}


@hookimpl
def dutybot_migrations() -> list[str]:
    return [MIGRATIONS]


@hookimpl
def dutybot_commands() -> list[Command]:
    return [*triage_commands.commands(), *ratings.commands(triage_commands.FEATURE)]


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    return jobs.jobs(runtime)


@hookimpl
def dutybot_chat_message(runtime: Runtime, message: InboundMessage) -> str | None:
    return intake.handle(runtime, message)


@hookimpl(trylast=True)
def dutybot_classify_request(runtime: Runtime, text: str) -> dict[str, Any] | None:
    """The process file's keyword rules; any plugin that answers first wins."""
    return classify.by_rules(section(runtime).active, text)


@hookimpl
def dutybot_checklist_items(runtime: Runtime) -> list[str]:
    """Unassigned requests and requests at risk, as they stand when the checklist is made."""
    return queries.checklist_lines(runtime)


@hookimpl
def dutybot_status(runtime: Runtime) -> list[str]:
    return queries.status_lines(runtime)


@hookimpl
def dutybot_metrics(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    return metrics.figures(runtime, start, end, priority)
