"""The core's own tables: posts to chat, scheduled-job runs and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class ChatPost(Base):
    """A message the runtime posts to a channel, kept until chat has delivered it.

    Posts are written first and delivered when a chat connection is attached, so nothing is lost
    while chat is down. ``key`` makes a post idempotent: a job that re-runs cannot post twice.
    ``thread_ref`` is the key of an earlier post to reply under; ``ref`` is the backend's id of
    the delivered message (a Slack ``ts``), which is what a threaded reply needs.
    """

    __tablename__ = "chat_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    thread_ref: Mapped[str | None] = mapped_column(String(200))
    ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    file_name: Mapped[str | None] = mapped_column(String(200))
    """A file post (a chart PNG): its name; ``text`` is the caption. None for a plain post."""
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary)


class JobRun(Base):
    """One run of a scheduled job for one fire time; the unique key makes runs exactly-once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "fire_time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    fire_time: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """Who changed what and when: rota changes, pages, overrides."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
