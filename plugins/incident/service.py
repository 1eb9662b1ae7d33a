"""Changes to incidents. Each is made in the caller's session, so an incident's row, its timeline
entry, its audit entry, its chat posts and its page commit together or not at all.

Chat posts go through the core's durable outbox: to the incident's dedicated conversation if a
plugin opened one, else into its thread in the team channel. Listeners hear of a change through
``fire`` only after it has committed, and a failing listener cannot undo it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.commands import CommandError, UsageError
from plugins.incident import metrics, texts
from plugins.incident.access import OVERRIDE
from plugins.incident.durations import span
from plugins.incident.models import (
    CANCELLED,
    LEAD,
    OPEN,
    REQUIRED,
    RESOLVED,
    AlarmLink,
    Audience,
    Incident,
    RoleHolder,
    TimelineEntry,
)
from plugins.incident.settings import SECTION, IncidentSection
from plugins.incident.texts import ROLE_LABELS, fmt, name, names
from plugins.incident.view import IncidentView, view_of

if TYPE_CHECKING:
    from core.process import Person
    from core.runtime import Runtime

log = logging.getLogger(__name__)

BOT = "dutybot"
CHAT, COMMAND = "chat", "command"


class IncidentError(CommandError):
    """An incident cannot be changed as asked; the message says why."""


class PageFailed(Exception):
    """The pager raised; the message is a clause for the reply."""


def section(runtime: Runtime) -> IncidentSection:
    found = runtime.process.section(SECTION)
    assert isinstance(found, IncidentSection)
    return found


def role_holders(runtime: Runtime, role: str, at: datetime) -> list[str]:
    """Who holds a rota role (``support``, ``oncall.primary``), as the rota plugins answer."""
    return runtime.hook.dutybot_role_holders(runtime=runtime, role=role, at=at) or []


# --- finding incidents ------------------------------------------------------------------------


def find(session: Session, ref: str) -> Incident:
    """The incident a person named as ``3`` or ``#3``."""
    number = ref.strip().removeprefix("#")
    if not number.isdigit():
        raise UsageError(f"{ref!r} is not an incident number.")
    incident = session.get(Incident, int(number))
    if incident is None:
        open_ids = session.scalars(
            select(Incident.id).where(Incident.status == OPEN).order_by(Incident.id)
        ).all()
        listed = ", ".join(map(str, open_ids)) or "none"
        raise IncidentError(f"There is no incident {number}. Open incidents: {listed}.")
    return incident


def require_open(incident: Incident) -> None:
    if incident.status != OPEN:
        raise IncidentError(f"Incident {incident.id} is {incident.status}.")


def open_incidents(session: Session) -> list[Incident]:
    return list(
        session.scalars(select(Incident).where(Incident.status == OPEN).order_by(Incident.id))
    )


def holders(session: Session, incident_id: int) -> dict[str, str]:
    """The current holder of each filled role of an incident."""
    rows = session.scalars(
        select(RoleHolder).where(RoleHolder.incident_id == incident_id, RoleHolder.until.is_(None))
    ).all()
    return {row.role: row.person for row in rows}


def snapshot(runtime: Runtime, session: Session, incident: Incident) -> IncidentView:
    level = section(runtime).level(incident.priority)
    return view_of(session, incident, level.label, level.urgent)


# --- saying things ----------------------------------------------------------------------------


def record(
    session: Session, incident: Incident, now: datetime, kind: str, author: str, text: str
) -> None:
    """Add a line to the incident's timeline."""
    session.add(TimelineEntry(incident_id=incident.id, at=now, kind=kind, author=author, text=text))


def tell(
    runtime: Runtime, session: Session, incident: Incident, text: str, key: str | None = None
) -> None:
    """Post where the incident is worked: its dedicated conversation, else its thread."""
    if incident.conversation:
        runtime.chat.post(incident.conversation, text, key=key, session=session)
    else:
        runtime.chat.post("team", text, key=key, thread_ref=incident.thread_key, session=session)


