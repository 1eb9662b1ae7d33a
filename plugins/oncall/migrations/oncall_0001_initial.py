"""oncall: shifts, entries (overrides, swaps, cover, unavailability, work), overrides, reports

Revision ID: oncall_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "oncall_0001"
down_revision = None
branch_labels = ("oncall",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "oncall_shifts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("person", sa.String(100), nullable=True),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("role", "starts_at", name="uq_oncall_shifts_role"),
    )
    op.create_index("ix_oncall_shifts_ends_at", "oncall_shifts", ["ends_at"])
    op.create_table(
        "oncall_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("other", sa.String(100), nullable=True),
        sa.Column("role", sa.String(20), nullable=True),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("closed_by", sa.String(100), nullable=True),
        sa.Column("closed_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_oncall_entries_person", "oncall_entries", ["person"])
    op.create_index("ix_oncall_entries_ends_at", "oncall_entries", ["ends_at"])
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "entry_id",
            sa.Integer,
            sa.ForeignKey("oncall_entries.id", name="fk_oncall_overrides_entry_id_oncall_entries"),
            nullable=False,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("replaced", sa.String(100), nullable=True),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_oncall_overrides_entry_id", "oncall_overrides", ["entry_id"])
    op.create_index("ix_oncall_overrides_role_ends_at", "oncall_overrides", ["role", "ends_at"])
    op.create_table(
        "oncall_reported",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("reported_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oncall_reported")
    op.drop_table("oncall_overrides")
    op.drop_table("oncall_entries")
    op.drop_table("oncall_shifts")
