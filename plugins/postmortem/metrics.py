"""What postmortems add to the metrics' ``incidents`` section: reports published, actions open.

* ``postmortems_published``: reports published in the period;
* ``postmortem_actions_open``: review actions that existed at the period's end and were not
  done by then;
* ``postmortem_actions_overdue``: those of them whose due date had passed when the period
  ended (due before the local date of its end, as the daily reminders count them).

With a priority, only postmortems (and their actions) of incidents of that priority count.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from plugins.postmortem.models import Action, Postmortem

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "incidents"


def figures(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    only = [] if priority is None else [func.lower(Postmortem.priority) == priority.strip().lower()]
    end_day = runtime.calendars.local(end).date()
    with runtime.db.session() as session:
        published = session.scalar(
            select(func.count())
            .select_from(Postmortem)
            .where(Postmortem.published_at >= start, Postmortem.published_at < end, *only)
        )
        open_at_end = [
            Action.created_at < end,
            or_(Action.done_at.is_(None), Action.done_at >= end),
        ]
        if only:
            open_at_end.append(Action.postmortem_id.in_(select(Postmortem.id).where(*only)))
        total, overdue = session.execute(
            select(func.count(), func.count().filter(Action.due < end_day)).where(*open_at_end)
        ).one()
    return {
        SECTION: {
            "postmortems_published": published or 0,
            "postmortem_actions_open": total,
            "postmortem_actions_overdue": overdue,
        }
    }