def tell_audience(
    runtime: Runtime,
    session: Session,
    incident: Incident,
    channel: str,
    text: str,
    what: str,
    now: datetime,
) -> str:
    """Post to a channel outside the incident and remember it must hear when the incident ends.

    ``what`` names the post (``update:2``) in its idempotency key, with the incident and address.
    """
    address = runtime.chat.address(channel)
    runtime.chat.post(
        address, text, key=f"incident:{incident.id}:{what}:{address}", session=session
    )
    known = session.scalar(
        select(Audience.id).where(Audience.incident_id == incident.id, Audience.address == address)
    )
    if known is None:
        session.add(Audience(incident_id=incident.id, address=address, told_at=now))
    return address


def fire(runtime: Runtime, hook: str, incident_id: int, **extra: Any) -> None:
    """Tell listeners of a committed change; a failing listener is logged, never fatal."""
    with runtime.db.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        view = snapshot(runtime, session, incident)
    try:
        getattr(runtime.hook, hook)(runtime=runtime, incident=view, **extra)
    except Exception:
        log.exception("a plugin failed in %s for incident %s", hook, incident_id)


# --- declaring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """What a declaration says, wherever it came from (a phrase, a command or an alarm)."""

    reason: str
    impact: str
    by: str
    source: str
    priority: str | None = None
    message_ref: str | None = None
    thread_ref: str | None = None
    message_text: str = ""
    channel: str | None = None
    detected_at: datetime | None = None
    alarm: str | None = None
    alarm_title: str | None = None


@dataclass(frozen=True)
class Declared:
    """A new incident: its id, who works it now, where, and the "what happens next" text."""

    id: int
    situation: str
    conversation: str | None
    next_steps: str


def declare(runtime: Runtime, declaration: Declaration) -> Declared:
    """Create the incident, start its thread, page on-call if it is due, and say what is next."""
    settings = section(runtime)
    now = runtime.clock.now()
    key = declaration.priority or settings.active.default
    level = settings.levels[key]
    with runtime.db.session() as session:
        incident = Incident(
            title=texts.title_of(declaration.reason),
            impact=" ".join(declaration.impact.split()),
            priority=key,
            status=OPEN,
            source=declaration.source,
            declared_by=declaration.by,
            declared_at=now,
            message_ref=declaration.message_ref,
            detected_at=declaration.detected_at,
            urgent_since=now if level.urgent else None,
            updates_sent=0,
            nudges_sent=0,
            checkins_sent=0,
        )
        session.add(incident)
        session.flush()
        incident.thread_key = _start_thread(runtime, session, incident, declaration, level.label)
        record(
            session,
            incident,
            now,
            "declared",
            declaration.by,
            f"{name(runtime, declaration.by)} declared the incident ({level.label}): {incident.title}. "
            f"Impact: {incident.impact}",
        )
        if declaration.alarm is not None:
            _link(
                runtime,
                session,
                incident,
                declaration.alarm,
                declaration.alarm_title,
                declaration.by,
                now,
            )
        situation = _situation(
            runtime, session, incident, now, hint=declaration.priority is not None
        )
        runtime.audit(
            session,
            declaration.by,
            "incident.declare",
            f"incident {incident.id}",
            f"{key}: {incident.title}",
        )
    conversation = _open_conversation(runtime, incident)
    where = (
        f"in {conversation}"
        if conversation
        else ("in this thread" if incident.thread_key else "here")
    )
    steps = texts.next_steps(
        runtime, settings, incident, situation, declaration.priority is not None, where
    )
    if declaration.source != CHAT or conversation:
        runtime.chat.post(
            conversation or "team",
            steps,
            key=f"incident:{incident.id}:next",
            thread_ref=None if conversation else incident.thread_key,
        )
    fire(runtime, "dutybot_incident_declared", incident.id)
    return Declared(incident.id, situation, conversation, steps)


