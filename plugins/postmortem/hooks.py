"""The postmortem plugin's hook implementations (registered as ``postmortem``).

docs/postmortems.md describes the behaviour; the pieces live beside this module: ``service``
(drafts and publishing), ``review`` (the meeting), ``actions``, ``report`` (figures and the built-in template), ``incident_log`` (the
files) and ``commands``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from core import hookimpl
from core.cli import CliCommand
from plugins.postmortem import actions, commands, metrics, reminders, report, review, service
from plugins.postmortem.settings import SECTION, PostmortemSection

if TYPE_CHECKING:
    from core.commands import Command
    from core.runtime import Runtime
    from core.scheduler import Job

MIGRATIONS = Path(__file__).parent / "migrations"


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: PostmortemSection}


@hookimpl
def dutybot_migrations() -> list[str]:
    return [str(MIGRATIONS)]


@hookimpl
def dutybot_commands() -> list[Command]:
    return commands.commands()


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    return [*review.jobs(runtime), *reminders.jobs(runtime)]


@hookimpl
def dutybot_incident_resolved(runtime: Runtime, incident: Any) -> None:
    """A resolved incident of a priority the team reviews gets a blameless draft."""
    if service.wants_postmortem(runtime, incident):
        service.create_draft(runtime, incident)


@hookimpl(trylast=True)
def dutybot_postmortem_template(incident: report.Report) -> str:
    """The built-in Markdown template; a team's own plugin answering first replaces it."""
    return report.render(incident)


@hookimpl
def dutybot_checklist_items(runtime: Runtime, day: date) -> list[str]:
    """Review actions past their due date, so the day starts by chasing them."""
    return actions.overdue_lines(runtime, day)


@hookimpl
def dutybot_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(
            ("incident-log", "build"),
            "regenerate the incident log (reports and quarterly index) from the database",
            lambda runtime: service.rebuild_log(runtime, "dutybot incident-log build"),
        )
    ]


@hookimpl
def dutybot_metrics(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    """Postmortems published and review actions open/overdue, in the ``incidents`` section."""
    return metrics.figures(runtime, start, end, priority)
