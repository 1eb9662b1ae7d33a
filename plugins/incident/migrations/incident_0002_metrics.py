"""incident: durations stored when they happen, and the indexes the metrics read

Revision ID: incident_0002
Revises: incident_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "incident_0002"
down_revision = "incident_0001"
branch_labels = None
depends_on = None

COLUMNS = ("repair_minutes", "repair_support_minutes", "resolve_minutes", "resolve_support_minutes")


INDEXES = {  # covering: the metrics read these columns without touching the table
    "ix_incident_incidents_declared_by": ["declared_at", "priority", "status"],
    "ix_incident_incidents_repaired": [
        "repaired_at",
        "priority",
        "status",
        "repair_minutes",
        "repair_support_minutes",
    ],
    "ix_incident_incidents_resolved": [
        "resolved_at",
        "priority",
        "status",
        "resolve_minutes",
        "resolve_support_minutes",
    ],
}


def upgrade() -> None:
    with op.batch_alter_table("incident_incidents") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Float, nullable=True))
    for name, columns in INDEXES.items():
        op.create_index(name, "incident_incidents", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, "incident_incidents")
    with op.batch_alter_table("incident_incidents") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