def _start_thread(
    runtime: Runtime,
    session: Session,
    incident: Incident,
    declaration: Declaration,
    label: str,
) -> str | None:
    """The key of the chat post whose thread is the incident's.

    A declaring chat message starts the thread (or, typed in a thread, the incident takes that
    thread over): it is anchored in the chat outbox so the incident's posts reply under it. A
    declaration by command or alarm starts the thread with an announcement in the team channel.
    Without a message id (the console) there is no thread: the incident's posts go to the team
    channel.
    """
    key = f"incident:{incident.id}:thread"
    root = declaration.thread_ref or declaration.message_ref
    if root is not None:
        address = declaration.channel or runtime.chat.address("team")
        runtime.chat.anchor(session, key, address, root, declaration.message_text)
        return key
    if declaration.source == CHAT:
        return None
    origin = f" from alarm #{declaration.alarm}" if declaration.alarm else ""
    runtime.chat.post(
        "team", texts.announcement(runtime, incident, label, origin), key=key, session=session
    )
    return key


def _open_conversation(runtime: Runtime, incident: Incident) -> str | None:
    """Ask plugins for a dedicated conversation (a Slack channel); None keeps the thread."""
    with runtime.db.session() as session:
        view = snapshot(runtime, session, incident)
    try:
        address = runtime.hook.dutybot_incident_conversation(runtime=runtime, incident=view)
    except Exception:
        log.exception(
            "a plugin failed opening a conversation for incident %s; using its thread", incident.id
        )
        return None
    if not address:
        return None
    with runtime.db.session() as session:
        row = session.get(Incident, incident.id)
        assert row is not None
        row.conversation = str(address)
        record(
            session,
            row,
            runtime.clock.now(),
            "conversation",
            BOT,
            f"The incident's conversation is {address}.",
        )
        runtime.chat.post(
            "team",
            f"Incident {incident.id} is worked in {address}.",
            thread_ref=incident.thread_key,
            session=session,
        )
    incident.conversation = str(address)
    return str(address)


def _situation(
    runtime: Runtime, session: Session, incident: Incident, now: datetime, hint: bool
) -> str:
    """Who works the incident now: support in support hours, else on-call for urgent ones.

    ``hint``: say how to make a waiting incident urgent (unless the priority help says it).
    """
    settings = section(runtime)
    level = settings.level(incident.priority)
    calendars = runtime.calendars
    told = _announce(runtime, session, incident, now) if level.urgent else []
    heard = f" I told {texts.joined(told)}." if told else ""
    if calendars.support.is_open(now):
        people = role_holders(runtime, "support", now)
        who = f"the support engineers on duty ({names(runtime, people)})" if people else "the team"
        return f"It is support hours: {who} run the incident process.{heard}"
    if not level.urgent:
        return _waits_for_support(runtime, incident, now, hint)
    try:
        paged = page_if_due(runtime, session, incident, now)
    except PageFailed as failed:
        paged = str(failed)
    if paged is not None:
        return f"It is outside support hours: {paged}{heard}"
    opens = calendars.oncall.next_opening(now)
    if opens is None:
        return (
            f"It is outside support hours and there are no on-call hours: nobody is paged.{heard}"
        )
    return (
        f"It is outside support and on-call hours: nobody is paged now. If it is still open when "
        f"on-call hours begin ({fmt(runtime, opens)}), I will page the on-call engineer.{heard}"
    )


def _waits_for_support(runtime: Runtime, incident: Incident, now: datetime, hint: bool) -> str:
    settings = section(runtime)
    urgent = settings.active.urgent
    labels = [settings.levels[key].label for key in urgent]
    reopens = runtime.calendars.support.next_opening(now)
    when = f" ({fmt(runtime, reopens)})" if reopens else ""
    text = f"It is outside support hours: this incident is not urgent, so it waits for support hours{when}."
    if urgent and hint:
        text += (
            f" If it is {texts.joined(labels, last='or')}, say !incident priority {incident.id} {urgent[0]} "
            "and the on-call engineer will be paged."
        )
    return text


