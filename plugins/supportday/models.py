"""The support day's tables: each day's checklist and its ticks, handover notes and handovers,
and who got the out-of-hours reply in which closed period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime


class Checklist(Base):
    """The start-of-day checklist of one working day, as posted at 09:00."""

    __tablename__ = "supportday_checklists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    engineers: Mapped[list[str]] = mapped_column(JSON)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    items: Mapped[list[ChecklistItem]] = relationship(
        order_by="ChecklistItem.position", lazy="selectin", back_populates="checklist"
    )


class ChecklistItem(Base):
    """One numbered line of a checklist; ticked once, with who and when."""

    __tablename__ = "supportday_checklist_items"
    __table_args__ = (UniqueConstraint("checklist_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("supportday_checklists.id"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    done_by: Mapped[str | None] = mapped_column(String(100))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checklist: Mapped[Checklist] = relationship(back_populates="items")


class Handover(Base):
    """The 18:00 handover of one working day, exactly as it was posted."""

    __tablename__ = "supportday_handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    handed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    oncall: Mapped[list[str]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)


class HandoverNote(Base):
    """A note from ``!handover add``, waiting until a handover or a checklist carries it.

    Notes written in the day go to on-call with the 18:00 handover; notes written after it (the
    on-call engineer's, at night) go into the next 09:00 checklist. Whichever comes first takes
    every waiting note and records itself here, so no note is delivered twice or lost.
    """

    __tablename__ = "supportday_handover_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("supportday_handovers.id"))
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("supportday_checklists.id"))


class AutoReply(Base):
    """A user answered outside support hours; the unique key makes it once per closed period.

    A closed period is named by the instant support reopens, which every message in it shares.
    """

    __tablename__ = "supportday_auto_replies"
    __table_args__ = (UniqueConstraint("sender", "reopens_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(200))
    reopens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime] = mapped_column(UTCDateTime)
