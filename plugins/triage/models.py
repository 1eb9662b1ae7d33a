"""The triage feature's tables: requests, their history, pauses and timers, and board tickets.

SLA deadlines are stored, not computed at query time: ``sla_due_at`` (the next target of a
running clock) lets ``!requests`` sort 100,000 rows by risk with an index, and ``triage_timers``
rows (one per request and kind, fired once) let the sweep find due nudges with one indexed query.
Every change recomputes them through ``plugins.triage.sla``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime

NEW = "new"
TRIAGED = "triaged"
IN_PROGRESS = "in progress"
WAITING = "waiting on user"
RESOLVED = "resolved"
STATES = (NEW, TRIAGED, IN_PROGRESS, WAITING, RESOLVED)
OPEN_STATES = (NEW, TRIAGED, IN_PROGRESS, WAITING)


class Request(Base):
    """A support request: what was asked, by whom, its state, priority, assignee and SLA clocks."""

    __tablename__ = "triage_requests"
    __table_args__ = (
        Index("ix_triage_requests_risk", "sla_due_at", "id"),
        Index("ix_triage_requests_assignee_risk", "assignee", "sla_due_at", "id"),
        Index("ix_triage_requests_state", "state", "id"),
        Index("ix_triage_requests_assignee_state", "assignee", "state", "id"),
        Index("ix_triage_requests_opened", "opened_at", "priority"),
        Index(
            "ix_triage_requests_responded",
            "first_response_at",
            "priority",
            "response_support_minutes",
            "time_to_response",
        ),
        Index(
            "ix_triage_requests_resolved",
            "resolved_at",
            "priority",
            "resolve_support_minutes",
            "time_to_resolve",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[str | None] = mapped_column(String(200))
    environment: Mapped[str | None] = mapped_column(String(50))
    impact: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    requester: Mapped[str] = mapped_column(String(200))
    room: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    resume_state: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(50))
    assignee: Mapped[str | None] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_by: Mapped[str | None] = mapped_column(String(100))
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    progress_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    progress_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the first running clock reaches its target; None while no clock runs."""
    sla_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the first running clock reaches the nudge percentage of its target ("at risk")."""
    time_to_response: Mapped[float | None] = mapped_column(Float)
    time_to_resolve: Mapped[float | None] = mapped_column(Float)
    response_support_minutes: Mapped[float | None] = mapped_column(Float)
    """Time to first response in support-hours minutes (outside pauses), stored when it happens."""
    resolve_support_minutes: Mapped[float | None] = mapped_column(Float)
    """Time to resolve in support-hours minutes (outside pauses), stored when it is resolved."""

    pauses: Mapped[list[Pause]] = relationship(order_by="Pause.started_at", lazy="selectin")
    ticket: Mapped[Ticket | None] = relationship(back_populates="request", lazy="selectin")

    @property
    def ref(self) -> str:
        return request_ref(self.id)


class RequestEvent(Base):
    """One thing that happened to a request: a transition (with both states), or another change."""

    __tablename__ = "triage_request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("triage_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")


class Pause(Base):
    """A span during which a request's SLA clocks stood still: waiting on the user, or resolved
    until it was reopened. ``ended_at`` is None while the pause lasts."""

    __tablename__ = "triage_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("triage_requests.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Timer(Base):
    """A due nudge, breach notice, update reminder or ticket suggestion for one request.

    One row per (request, kind): once ``fired_at`` is set the kind never fires again for that
    request (an update reminder is re-armed by the next update).
    """

    __tablename__ = "triage_timers"
    __table_args__ = (
        UniqueConstraint("request_id", "kind"),
        Index("ix_triage_timers_due", "fired_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("triage_requests.id"))
    kind: Mapped[str] = mapped_column(String(30))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Rating(Base):
    """The requester's 1-5 rating of how a resolved request went; re-rating replaces it."""

    __tablename__ = "triage_ratings"
    __table_args__ = (
        UniqueConstraint("request_id"),
        Index("ix_triage_ratings_rated_at", "rated_at", "rating"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("triage_requests.id"))
    rating: Mapped[int] = mapped_column(Integer)
    rated_by: Mapped[str] = mapped_column(String(200))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ticket(Base):
    """A card on the built-in board; ``links`` keeps where plugins mirrored it (``{"github": url}``)."""

    __tablename__ = "triage_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("triage_requests.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    column: Mapped[str] = mapped_column("board_column", String(50), index=True)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    request: Mapped[Request | None] = relationship(back_populates="ticket")

    @property
    def ref(self) -> str:
        return ticket_ref(self.id)


def request_ref(request_id: int) -> str:
    """The short id people type and read: ``R-12``."""
    return f"R-{request_id}"


def ticket_ref(ticket_id: int) -> str:
    return f"T-{ticket_id}"
