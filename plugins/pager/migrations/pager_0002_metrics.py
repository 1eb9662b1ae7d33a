"""pager: when each page landed, its time to acknowledge and escalations, for the metrics

Revision ID: pager_0002
Revises: pager_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "pager_0002"
down_revision = "pager_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pager_pages") as batch:
        batch.add_column(sa.Column("first_called_at", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("band", sa.String(20), nullable=True))
        batch.add_column(sa.Column("ack_minutes", sa.Float, nullable=True))
        batch.add_column(
            sa.Column("escalations", sa.Integer, nullable=False, server_default=sa.text("0"))
        )
    op.create_index("ix_pager_pages_first_called", "pager_pages", ["first_called_at", "band"])


def downgrade() -> None:
    op.drop_index("ix_pager_pages_first_called", "pager_pages")
    with op.batch_alter_table("pager_pages") as batch:
        for name in ("escalations", "ack_minutes", "band", "first_called_at"):
            batch.drop_column(name)
