"""Storage on both databases: migrations from empty, UTC datetimes, transactions."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from core.db import Base, Database
from core.models import AuditEntry
from core.runtime import Runtime


def test_upgrade_from_empty_builds_every_table(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"alembic_version", "chat_posts", "job_runs", "audit_log"} <= tables
    db.upgrade()  # idempotent: a second start-up finds nothing to do
    db.dispose()


def test_runtime_start_applies_every_plugins_migrations(runtime: Runtime) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(runtime.db.alembic_config())
    with runtime.db.engine.connect() as connection:
        current = tuple(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
    applied = {rev.revision for rev in script.iterate_revisions(current, "base")}
    assert applied == {rev.revision for rev in script.walk_revisions()}
    assert "core_0001" in applied


def test_datetimes_come_back_aware_and_in_utc(runtime: Runtime) -> None:
    paris = timezone(timedelta(hours=1))
    written = datetime(2026, 3, 29, 2, 30, tzinfo=paris)
    with runtime.db.session() as session:
        session.add(AuditEntry(at=written, actor="alice", action="test"))
    with runtime.db.session() as session:
        read = session.scalars(select(AuditEntry.at).where(AuditEntry.action == "test")).one()
    assert read == written and read.tzinfo == UTC and read.hour == 1


def test_naive_datetimes_are_refused(runtime: Runtime) -> None:
    with pytest.raises(Exception, match="naive datetime"), runtime.db.session() as session:
        session.add(AuditEntry(at=datetime(2026, 1, 1), actor="alice", action="test"))
        session.flush()


def test_a_failed_session_leaves_nothing_behind(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.db.session() as session:
        session.add(AuditEntry(at=runtime.clock.now(), actor="alice", action="half-done"))
        session.flush()
        raise RuntimeError("boom")
    with runtime.db.session() as session:
        assert (
            session.scalars(select(AuditEntry).where(AuditEntry.action == "half-done")).all() == []
        )


def test_sqlite_connections_have_foreign_keys_wal_and_busy_timeout(runtime: Runtime) -> None:
    if runtime.db.dialect != "sqlite":
        pytest.skip("SQLite pragmas")
    with runtime.db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def _audit(runtime: Runtime, session: object, action: str) -> None:
    session.add(AuditEntry(at=runtime.clock.now(), actor="alice", action=action))  # type: ignore[attr-defined]


def _actions(runtime: Runtime) -> list[str]:
    """The audit actions these tests wrote (start-up writes its own entries too)."""
    with runtime.db.session() as session:
        query = select(AuditEntry.action).where(AuditEntry.actor == "alice")
        return sorted(session.scalars(query).all())


def test_a_transaction_that_reads_then_writes_waits_for_a_concurrent_writer(
    runtime: Runtime,
) -> None:
    """Read, another thread writes, then write: both land (SQLite used to fail at once)."""
    other_done = threading.Event()
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            with runtime.db.session() as session:
                _audit(runtime, session, "other")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        other_done.set()

    with runtime.db.session() as session:
        session.scalars(select(AuditEntry)).all()  # the read that fixes this transaction's view
        writer = threading.Thread(target=other_writer)
        writer.start()
        # The other writer either commits now (PostgreSQL: row locks only) or waits for this
        # transaction (SQLite: it holds the write lock from BEGIN); give it the chance.
        other_done.wait(timeout=0.5)
        _audit(runtime, session, "mine")
    writer.join(timeout=10)
    assert errors == [] and other_done.is_set()
    assert _actions(runtime) == ["mine", "other"]


def test_a_session_inside_a_session_reads_without_waiting_for_its_own_thread(
    runtime: Runtime,
) -> None:
    with runtime.db.session() as outer:
        _audit(runtime, outer, "outer")
        outer.flush()
        with runtime.db.session() as inner:  # a hook reading while its caller's session is open
            written = select(AuditEntry.action).where(AuditEntry.actor == "alice")
            assert inner.scalars(written).all() == []  # not yet committed
    assert _actions(runtime) == ["outer"]


def test_reads_go_on_beside_a_writer_holding_the_lock(runtime: Runtime) -> None:
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with runtime.db.session() as session:
            _audit(runtime, session, "slow writer")
            session.flush()
            holding.set()
            release.wait(timeout=10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        with runtime.db.reads(), runtime.db.session() as session:  # a report, say
            assert session.scalars(select(AuditEntry.action)).all() is not None
            assert release.is_set() is False  # read while the writer still held its lock
    finally:
        release.set()
        thread.join(timeout=10)
    assert _actions(runtime) == ["slow writer"]


def test_a_read_session_sees_one_snapshot_for_all_its_statements(runtime: Runtime) -> None:
    """A median is counted in one statement and read in the next: a row written in between
    must not make the two disagree."""
    written = select(AuditEntry.action).where(AuditEntry.actor == "alice")
    with runtime.db.reads(), runtime.db.session() as report:
        assert report.scalars(written).all() == []
        done = threading.Event()

        def writer() -> None:
            with runtime.db.session() as session:
                _audit(runtime, session, "between two statements")
            done.set()

        thread = threading.Thread(target=writer)
        thread.start()
        assert done.wait(timeout=10)  # committed while the report is still open
        thread.join(timeout=10)
        assert report.scalars(written).all() == []  # the report's snapshot is unchanged
    assert _actions(runtime) == ["between two statements"]


def test_display_url_hides_the_password() -> None:
    db = Database("postgresql+psycopg://dutybot:s3cret-pw@db.example:5432/dutybot")
    assert "s3cret-pw" not in db.display_url and "***" in db.display_url


def test_the_migrations_build_what_the_models_describe(runtime: Runtime) -> None:
    """Every feature's tables, as Alembic built them, against the models the code uses."""

    def compared(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        return kind != "table" or name != "alembic_version"

    with runtime.db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": compared, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []
