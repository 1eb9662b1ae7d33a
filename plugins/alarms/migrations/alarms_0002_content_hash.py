"""alarms: a digest of each alert's stored content, so unchanged repeats skip rewriting it

Revision ID: alarms_0002
Revises: alarms_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "alarms_0002"
down_revision = "alarms_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alarm_alerts") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alarm_alerts") as batch:
        batch.drop_column("content_hash")
