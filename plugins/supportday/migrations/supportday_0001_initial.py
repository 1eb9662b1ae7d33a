"""supportday: checklists and their items, handovers and notes, out-of-hours replies

Revision ID: supportday_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "supportday_0001"
down_revision = None
branch_labels = ("supportday",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "supportday_checklists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("posted_at", UTCDateTime, nullable=False),
        sa.Column("engineers", sa.JSON, nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("day", name="uq_supportday_checklists_day"),
    )
    op.create_table(
        "supportday_checklist_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "checklist_id",
            sa.Integer,
            sa.ForeignKey("supportday_checklists.id", name="fk_supportday_items_checklist"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("done_by", sa.String(100), nullable=True),
        sa.Column("done_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint(
            "checklist_id", "position", name="uq_supportday_checklist_items_checklist_id"
        ),
    )
    op.create_table(
        "supportday_handovers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("handed_at", UTCDateTime, nullable=False),
        sa.Column("oncall", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.UniqueConstraint("day", name="uq_supportday_handovers_day"),
    )
    op.create_table(
        "supportday_handover_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("added_at", UTCDateTime, nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column(
            "handover_id",
            sa.Integer,
            sa.ForeignKey("supportday_handovers.id", name="fk_supportday_notes_handover"),
            nullable=True,
        ),
        sa.Column(
            "checklist_id",
            sa.Integer,
            sa.ForeignKey("supportday_checklists.id", name="fk_supportday_notes_checklist"),
            nullable=True,
        ),
    )
    op.create_index(
        "ix_supportday_handover_notes_added_at", "supportday_handover_notes", ["added_at"]
    )
    op.create_table(
        "supportday_auto_replies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("reopens_at", UTCDateTime, nullable=False),
        sa.Column("replied_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("sender", "reopens_at", name="uq_supportday_auto_replies_sender"),
    )


def downgrade() -> None:
    op.drop_table("supportday_auto_replies")
    op.drop_index("ix_supportday_handover_notes_added_at", "supportday_handover_notes")
    op.drop_table("supportday_handover_notes")
    op.drop_table("supportday_handovers")
    op.drop_table("supportday_checklist_items")
    op.drop_table("supportday_checklists")
