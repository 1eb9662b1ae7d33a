"""rota: leave, rota changes, support-channel cover slots

Revision ID: rota_0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "rota_0001"
down_revision = None
branch_labels = ("rota",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "rota_leave",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("removed_by", sa.String(100), nullable=True),
        sa.Column("removed_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_rota_leave_person", "rota_leave", ["person"])
    op.create_table(
        "rota_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("person", sa.String(100), nullable=True),
        sa.Column("other", sa.String(100), nullable=True),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("accepted_at", UTCDateTime, nullable=True),
        sa.Column("undone_by", sa.String(100), nullable=True),
        sa.Column("undone_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_rota_changes_status", "rota_changes", ["status"])
    op.create_table(
        "rota_cover_slots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("start_minute", sa.Integer, nullable=False),
        sa.Column("end_minute", sa.Integer, nullable=False),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_rota_cover_slots_day", "rota_cover_slots", ["day"])


def downgrade() -> None:
    op.drop_index("ix_rota_cover_slots_day", "rota_cover_slots")
    op.drop_table("rota_cover_slots")
    op.drop_index("ix_rota_changes_status", "rota_changes")
    op.drop_table("rota_changes")
    op.drop_index("ix_rota_leave_person", "rota_leave")
    op.drop_table("rota_leave")
