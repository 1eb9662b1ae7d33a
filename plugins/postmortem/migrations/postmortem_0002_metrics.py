"""postmortem: indexes the metrics read (reports published, actions open)

Revision ID: postmortem_0002
Revises: postmortem_0001
Create Date: 2026-11-27
"""

from alembic import op

revision = "postmortem_0002"
down_revision = "postmortem_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_postmortem_reports_published", "postmortem_reports", ["published_at", "priority"]
    )
    op.create_index("ix_postmortem_actions_open", "postmortem_actions", ["done_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_postmortem_actions_open", "postmortem_actions")
    op.drop_index("ix_postmortem_reports_published", "postmortem_reports")
