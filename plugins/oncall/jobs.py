"""The daily planning job: extend the rota to its horizon and report problems to the team."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core.scheduler import Job
from plugins.oncall import checks, generate
from plugins.oncall.settings import OncallSection

if TYPE_CHECKING:
    from core.runtime import Runtime


def plan_and_check(runtime: Runtime, section: OncallSection) -> list[str]:
    """Plan up to ``horizon_weeks`` ahead, then post problems not reported before."""
    generate.plan(runtime, section, runtime.clock.now() + timedelta(weeks=section.horizon_weeks))
    return checks.report(runtime, section)


def jobs(runtime: Runtime, section: OncallSection) -> list[Job]:
    def run(_fire_time: datetime) -> None:
        plan_and_check(runtime, section)

    return [Job("oncall.plan", section.check_cron, run)]
