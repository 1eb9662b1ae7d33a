"""The metrics plugin's hook implementations (registered as ``metrics``).

docs/metrics.md describes the behaviour. Figures come from every feature through
``dutybot_metrics`` (``collect``); this plugin adds the ``availability`` section, the scheduler's
health gauge, and the views: ``!stats`` (``commands``), the weekly digest (``digest``),
``dutybot report`` (``report``) and ``GET /metrics`` (``prometheus``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import func, select

from core import hookimpl
from core.models import JobRun
from plugins.metrics import collect, commands, digest, prometheus, report
from plugins.metrics.settings import SECTION, MetricsSection

if TYPE_CHECKING:
    from core.cli import CliCommand
    from core.commands import Command
    from core.receiver import Route
    from core.runtime import Runtime
    from core.scheduler import Job


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: MetricsSection}


@hookimpl
def dutybot_commands() -> list[Command]:
    return commands.commands()


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    return digest.jobs(runtime)


@hookimpl
def dutybot_webhook_routes(runtime: Runtime) -> list[Route]:
    return [prometheus.route(runtime)]


@hookimpl
def dutybot_cli_commands() -> list[CliCommand]:
    return [report.cli_command()]


@hookimpl
def dutybot_metrics(runtime: Runtime, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Availability per service, from the downtime plugins report (not filtered by priority)."""
    return {"availability": collect.availability(runtime, start, end)}


@hookimpl
def dutybot_gauges(runtime: Runtime) -> dict[str, float]:
    """Seconds since a scheduled job last ran (from ``job_runs``): a stuck scheduler shows here."""
    with runtime.db.session() as session:
        last = session.scalar(select(func.max(JobRun.started_at)))
    if last is None:
        return {}
    return {"scheduler_last_run_age_seconds": (runtime.clock.now() - last).total_seconds()}
