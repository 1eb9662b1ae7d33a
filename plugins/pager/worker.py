"""The delivery workers: our own bounded thread pool sending claimed outbox rows through apprise.

apprise runs every notification on one process-wide pool of ``min(32, cpu + 4)`` threads with no
public setting, which makes a fan-out to many people slow on a small machine. Each row is sent
here as a single-URL ``notify()`` with apprise's service deadline switched off, which apprise runs
in the calling thread, so the concurrency is this pool's (``[pager.delivery] workers``).

Rows are claimed only for free workers, so a busy replica leaves due rows to an idle one.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import apprise

from core.db import unavailable
from plugins.pager import contacts, outbox
from plugins.pager.contacts import ContactError
from plugins.pager.outbox import Claim, Outcome
from plugins.pager.settings import PagerSection

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

RECORD_RETRY_SECONDS = 0.5
_running: WeakKeyDictionary[Runtime, Pager] = WeakKeyDictionary()
_running_lock = threading.Lock()


def send(claimed: Claim, timeout: float) -> Outcome:
    """Send one notification; the outcome comes from apprise's per-destination result."""
    try:
        service = contacts.service(claimed.contact, timeout)
    except ContactError as exc:
        return Outcome(False, str(exc), permanent=True)
    notifier = apprise.Apprise(asset=contacts.ASSET)
    notifier.add(service)
    try:
        result = notifier.notify(body=claimed.body, title=claimed.title)
    except Exception as exc:  # a plugin bug must not kill the worker; the URL stays out of the log
        return Outcome(False, f"apprise raised {type(exc).__name__}")
    per_destination = list(result)
    if not per_destination:
        return Outcome(False, f"{result.status.name}: apprise sent nothing")
    sent = per_destination[0]
    return Outcome(bool(sent), f"{sent.status.name} in {sent.elapsed:.2f} s")


class Pager:
    """One runtime's delivery workers, plus what the heartbeat last did."""

    def __init__(self, runtime: Runtime, settings: PagerSection) -> None:
        self.runtime = runtime
        self.settings = settings.delivery
        self.token = secrets.token_hex(8)
        self._pool = ThreadPoolExecutor(self.settings.workers, thread_name_prefix="dutybot-pager")
        self._lease = timedelta(seconds=self.settings.lease_seconds)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._slots = 0  # rows claimed and not yet recorded: at most `workers`
        self._tasks = 0  # claimed rows not yet recorded, their follow-up dispatch included
        self._more = False  # the last claim filled every slot: more rows may be due
        self._results: queue.SimpleQueue[tuple[Claim, Outcome] | None] = queue.SimpleQueue()
        self._recorder = threading.Thread(
            target=self._record_results, name="dutybot-pager-recorder", daemon=True
        )
        self._recorder.start()
        self.stopped = False
        self.heartbeat: tuple[datetime, str] | None = None

    @property
    def workers(self) -> int:
        return self.settings.workers

    def dispatch(self) -> int:
        """Claim due rows for the free workers and start sending them; returns how many."""
        with self._lock:
            free = 0 if self.stopped else self.workers - self._slots
            self._slots += free
        if free <= 0:
            return 0
        claimed: list[Claim] = []
        try:
            claimed = outbox.claim(
                self.runtime.db, self.runtime.clock.now(), self.token, free, self._lease
            )
        except Exception:
            log.exception("claiming notifications failed; the next sweep tries again")
        with self._lock:
            self._slots -= free - len(claimed)
            self._tasks += len(claimed)
            self._more = len(claimed) == free
            if not self._tasks:
                self._idle.notify_all()
        for row in claimed:
            try:
                self._pool.submit(self._deliver, row)
            except RuntimeError:  # stopped meanwhile: the row is sent when its claim lapses
                with self._lock:
                    self._slots -= 1
                    self._tasks -= 1
                    if not self._tasks:
                        self._idle.notify_all()
        return len(claimed)

    def _deliver(self, claimed: Claim) -> None:
        try:
            outcome = send(claimed, self.settings.timeout_seconds)
        except Exception as exc:  # never lose the slot: the failure is recorded like any other
            log.exception("delivery %s failed in the worker", claimed.id)
            outcome = Outcome(False, f"worker error {type(exc).__name__}")
        self._results.put((claimed, outcome))

    def _record_results(self) -> None:
        """The recorder thread: store outcomes in batches, one transaction each, until stopped."""
        while True:
            batch = [self._results.get()]
            while batch[-1] is not None and not self._results.empty():
                batch.append(self._results.get())
            results = [item for item in batch if item is not None]
            if results:
                self._record(results)
            if batch[-1] is None:
                return

    def _record(self, batch: list[tuple[Claim, Outcome]]) -> None:
        follow_up = False
        try:
            follow_up = self._store(batch, self.runtime.clock.now())
        except Exception:
            log.exception(
                "%d results could not be recorded; those are sent again when their claims lapse",
                len(batch),
            )
        with self._lock:
            self._slots -= len(batch)
            follow_up = follow_up or self._more
        try:
            if follow_up:
                self.dispatch()
        finally:
            with self._lock:
                self._tasks -= len(batch)
                if not self._tasks:
                    self._idle.notify_all()

    def _store(self, batch: list[tuple[Claim, Outcome]], now: datetime) -> bool:
        """Record outcomes, waiting out a database outage (until stopped).

        A notification already sent whose result is lost would be sent again when its claim
        lapses: holding the result until the database is back is what keeps it sent once.
        """
        waiting = False
        while True:
            try:
                follow_up = outbox.record(self.runtime.db, now, self.token, batch, self.settings)
            except Exception as exc:
                reason = unavailable(exc)
                if reason is None or self.stopped:
                    raise
                if not waiting:
                    log.warning("%d delivery results wait for the database: %s", len(batch), reason)
                    waiting = True
                time.sleep(RECORD_RETRY_SECONDS)
                continue
            if waiting:
                log.warning("%d delivery results recorded after the outage", len(batch))
            return follow_up

    def wait_idle(self, timeout: float = 30) -> bool:
        """Block until nothing is being sent (tests, shutdown); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._tasks == 0, timeout)

    def stop(self) -> None:
        """Stop claiming, and let sends in flight finish (each is bounded by the timeout)."""
        with self._lock:
            self.stopped = True
        self._pool.shutdown(wait=True)
        self._results.put(None)
        self._recorder.join()


def start(runtime: Runtime, settings: PagerSection) -> Pager:
    with _running_lock:
        pager = _running.get(runtime)
        if pager is None:
            pager = _running[runtime] = Pager(runtime, settings)
        return pager


def running(runtime: Runtime) -> Pager | None:
    """This runtime's pager, if it has been started and not stopped."""
    pager = _running.get(runtime)
    return pager if pager is not None and not pager.stopped else None


def kick(runtime: Runtime) -> None:
    """Send what is due now, if this runtime's pager is running (after a commit, after a sweep)."""
    pager = running(runtime)
    if pager is not None:
        pager.dispatch()


def stop(runtime: Runtime) -> None:
    with _running_lock:
        pager = _running.pop(runtime, None)
    if pager is not None:
        pager.stop()