def _announce(runtime: Runtime, session: Session, incident: Incident, now: datetime) -> list[str]:
    """Tell the affected users' channels ([incident] announce_to) of an urgent incident."""
    label = section(runtime).level(incident.priority).label
    return [
        tell_audience(
            runtime, session, incident, channel, texts.notice(incident, label), "notice", now
        )
        for channel in section(runtime).announce_to
    ]


def page_if_due(
    runtime: Runtime, session: Session, incident: Incident, now: datetime
) -> str | None:
    """Page on-call for an open urgent incident outside support hours but inside on-call hours.

    An incident that became urgent in support hours is not paged when they close: the support
    engineers work on, and the 18:00 handover gives it to on-call. One that became urgent while
    on-call hours were closed is paged when they open (by the sweep).

    Returns what was done as a clause for a reply, or None when no page is due. The page is
    written in ``session`` (it goes out once the incident commits) and deduplicated by the
    pager on ``incident:<id>``. If the pager fails, its writes are undone, the incident still
    commits, and ``PageFailed`` is raised: the sweep tries again a minute later.
    """
    level = section(runtime).level(incident.priority)
    calendars = runtime.calendars
    if (
        incident.status != OPEN
        or not level.urgent
        or incident.paged_at is not None
        or incident.urgent_since is None
        or calendars.support.is_open(incident.urgent_since)  # the 18:00 handover passes it on
        or calendars.support.is_open(now)
        or not calendars.oncall.is_open(now)
    ):
        return None
    try:
        with session.begin_nested():
            page = runtime.hook.dutybot_page(
                runtime=runtime,
                target="oncall",
                message=(
                    f"Incident {incident.id} ({level.label}): {incident.title}. Impact: "
                    f"{incident.impact}. Declared by {name(runtime, incident.declared_by)} in "
                    f"{runtime.chat.address('team')}."
                ),
                dedup_key=f"incident:{incident.id}",
                source="incident",
                session=session,
            )
    except Exception as exc:
        log.exception("paging on-call for incident %s failed; the sweep tries again", incident.id)
        raise PageFailed(
            "paging the on-call engineer failed (the details are in the bot's log); I will keep "
            "trying every minute."
        ) from exc
    incident.paged_at = now
    if page is None:
        record(
            session, incident, now, "page", BOT, "Nobody was paged: no pager plugin is installed."
        )
        return "no pager is installed, so nobody was paged: call the on-call engineer yourself."
    people = role_holders(runtime, "oncall.primary", now)
    who = f"the on-call engineer ({names(runtime, people)})" if people else "on-call"
    number = getattr(page, "id", None)
    record(
        session,
        incident,
        now,
        "page",
        BOT,
        f"Paged {who}" + (f": page {number}." if number else "."),
    )
    return f"I paged {who}."


# --- roles ------------------------------------------------------------------------------------


def assign(
    runtime: Runtime, session: Session, incident: Incident, role: str, person: str, by: str
) -> str:
    """Give ``role`` to ``person`` (taking it over from its holder); returns the announcement."""
    require_open(incident)
    now = runtime.clock.now()
    current = holders(session, incident.id)
    label = ROLE_LABELS[role]
    who = name(runtime, person)
    previous = current.get(role)
    if previous == person:
        raise IncidentError(f"{who} is already the {label} of incident {incident.id}.")
    if previous is not None:
        row = session.scalar(
            select(RoleHolder).where(
                RoleHolder.incident_id == incident.id,
                RoleHolder.role == role,
                RoleHolder.until.is_(None),
            )
        )
        assert row is not None
        row.until = now
    session.add(
        RoleHolder(incident_id=incident.id, role=role, person=person, since=now, assigned_by=by)
    )
    current[role] = person
    entry = (
        f"{who} took over as {label} from {name(runtime, previous)}"
        if previous
        else f"{who} became the {label}"
    )
    set_by = f" (set by {name(runtime, by)})" if by not in (person, previous) else ""
    record(session, incident, now, "role", by, f"{entry}{set_by}.")
    runtime.audit(session, by, "incident.role", f"incident {incident.id}", f"{role}: {person}")
    text = (
        f"{who} is now the {label} of incident {incident.id}, taking over from {name(runtime, previous)}."
        if previous
        else f"{who} is the {label} of incident {incident.id}."
    )
    if role in REQUIRED and current.get(REQUIRED[0]) == current.get(REQUIRED[1]):
        text += f" {who} now holds both required roles, which the process discourages: could someone else take one?"
    elif role in REQUIRED and previous is None and not texts.missing_roles(current):
        text += f" Incident {incident.id} now has its incident lead and scribe."
    return text


