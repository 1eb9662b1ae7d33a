"""When a silence ends: the post it held back.

While an alarm is silenced nothing is posted for it. An episode that began then, or a priority
raised then, has no post of its own: the alarm's thread (``post_key``) is still an older post,
perhaps in another channel, and without a catch-up the pages and updates that follow would be
threaded under it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from plugins.alarms.ingest import ESCALATED, post_episode
from plugins.alarms.models import FIRING, AlarmEvent, AlarmGroup
from plugins.alarms.paging import CHAT_SOURCE
from plugins.alarms.settings import section_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.runtime import Runtime


def catch_up(runtime: Runtime, session: Session, group: AlarmGroup, now: datetime) -> None:
    """Post the alarm afresh if its post is not the current episode's at its priority.

    Keys are ingest's: ``alarm-<id>-<episode>`` for an episode's post, with ``-<priority>``
    once the episode has escalated. A flapping alarm is left alone (flapping episodes get no
    post of their own), and so is one read from chat (its post is the other tool's message).
    """
    if group.status != FIRING or group.flapping or group.source == CHAT_SOURCE:
        return
    base = f"alarm-{group.id}-{group.episode}"
    key = f"{base}-{group.priority}" if _escalated(session, group) else base
    if group.post_key != key:
        post_episode(runtime, section_of(runtime), session, group, key, now)


def _escalated(session: Session, group: AlarmGroup) -> bool:
    """The alarm's priority rose during its current episode."""
    escalated = exists().where(
        AlarmEvent.group_id == group.id,
        AlarmEvent.kind == ESCALATED,
        AlarmEvent.at >= group.fired_at,
    )
    return bool(session.scalar(select(escalated)))
