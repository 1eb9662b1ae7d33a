"""The ``alarms`` section of the metrics: how much alarms fired, and how useful they were.

Which alarms count: an alarm (alert group) counts for the period when it *fired* in it (a
``fired`` event: its first firing or a new episode after resolving). Each fire is one alarm
fired; ``noise`` / ``actionable`` / ``unmarked`` count the distinct alarms that fired in the
period by the feedback they have now (``!alarm noise`` / ``!alarm actionable``). The top lists
rank alarm names (titles) by fires in the period, ties by name: ``top_noisy`` only alarms
marked noise (the ones to fix or delete first), ``top_firing`` all of them.
All of it is grouped in SQL over the ``alarm_events.at`` index.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from core.aggregates import percent
from plugins.alarms.models import AlarmEvent, AlarmGroup
from plugins.alarms.settings import section_of

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "alarms"
TOP = 5
FIRED, PAGED = "fired", "paged"
NOISE, ACTIONABLE = "noise", "actionable"


def figures(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    """The alarms section; empty when ``priority`` is not one of ``[alarms.priorities]``."""
    where: list[Any] = [AlarmEvent.at >= start, AlarmEvent.at < end]
    if priority is not None:
        name = next(
            (p for p in section_of(runtime).priorities if p.lower() == priority.lower()), None
        )
        if name is None:
            return {}
        where.append(AlarmEvent.priority == name)
    fires = func.count(AlarmEvent.id)
    with runtime.db.session() as session:
        by_kind = session.execute(
            select(AlarmEvent.kind, AlarmEvent.priority, func.count())
            .where(*where, AlarmEvent.kind.in_((FIRED, PAGED)))
            .group_by(AlarmEvent.kind, AlarmEvent.priority)
        ).all()
        fired = [*where, AlarmEvent.kind == FIRED]
        marks = dict(
            session.execute(
                select(AlarmGroup.feedback, func.count(func.distinct(AlarmGroup.id)))
                .join(AlarmEvent, AlarmEvent.group_id == AlarmGroup.id)
                .where(*fired)
                .group_by(AlarmGroup.feedback)
            ).all()
        )
        ranked = (
            select(AlarmGroup.title, fires)
            .join(AlarmEvent, AlarmEvent.group_id == AlarmGroup.id)
            .where(*fired)
            .group_by(AlarmGroup.title)
            .order_by(fires.desc(), AlarmGroup.title)
            .limit(TOP)
        )
        top_noisy = session.execute(ranked.where(AlarmGroup.feedback == NOISE)).all()
        top_firing = session.execute(ranked).all()
    by_priority = {p: n for kind, p, n in sorted(by_kind) if kind == FIRED}
    noise, actionable = marks.get(NOISE, 0), marks.get(ACTIONABLE, 0)
    return {
        SECTION: {
            "fired": sum(by_priority.values()),
            "fired_by_priority": by_priority,
            "paged": sum(n for kind, _, n in by_kind if kind == PAGED),
            "alarms": sum(marks.values()),
            "noise": noise,
            "actionable": actionable,
            "unmarked": marks.get(None, 0),
            "noise_percent": percent(noise, noise + actionable),
            "top_noisy": [[title, n] for title, n in top_noisy],
            "top_firing": [[title, n] for title, n in top_firing],
        }
    }
