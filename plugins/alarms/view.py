"""The read-only snapshot of an alarm that other plugins receive through hooks.

Listeners get plain data rather than a database row, so they cannot change an alarm behind the
feature's back and need not import anything from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from plugins.alarms.models import DECLARING

if TYPE_CHECKING:
    from plugins.alarms.models import AlarmGroup
    from plugins.alarms.state import GroupRow


@dataclass(frozen=True)
class AlarmView:
    """An alarm (alert group) as it is now."""

    id: int
    source: str
    title: str
    summary: str
    priority: str
    status: str
    channel: str
    alerts_firing: int
    notifications: int
    episode: int
    fired_at: datetime
    starts_at: datetime | None
    resolved_at: datetime | None
    flapping: bool
    acked_by: str | None
    assignee: str | None
    incident_ref: str | None
    labels: dict[str, str] = field(default_factory=dict)
    runbook_url: str = ""

    @classmethod
    def of(
        cls,
        group: AlarmGroup | GroupRow,
        labels: dict[str, str] | None = None,
        runbook_url: str = "",
    ) -> AlarmView:
        return cls(
            id=group.id,
            source=group.source,
            title=group.title,
            summary=group.summary,
            priority=group.priority,
            status=group.status,
            channel=group.channel,
            alerts_firing=group.alerts_firing,
            notifications=group.notifications,
            episode=group.episode,
            fired_at=group.fired_at,
            starts_at=group.starts_at,
            resolved_at=group.resolved_at,
            flapping=group.flapping,
            acked_by=group.acked_by,
            assignee=group.assignee,
            incident_ref=linked_incident(group.incident_ref),
            labels=dict(labels or {}),
            runbook_url=runbook_url,
        )


def linked_incident(ref: str | None) -> str | None:
    """The incident an alarm is linked to; None while one is only being declared."""
    return None if ref is None or ref.startswith(DECLARING) else ref
