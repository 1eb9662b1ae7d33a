"""The alarms feature's tables: alarms (alert groups), their alerts, and what happened when.

An *alarm* is one alert group (Alertmanager's ``groupKey``, or the generic source's
``group_key``): it is what is posted, paged, listed and triaged. Alerts are deduplicated on
(source, dedup key) -- Alertmanager's ``fingerprint`` -- and keys are stored with their SHA-256
so that arbitrarily long keys can be unique on every database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

FIRING = "firing"
RESOLVED = "resolved"
DECLARING = "(being declared since "
"""How ``incident_ref`` starts while an incident is being declared from the alarm (a claim,
``commands._claim_incident``): not an incident yet."""


class AlarmGroup(Base):
    """One alarm: an alert group with its firing episodes, chat post and triage state."""

    __tablename__ = "alarm_groups"
    __table_args__ = (UniqueConstraint("source", "key_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(50))
    key_hash: Mapped[str] = mapped_column(String(64))
    group_key: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), index=True)
    episode: Mapped[int] = mapped_column(Integer, default=0)
    notifications: Mapped[int] = mapped_column(Integer, default=0)
    alerts_firing: Mapped[int] = mapped_column(Integer, default=0)
    flapping: Mapped[bool] = mapped_column(default=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_notified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    post_key: Mapped[str | None] = mapped_column(String(200))
    paged_episode: Mapped[int] = mapped_column(Integer, default=0)
    page_target: Mapped[str | None] = mapped_column(String(100))
    acked_by: Mapped[str | None] = mapped_column(String(100))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee: Mapped[str | None] = mapped_column(String(100))
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    silenced_by: Mapped[str | None] = mapped_column(String(100))
    silence_reason: Mapped[str | None] = mapped_column(Text)
    silences: Mapped[int] = mapped_column(Integer, default=0)
    feedback: Mapped[str | None] = mapped_column(String(20))
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    incident_ref: Mapped[str | None] = mapped_column(String(200))


class AlarmAlert(Base):
    """One alert, deduplicated on its source's key; the latest notification's view of it."""

    __tablename__ = "alarm_alerts"
    __table_args__ = (
        UniqueConstraint("key_hash", "source"),  # the hash first: see migration alarms_0003
        Index("ix_alarm_alerts_group_id_status", "group_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alarm_groups.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(50))
    key_hash: Mapped[str] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    runbook_url: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notifications: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str | None] = mapped_column(String(40))
    """A digest of what the latest notification said (see ``ingest.content_hash``); NULL = unknown."""


class AlarmEvent(Base):
    """A moment in an alarm's life (fired, resolved, paged): the checklist, flapping and metrics."""

    __tablename__ = "alarm_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("alarm_groups.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")
