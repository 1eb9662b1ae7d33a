"""The read-only snapshot of an incident that other plugins receive through hooks.

Listeners (the postmortem feature, a status-page plugin) get plain data rather than database
rows, so they cannot change an incident behind the feature's back and need import nothing from
it. It carries what an incident report needs: key times, roles, the timeline and the updates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.incident.models import AlarmLink, Audience, Incident, RoleHolder, TimelineEntry


@dataclass(frozen=True)
class TimelineItem:
    """One timeline line: when, what kind (``declared``, ``role``, ``note``…), who, and the text."""

    at: datetime
    kind: str
    author: str
    text: str


@dataclass(frozen=True)
class IncidentView:
    """An incident as it is now. ``ref`` is what people type (``!incident 3``)."""

    id: int
    ref: str
    title: str
    impact: str
    priority: str
    priority_label: str
    urgent: bool
    status: str
    source: str
    declared_by: str
    declared_at: datetime
    detected_at: datetime | None
    repaired_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    latest_update: str | None
    last_update_at: datetime | None
    next_update_at: datetime | None
    conversation: str | None
    roles: dict[str, str] = field(default_factory=dict)
    timeline: tuple[TimelineItem, ...] = ()
    alarms: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()


def view_of(session: Session, incident: Incident, label: str, urgent: bool) -> IncidentView:
    """Snapshot ``incident`` (with its priority's ``label`` and urgency) from ``session``."""
    holders = session.scalars(
        select(RoleHolder).where(RoleHolder.incident_id == incident.id, RoleHolder.until.is_(None))
    ).all()
    entries = session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id)
        .order_by(TimelineEntry.at, TimelineEntry.id)
    ).all()
    alarms = session.scalars(
        select(AlarmLink.alarm).where(AlarmLink.incident_id == incident.id).order_by(AlarmLink.id)
    ).all()
    audiences = session.scalars(
        select(Audience.address).where(Audience.incident_id == incident.id).order_by(Audience.id)
    ).all()
    return IncidentView(
        id=incident.id,
        ref=str(incident.id),
        title=incident.title,
        impact=incident.impact,
        priority=incident.priority,
        priority_label=label,
        urgent=urgent,
        status=incident.status,
        source=incident.source,
        declared_by=incident.declared_by,
        declared_at=incident.declared_at,
        detected_at=incident.detected_at,
        repaired_at=incident.repaired_at,
        resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by,
        resolution=incident.resolution,
        latest_update=incident.latest_update,
        last_update_at=incident.last_update_at,
        next_update_at=incident.next_update_at,
        conversation=incident.conversation,
        roles={h.role: h.person for h in holders},
        timeline=tuple(TimelineItem(e.at, e.kind, e.author, e.text) for e in entries),
        alarms=tuple(alarms),
        audiences=tuple(audiences),
    )
