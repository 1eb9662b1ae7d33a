"""Scheduled jobs: cron in the team's timezone, calendar days, exactly once, no sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core import hookimpl
from core.clock import FakeClock
from core.models import JobRun
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from core.scheduler import Job
from tests.conftest import advance


class Recorder:
    """A plugin contributing jobs that record when they ran."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []

    @hookimpl
    def dutybot_scheduled_jobs(self) -> list[Job]:
        return [
            Job(
                "test.morning",
                "0 9 * * mon-fri",
                lambda t: self.calls.append(("morning", t)),
                days="working",
            ),
            Job("test.fails", "30 9 * * *", self._fail),
        ]

    def _fail(self, fire_time: datetime) -> None:
        self.calls.append(("fails", fire_time))
        raise RuntimeError("a job bug must not stop the scheduler")


# The core scheduler is under test: the features' own jobs (minutely sweeps) stay out of it.
FEATURES_OFF = {"disabled_plugins": frozenset(DEFAULT_PLUGINS) - {"system", "team"}}


def london(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


def test_jobs_fire_at_local_time_across_dst_and_skip_bank_holidays(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    recorder = Recorder()
    clock.set(london(2026, 3, 27, 8))  # Friday before the March change
    runtime = make_runtime(plugins=(recorder,), **FEATURES_OFF)
    advance(runtime, clock, london(2026, 4, 7, 12), step=timedelta(minutes=5))
    mornings = [t for name, t in recorder.calls if name == "morning"]
    # Fri 27 Mar (GMT), Mon 30 Mar .. Thu 2 Apr (BST), Good Friday 3 Apr and Easter Monday 6 Apr skipped.
    assert mornings == [
        datetime(2026, 3, 27, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 2, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 7, 8, 0, tzinfo=UTC),
    ]


def test_a_restart_just_after_the_fire_time_does_not_run_it_again(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    first, second = Recorder(), Recorder()
    clock.set(london(2026, 12, 1, 8, 59))
    runtime = make_runtime(plugins=(first,), **FEATURES_OFF)
    advance(runtime, clock, london(2026, 12, 1, 9, 0))
    assert [name for name, _ in first.calls] == ["morning"]
    runtime.stop()
    clock.set(london(2026, 12, 1, 9, 0) + timedelta(seconds=30))
    restarted = make_runtime(plugins=(second,), **FEATURES_OFF)  # same database
    assert restarted.scheduler.run_due() == []
    assert second.calls == []


def test_a_fire_time_missed_beyond_its_grace_is_skipped(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    recorder = Recorder()
    clock.set(london(2026, 12, 1, 8))
    runtime = make_runtime(plugins=(recorder,), **FEATURES_OFF)
    clock.set(london(2026, 12, 1, 11))  # the bot was frozen from 08:00 to 11:00
    assert runtime.scheduler.run_due() == []
    assert recorder.calls == []


def test_a_failing_job_is_recorded_and_the_next_one_still_runs(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    recorder = Recorder()
    clock.set(london(2026, 12, 1, 8, 55))
    runtime = make_runtime(plugins=(recorder,), **FEATURES_OFF)
    advance(runtime, clock, london(2026, 12, 2, 9, 0))
    assert [name for name, _ in recorder.calls] == ["morning", "fails", "morning"]
    with runtime.db.session() as session:
        runs = session.execute(
            select(JobRun.job, JobRun.outcome, JobRun.error)
            .where(JobRun.job.like("test.%"))
            .order_by(JobRun.id)
        ).all()
    assert [tuple(r) for r in runs] == [
        ("test.morning", "done", None),
        ("test.fails", "failed", "RuntimeError: a job bug must not stop the scheduler"),
        ("test.morning", "done", None),
    ]
