"""The pager's scheduled jobs: the sweeper, the auditor and the heartbeat.

They read ``runtime.clock``, so tests fast-forward through escalations with ``advance()``. The
sweeper (every minute) and the auditor (every 5 minutes) work from the pages' own state, and
each change is claimed with a conditional UPDATE, so they run on every replica without a run
record; the heartbeat runs once per fire time.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from core.scheduler import Job
from plugins.pager import monitor, service, worker

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP_CRON = "* * * * *"
AUDIT_CRON = "*/5 * * * *"
CATCH_UP = timedelta(seconds=30)
"""These jobs work from the current state, not from their fire time: after a pause one run
catches up with everything, so missed fire times are not replayed one by one."""


def sweep(runtime: Runtime) -> None:
    """Release queued pages, escalate unacknowledged ones, re-page unresolved ones, send retries."""
    now = runtime.clock.now()
    for page in service.due_pages(runtime, now):
        try:
            service.advance(runtime, page, now)
        except Exception:
            log.exception(
                "page %s could not move on; the auditor reports it if it stays stuck", page.id
            )
    worker.kick(runtime)


def audit(runtime: Runtime) -> None:
    """Escalate pages whose current call has reached nobody for ``stuck_minutes``, and say so."""
    now = runtime.clock.now()
    for page in service.stuck_pages(runtime, now):
        log.warning("page %s is stuck: nothing delivered since %s", page.id, page.call_started_at)
        service.advance(runtime, page, now, stuck=True)
    worker.kick(runtime)


def heartbeat(runtime: Runtime) -> None:
    monitor.beat(runtime, worker.running(runtime), runtime.clock.now())


def jobs(runtime: Runtime) -> list[Job]:
    settings = service.section(runtime)
    found = [
        Job(
            "pager.audit",
            AUDIT_CRON,
            lambda _fire_time: audit(runtime),
            exactly_once=False,
            grace=CATCH_UP,
        ),
        Job(
            "pager.sweep",
            SWEEP_CRON,
            lambda _fire_time: sweep(runtime),
            exactly_once=False,
            grace=CATCH_UP,
        ),
    ]
    if settings.heartbeat.url:
        found.append(
            Job(
                "pager.heartbeat",
                settings.heartbeat.cron,
                lambda _fire_time: heartbeat(runtime),
                grace=CATCH_UP,
            )
        )
    return found
