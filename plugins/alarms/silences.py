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

from plugins.alarms import render
from plugins.alarms.ingest import ESCALATED, FIRING_ALERTS
from plugins.alarms.models import FIRING, AlarmEvent, AlarmGroup
from plugins.alarms.settings import section_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.runtime import Runtime


def catch_up(runtime: Runtime, session: Session, group: AlarmGroup, now: datetime) -> None:
    """Post the alarm afresh if its post is not the current episode's at its priority.

    A flapping alarm is left alone: flapping episodes get no post of their own anyway.
    """
    if group.status != FIRING or group.flapping or _posted_as_it_stands(session, group):
        return
    base = f"alarm-{group.id}-{group.episode}"
    this_episode = group.post_key == base or (group.post_key or "").startswith(f"{base}-")
    key = f"{base}-{group.priority}" if this_episode else base  # as ingest keys them
    firing = session.connection().execute(FIRING_ALERTS, {"group_id": group.id}).all()
    shown = render.digest(firing, section_of(runtime).show_labels)
    text = render.fired_post(runtime, group, shown)
    if runtime.chat.post(group.channel, text, key=key, session=session):
        group.post_key, group.last_posted_at = key, now


def _posted_as_it_stands(session: Session, group: AlarmGroup) -> bool:
    """The post is this episode's, made at the priority the alarm has now."""
    base = f"alarm-{group.id}-{group.episode}"
    if group.post_key == f"{base}-{group.priority}":
        return True
    if group.post_key != base:
        return False
    escalated = exists().where(
        AlarmEvent.group_id == group.id,
        AlarmEvent.kind == ESCALATED,
        AlarmEvent.at >= group.fired_at,
    )
    return not session.scalar(select(escalated))