def holder_of(session: Session, person: str, role: str) -> list[Incident]:
    """The open incidents in which ``person`` holds ``role``."""
    query = (
        select(Incident)
        .join(RoleHolder, RoleHolder.incident_id == Incident.id)
        .where(
            Incident.status == OPEN,
            RoleHolder.role == role,
            RoleHolder.person == person,
            RoleHolder.until.is_(None),
        )
        .order_by(Incident.id)
    )
    return list(session.scalars(query))


# --- priority, notes, key times, alarms -------------------------------------------------------


def set_priority(runtime: Runtime, session: Session, incident: Incident, key: str, by: str) -> str:
    """Change the priority; an incident that becomes urgent out of hours pages on-call now."""
    require_open(incident)
    settings = section(runtime)
    now = runtime.clock.now()
    old, new = settings.level(incident.priority), settings.levels[key]
    if key == incident.priority:
        raise IncidentError(f"Incident {incident.id} is already {new.label}.")
    incident.priority = key
    record(
        session,
        incident,
        now,
        "priority",
        by,
        f"{name(runtime, by)} changed the priority from {old.label} to {new.label}.",
    )
    runtime.audit(
        session, by, "incident.priority", f"incident {incident.id}", f"{old.label} -> {new.label}"
    )
    text = f"Incident {incident.id} is now {new.label} (was {old.label})."
    if not new.urgent:
        incident.urgent_since = None
        return text
    if incident.urgent_since is None:
        incident.urgent_since = now
        incident.checkins_sent = 0
        told = _announce(runtime, session, incident, now)
        if told:
            text += f" I told {texts.joined(told)}."
    try:
        paged = page_if_due(runtime, session, incident, now)
    except PageFailed as failed:
        paged = str(failed)
    return f"{text} It is outside support hours: {paged}" if paged else text


def add_note(
    runtime: Runtime, session: Session, incident: Incident, author: str, note: str
) -> None:
    record(session, incident, runtime.clock.now(), "note", author, " ".join(note.split()))
    runtime.audit(session, author, "incident.note", f"incident {incident.id}", note[:200])


def set_detected(
    runtime: Runtime, session: Session, incident: Incident, at: datetime, by: str
) -> str:
    now = runtime.clock.now()
    if at > now:
        raise IncidentError(
            f"{fmt(runtime, at)} is in the future; first detected must have happened already."
        )
    incident.detected_at = at
    metrics.store(runtime, incident)
    record(
        session,
        incident,
        now,
        "detected",
        by,
        f"{name(runtime, by)} set first detected to {fmt(runtime, at)}.",
    )
    runtime.audit(session, by, "incident.detected", f"incident {incident.id}", fmt(runtime, at))
    return f"Incident {incident.id} was first detected at {fmt(runtime, at)}."


