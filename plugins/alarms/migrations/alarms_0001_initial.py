"""alarms: alarm groups, their alerts and events

Revision ID: alarms_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "alarms_0001"
down_revision = None
branch_labels = ("alarms",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "alarm_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("group_key", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("priority", sa.String(50), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("notifications", sa.Integer, nullable=False),
        sa.Column("alerts_firing", sa.Integer, nullable=False),
        sa.Column("flapping", sa.Boolean, nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("fired_at", UTCDateTime, nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=True),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
        sa.Column("last_notified_at", UTCDateTime, nullable=False),
        sa.Column("last_posted_at", UTCDateTime, nullable=True),
        sa.Column("post_key", sa.String(200), nullable=True),
        sa.Column("paged_episode", sa.Integer, nullable=False),
        sa.Column("page_target", sa.String(100), nullable=True),
        sa.Column("acked_by", sa.String(100), nullable=True),
        sa.Column("acked_at", UTCDateTime, nullable=True),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("silenced_until", UTCDateTime, nullable=True),
        sa.Column("silenced_by", sa.String(100), nullable=True),
        sa.Column("silence_reason", sa.Text, nullable=True),
        sa.Column("silences", sa.Integer, nullable=False),
        sa.Column("feedback", sa.String(20), nullable=True),
        sa.Column("feedback_at", UTCDateTime, nullable=True),
        sa.Column("incident_ref", sa.String(200), nullable=True),
        sa.UniqueConstraint("source", "key_hash", name="uq_alarm_groups_source"),
    )
    op.create_index("ix_alarm_groups_status", "alarm_groups", ["status"])
    op.create_index("ix_alarm_groups_silenced_until", "alarm_groups", ["silenced_until"])
    op.create_table(
        "alarm_alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey(
                "alarm_groups.id", name="fk_alarm_alerts_group_id_alarm_groups", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("dedup_key", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("runbook_url", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("priority", sa.String(50), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=True),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.Column("notifications", sa.Integer, nullable=False),
        sa.UniqueConstraint("source", "key_hash", name="uq_alarm_alerts_source"),
    )
    op.create_index("ix_alarm_alerts_group_id_status", "alarm_alerts", ["group_id", "status"])
    op.create_table(
        "alarm_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey(
                "alarm_groups.id", name="fk_alarm_events_group_id_alarm_groups", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(50), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_alarm_events_group_id", "alarm_events", ["group_id"])
    op.create_index("ix_alarm_events_at", "alarm_events", ["at"])


def downgrade() -> None:
    op.drop_table("alarm_events")
    op.drop_table("alarm_alerts")
    op.drop_table("alarm_groups")
