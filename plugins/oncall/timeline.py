"""Who effectively holds a role over time: generated shifts with applied overrides on top.

An override wins over the generated shift for its stretch, and a newer entry's override wins
over an older one, so undoing an entry (marking it reverted) brings back whatever was beneath.
Time with neither a shift nor an override is "not planned" and yields no segment at all, which
is how callers tell "nobody could be found" (a segment whose person is None) from "not planned".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugins.oncall.models import APPLIED, Entry, Override, Shift
from plugins.oncall.settings import ROLES

INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class Segment:
    """``person`` holds ``role`` during ``[start, end)``; None means the rota found nobody."""

    role: str
    person: str | None
    start: datetime
    end: datetime


def timeline(session: Session, role: str, start: datetime, end: datetime) -> list[Segment]:
    """The role's effective holders in ``[start, end)``, adjacent stretches of one person merged."""
    if end <= start:
        return []
    shifts = session.scalars(
        select(Shift)
        .where(Shift.role == role, Shift.starts_at < end, Shift.ends_at > start)
        .order_by(Shift.starts_at)
    ).all()
    overrides = session.scalars(
        select(Override)
        .join(Entry)
        .where(
            Override.role == role,
            Entry.state == APPLIED,
            Override.starts_at < end,
            Override.ends_at > start,
        )
        .order_by(Override.entry_id, Override.id)
    ).all()
    cuts = {start, end}
    for row in (*shifts, *overrides):
        cuts.update(t for t in (row.starts_at, row.ends_at) if start < t < end)
    pieces = []
    for a, b in pairwise(sorted(cuts)):
        covering = [o for o in overrides if o.starts_at <= a < o.ends_at]
        if covering:
            pieces.append(Segment(role, covering[-1].person, a, b))
            continue
        shift = next((s for s in shifts if s.starts_at <= a < s.ends_at), None)
        if shift is not None:
            pieces.append(Segment(role, shift.person, a, b))
    return merge(pieces)


def merge(segments: Iterable[Segment]) -> list[Segment]:
    """Join segments that touch and have the same role and person."""
    merged: list[Segment] = []
    for segment in segments:
        last = merged[-1] if merged else None
        if (
            last
            and last.end == segment.start
            and (last.role, last.person) == (segment.role, segment.person)
        ):
            merged[-1] = Segment(last.role, last.person, last.start, segment.end)
        else:
            merged.append(segment)
    return merged


def holder_at(session: Session, role: str, at: datetime) -> Segment | None:
    """The segment holding ``role`` at the instant ``at`` (clipped to that instant)."""
    found = timeline(session, role, at, at + INSTANT)
    return found[0] if found else None


def current(session: Session, role: str, at: datetime) -> Segment | None:
    """Who holds ``role`` at ``at`` and until when (the end of their unbroken stretch)."""
    end = planned_until(session)
    if end is None or end <= at:
        return None
    found = timeline(session, role, at, end)
    return found[0] if found and found[0].start == at else None


def planned_until(session: Session) -> datetime | None:
    """The end of the last generated shift: how far ahead the rota is planned."""
    return session.scalar(select(func.max(Shift.ends_at)))


def planned_from(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Shift.starts_at)))


def person_segments(session: Session, person: str, start: datetime, end: datetime) -> list[Segment]:
    """Every stretch in ``[start, end)`` in which ``person`` holds a role, in time order."""
    found = [s for role in ROLES for s in timeline(session, role, start, end) if s.person == person]
    return sorted(found, key=lambda s: (s.start, s.role))
