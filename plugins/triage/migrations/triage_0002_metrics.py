"""triage: support-hours durations, ratings, and the indexes the metrics read

Revision ID: triage_0002
Revises: triage_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "triage_0002"
down_revision = "triage_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("triage_requests") as batch:
        batch.add_column(sa.Column("response_support_minutes", sa.Float, nullable=True))
        batch.add_column(sa.Column("resolve_support_minutes", sa.Float, nullable=True))
    op.create_index("ix_triage_requests_opened", "triage_requests", ["opened_at", "priority"])
    op.create_index(
        "ix_triage_requests_responded",
        "triage_requests",
        ["first_response_at", "priority", "response_support_minutes", "time_to_response"],
    )
    op.create_index(
        "ix_triage_requests_resolved",
        "triage_requests",
        ["resolved_at", "priority", "resolve_support_minutes", "time_to_resolve"],
    )
    op.create_table(
        "triage_ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("triage_requests.id"), nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("rated_by", sa.String(200), nullable=False),
        sa.Column("rated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("request_id", name="uq_triage_ratings_request_id"),
    )
    op.create_index("ix_triage_ratings_rated_at", "triage_ratings", ["rated_at", "rating"])


def downgrade() -> None:
    op.drop_index("ix_triage_ratings_rated_at", "triage_ratings")
    op.drop_table("triage_ratings")
    op.drop_index("ix_triage_requests_resolved", "triage_requests")
    op.drop_index("ix_triage_requests_responded", "triage_requests")
    op.drop_index("ix_triage_requests_opened", "triage_requests")
    with op.batch_alter_table("triage_requests") as batch:
        batch.drop_column("resolve_support_minutes")
        batch.drop_column("response_support_minutes")
