"""The minute sweep: end silences that expired, settle alarms that flapped and then stayed
firing, and page alarms that waited for someone on duty.

It runs on every replica's scheduler tick without a run record (``exactly_once=False``): its
work is idempotent by the alarms' own state and by the keys of its posts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, select

from core.durations import format_duration
from core.scheduler import Job
from plugins.alarms import paging, silences
from plugins.alarms.commands import state
from plugins.alarms.models import FIRING, AlarmGroup
from plugins.alarms.settings import section_of

if TYPE_CHECKING:
    from core.runtime import Runtime
    from plugins.alarms.settings import AlarmsSection

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
    section = section_of(runtime)
    with runtime.db.session() as session:
        expired = session.scalars(
            select(AlarmGroup.id).where(AlarmGroup.silenced_until <= now)
        ).all()
        steady = session.scalars(select(AlarmGroup.id).where(*_steady(section, now))).all()
    for group_id in expired:
        end_silence(runtime, group_id, now)
    for group_id in steady:
        settle(runtime, group_id, now)
    if paging.responder(runtime, section, now) is None:
        return
    with runtime.db.session() as session:
        waiting = session.scalars(select(AlarmGroup.id).where(*paging.due(section, now))).all()
    for group_id in waiting:
        try:
            paging.page_if_due(runtime, group_id)
        except Exception:
            log.exception("paging for alarm #%s failed; the next sweep retries", group_id)


def _steady(section: AlarmsSection, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions for "flapping, but firing without a break for a whole ``flap_window``"."""
    return [
        AlarmGroup.flapping.is_(True),
        AlarmGroup.status == FIRING,
        AlarmGroup.fired_at <= now - section.flap_window,
    ]


def settle(runtime: Runtime, group_id: int, now: datetime) -> None:
    """A flapping alarm that stopped resolving is down, not flapping: clear the flag, say so.

    Flapping holds back posts and pages, and is judged only when an episode starts; an alarm
    that flapped and then stayed down would otherwise never be paged. The episode had no post
    of its own (flapping is only said in an older episode's thread, maybe in another channel),
    so it gets one now, unless silenced; then the sweep pages it like any other alarm.
    """
    section = section_of(runtime)
    with runtime.db.session() as session:
        group = session.scalars(
            select(AlarmGroup)
            .where(AlarmGroup.id == group_id, *_steady(section, now))
            .with_for_update()
        ).first()
        if group is None:
            return
        group.flapping = False
        if group.silenced_until is not None and group.silenced_until > now:
            return  # nothing is posted while silenced; its end posts the alarm (catch_up)
        silences.catch_up(runtime, session, group, now)
        if group.post_key:
            window = format_duration(section.flap_window)
            runtime.chat.post(
                group.channel,
                f"Still firing after {window} without a break: no longer flapping.",
                key=f"alarm-{group.id}-{group.episode}-steady",
                thread_ref=group.post_key,
                session=session,
            )


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
        silences.catch_up(runtime, session, group, now)
        runtime.audit(session, "dutybot", "alarm silence ended", f"alarm #{group.id} {group.title}")
