"""The pager's tables: pages, the delivery outbox, and dedup windows.

A page is one request to reach someone. Each *call* of a page (its first notification, each
escalation step, each re-page) adds one outbox row per recipient and contact method: the first
method ``pending``, the others on ``standby`` until the one before them keeps failing. Rows are
claimed before they are sent, so a row is sent by one worker of one replica; a claim lapses after
its lease, so a row claimed by a process that died is sent by another.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

# Page states
WAITING = "waiting"  # outside paging hours; the first call goes out at next_action_at
HANDOVER = "handover"  # outside paging hours; held for the morning checklist instead
PAGING = "paging"  # calls going out; escalates at next_action_at unless acknowledged
ACKNOWLEDGED = "acknowledged"  # someone has it; re-paged at next_action_at unless resolved
RESOLVED = "resolved"
UNANSWERED = "unanswered"  # every step and repeat called without an acknowledgement
OPEN_STATES = (WAITING, HANDOVER, PAGING, ACKNOWLEDGED, UNANSWERED)

# Delivery states
STANDBY = "standby"  # a later contact method, used if the ones before it fail
PENDING = "pending"  # to be sent at due_at
SENDING = "sending"  # claimed by a worker until claimed_until
DELIVERED = "delivered"
FAILED = "failed"  # every attempt on this method failed
CANCELLED = "cancelled"  # the page was acknowledged or resolved first
SKIPPED = "skipped"  # an earlier method reached the person
UNDELIVERED = (PENDING, SENDING)


class Page(Base):
    """A request to reach a person, group or role, and where its escalation stands."""

    __tablename__ = "pager_pages"
    __table_args__ = (Index("ix_pager_pages_first_called", "first_called_at", "band"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(100))
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), index=True)
    steps: Mapped[str] = mapped_column(Text, default="")  # JSON list, fixed at the first call
    position: Mapped[int] = mapped_column(Integer, default=-1)  # round * len(steps) + step
    calls: Mapped[int] = mapped_column(Integer, default=0)
    call_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acked_by: Mapped[str | None] = mapped_column(String(100))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the first call went out (a page queued overnight lands when paging hours open)."""
    band: Mapped[str | None] = mapped_column(String(20))
    """When it landed: working hours, on-call evening, weekend/holiday or night (``metrics.band``)."""
    ack_minutes: Mapped[float | None] = mapped_column(Float)
    """Wall-clock minutes from the first call to the acknowledgement."""
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    """Calls that moved on to the next step because nobody acknowledged (re-pages are not)."""


class Delivery(Base):
    """One notification of one call to one person by one contact method: the outbox row."""

    __tablename__ = "pager_deliveries"
    __table_args__ = (
        UniqueConstraint("page_id", "call", "person", "method"),
        Index("ix_pager_deliveries_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pager_pages.id"), index=True)
    call: Mapped[int] = mapped_column(Integer)
    person: Mapped[str] = mapped_column(String(100))
    method: Mapped[int] = mapped_column(Integer)
    contact: Mapped[str] = mapped_column(String(300))  # the reference (env:NAME), never the URL
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str] = mapped_column(String(300), default="")


class DedupWindow(Base):
    """While ``expires_at`` is ahead, a page with this key returns the page it names."""

    __tablename__ = "pager_dedup"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pager_pages.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
