"""The minutely sweep over open incidents: nudges, update reminders, check-ins, the one-hour rule
and pages that waited for on-call hours.

Each reminder is due at a time computed from the incident (declared + n × nudge interval, the
promised update time, …) and recorded on the incident when said, so the sweep is idempotent: it
may run late, twice or on another replica and still says each thing once, and after downtime it
says only the latest of a series rather than the whole backlog. Posts are keyed as well.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from core.scheduler import Job
from plugins.incident import service, texts
from plugins.incident.durations import span
from plugins.incident.models import COMMS, LEAD, OPEN, Incident
from plugins.incident.service import BOT
from plugins.incident.texts import fmt

if TYPE_CHECKING:
    from core.calendars import Window
    from core.runtime import Runtime
    from plugins.incident.settings import Level

log = logging.getLogger(__name__)

SWEEP = "incident.sweep"
GRACE = timedelta(seconds=59)
_LOOKBACK_DAYS = 14
Holders = dict[str, str]


def jobs(runtime: Runtime) -> list[Job]:
    # The sweep catches up from the incidents' state, not by replaying missed minutes: after
    # downtime (or a fast-forwarded test clock) only the latest minute needs running.
    return [
        Job(SWEEP, "* * * * *", lambda _fire_time: sweep(runtime), exactly_once=False, grace=GRACE)
    ]


def sweep(runtime: Runtime) -> None:
    """Say whatever has come due on every open incident, each in its own transaction (so one
    incident that fails, say because a plugin raised, holds up no other)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        open_ids = [incident.id for incident in service.open_incidents(session)]
    for incident_id in open_ids:
        try:
            changes = _sweep_one(runtime, incident_id, now)
        except Exception:
            log.exception("the incident sweep failed for incident %s", incident_id)
            continue
        for change in changes:
            service.fire(runtime, "dutybot_incident_updated", incident_id, change=change)


def _sweep_one(runtime: Runtime, incident_id: int, now: datetime) -> list[str]:
    """One incident's due reminders and page; returns the changes listeners should hear of."""
    changes = []
    with runtime.db.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.status != OPEN:
            return []
        level = service.section(runtime).level(incident.priority)
        try:
            paged = service.page_if_due(runtime, session, incident, now)
        except service.PageFailed:
            paged = None  # logged; tried again next minute
        if paged is not None:
            service.tell(runtime, session, incident, f"Incident {incident.id}: {paged}")
            changes.append("page")
        worked = worked_now(runtime, level, now)
        current = service.holders(session, incident.id)
        _nudge(runtime, session, incident, current, level, now, worked)
        if _promise(runtime, session, incident, current, level, now):
            changes.append("missed-update")
        if level.urgent:
            _check_in(runtime, session, incident, current, level, now, worked)
            _one_hour_rule(runtime, session, incident, now)
    return changes


def worked_now(runtime: Runtime, level: Level, now: datetime) -> bool:
    """Whether anyone works an incident of this level now: support does in support hours, the
    on-call engineer does urgent ones in on-call hours. Nudges and check-ins wait for that."""
    calendars = runtime.calendars
    return calendars.support.is_open(now) or (level.urgent and calendars.oncall.is_open(now))


def _nudge(
    runtime: Runtime,
    session: Session,
    incident: Incident,
    current: Holders,
    level: Level,
    now: datetime,
    worked: bool,
) -> None:
    """Every few minutes while it is worked, ask for the required roles nobody holds yet."""
    settings = service.section(runtime)
    missing = texts.missing_roles(current)
    if not missing:
        return
    due = int((now - incident.declared_at) / timedelta(minutes=settings.nudge_minutes))
    if due <= incident.nudges_sent:
        return
    incident.nudges_sent = due
    if not worked:  # nobody to ask; the next nudge comes once someone works it
        return
    text = (
        f"Incident {incident.id} still needs {texts.needs(missing)}. Say {texts.role_phrases(settings, missing)} "
        f"here, or use {texts.role_commands(incident.id, missing)}."
    )
    if level.response is not None and LEAD in missing:
        target = level.response.due(incident.declared_at, runtime.calendars, level.response_hours)
        text += f" The first-response target ({level.response}) is {fmt(runtime, target)}."
    service.tell(runtime, session, incident, text, key=f"incident:{incident.id}:nudge:{due}")


