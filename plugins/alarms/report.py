"""What alarms contribute to the day: the 09:00 checklist, the 18:00 handover and status."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from plugins.alarms import render
from plugins.alarms.models import FIRING, AlarmEvent, AlarmGroup
from plugins.alarms.settings import AlarmsSection, section_of

if TYPE_CHECKING:
    from core.runtime import Runtime

NAMED = 5
LOOKBACK_DAYS = 31


def last_handover(runtime: Runtime, day: date) -> datetime:
    """When the previous working day's working hours closed (18:00 by default)."""
    calendars = runtime.calendars
    for back in range(1, LOOKBACK_DAYS + 1):
        ranges = calendars.working.day_ranges(day - timedelta(days=back))
        if ranges:
            return ranges[-1][1]
    midnight = datetime.combine(day, time(), tzinfo=calendars.tz)
    return midnight - timedelta(days=1)


def checklist_line(runtime: Runtime, day: date) -> str:
    """Alarms that fired since the last handover, by priority, and which of them are open."""
    since = last_handover(runtime, day)
    section = section_of(runtime)
    with runtime.db.session() as session:
        groups = session.scalars(
            select(AlarmGroup)
            .join(AlarmEvent, AlarmEvent.group_id == AlarmGroup.id)
            .where(AlarmEvent.kind == "fired", AlarmEvent.at >= since)
            .distinct()
        ).all()
    head = f"Alarms since the last handover ({render.when(runtime, since)}):"
    if not groups:
        return f"{head} none."
    return f"{head} {_by_priority(section, groups, 'still open')}."


def handover_line(runtime: Runtime) -> str:
    section = section_of(runtime)
    with runtime.db.session() as session:
        groups = session.scalars(select(AlarmGroup).where(AlarmGroup.status == FIRING)).all()
    if not groups:
        return "Open alarms: none."
    return f"Open alarms: {_by_priority(section, groups, 'open')}."


def _by_priority(section: AlarmsSection, groups: list[AlarmGroup], open_word: str) -> str:
    parts = []
    for priority in sorted({g.priority for g in groups}, key=section.rank):
        mine = sorted((g for g in groups if g.priority == priority), key=lambda g: g.id)
        still = [g for g in mine if g.status == FIRING]
        named = ", ".join(f"#{g.id} {g.title}" for g in still[:NAMED])
        if len(still) > NAMED:
            named += f" and {len(still) - NAMED} more"
        detail = f"{open_word}: {named}" if still else "none open"
        parts.append(f"{len(mine)} {priority} ({detail})")
    return ", ".join(parts)


def status_lines(runtime: Runtime, sources: list[str]) -> list[str]:
    """Open alarms and each source's route, and whether it can authenticate anyone."""
    with runtime.db.session() as session:
        counts = dict(
            session.execute(
                select(AlarmGroup.priority, func.count())
                .where(AlarmGroup.status == FIRING)
                .group_by(AlarmGroup.priority)
            ).all()
        )
    section = section_of(runtime)
    total = sum(counts.values())
    detail = ", ".join(f"{counts[p]} {p}" for p in sorted(counts, key=section.rank))
    credentials = runtime.settings.credentials
    described = ", ".join(
        f"/alerts/{name} ({'credentials set' if name in credentials else 'no credentials: refusing all'})"
        for name in sources
    )
    return [
        f"Alarms: {total} open" + (f" ({detail})" if detail else ""),
        f"Alert sources: {described}",
    ]
