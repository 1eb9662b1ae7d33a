"""core: chat posts, scheduled-job runs, audit log

Revision ID: core_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("thread_ref", sa.String(200), nullable=True),
        sa.Column("ref", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("key", name="uq_chat_posts_key"),
    )
    op.create_index("ix_chat_posts_delivered_at", "chat_posts", ["delivered_at"])
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("fire_time", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("job", "fire_time", name="uq_job_runs_job"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("job_runs")
    op.drop_index("ix_chat_posts_delivered_at", "chat_posts")
    op.drop_table("chat_posts")
