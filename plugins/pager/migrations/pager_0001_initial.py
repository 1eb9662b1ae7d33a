"""pager: pages, delivery outbox, dedup windows

Revision ID: pager_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "pager_0001"
down_revision = None
branch_labels = ("pager",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "pager_pages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("dedup_key", sa.String(200), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("steps", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("call_started_at", UTCDateTime, nullable=True),
        sa.Column("next_action_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("acked_by", sa.String(100), nullable=True),
        sa.Column("acked_at", UTCDateTime, nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_pager_pages_state", "pager_pages", ["state"])
    op.create_index("ix_pager_pages_next_action_at", "pager_pages", ["next_action_at"])
    op.create_index("ix_pager_pages_created_at", "pager_pages", ["created_at"])
    op.create_table(
        "pager_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("page_id", sa.Integer, sa.ForeignKey("pager_pages.id"), nullable=False),
        sa.Column("call", sa.Integer, nullable=False),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("method", sa.Integer, nullable=False),
        sa.Column("contact", sa.String(300), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.Column("last_result", sa.String(300), nullable=False),
        sa.UniqueConstraint(
            "page_id", "call", "person", "method", name="uq_pager_deliveries_page_id"
        ),
    )
    op.create_index("ix_pager_deliveries_page_id", "pager_deliveries", ["page_id"])
    op.create_index("ix_pager_deliveries_state_due_at", "pager_deliveries", ["state", "due_at"])
    op.create_table(
        "pager_dedup",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("page_id", sa.Integer, sa.ForeignKey("pager_pages.id"), nullable=True),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pager_dedup")
    op.drop_index("ix_pager_deliveries_state_due_at", "pager_deliveries")
    op.drop_index("ix_pager_deliveries_page_id", "pager_deliveries")
    op.drop_table("pager_deliveries")
    op.drop_index("ix_pager_pages_created_at", "pager_pages")
    op.drop_index("ix_pager_pages_next_action_at", "pager_pages")
    op.drop_index("ix_pager_pages_state", "pager_pages")
    op.drop_table("pager_pages")
