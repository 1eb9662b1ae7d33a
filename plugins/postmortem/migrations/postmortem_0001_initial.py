"""postmortem: one report per resolved incident, and review actions

Revision ID: postmortem_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "postmortem_0001"
down_revision = None
branch_labels = ("postmortem",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "postmortem_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, nullable=False, unique=True),
        sa.Column("incident_ref", sa.String(50), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("priority", sa.String(50), nullable=False),
        sa.Column("priority_label", sa.String(100), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("detected_at", UTCDateTime, nullable=True),
        sa.Column("declared_at", UTCDateTime, nullable=False),
        sa.Column("repaired_at", UTCDateTime, nullable=True),
        sa.Column("resolved_at", UTCDateTime, nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("timeline", sa.JSON, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("identified", sa.Text, nullable=False),
        sa.Column("impact", sa.Text, nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("resolution", sa.Text, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=True),
        sa.Column("review_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "postmortem_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "postmortem_id", sa.Integer, sa.ForeignKey("postmortem_reports.id"), nullable=False
        ),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("done_by", sa.String(100), nullable=True),
        sa.Column("done_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_postmortem_actions_owner", "postmortem_actions", ["owner"])


def downgrade() -> None:
    op.drop_table("postmortem_actions")
    op.drop_table("postmortem_reports")