def _promise(
    runtime: Runtime,
    session: Session,
    incident: Incident,
    current: Holders,
    level: Level,
    now: datetime,
) -> bool:
    """Remind the communications lead (or lead) of a promised update; True when it was missed."""
    promise = incident.next_update_at
    if promise is None:
        return False
    before = timedelta(minutes=service.section(runtime).remind_before_minutes)
    overdue = now >= promise
    if overdue and incident.overdue_for == promise:
        return False
    if not overdue and (now < promise - before or incident.reminded_for == promise):
        return False
    incident.reminded_for = promise
    who = _update_owner(runtime, incident, current)
    every = level.update_every or "30m"
    command = f"!incident update {incident.id} <what we are doing> --next {every}"
    if overdue:
        incident.overdue_for = promise
        text = (
            f"{who}: the update on incident {incident.id} promised by {fmt(runtime, promise)} is overdue. "
            f"Post one now, even if there is no news: {command}"
        )
        service.record(
            session,
            incident,
            now,
            "update",
            BOT,
            f"The update promised by {fmt(runtime, promise)} was not posted on time.",
        )
    else:
        text = (
            f"{who}: the next update on incident {incident.id} is promised by {fmt(runtime, promise)}. "
            f"Post it with {command}"
        )
    service.tell(
        runtime,
        session,
        incident,
        text,
        key=f"incident:{incident.id}:promise:{promise.isoformat()}:{overdue}",
    )
    return overdue


def _update_owner(runtime: Runtime, incident: Incident, current: Holders) -> str:
    """Whom an update reminder addresses: the communications lead, else the lead, by chat handle."""
    person = current.get(COMMS) or current.get(LEAD)
    found = runtime.process.person(person) if person else None
    if found is not None:
        return found.chat
    return person or f"Incident {incident.id} has no lead or communications lead"


def _check_in(
    runtime: Runtime,
    session: Session,
    incident: Incident,
    current: Holders,
    level: Level,
    now: datetime,
    worked: bool,
) -> None:
    """The team's regular check-in on an urgent incident (hourly by default) while it is worked."""
    if level.checkin_every is None or incident.urgent_since is None:
        return
    interval = timedelta(days=level.checkin_every.days, minutes=level.checkin_every.minutes)
    due = int((now - incident.urgent_since) / interval)
    if due <= incident.checkins_sent:
        return
    incident.checkins_sent = due
    if not worked:
        return
    text = (
        f"Check-in on incident {incident.id} ({level.label}), {span(incident.urgent_since, now)} in: "
        f"what has changed, and what is next? {texts.roles_line(runtime, current)}. "
        f"{texts.update_status(runtime, incident)}"
    )
    service.tell(runtime, session, incident, text, key=f"incident:{incident.id}:checkin:{due}")


def _one_hour_rule(runtime: Runtime, session: Session, incident: Incident, now: datetime) -> None:
    """Out of support hours, after an hour (by default) of on-call time on an urgent incident,
    remind the on-call engineer to inform the affected team and plan the fix for working hours.

    The hour is on-call time since support last closed (or since the incident became urgent),
    so an incident declared at 23:00 is reminded of at 08:00, an hour after on-call began.
    """
    calendars = runtime.calendars
    if incident.urgent_since is None or calendars.support.is_open(now):
        return
    closed = last_closing(runtime, calendars.support, now)
    start = max(incident.urgent_since, closed) if closed else incident.urgent_since
    settings = service.section(runtime)
    if (
        incident.one_hour_for == start
        or calendars.oncall.minutes_between(start, now) < settings.out_of_hours_minutes
    ):
        return
    incident.one_hour_for = start
    reopens = calendars.support.next_opening(now)
    text = settings.texts.one_hour_rule.format(
        id=incident.id,
        title=incident.title,
        minutes=settings.out_of_hours_minutes,
        reopens=fmt(runtime, reopens) if reopens else "not scheduled",
    )
    oncall = service.role_holders(runtime, "oncall.primary", now)
    for person in oncall:
        runtime.chat.post(
            person,
            text,
            key=f"incident:{incident.id}:one-hour:{start.isoformat()}:{person}",
            session=session,
        )
    handles = " ".join(found.chat for p in oncall if (found := runtime.process.person(p)))
    service.tell(runtime, session, incident, f"{handles}: {text}" if handles else text)
    reached = texts.names(runtime, oncall) if oncall else "the thread (nobody is on call)"
    service.record(
        session, incident, now, "one-hour", BOT, f"One-hour rule reminder sent to {reached}."
    )


def last_closing(runtime: Runtime, window: Window, now: datetime) -> datetime | None:
    """When ``window`` last closed before ``now`` (None if not within two weeks)."""
    day = runtime.calendars.local(now).date()
    for _ in range(_LOOKBACK_DAYS):
        ends = [end for _, end in window.day_ranges(day) if end <= now]
        if ends:
            return max(ends)
        day -= timedelta(days=1)
    return None
