"""The postmortem feature's tables: one report per incident, and the review's actions.

The incident is copied in as it was when it resolved (key times, roles, timeline), so the report
and the incident log never reach into the incident feature's tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime

FIELDS = ("title", "identified", "impact", "context", "resolution", "actions")
"""The report's free-text fields, as ``!postmortem edit ID FIELD`` names them."""


class Postmortem(Base):
    __tablename__ = "postmortem_reports"
    __table_args__ = (Index("ix_postmortem_reports_published", "published_at", "priority"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(Integer, unique=True)
    incident_ref: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(50))
    priority_label: Mapped[str] = mapped_column(String(100))
    urgent: Mapped[bool] = mapped_column(Boolean)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    roles: Mapped[dict[str, str]] = mapped_column(JSON)
    timeline: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(Text)
    identified: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    context: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    tracked: Mapped[list[Action]] = relationship(order_by="Action.id")


ACTION_PRIORITIES = ("high", "normal", "low")


class Action(Base):
    """A review action: something to do so the incident does not happen again, with an owner."""

    __tablename__ = "postmortem_actions"
    __table_args__ = (Index("ix_postmortem_actions_open", "done_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortem_reports.id"))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100), index=True)
    due: Mapped[date] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
