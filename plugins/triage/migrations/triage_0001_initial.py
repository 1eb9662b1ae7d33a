"""triage: support requests, their events, pauses and timers, board tickets

Revision ID: triage_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision = "triage_0001"
down_revision = None
branch_labels = ("triage",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "triage_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("service", sa.String(200), nullable=True),
        sa.Column("environment", sa.String(50), nullable=True),
        sa.Column("impact", sa.Text, nullable=True),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("room", sa.String(200), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("resume_state", sa.String(20), nullable=True),
        sa.Column("priority", sa.String(50), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("first_response_at", UTCDateTime, nullable=True),
        sa.Column("first_response_by", sa.String(100), nullable=True),
        sa.Column("last_update_at", UTCDateTime, nullable=True),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("progress_minutes", sa.Float, nullable=False),
        sa.Column("progress_since", UTCDateTime, nullable=True),
        sa.Column("sla_due_at", UTCDateTime, nullable=True),
        sa.Column("sla_warn_at", UTCDateTime, nullable=True),
        sa.Column("time_to_response", sa.Float, nullable=True),
        sa.Column("time_to_resolve", sa.Float, nullable=True),
        sa.UniqueConstraint("message_id", name="uq_triage_requests_message_id"),
    )
    op.create_index("ix_triage_requests_risk", "triage_requests", ["sla_due_at", "id"])
    op.create_index(
        "ix_triage_requests_assignee_risk", "triage_requests", ["assignee", "sla_due_at", "id"]
    )
    op.create_index("ix_triage_requests_state", "triage_requests", ["state", "id"])
    op.create_index(
        "ix_triage_requests_assignee_state", "triage_requests", ["assignee", "state", "id"]
    )
    op.create_table(
        "triage_request_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("triage_requests.id"), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_triage_request_events_request_id", "triage_request_events", ["request_id"])
    op.create_table(
        "triage_pauses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("triage_requests.id"), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_triage_pauses_request_id", "triage_pauses", ["request_id"])
    op.create_table(
        "triage_timers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("triage_requests.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("fired_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("request_id", "kind", name="uq_triage_timers_request_id"),
    )
    op.create_index("ix_triage_timers_due", "triage_timers", ["fired_at", "due_at"])
    op.create_table(
        "triage_tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("triage_requests.id"), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("board_column", sa.String(50), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("request_id", name="uq_triage_tickets_request_id"),
    )
    op.create_index("ix_triage_tickets_board_column", "triage_tickets", ["board_column"])


def downgrade() -> None:
    op.drop_index("ix_triage_tickets_board_column", "triage_tickets")
    op.drop_table("triage_tickets")
    op.drop_index("ix_triage_timers_due", "triage_timers")
    op.drop_table("triage_timers")
    op.drop_index("ix_triage_pauses_request_id", "triage_pauses")
    op.drop_table("triage_pauses")
    op.drop_index("ix_triage_request_events_request_id", "triage_request_events")
    op.drop_table("triage_request_events")
    op.drop_index("ix_triage_requests_assignee_state", "triage_requests")
    op.drop_index("ix_triage_requests_state", "triage_requests")
    op.drop_index("ix_triage_requests_assignee_risk", "triage_requests")
    op.drop_index("ix_triage_requests_risk", "triage_requests")
    op.drop_table("triage_requests")
