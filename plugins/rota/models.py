"""The rota plugin's tables: personal leave, rota changes and support-channel cover slots.

Rows are never deleted: removing leave or undoing a change stamps who did it and when, so the
history stays readable (and the audit log says the same in words).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

SWAP, COVER, OVERRIDE = "swap", "cover", "override"
OPEN, ACTIVE, UNDONE = "open", "active", "undone"


class Leave(Base):
    """A person's leave, whole local days ``first_day`` to ``last_day`` inclusive."""

    __tablename__ = "rota_leave"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(100), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(100))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RotaChange(Base):
    """A change to the generated rota over the days ``first_day`` to ``last_day`` inclusive.

    - swap: ``person`` and ``other`` trade their shifts;
    - cover: ``person`` asked for cover (``open``); ``other`` accepted it (``active``);
    - override: ``other`` is put on support, in place of ``person`` if one is named.
    """

    __tablename__ = "rota_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    person: Mapped[str | None] = mapped_column(String(100))
    other: Mapped[str | None] = mapped_column(String(100))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(100))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CoverSlot(Base):
    """Who covers the support channel on a local date between two local times (minutes).

    The day's lead covers every minute no slot names; a later slot wins where slots overlap.
    """

    __tablename__ = "rota_cover_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    person: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
