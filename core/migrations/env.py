"""Alembic environment: runs on the connection dutybot hands over (see core.db.Database.upgrade).

Revisions are written by hand (no autogenerate), so there is no target metadata here. Batch mode
lets SQLite alter tables; foreign keys are switched off around SQLite migrations because batch
mode recreates tables. The pragma goes to the raw driver connection: inside the transaction that
SQLAlchemy would open first, SQLite ignores it.
"""

from alembic import context

connection = context.config.attributes["connection"]
raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None

if raw is not None:
    raw.execute("PRAGMA foreign_keys=OFF")
try:
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
finally:
    if raw is not None:
        connection.commit()
        raw.execute("PRAGMA foreign_keys=ON")
