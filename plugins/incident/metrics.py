"""The ``incidents`` section of the metrics, and the built-in availability (downtime) report.

Durations are stored on the incident when its key times change (``store``, called by the
service when first detected, repaired or resolved are set), in wall-clock minutes and in
support-hours minutes (``runtime.calendars.support``: weekends and bank holidays do not count),
so a report only averages and orders stored numbers. Both run from when the incident was first
detected, or declared if that was earlier or detection was never recorded:

* time to repair: to ``repaired_at`` (service restored), for incidents repaired in the period;
* time to resolve: to ``resolved_at`` (declared resolved), for incidents resolved in it.

``declared`` and ``high_priority`` count incidents declared in the period; cancelled ones
(declared in error) count nowhere. High priority means an ``urgent`` level of the active scheme.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from core.aggregates import epoch_seconds, median_p90, rounded
from core.db import UTCDateTime
from plugins.incident.models import CANCELLED, RESOLVED, Incident
from plugins.incident.settings import SECTION as SETTINGS
from plugins.incident.settings import IncidentSection

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "incidents"
SERVICE = "all"
"""Incidents do not record which service they hit, so their downtime is the platform's."""


def _settings(runtime: Runtime) -> IncidentSection:
    return runtime.process.section(SETTINGS)  # type: ignore[return-value]


def began(incident: Incident) -> datetime:
    """When the trouble started as far as we know: first detected, else declared."""
    detected = incident.detected_at
    return (
        detected
        if detected is not None and detected < incident.declared_at
        else incident.declared_at
    )


def store(runtime: Runtime, incident: Incident) -> None:
    """Recompute the stored durations after first detected, repaired or resolved changed."""
    support = runtime.calendars.support
    start = began(incident)
    for end, wall, in_support in (
        (incident.repaired_at, "repair_minutes", "repair_support_minutes"),
        (
            incident.resolved_at if incident.status == RESOLVED else None,
            "resolve_minutes",
            "resolve_support_minutes",
        ),
    ):
        minutes = None if end is None else max((end - start).total_seconds(), 0.0) / 60
        setattr(incident, wall, minutes)
        setattr(incident, in_support, None if end is None else support.minutes_between(start, end))


def figures(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    """The incidents section; empty when ``priority`` is not a level of the active scheme."""
    settings = _settings(runtime)
    only: list[Any] = [Incident.status != CANCELLED]
    if priority is not None:
        name = settings.active.find(priority)
        if name is None:
            return {}
        only.append(Incident.priority == name)
    urgent = settings.active.urgent
    with runtime.db.session() as session:
        declared = dict(
            session.execute(
                select(Incident.priority, func.count())
                .where(Incident.declared_at >= start, Incident.declared_at < end, *only)
                .group_by(Incident.priority)
            ).all()
        )
        repaired = [Incident.repaired_at >= start, Incident.repaired_at < end, *only]
        resolved = [
            Incident.resolved_at >= start,
            Incident.resolved_at < end,
            Incident.status == RESOLVED,
            *only,
        ]
        figures: dict[str, Any] = {
            "declared": sum(declared.values()),
            "declared_by_priority": dict(sorted(declared.items())),
            "high_priority": sum(n for p, n in declared.items() if p in urgent),
        }
        figures |= _durations(session, "repaired", "repair", repaired)
        figures |= _durations(session, "resolved", "resolve", resolved)
    return {SECTION: figures}


def _durations(session: Session, counted: str, name: str, where: list[Any]) -> dict[str, Any]:
    wall = getattr(Incident, f"{name}_minutes")
    support = getattr(Incident, f"{name}_support_minutes")
    count, mean_wall, mean_support = session.execute(
        select(func.count(), func.avg(wall), func.avg(support)).where(*where)
    ).one()
    median_wall, _ = median_p90(session, wall, where, p90=False)
    median_support, _ = median_p90(session, support, where, p90=False)
    return {
        counted: count,
        f"{name}_mean_minutes": rounded(mean_wall),
        f"{name}_median_minutes": rounded(median_wall),
        f"{name}_mean_support_minutes": rounded(mean_support),
        f"{name}_median_support_minutes": rounded(median_support),
    }


def availability(runtime: Runtime, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Downtime of high-priority incidents in [start, end), overlapping outages counted once.

    An outage runs from first detected (or declared) to repaired; an incident resolved without
    a repair time counts to its resolution, and one still open counts to now. Spans are clipped
    to the period and their union measured in SQL: ordered by start, each span adds only what
    lies beyond the latest end of the spans before it (a window function).
    """
    urgent = _settings(runtime).active.urgent
    dialect = runtime.db.dialect
    now = min(end, runtime.clock.now())
    lo, hi, until = (literal(t, UTCDateTime) for t in (start, end, now))
    detected_first = and_(
        Incident.detected_at.is_not(None), Incident.detected_at < Incident.declared_at
    )
    opened = case((detected_first, Incident.detected_at), else_=Incident.declared_at)
    closed = func.coalesce(Incident.repaired_at, Incident.resolved_at, until)
    spans = (
        select(
            epoch_seconds(dialect, case((opened < lo, lo), else_=opened)).label("s"),
            epoch_seconds(dialect, case((closed > hi, hi), else_=closed)).label("e"),
        )
        .where(
            Incident.priority.in_(urgent),
            Incident.status != CANCELLED,
            opened < hi,
            closed > lo,
        )
        .subquery()
    )
    before = func.max(spans.c.e).over(order_by=(spans.c.s, spans.c.e), rows=(None, -1))
    ordered = select(spans.c.s, spans.c.e, before.label("before")).subquery()
    added = case(
        (
            or_(ordered.c.before.is_(None), ordered.c.before <= ordered.c.s),
            ordered.c.e - ordered.c.s,
        ),
        (ordered.c.before >= ordered.c.e, 0.0),
        else_=ordered.c.e - ordered.c.before,
    )
    with runtime.db.session() as session:
        seconds = session.scalar(select(func.sum(added)).where(ordered.c.e > ordered.c.s))
    return [
        {
            "service": SERVICE,
            "downtime_minutes": round(float(seconds or 0) / 60, 1),
            "source": "incidents",
        }
    ]
