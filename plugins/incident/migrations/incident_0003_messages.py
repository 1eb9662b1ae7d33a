"""incident: people's messages in incident threads, so a reaction can put one on the timeline

Revision ID: incident_0003
Revises: incident_0002 (the metrics columns)
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "incident_0003"
down_revision = "incident_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey(
                "incident_incidents.id", name="fk_incident_messages_incident_id_incident_incidents"
            ),
            nullable=False,
        ),
        sa.Column("message_ref", sa.String(200), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("posted_at", UTCDateTime, nullable=False),
        sa.Column("noted_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("message_ref", name="uq_incident_messages_message_ref"),
    )
    op.create_index("ix_incident_messages_incident_id", "incident_messages", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_messages_incident_id", "incident_messages")
    op.drop_table("incident_messages")
