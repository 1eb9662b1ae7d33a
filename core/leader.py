"""Which replica runs the scheduled jobs: the holder of a PostgreSQL advisory lock.

Several replicas may share one PostgreSQL database; each takes webhooks and sends pages, but only
the leader runs scheduled jobs, so the work is not done once per replica (the ``job_runs`` row
per fire time stays the safety net that makes a job exactly-once even if two ever overlap).

The leader holds ``pg_try_advisory_lock`` on a dedicated connection. PostgreSQL drops the lock
when that connection ends: at once when the leader's process dies (its socket closes), and
within the server-side TCP keepalive window this connection sets when its host or network goes
silent. Followers try the lock every ``retry`` seconds. The leader renews its claim by using the
connection every ``retry`` seconds and leads only while the last renewal is younger than the
lease, which runs out before the server can have dropped the lock: a leader cut off from the
database stops running jobs before a follower can start. With ``takeover`` seconds configured
(``DUTYBOT_LEADER_TAKEOVER_SECONDS``, default 30): retry = takeover/6, lease = takeover/3, the
server drops a silent leader within takeover/3 + 3 × takeover/15, and a follower takes over at
most one retry later, inside the bound. A transaction-pooling PgBouncer breaks session locks:
point the replicas at PostgreSQL or at a session-pooling bouncer.

SQLite is a single process per database file: that process always leads.
"""

from __future__ import annotations

import logging
import math
import select
import threading
import time
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from core.db import advisory_key, unavailable

log = logging.getLogger(__name__)

LOCK_NAME = "dutybot-scheduler"
STOP_CHECK_SECONDS = 0.2


class Leadership(Protocol):
    """What the scheduler and the status ask: does this process run the jobs now?"""

    @property
    def is_leader(self) -> bool: ...

    @property
    def role(self) -> str: ...

    def describe(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class SingleProcess:
    """SQLite: one process per database file, so it always leads."""

    is_leader = True
    role = "leader"

    def describe(self) -> str:
        return "leader (SQLite: a single process runs everything)"

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class AdvisoryLock:
    """Leadership by a session advisory lock, held and renewed from a background thread."""

    def __init__(self, url: URL, takeover: float) -> None:
        self.takeover = takeover
        self.retry = takeover / 6
        self.lease = takeover / 3
        self._engine = _lock_engine(url, takeover, self.retry)
        self._connection: Connection | None = None
        self._key: int | None = None
        self._held = False
        self._since: float | None = None
        self._renewed = 0.0
        self._problem: str | None = None
        self._state = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        with self._state:
            return self._held and time.monotonic() - self._renewed < self.lease

    @property
    def role(self) -> str:
        return "leader" if self.is_leader else "follower"

    def describe(self) -> str:
        with self._state:
            since = self._since if self._held else None
        if since is not None and self.is_leader:
            return f"leader (PostgreSQL advisory lock held for {int(time.monotonic() - since)} s)"
        stalled = "the lock's connection stopped answering" if since is not None else None
        why = self._problem or stalled or "another replica leads"
        return f"follower ({why}; trying the lock every {self.retry:g} s)"

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="dutybot-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and close the connection: the lock is released for the next leader at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.retry + self.lease)
            self._thread = None
        self._drop()
        self._engine.dispose()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._wait()

    def _wait(self) -> None:
        """Wait one retry interval, waking early when the lock's connection becomes readable.

        The server only ever writes to this idle connection when it closes it (or sends a
        notice), so a leader whose session ended steps down at once instead of at its next
        renewal: the server has already handed the lock to the next replica that asks.
        """
        try:
            fd = None if self._connection is None else self._connection.connection.fileno()
        except Exception:
            fd = None
        deadline = time.monotonic() + self.retry
        while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if fd is None:
                self._stop.wait(left)
                return
            readable, _, _ = select.select([fd], [], [], min(left, STOP_CHECK_SECONDS))
            if readable:
                return

    def step(self) -> None:
        """Connect if needed, then renew the lease (leader) or try the lock (follower)."""
        try:
            if self._connection is None:
                self._connect()
            assert self._connection is not None
            if self._held:
                self._connection.exec_driver_sql("SELECT 1")
                with self._state:
                    self._renewed = time.monotonic()
                return
            took = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar()
            if took:
                with self._state:
                    self._held, self._renewed = True, time.monotonic()
                    self._since = self._renewed
                log.info("this replica now runs the scheduled jobs (leader)")
            self._problem = None
        except Exception as exc:
            reason = unavailable(exc) or f"{type(exc).__name__}"
            if self._held:
                log.warning("lost the scheduler leadership: %s", reason)
            elif self._problem is None:
                log.warning("cannot try the scheduler leadership: %s", reason)
            self._problem = reason
            self._drop()

    def _connect(self) -> None:
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            for name, value in _server_keepalives(self.takeover).items():
                connection.exec_driver_sql(f"SET {name} = {value}")
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        except Exception:
            connection.close()
            raise
        self._key = advisory_key(LOCK_NAME, str(schema))
        self._connection = connection

    def _drop(self) -> None:
        with self._state:
            connection, self._connection = self._connection, None
            if self._held:
                log.info("this replica no longer runs the scheduled jobs")
            self._held, self._since = False, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except Exception:
                log.debug("closing the leader connection failed", exc_info=True)


def _server_keepalives(takeover: float) -> dict[str, int]:
    """Server-side TCP settings for the lock's session: a silent leader is dropped in time."""
    idle = max(1, math.floor(takeover / 3))
    return {
        "tcp_keepalives_idle": idle,
        "tcp_keepalives_interval": max(1, math.floor(takeover / 15)),
        "tcp_keepalives_count": 3,
        "tcp_user_timeout": idle * 1000,
    }


def _lock_engine(url: URL, takeover: float, retry: float) -> Engine:
    """An engine for the one lock connection: not pooled, with client-side keepalives too."""
    idle = max(1, math.floor(takeover / 3))
    connect_args: dict[str, Any] = {
        "connect_timeout": max(2, math.ceil(retry)),
        "keepalives": 1,
        "keepalives_idle": idle,
        "keepalives_interval": max(1, math.floor(takeover / 15)),
        "keepalives_count": 3,
        "tcp_user_timeout": idle * 1000,
    }
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def for_database(url: URL, takeover: float) -> Leadership:
    """An advisory lock on PostgreSQL; on SQLite, this single process."""
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(url, takeover)
    return SingleProcess()
