"""An alarm's row as plain data, for the ingest path that stores it without the ORM.

Receiving a notification is the alarm feature's hot path: the ORM's unit of work (identity map,
change tracking, flush ordering) cost more per notification than the statements it ran. Ingest
reads the row with ``UPDATE … RETURNING``, changes a ``GroupRow`` in memory and writes back the
columns that changed in one ``UPDATE``. Commands and jobs, which are not hot, keep the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any


@dataclass
class GroupRow:
    """The columns of ``alarm_groups`` (``models.AlarmGroup``), one attribute each."""

    id: int
    source: str
    key_hash: str
    group_key: str
    title: str
    summary: str
    priority: str
    channel: str
    status: str
    episode: int
    notifications: int
    alerts_firing: int
    flapping: bool
    first_seen_at: datetime
    fired_at: datetime
    starts_at: datetime | None
    resolved_at: datetime | None
    last_notified_at: datetime
    last_posted_at: datetime | None
    post_key: str | None
    paged_episode: int
    page_target: str | None
    acked_by: str | None
    acked_at: datetime | None
    assignee: str | None
    silenced_until: datetime | None
    silenced_by: str | None
    silence_reason: str | None
    silences: int
    feedback: str | None
    feedback_at: datetime | None
    incident_ref: str | None

    @classmethod
    def loaded(cls, values: dict[str, Any]) -> tuple[GroupRow, dict[str, Any]]:
        """The row, and a copy of its values to tell later what changed (``changed``)."""
        return cls(**values), dict(values)

    def changed(self, saved: dict[str, Any]) -> dict[str, Any]:
        """The columns whose value differs from ``saved``: what an UPDATE has to write."""
        now = self.__dict__
        return {name: value for name, value in now.items() if saved[name] != value}


COLUMNS = tuple(f.name for f in fields(GroupRow))
