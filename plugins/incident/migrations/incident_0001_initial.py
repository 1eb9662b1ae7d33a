"""incident: incidents, role holders, timeline, audiences, linked alarms

Revision ID: incident_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "incident_0001"
down_revision = None
branch_labels = ("incident",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "incident_incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("impact", sa.Text, nullable=False),
        sa.Column("priority", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("declared_by", sa.String(100), nullable=False),
        sa.Column("declared_at", UTCDateTime, nullable=False),
        sa.Column("message_ref", sa.String(200), nullable=True),
        sa.Column("thread_key", sa.String(200), nullable=True),
        sa.Column("conversation", sa.String(200), nullable=True),
        sa.Column("urgent_since", UTCDateTime, nullable=True),
        sa.Column("detected_at", UTCDateTime, nullable=True),
        sa.Column("repaired_at", UTCDateTime, nullable=True),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("latest_update", sa.Text, nullable=True),
        sa.Column("last_update_at", UTCDateTime, nullable=True),
        sa.Column("next_update_at", UTCDateTime, nullable=True),
        sa.Column("updates_sent", sa.Integer, nullable=False),
        sa.Column("paged_at", UTCDateTime, nullable=True),
        sa.Column("nudges_sent", sa.Integer, nullable=False),
        sa.Column("checkins_sent", sa.Integer, nullable=False),
        sa.Column("reminded_for", UTCDateTime, nullable=True),
        sa.Column("overdue_for", UTCDateTime, nullable=True),
        sa.Column("one_hour_for", UTCDateTime, nullable=True),
        sa.UniqueConstraint("message_ref", name="uq_incident_incidents_message_ref"),
    )
    op.create_index("ix_incident_incidents_status", "incident_incidents", ["status"])
    op.create_index("ix_incident_incidents_declared_at", "incident_incidents", ["declared_at"])
    op.create_table(
        "incident_roles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey(
                "incident_incidents.id", name="fk_incident_roles_incident_id_incident_incidents"
            ),
            nullable=False,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.Column("until", UTCDateTime, nullable=True),
        sa.Column("assigned_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_incident_roles_incident_id", "incident_roles", ["incident_id"])
    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey(
                "incident_incidents.id", name="fk_incident_timeline_incident_id_incident_incidents"
            ),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_incident_timeline_incident_id", "incident_timeline", ["incident_id"])
    op.create_table(
        "incident_audiences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey(
                "incident_incidents.id", name="fk_incident_audiences_incident_id_incident_incidents"
            ),
            nullable=False,
        ),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("told_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("incident_id", "address", name="uq_incident_audiences_incident_id"),
    )
    op.create_table(
        "incident_alarms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey(
                "incident_incidents.id", name="fk_incident_alarms_incident_id_incident_incidents"
            ),
            nullable=False,
        ),
        sa.Column("alarm", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("linked_by", sa.String(100), nullable=False),
        sa.Column("linked_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("incident_id", "alarm", name="uq_incident_alarms_incident_id"),
    )
    op.create_index("ix_incident_alarms_alarm", "incident_alarms", ["alarm"])


def downgrade() -> None:
    op.drop_index("ix_incident_alarms_alarm", "incident_alarms")
    op.drop_table("incident_alarms")
    op.drop_table("incident_audiences")
    op.drop_index("ix_incident_timeline_incident_id", "incident_timeline")
    op.drop_table("incident_timeline")
    op.drop_index("ix_incident_roles_incident_id", "incident_roles")
    op.drop_table("incident_roles")
    op.drop_index("ix_incident_incidents_declared_at", "incident_incidents")
    op.drop_index("ix_incident_incidents_status", "incident_incidents")
    op.drop_table("incident_incidents")