def set_repaired(
    runtime: Runtime, session: Session, incident: Incident, at: datetime, by: str
) -> str:
    """Record full restoration of service; resolving (with preventive work done) comes after."""
    now = runtime.clock.now()
    if at > now:
        raise IncidentError(f"{fmt(runtime, at)} is in the future; mark it repaired once it is.")
    if incident.detected_at is not None and at < incident.detected_at:
        raise IncidentError(
            f"{fmt(runtime, at)} is before it was first detected ({fmt(runtime, incident.detected_at)})."
        )
    incident.repaired_at = at
    metrics.store(runtime, incident)
    record(
        session,
        incident,
        now,
        "repaired",
        by,
        f"{name(runtime, by)} marked the service repaired at {fmt(runtime, at)}.",
    )
    runtime.audit(session, by, "incident.repaired", f"incident {incident.id}", fmt(runtime, at))
    text = f"Incident {incident.id} was repaired at {fmt(runtime, at)} ({span(incident.declared_at, at)} after it was declared)."
    if incident.status == OPEN:
        text += f" Resolve it with !incident resolve {incident.id} <resolution> once preventive work is done."
    return text


def link_alarm(runtime: Runtime, session: Session, incident: Incident, alarm: str, by: str) -> str:
    require_open(incident)
    if session.scalar(
        select(AlarmLink.id).where(AlarmLink.incident_id == incident.id, AlarmLink.alarm == alarm)
    ):
        raise IncidentError(f"Alarm #{alarm} is already linked to incident {incident.id}.")
    _link(runtime, session, incident, alarm, None, by, runtime.clock.now())
    return f"Linked alarm #{alarm} to incident {incident.id}; its changes now go on the incident's timeline."


def _link(
    runtime: Runtime,
    session: Session,
    incident: Incident,
    alarm: str,
    title: str | None,
    by: str,
    now: datetime,
) -> None:
    session.add(
        AlarmLink(incident_id=incident.id, alarm=alarm, title=title, linked_by=by, linked_at=now)
    )
    described = f"alarm #{alarm}" + (f" ({title})" if title else "")
    record(session, incident, now, "alarm", by, f"{name(runtime, by)} linked {described}.")
    runtime.audit(session, by, "incident.link", f"incident {incident.id}", f"alarm {alarm}")


def alarm_changed(runtime: Runtime, alarm: Any, change: str) -> list[int]:
    """Put a linked alarm's firing and resolving on its open incidents' timelines."""
    if change not in ("fired", "resolved"):
        return []
    ref = str(getattr(alarm, "id", ""))
    now = runtime.clock.now()
    with runtime.db.session() as session:
        query = (
            select(Incident)
            .join(AlarmLink, AlarmLink.incident_id == Incident.id)
            .where(AlarmLink.alarm == ref, Incident.status == OPEN)
        )
        incidents = list(session.scalars(query))
        title = getattr(alarm, "title", "")
        for incident in incidents:
            record(session, incident, now, "alarm", BOT, f"Alarm #{ref} ({title}) {change}.")
        return [incident.id for incident in incidents]


def page_acknowledged(runtime: Runtime, page: Any, by: str) -> int | None:
    """Put the acknowledgement of an incident's page on its timeline."""
    key = getattr(page, "dedup_key", None) or ""
    prefix, _, number = key.partition(":")
    if prefix != "incident" or not number.isdigit():
        return None
    with runtime.db.session() as session:
        incident = session.get(Incident, int(number))
        if incident is None:
            return None
        record(
            session,
            incident,
            runtime.clock.now(),
            "page",
            by,
            f"{name(runtime, by)} acknowledged the page.",
        )
        return incident.id


# --- updates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    action: str
    next_at: datetime
    impact: str | None = None
    users: str | None = None


def post_update(
    runtime: Runtime, session: Session, incident: Incident, by: str, update: Update
) -> str:
    """Post a user update to the audiences and the incident, and record the next promise."""
    require_open(incident)
    settings = section(runtime)
    now = runtime.clock.now()
    if update.impact:
        incident.impact = " ".join(update.impact.split())
    incident.updates_sent += 1
    incident.latest_update = update.action
    incident.last_update_at = now
    incident.next_update_at = update.next_at
    label = settings.level(incident.priority).label
    when = fmt(runtime, update.next_at)
    body = texts.update_body(settings, incident, label, update.action, when, update.users)
    number = incident.updates_sent
    told = [
        tell_audience(runtime, session, incident, channel, body, f"update:{number}", now)
        for channel in settings.update_to
    ]
    tell(runtime, session, incident, body, key=f"incident:{incident.id}:update:{number}")
    record(
        session,
        incident,
        now,
        "update",
        by,
        f"{name(runtime, by)} posted update {number}: {update.action} (next update by {when}).",
    )
    runtime.audit(session, by, "incident.update", f"incident {incident.id}", update.action[:200])
    where = texts.joined([*told, "the incident's thread"])
    return f"Posted update {number} on incident {incident.id} to {where}; the next update is promised by {when}."


