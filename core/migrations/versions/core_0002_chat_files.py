"""core: chat posts may carry a file (charts uploaded where the backend can)

Revision ID: core_0002_chat_files
Revises: core_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0002_chat_files"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_posts") as batch:
        batch.add_column(sa.Column("file_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("file_data", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_posts") as batch:
        batch.drop_column("file_data")
        batch.drop_column("file_name")
