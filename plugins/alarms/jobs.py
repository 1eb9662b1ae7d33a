"""The minute sweep: end silences that expired, and page alarms that waited for someone on duty.

It runs on every replica's scheduler tick without a run record (``exactly_once=False``): its
work is idempotent by the alarms' own state and by the keys of its posts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.scheduler import Job
from plugins.alarms import paging
from plugins.alarms.commands import state
from plugins.alarms.models import AlarmGroup
from plugins.alarms.settings import section_of

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP = "alarms.sweep"
GRACE = timedelta(seconds=59)


def jobs(runtime: Runtime) -> list[Job]:
    # A missed minute is not replayed: the next sweep does all that is due.
    sweeper = Job(
        SWEEP, "* * * * *", lambda _fire_time: sweep(runtime), exactly_once=False, grace=GRACE
    )
    return [sweeper]


def sweep(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.db.session() as session:
        expired = session.scalars(
            select(AlarmGroup.id).where(AlarmGroup.silenced_until <= now)
        ).all()
        waiting = session.scalars(
            select(AlarmGroup.id).where(*paging.due(section_of(runtime), now))
        ).all()
    for group_id in expired:
        end_silence(runtime, group_id, now)
    if paging.responder(runtime, section_of(runtime), now) is None:
        return
    for group_id in waiting:
        try:
            paging.page_if_due(runtime, group_id)
        except Exception:
            log.exception("paging for alarm #%s failed; the next sweep retries", group_id)


def end_silence(runtime: Runtime, group_id: int, now: datetime) -> None:
    """Clear an expired silence and say so where it was announced."""
    with runtime.db.session() as session:
        group = session.get(AlarmGroup, group_id)
        if group is None or group.silenced_until is None or group.silenced_until > now:
            return
        group.silenced_until = group.silenced_by = group.silence_reason = None
        runtime.chat.post(
            group.channel,
            f"The silence on alarm #{group.id} {group.title} has ended; {state(group)}.",
            key=f"alarm-{group.id}-silence-{group.silences}-ended",
            session=session,
        )
        runtime.audit(session, "dutybot", "alarm silence ended", f"alarm #{group.id} {group.title}")