# --- resolving --------------------------------------------------------------------------------


def may_resolve(runtime: Runtime, session: Session, incident: Incident, person: Person) -> bool:
    """Whether ``person`` resolves as an override (True), as the lead (False), or not at all."""
    require_open(incident)
    lead = holders(session, incident.id).get(LEAD)
    if lead == person.id:
        return False
    if runtime.acl.allows(person, OVERRIDE):
        return True
    if lead is None:
        raise IncidentError(
            f"Only the incident lead can declare incident {incident.id} resolved, and it has none: take the "
            f"lead with !incident lead {incident.id} first (or ask someone with the {OVERRIDE.name} permission)."
        )
    raise IncidentError(
        f"Only the incident lead ({name(runtime, lead)}) can declare incident {incident.id} resolved; "
        f"someone with the {OVERRIDE.name} permission can too."
    )


def resolve(
    runtime: Runtime,
    session: Session,
    incident: Incident,
    by: str,
    resolution: str,
    override: bool,
    in_thread: bool,
) -> tuple[str, list[str]]:
    """Close the incident and tell everyone who was told of it; returns the closing and who heard."""
    now = runtime.clock.now()
    incident.status = RESOLVED
    incident.resolved_at = now
    incident.resolved_by = by
    incident.resolution = " ".join(resolution.split())
    incident.next_update_at = None
    metrics.store(runtime, incident)
    body = texts.closing_body(runtime, incident, section(runtime).level(incident.priority).label)
    told = _tell_audiences(runtime, session, incident, body, "over")
    if in_thread:
        tell(runtime, session, incident, body, key=f"incident:{incident.id}:over")
    how = " (override)" if override else ""
    record(
        session,
        incident,
        now,
        "resolved",
        by,
        f"{name(runtime, by)} declared the incident resolved{how}: {incident.resolution}",
    )
    runtime.audit(
        session,
        by,
        "incident.resolve",
        f"incident {incident.id}",
        f"{incident.resolution[:180]}{how}",
    )
    return body, told


def cancel(
    runtime: Runtime, session: Session, incident: Incident, by: str, reason: str, in_thread: bool
) -> tuple[str, list[str]]:
    """Withdraw an incident declared in error; whoever was told of it hears so (as ``resolve``)."""
    require_open(incident)
    now = runtime.clock.now()
    incident.status = CANCELLED
    incident.resolved_at = now
    incident.resolved_by = by
    incident.resolution = " ".join(reason.split())
    incident.next_update_at = None
    body = texts.cancelled_body(incident, incident.resolution)
    told = _tell_audiences(runtime, session, incident, body, "cancelled")
    if in_thread:
        tell(runtime, session, incident, body, key=f"incident:{incident.id}:cancelled")
    record(
        session,
        incident,
        now,
        "cancelled",
        by,
        f"{name(runtime, by)} cancelled the incident: {incident.resolution}",
    )
    runtime.audit(
        session, by, "incident.cancel", f"incident {incident.id}", incident.resolution[:200]
    )
    return body, told


def _tell_audiences(
    runtime: Runtime, session: Session, incident: Incident, body: str, what: str
) -> list[str]:
    addresses = session.scalars(
        select(Audience.address).where(Audience.incident_id == incident.id).order_by(Audience.id)
    ).all()
    for address in addresses:
        runtime.chat.post(
            address, body, key=f"incident:{incident.id}:{what}:{address}", session=session
        )
    return list(addresses)
