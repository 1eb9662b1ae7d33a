"""Cron-like jobs in the team's timezone, each fire time run exactly once.

APScheduler's triggers compute the fire times (cron in a timezone, DST included); running is
ours: a job's fire time is claimed by inserting a ``job_runs`` row whose (job, fire_time) is
unique, so a restart at 09:00:30 or a second replica cannot run the 09:00 job again. The
scheduler reads the injectable clock, so tests fast-forward with ``run_due()`` instead of sleeping.

With several replicas only the leader's background loop runs jobs (core/leader.py); a replica
that becomes leader looks back by each job's grace, so a fire time the old leader missed still
runs once. While the database is unavailable a due fire time stays due and is tried again on the
next tick (within its grace), instead of being dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError

from core.db import unavailable
from core.models import JobRun

if TYPE_CHECKING:
    from core.calendars import Calendars
    from core.clock import Clock
    from core.db import Database

log = logging.getLogger(__name__)
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Job:
    """A scheduled job contributed by a plugin.

    ``cron`` is a crontab expression in the team's timezone (``"0 9 * * mon-fri"``). ``days``
    names a calendar window; fire times on local dates when that window never opens (weekends,
    bank holidays for ``working``) are skipped. ``exactly_once=False`` suits frequent sweeps that
    are idempotent by their own state and need no run record. A fire time missed by more than
    ``grace`` (the bot was down) is skipped rather than run late.
    """

    name: str
    cron: str
    func: Callable[[datetime], None]
    days: str | None = None
    exactly_once: bool = True
    grace: timedelta = timedelta(minutes=30)


class Scheduler:
    """Runs due jobs on demand (``run_due``) or from a background thread (``start``).

    ``after_run`` is called after every job, and with ``everything=True`` on every background
    tick: the runtime passes its chat outbox's ``flush`` so jobs' posts go out at once and posts
    queued elsewhere go out within a tick. ``is_leader`` says whether this replica runs the jobs
    (core/leader.py); followers' ticks only flush chat.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        calendars: Calendars,
        jobs: Iterable[Job],
        after_run: Callable[..., object] = lambda **_: None,
        is_leader: Callable[[], bool] = lambda: True,
    ) -> None:
        self._db = db
        self._clock = clock
        self._calendars = calendars
        self._after_run = after_run
        self._is_leader = is_leader
        self._leading = False
        self._outage: str | None = None
        self.jobs = sorted(jobs, key=lambda j: j.name)
        self._triggers: dict[str, BaseTrigger] = {
            job.name: CronTrigger.from_crontab(job.cron, timezone=calendars.tz) for job in self.jobs
        }
        self._next: dict[str, datetime | None] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_run: datetime | None = None
        self.reset()

    def reset(self) -> None:
        """Recompute each job's next fire time from the clock, looking back by its grace."""
        now = self._clock.now()
        self._next = {
            job.name: self._triggers[job.name].get_next_fire_time(None, now - job.grace)
            for job in self.jobs
        }

    def next_fire_time(self, name: str) -> datetime | None:
        return self._next.get(name)

    def run_due(self, leading: Callable[[], bool] = lambda: True) -> list[tuple[str, datetime]]:
        """Run every job whose fire time has come, in time order; returns what ran.

        Tests call it to fast-forward; the background tick passes ``leading`` so a replica that
        loses the leadership mid-way stops before its next job.
        """
        ran: list[tuple[str, datetime]] = []
        with self._lock:
            now = self._clock.now()
            while True:
                due = [
                    (t, j) for j in self.jobs if (t := self._next[j.name]) is not None and t <= now
                ]
                if not due or not leading():
                    break
                fire_time, job = min(due, key=lambda pair: (_utc(pair[0]), pair[1].name))
                following = self._following(job, fire_time)
                if now - fire_time > job.grace or not self._on_allowed_day(job, fire_time):
                    self._next[job.name] = following
                    continue
                # raises (leaving the fire time due) if the database cannot take the claim
                run_id = self._claim(job, fire_time) if job.exactly_once else None
                self._next[job.name] = following
                if job.exactly_once and run_id is None:
                    continue
                self._run(job, fire_time, run_id)
                ran.append((job.name, fire_time))
            self.last_run = now
        return ran

    def _following(self, job: Job, fire_time: datetime) -> datetime | None:
        """The fire time after ``fire_time``, counted in UTC.

        Local arithmetic (``fire_time + TICK``) drops the fold of the hour the autumn clock
        change repeats: 01:00 GMT plus a microsecond is 01:00 BST, an hour earlier, so the
        trigger would hand back fire times already passed and ``run_due`` would never return.
        """
        return self._triggers[job.name].get_next_fire_time(None, _utc(fire_time) + TICK)

    def _on_allowed_day(self, job: Job, fire_time: datetime) -> bool:
        if job.days is None:
            return True
        local_day = self._calendars.local(fire_time).date()
        return bool(self._calendars[job.days].day_ranges(local_day))

    def _run(self, job: Job, fire_time: datetime, run_id: int | None) -> None:
        outcome, error = "done", None
        try:
            job.func(fire_time)
        except Exception as exc:
            log.exception("scheduled job %s for %s failed", job.name, fire_time.isoformat())
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"
        if run_id is not None:
            with self._db.session() as session:
                run = session.get(JobRun, run_id)
                run.finished_at, run.outcome, run.error = self._clock.now(), outcome, error
        self._after_run()

    def _claim(self, job: Job, fire_time: datetime) -> int | None:
        try:
            with self._db.session() as session:
                run = JobRun(
                    job=job.name,
                    fire_time=fire_time,
                    started_at=self._clock.now(),
                    outcome="running",
                )
                session.add(run)
                session.flush()
                return run.id
        except IntegrityError:
            log.info("job %s for %s already ran; skipping", job.name, fire_time.isoformat())
            return None

    def start(self, interval: float = 1.0) -> None:
        """Tick in a daemon thread until ``stop``; errors are logged and never stop the loop."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval):
                self.tick()

        self._thread = threading.Thread(target=loop, name="dutybot-scheduler", daemon=True)
        self._thread.start()

    def tick(self) -> None:
        """One background tick: run due jobs if this replica leads, then flush chat.

        A replica that has just become leader first looks back by each job's grace (``reset``),
        so fire times the previous leader missed run now; ``job_runs`` stops any it did run.
        An outage is logged once when it starts and once when it ends, not on every tick.
        """
        try:
            if self._is_leader():
                if not self._leading:
                    self._leading = True
                    self.reset()
                self.run_due(self._is_leader)
            else:
                self._leading = False
            self._after_run(everything=True)
        except Exception as exc:
            reason = unavailable(exc)
            if reason is None:
                log.exception("scheduler tick failed")
            elif self._outage is None:
                log.warning("scheduled jobs wait: %s; retrying every tick", reason)
            self._outage = reason
            return
        if self._outage is not None:
            log.warning("the database is back; scheduled jobs run again")
            self._outage = None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None


def _utc(instant: datetime) -> datetime:
    """Fire times are local; compared within one zone Python ignores the fold, so use UTC."""
    return instant.astimezone(UTC)
