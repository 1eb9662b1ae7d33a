"""The pager plugin's hook implementations."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import hookimpl
from core.commands import Command
from core.scheduler import Job
from plugins.pager import commands, jobs, metrics, monitor, service, worker
from plugins.pager.models import HANDOVER, UNANSWERED
from plugins.pager.service import PageInfo
from plugins.pager.settings import PagerSection

if TYPE_CHECKING:
    from core.runtime import Runtime

MIGRATIONS = Path(__file__).parent / "migrations"


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {service.SECTION: PagerSection}


@hookimpl
def dutybot_migrations() -> list[str]:
    return [str(MIGRATIONS)]


@hookimpl
def dutybot_startup(runtime: Runtime) -> None:
    """Start the workers, then deliver whatever a previous process committed and never sent."""
    worker.start(runtime, service.section(runtime))
    jobs.sweep(runtime)


@hookimpl
def dutybot_shutdown(runtime: Runtime) -> None:
    worker.stop(runtime)


@hookimpl
def dutybot_commands() -> list[Command]:
    return commands.COMMANDS


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    return jobs.jobs(runtime)


@hookimpl
def dutybot_status(runtime: Runtime) -> list[str]:
    return monitor.status_lines(runtime, worker.running(runtime))


@hookimpl
def dutybot_checklist_items(runtime: Runtime) -> list[str]:
    """Pages nobody was paged for overnight, and pages nobody acknowledged."""
    return [
        f"Page {service.describe(runtime, page)} (!ack {page.id}, !resolve {page.id})"
        for page in service.pages_in(runtime, (HANDOVER, UNANSWERED))
    ]


@hookimpl
def dutybot_metrics(runtime: Runtime, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Pages per person and when they landed, time to acknowledge, escalations (no priorities)."""
    return metrics.figures(runtime, start, end)


@hookimpl
def dutybot_gauges(runtime: Runtime) -> dict[str, float]:
    return metrics.gauges(runtime)


@hookimpl(trylast=True)
def dutybot_page(
    runtime: Runtime,
    target: str,
    message: str,
    dedup_key: str | None,
    source: str,
    session: Session | None,
) -> PageInfo:
    """Write the page in the caller's transaction (or its own) and send it once committed."""
    if session is not None:
        page = service.create_page(runtime, target, message, source, dedup_key, session)
        _dispatch_after_commit(runtime, session)
        return page
    with runtime.db.session() as own:
        page = service.create_page(runtime, target, message, source, dedup_key, own)
    worker.kick(runtime)
    return page


def _dispatch_after_commit(runtime: Runtime, session: Session) -> None:
    """Send as soon as the caller's transaction commits (a savepoint's release is not that)."""
    sent = False

    def committed(committed_session: Session) -> None:
        nonlocal sent
        if not sent and not committed_session.in_nested_transaction():
            sent = True
            worker.kick(runtime)

    event.listen(session, "after_commit", committed)
