"""Storage: the SQLAlchemy engine, sessions, the UTC datetime type and Alembic migrations.

One ``Database`` per runtime; features open one session per command or job with
``db.session()``. Schema changes are Alembic revisions: the core's own plus one branch per
feature plugin (returned by the ``dutybot_migrations`` hook), all upgraded to ``heads``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

CORE_MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
WRITER = "dutybot_writer"
"""Execution option: on SQLite, begin the transaction holding the write lock (``session``)."""
_TAKE_TURNS = text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(:name))")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every dutybot table; named constraints keep SQLite batch migrations sane."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC on every database.

    SQLite silently drops offsets from ``DateTime(timezone=True)``, so values are normalised to
    UTC on the way in and marked UTC on the way out; naive values are refused to catch bugs early.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Database:
    """The engine and session factory of one runtime, plus its migrations."""

    def __init__(self, url: str | URL, migration_dirs: Iterable[str | Path] = ()) -> None:
        self.url = make_url(url)
        self.migration_dirs = [str(CORE_MIGRATIONS / "versions"), *map(str, migration_dirs)]
        self.engine = _make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._local = threading.local()  # how many sessions each thread has open

    @property
    def display_url(self) -> str:
        """The URL with any password masked: safe for logs and chat."""
        return self.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any exception.

        On SQLite a thread's outermost session takes the write lock when it begins (``BEGIN
        IMMEDIATE``): a transaction that reads and then writes would otherwise fail at once
        with "database is locked" when another thread committed in between, where waiting its
        turn is right. Sessions opened inside it (a hook reading while its caller's session is
        open) begin plainly: they only read, and waiting for their own thread's lock would
        deadlock.
        """
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            with self._sessions.begin() as session:
                if depth == 0 and self.dialect == "sqlite":
                    session.connection(execution_options={WRITER: True})
                elif getattr(self._local, "reading", False) and self.dialect == "postgresql":
                    # a report's several statements must agree (a median's counts and rows)
                    session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                yield session
        finally:
            self._local.depth = depth

    def take_turns(self, connection: Connection, name: str) -> None:
        """Hold the lock ``name`` until the transaction ends: writers under one name take turns.

        For work whose reads decide its writes across rows that no single row lock covers
        (alarms whose alerts a sender moves between them): without it, two transactions each
        read what the other is changing, deadlock, or commit a count made from a stale read.
        On PostgreSQL a transaction-scoped advisory lock, keyed by the schema and the name, in
        the two-key space (apart from the one-key locks of leadership and migrations). On SQLite
        every writer already takes the write lock when it begins, so there is nothing to do.
        """
        if self.dialect == "postgresql":
            connection.execute(_TAKE_TURNS, {"name": name})

    @contextmanager
    def reads(self) -> Iterator[None]:
        """Within this block the thread's sessions only read: on SQLite they begin plainly.

        For long reads (a quarter's figures over a million requests) that would otherwise hold
        the write lock for seconds and keep webhooks and jobs waiting: in WAL mode a plain
        ``BEGIN`` reads a consistent snapshot beside the writers. On PostgreSQL the sessions are
        ``REPEATABLE READ``, so every statement of one session reads the same snapshot too.
        """
        depth, reading = getattr(self._local, "depth", 0), getattr(self._local, "reading", False)
        self._local.depth, self._local.reading = depth + 1, True
        try:
            yield
        finally:
            self._local.depth, self._local.reading = depth, reading

    def upgrade(self) -> None:
        """Apply every pending Alembic revision of the core and of the loaded plugins."""
        from alembic import command

        if self.dialect == "sqlite" and self.url.database not in (None, "", ":memory:"):
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        with self._one_migrator(), self.engine.connect() as connection:
            config = self.alembic_config(connection)
            command.upgrade(config, "heads")
            connection.commit()

    @contextmanager
    def _one_migrator(self) -> Iterator[None]:
        """On PostgreSQL, replicas starting together migrate one after the other, not at once.

        The lock is held on a separate connection, so Alembic's own transaction is untouched.
        """
        if self.dialect != "postgresql":
            yield
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as guard:
            schema = guard.exec_driver_sql("SELECT current_schema()").scalar()
            key = advisory_key("dutybot-migrations", str(schema))
            guard.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                guard.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})

    def alembic_config(self, connection: Any = None) -> Any:
        """An Alembic config whose version locations are the core's plus the plugins'."""
        import os

        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(CORE_MIGRATIONS))
        config.set_main_option("version_path_separator", "os")
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join(self.migration_dirs))
        config.attributes["connection"] = connection
        return config

    def dispose(self) -> None:
        self.engine.dispose()


def advisory_key(purpose: str, schema: str) -> int:
    """A PostgreSQL advisory lock key, one per schema so deployments sharing a database differ."""
    digest = hashlib.blake2b(f"{purpose}:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def unavailable(error: BaseException) -> str | None:
    """Why the database cannot be used right now, if ``error`` (or its cause) says so; else None.

    An outage is not a bug: callers turn it into a 503, a "try again" reply or a one-line warning
    instead of a traceback, and retry later. SQLite's OperationalError also covers programming
    errors ("no such table"), so there only the lock, full-disk and I/O messages count.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        reason = _outage(current)
        if reason is not None:
            return reason
        current = current.__cause__ or current.__context__
    return None


def _outage(error: BaseException) -> str | None:
    if isinstance(error, sa_exc.TimeoutError):
        return "no database connection came free in time"
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    message = str(error.orig).lower()
    if type(error.orig).__module__.startswith("sqlite3"):
        if "locked" in message or "busy" in message:
            return "the database is locked by another process"
        if "full" in message:
            return "the database is full (no space left for it)"
        if "disk i/o" in message or "unable to open" in message:
            return "the database file cannot be read or written"
        return None
    if error.connection_invalidated or isinstance(
        error, (sa_exc.OperationalError, sa_exc.InterfaceError)
    ):
        return "the database is unreachable"
    return None


def _make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _make_sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, future=True)


def _make_sqlite_engine(url: URL) -> Engine:
    """SQLite with WAL, foreign keys and a busy timeout, and transactions begun explicitly.

    pysqlite's own transaction handling defers BEGIN and breaks savepoints, so the driver is put
    in autocommit mode and SQLAlchemy emits BEGIN itself (the recipe from SQLAlchemy's docs).
    """
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        writer = connection.get_execution_options().get(WRITER, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine
