"""Offering paging alarms to the pager, through the ``dutybot_page`` hook only.

Who is paged depends on the hour: the first ``[[alarms.responders]]`` whose calendar window is
open (support engineers in support hours, the on-call engineer in on-call hours). An alarm is
paged once per firing episode, and not while it is acknowledged, silenced or flapping. When
nobody is on duty the alarm waits: the minute sweep pages it as soon as a window opens, if it
is still firing. The page is claimed with a conditional UPDATE and written by the pager in the
same transaction, so two replicas (or the receiver and the sweep) never page an episode twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from plugins.alarms import render
from plugins.alarms.models import FIRING, AlarmEvent, AlarmGroup
from plugins.alarms.settings import section_of

if TYPE_CHECKING:
    from core.runtime import Runtime
    from plugins.alarms.settings import AlarmsSection, Responder

log = logging.getLogger(__name__)

CHAT_SOURCE = "chat"
"""Alarms read from messages other tools posted in the alarm channels."""
SOURCE = "alarms"
"""How the pager records where a page came from."""


def responder(runtime: Runtime, section: AlarmsSection, at: datetime) -> Responder | None:
    """The first responder whose window is open at ``at``; None in uncovered hours."""
    return next((r for r in section.responders if runtime.calendars[r.window].is_open(at)), None)


def due(section: AlarmsSection, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions for "this alarm should be paged now", whoever is on duty."""
    conditions = [
        AlarmGroup.priority.in_([name for name, p in section.priorities.items() if p.page]),
        AlarmGroup.status == FIRING,
        AlarmGroup.paged_episode < AlarmGroup.episode,
        AlarmGroup.acked_at.is_(None),
        or_(AlarmGroup.silenced_until.is_(None), AlarmGroup.silenced_until <= now),
        AlarmGroup.flapping.is_(False),
    ]
    if not section.chat.page:
        conditions.append(AlarmGroup.source != CHAT_SOURCE)
    return conditions


def page_if_due(runtime: Runtime, group_id: int, *, announce: bool = False) -> str | None:
    """Page for the alarm if it is due; returns the target paged.

    The claim (a conditional UPDATE, the transaction's first statement) and the page the
    pager writes in this same transaction commit together. ``announce`` (at receipt) says once
    in the alarm's thread when nobody is on duty to be paged.
    """
    section = section_of(runtime)
    now = runtime.clock.now()
    on_duty = responder(runtime, section, now)
    conditions = [AlarmGroup.id == group_id, *due(section, now)]
    with runtime.db.session() as session:
        if on_duty is None:
            if announce:
                _say_waiting(runtime, section, session, conditions)
            paged = None
        else:
            paged = _claim_and_page(runtime, session, group_id, conditions, on_duty, now)
    runtime.chat.flush()
    return paged


def _say_waiting(
    runtime: Runtime,
    section: AlarmsSection,
    session: Session,
    conditions: list[ColumnElement[bool]],
) -> None:
    group = session.scalars(select(AlarmGroup).where(*conditions)).first()
    if group is not None and group.post_key:
        hours = " and ".join(render.WINDOW_NAMES[r.window] for r in section.responders)
        text = f"Not paged: it is outside {hours}. If it is still firing then, I will page."
        runtime.chat.post(
            group.channel,
            text,
            key=f"alarm-{group.id}-{group.episode}-waiting",
            thread_ref=group.post_key,
            session=session,
        )


def _claim_and_page(
    runtime: Runtime,
    session: Session,
    group_id: int,
    conditions: list[ColumnElement[bool]],
    on_duty: Responder,
    now: datetime,
) -> str | None:
    claimed = session.execute(
        update(AlarmGroup)
        .where(*conditions)
        .values(paged_episode=AlarmGroup.episode, page_target=on_duty.target)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return None
    group = session.scalars(select(AlarmGroup).where(AlarmGroup.id == group_id)).one()
    page = runtime.hook.dutybot_page(
        runtime=runtime,
        target=on_duty.target,
        message=page_message(runtime, group),
        dedup_key=f"alarm-{group.id}-{group.episode}",
        source=SOURCE,
        session=session,
    )
    if page is None:
        text = f"Nobody was paged: no pager plugin took the page for {on_duty.target}."
    else:
        session.add(
            AlarmEvent(
                group_id=group.id,
                at=now,
                kind="paged",
                priority=group.priority,
                detail=on_duty.target,
            )
        )
        text = f"Paged {on_duty.target} ({render.WINDOW_NAMES[on_duty.window]})."
    if group.post_key:
        runtime.chat.post(
            group.channel,
            text,
            key=f"alarm-{group.id}-{group.episode}-paged",
            thread_ref=group.post_key,
            session=session,
        )
    return on_duty.target


def page_message(runtime: Runtime, group: AlarmGroup) -> str:
    """What the paged person reads first: what, how bad, since when, how to acknowledge."""
    what = f"{group.title}: {group.summary}" if group.summary else group.title
    since = render.when(runtime, group.starts_at or group.fired_at)
    return (
        f"[{group.priority}] alarm #{group.id} {what} "
        f"({render.plural(group.alerts_firing, 'alert')} firing since {since}). "
        f"Acknowledge in chat: {render.prefix()}alarm ack {group.id}"
    )
