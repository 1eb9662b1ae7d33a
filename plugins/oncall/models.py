"""The on-call rota's tables: generated shifts, the entries people make, and what they replace.

The rota is layered so every change stays reversible: generated ``Shift`` rows are the base;
an applied ``Entry`` (override, swap, accepted cover) contributes ``Override`` segments that win
over the base and over older entries for their time; undoing an entry marks it reverted and its
segments stop counting. Unavailability and time worked are entries too, so one ``!oncall undo``
reverses anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime

# Entry kinds
OVERRIDE = "override"
SWAP = "swap"
COVER = "cover"
UNAVAILABLE = "unavailable"
WORKED = "worked"
ROTA_KINDS = (OVERRIDE, SWAP, COVER)

# Entry states
OPEN = "open"  # a cover request nobody has accepted yet
APPLIED = "applied"
REVERTED = "reverted"


class Shift(Base):
    """One generated turn of a role, from handoff to handoff; ``person`` None if nobody was free."""

    __tablename__ = "oncall_shifts"
    __table_args__ = (UniqueConstraint("role", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    person: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Entry(Base):
    """Something a person recorded: an override, swap, cover request, unavailability or work.

    ``person`` is whom it is about (the override's stand-in, the first of a swap, the one asking
    for cover, the one unavailable or who worked); ``other`` is the second of a swap or who
    accepted a cover request.
    """

    __tablename__ = "oncall_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    person: Mapped[str] = mapped_column(String(100), index=True)
    other: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    overrides: Mapped[list[Override]] = relationship(back_populates="entry", order_by="Override.id")


class Override(Base):
    """A stretch of time in which ``person`` holds ``role`` instead of ``replaced``."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_role_ends_at", "role", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("oncall_entries.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    person: Mapped[str] = mapped_column(String(100))
    replaced: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    entry: Mapped[Entry] = relationship(back_populates="overrides")


class Reported(Base):
    """A rota problem already posted to the team channel (by a digest of its line), so the
    daily check reports each problem once."""

    __tablename__ = "oncall_reported"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
