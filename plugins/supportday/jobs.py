"""The support day's scheduled jobs, at the times of the process file, on working days only."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from core.scheduler import Job
from plugins.supportday import checklist, handover, hours
from plugins.supportday.settings import section

if TYPE_CHECKING:
    from core.runtime import Runtime


def jobs(runtime: Runtime) -> list[Job]:
    settings = section(runtime)
    daily = [
        Job(
            "supportday.checklist",
            _cron(settings.checklist_at),
            lambda t: checklist.post(runtime, t),
            days="working",
        ),
        Job(
            "supportday.nudge",
            _cron(settings.nudge_at),
            lambda t: checklist.nudge(runtime, t),
            days="working",
        ),
        Job(
            "supportday.handover-prompt",
            _cron(settings.handover_prompt_at),
            lambda t: handover.prompt(runtime, t),
            days="working",
        ),
        Job(
            "supportday.handover",
            _cron(settings.handover_at),
            lambda t: handover.hand_over(runtime, t),
            days="working",
        ),
    ]
    if not settings.support_notices:
        return daily
    # Idempotent by its post keys, so it needs no run record for each of its 1,440 daily runs.
    sweep = Job(
        "supportday.support-hours",
        "* * * * *",
        lambda t: hours.announce(runtime, t),
        exactly_once=False,
    )
    return [*daily, sweep]


def _cron(at: time) -> str:
    """A daily crontab entry at a local time; the job's ``days`` decides which days it runs."""
    return f"{at.minute} {at.hour} * * *"
