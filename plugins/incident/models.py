"""The incident feature's tables: incidents, their role holders, timeline, audiences and alarms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

OPEN, RESOLVED, CANCELLED = "open", "resolved", "cancelled"
LEAD, SCRIBE, COMMS = "lead", "scribe", "comms"
ROLES = (LEAD, SCRIBE, COMMS)
REQUIRED = (LEAD, SCRIBE)


class Incident(Base):
    """One incident from declaration to resolution, with its key times and promises.

    ``message_ref`` is the chat id of the declaring message (a Slack ``ts``): unique, so a
    message the backend delivers twice (Slack re-sends edited messages) declares once.
    ``thread_key`` is the key of the core chat post whose thread is the incident's thread.
    The ``*_sent``/``*_for`` columns record which reminders went out, so the minutely sweep
    says each thing once however often it runs.
    """

    __tablename__ = "incident_incidents"
    __table_args__ = (
        Index("ix_incident_incidents_declared_by", "declared_at", "priority", "status"),
        Index(
            "ix_incident_incidents_repaired",
            "repaired_at",
            "priority",
            "status",
            "repair_minutes",
            "repair_support_minutes",
        ),
        Index(
            "ix_incident_incidents_resolved",
            "resolved_at",
            "priority",
            "status",
            "resolve_minutes",
            "resolve_support_minutes",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    impact: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=OPEN, index=True)
    source: Mapped[str] = mapped_column(String(100))
    declared_by: Mapped[str] = mapped_column(String(100))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    message_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    thread_key: Mapped[str | None] = mapped_column(String(200))
    conversation: Mapped[str | None] = mapped_column(String(200))
    urgent_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)
    latest_update: Mapped[str | None] = mapped_column(Text)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updates_sent: Mapped[int] = mapped_column(Integer, default=0)
    paged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nudges_sent: Mapped[int] = mapped_column(Integer, default=0)
    checkins_sent: Mapped[int] = mapped_column(Integer, default=0)
    reminded_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    one_hour_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    repair_minutes: Mapped[float | None] = mapped_column(Float)
    """Minutes from first detected (or declared) to repaired; kept current by ``metrics.store``."""
    repair_support_minutes: Mapped[float | None] = mapped_column(Float)
    resolve_minutes: Mapped[float | None] = mapped_column(Float)
    resolve_support_minutes: Mapped[float | None] = mapped_column(Float)


class RoleHolder(Base):
    """Who held a role of an incident, from when until when (``until`` None: holds it now)."""

    __tablename__ = "incident_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident_incidents.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    person: Mapped[str] = mapped_column(String(100))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(100))


class TimelineEntry(Base):
    """One line of an incident's timeline, automatic (``kind`` says what) or a note."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident_incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(30))
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


class Audience(Base):
    """A channel that was told of an incident, and so must be told when it is over."""

    __tablename__ = "incident_audiences"
    __table_args__ = (UniqueConstraint("incident_id", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident_incidents.id"))
    address: Mapped[str] = mapped_column(String(200))
    told_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlarmLink(Base):
    """An alarm (alert group) linked to an incident, by the alarm feature's id."""

    __tablename__ = "incident_alarms"
    __table_args__ = (UniqueConstraint("incident_id", "alarm"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident_incidents.id"))
    alarm: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str | None] = mapped_column(String(300))
    linked_by: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ThreadMessage(Base):
    """A person's message in an incident's thread or conversation, kept for reactions.

    Slack tells of a reaction by the message's id alone, so the text a reaction puts on the
    timeline is the one kept here (as first posted: edits are not re-read). ``noted_at`` says it
    is on the timeline already (a reaction did it, or it was a ``note:``), so it goes on once.
    """

    __tablename__ = "incident_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident_incidents.id"), index=True)
    message_ref: Mapped[str] = mapped_column(String(200), unique=True)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
