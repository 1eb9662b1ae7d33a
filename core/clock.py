"""The clock every feature reads the time from.

Time-dependent behaviour (rotas, SLA clocks, the 09:00 post, escalations) reads ``runtime.clock``
instead of ``datetime.now`` so tests can fast-forward a fake clock rather than sleep.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to: the basis of every time-dependent test."""

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Jump to an instant (forwards or backwards)."""
        with self._lock:
            self._now = _require_aware(instant)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)`` and return the new instant."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("a clock only advances forwards; use set() to jump back")
        with self._lock:
            self._now += step
            return self._now


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
    return instant.astimezone(UTC)


class FileClock:
    """A test clock shared by several processes: the instant written in a file, running on.

    The file holds an ISO instant; the clock reads that instant at the file's modification time
    and runs on in real time from there, so every process reading the same file agrees on the
    time, and writing the file fast-forwards them all at once (end-to-end tests of replicas).
    Only ``DUTYBOT_TEST_CLOCK_FILE`` with ``DUTYBOT_ALLOW_TEST_CLOCK=yes`` builds one.
    """

    RECHECK_SECONDS = 0.05

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._offset = timedelta(0)
        self._checked = 0.0
        self._reload()

    def now(self) -> datetime:
        with self._lock:
            if time.monotonic() - self._checked >= self.RECHECK_SECONDS:
                self._reload()
            return datetime.now(UTC) + self._offset

    def _reload(self) -> None:
        """Re-read the file if it changed; a half-written file keeps the old time until next look."""
        self._checked = time.monotonic()
        stamp = self.path.stat().st_mtime_ns
        if stamp == self._stamp:
            return
        try:
            instant = _require_aware(datetime.fromisoformat(self.path.read_text().strip()))
        except ValueError:
            if self._stamp is None:
                raise
            return
        written = datetime.fromtimestamp(stamp / 1e9, UTC)
        self._stamp, self._offset = stamp, instant - written
