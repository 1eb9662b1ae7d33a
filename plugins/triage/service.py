"""What can happen to a support request, each in the caller's transaction.

Every change records an event (who, when, from which state to which), an audit entry,
recomputes the SLA deadlines and timers, and queues the lifecycle hook for after the commit.
Transitions:

    new ──► triaged ──► in progress ──► waiting on user ──► (back where it was)
     └──────────┴───────────┴──────────────────┴──► resolved ──► (reopened) in progress
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.commands import CommandError, UsageError
from plugins.triage import board, sla
from plugins.triage.classify import classify
from plugins.triage.events import announce
from plugins.triage.models import (
    IN_PROGRESS,
    NEW,
    RESOLVED,
    TRIAGED,
    WAITING,
    Pause,
    Request,
    RequestEvent,
)
from plugins.triage.roster import OnSupport, default_assignee
from plugins.triage.settings import section
from plugins.triage.views import request_view

if TYPE_CHECKING:
    from core.process import Person
    from core.runtime import Runtime

BOT = "dutybot"
_REF = re.compile(r"^(?:#|r-?)?(\d{1,9})$", re.IGNORECASE)


@dataclass(frozen=True)
class Actor:
    """Who did something: a team member by person id, anyone else by chat handle."""

    name: str
    team: bool

    @classmethod
    def of(cls, person: Person | None, sender: str) -> Actor:
        return cls(person.id, True) if person is not None else cls(sender, False)


SYSTEM = Actor(BOT, False)


def load(session: Session, ref: str, for_update: bool = True) -> Request:
    """The request a user named (``R-12``, ``r12``, ``#12`` or ``12``); UsageError if none.

    Locked for the transaction (PostgreSQL), so two people changing one request at once are
    applied one after the other instead of one overwriting the other.
    """
    match = _REF.match(ref.strip())
    if match is None:
        raise UsageError(f"{ref!r} is not a request id (they look like R-12).")
    request = session.get(Request, int(match.group(1)), with_for_update=for_update)
    if request is None:
        raise UsageError(f"There is no request R-{int(match.group(1))}.")
    return request


def open_request(
    runtime: Runtime,
    session: Session,
    *,
    summary: str,
    description: str,
    values: dict[str, str],
    requester: str,
    actor: Actor,
    support: OnSupport,
    room: str | None = None,
    message_id: str | None = None,
) -> Request:
    """A new request, classified, assigned to the support engineer on shift, its clocks started."""
    now = runtime.clock.now()
    guess = classify(runtime, f"{summary}\n{description}")
    request = Request(
        summary=_summary(runtime, summary),
        description=description,
        requester=requester,
        room=room,
        message_id=message_id,
        state=NEW,
        priority=guess.priority,
        category=values.pop("category", None) or guess.category,
        opened_at=now,
        updated_at=now,
        progress_minutes=0.0,
        **{"contact": requester, **values},
    )
    request.assignee = default_assignee(session, support)
    session.add(request)
    session.flush()
    _event(runtime, session, request, actor, "opened", None, NEW, request.summary)
    if request.assignee:
        _event(
            runtime, session, request, SYSTEM, "assigned", detail=f"{request.assignee} (on support)"
        )
    runtime.audit(session, actor.name, "request.open", request.ref, request.summary)
    sla.refresh(runtime, session, request)
    announce(session, "dutybot_request_created", request=request_view(request))
    return request


def assign(runtime: Runtime, session: Session, request: Request, person: str, actor: Actor) -> None:
    _not_resolved(request, "assign")
    if request.assignee == person:
        _confirm(
            runtime, session, request, actor, f"{request.ref} is already assigned to {person}."
        )
        return
    before = request.assignee
    request.assignee = person
    _event(runtime, session, request, actor, "assigned", detail=f"{before or 'nobody'} → {person}")
    _triaged(runtime, session, request, actor)
    _changed(runtime, session, request, actor, "assignee", f"{before or 'nobody'} → {person}")


def set_priority(
    runtime: Runtime, session: Session, request: Request, name: str, actor: Actor
) -> None:
    _not_resolved(request, "change the priority of")
    scheme = section(runtime).active
    priority = scheme.priority(name)
    if priority is None:
        raise UsageError(
            f"There is no priority {name!r}; the priorities are {', '.join(scheme.priorities)}."
        )
    if priority == request.priority:
        _confirm(
            runtime, session, request, actor, f"{request.ref} already has priority {priority}."
        )
        return
    before = request.priority
    request.priority = priority
    _event(runtime, session, request, actor, "priority", detail=f"{before} → {priority}")
    _triaged(runtime, session, request, actor)
    _changed(runtime, session, request, actor, "priority", f"{before} → {priority}")


def set_fields(
    runtime: Runtime, session: Session, request: Request, values: dict[str, str], actor: Actor
) -> list[str]:
    """Fill or correct template fields; returns the ones that changed."""
    _not_resolved(request, "change")
    changed = [f for f, v in values.items() if getattr(request, f) != v]
    if not changed:
        return []
    for field in changed:
        setattr(request, field, values[field])
    detail = ", ".join(f"{f}={values[f]}" for f in changed)
    _event(runtime, session, request, actor, "fields", detail=detail)
    _changed(runtime, session, request, actor, "fields", detail)
    return changed


def edit_description(
    runtime: Runtime, session: Session, request: Request, text: str, actor: Actor
) -> None:
    """The user edited the message that opened the request: keep the new wording."""
    if request.description == text or request.state == RESOLVED:
        return
    request.description = text
    _event(runtime, session, request, actor, "edited")
    _changed(runtime, session, request, actor, "fields", "description edited")


def start(runtime: Runtime, session: Session, request: Request, actor: Actor) -> None:
    if request.state == IN_PROGRESS:
        raise UsageError(
            f"{request.ref} is already in progress ({request.assignee or 'unassigned'})."
        )
    _not_resolved(request, "start")
    if request.assignee is None and actor.team:
        request.assignee = actor.name
        _event(runtime, session, request, actor, "assigned", detail=f"nobody → {actor.name}")
    respond(runtime, session, request, actor)
    _move(runtime, session, request, IN_PROGRESS, actor, "started")


def wait(runtime: Runtime, session: Session, request: Request, actor: Actor, note: str) -> None:
    if request.state == WAITING:
        raise UsageError(f"{request.ref} is already waiting on the user.")
    _not_resolved(request, "wait on the user for")
    respond(runtime, session, request, actor)
    _move(runtime, session, request, WAITING, actor, "waiting", note)


def resume(runtime: Runtime, session: Session, request: Request, actor: Actor) -> None:
    """The user answered: the clocks run again and the request goes back where it was."""
    _move(runtime, session, request, request.resume_state or TRIAGED, actor, "resumed")


def resolve(runtime: Runtime, session: Session, request: Request, actor: Actor, note: str) -> None:
    if request.state == RESOLVED:
        when = runtime.calendars.format(request.resolved_at) if request.resolved_at else "earlier"
        raise UsageError(
            f"{request.ref} is already resolved (at {when}). To work on it again: !request reopen {request.ref}"
        )
    respond(runtime, session, request, actor)
    _move(runtime, session, request, RESOLVED, actor, "resolved", note)


def reopen(runtime: Runtime, session: Session, request: Request, actor: Actor, note: str) -> None:
    if request.state != RESOLVED:
        raise UsageError(f"{request.ref} is not resolved (it is {request.state}).")
    _move(runtime, session, request, IN_PROGRESS, actor, "reopened", note)


def respond(runtime: Runtime, session: Session, request: Request, actor: Actor) -> bool:
    """A team member answered or moved the request on: the first time stops the response clock.

    Returns whether this was the first response. Every such action also counts as an update
    (for priorities with an update target).
    """
    if not actor.team:
        return False
    now = runtime.clock.now()
    request.last_update_at = now
    if request.first_response_at is not None or request.resolved_at is not None:
        return False
    request.first_response_at, request.first_response_by = now, actor.name
    request.time_to_response = sla.minutes_to(runtime, request, now)
    request.response_support_minutes = sla.support_minutes_to(runtime, request, now)
    _event(runtime, session, request, actor, "responded")
    return True


def reply_in_thread(runtime: Runtime, session: Session, request: Request, actor: Actor) -> None:
    """A reply in the request's thread: the team's answer, or the user's (which ends a wait)."""
    if request.state == RESOLVED:
        return
    if actor.team:
        respond(runtime, session, request, actor)
        request.updated_at = runtime.clock.now()
        sla.refresh(runtime, session, request)
    elif request.state == WAITING:
        resume(runtime, session, request, actor)


def attach_ticket(runtime: Runtime, session: Session, request: Request, actor: Actor) -> None:
    _not_resolved(request, "make a ticket of")
    if request.ticket is not None:
        raise UsageError(
            f"{request.ref} already has the ticket {request.ticket.ref} ({request.ticket.column})."
        )
    ticket = board.create(runtime, session, request, actor.name)
    _event(runtime, session, request, actor, "ticket", detail=ticket.ref)
    _changed(runtime, session, request, actor, "ticket", ticket.ref)


def history(session: Session, request: Request) -> list[RequestEvent]:
    return list(
        session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == request.id)
            .order_by(RequestEvent.id)
        )
    )


def _move(
    runtime: Runtime,
    session: Session,
    request: Request,
    to: str,
    actor: Actor,
    action: str,
    note: str = "",
) -> None:
    """Leave the current state and enter ``to``, keeping the clocks and the ticket in step."""
    now = runtime.clock.now()
    before = request.state
    if before == IN_PROGRESS and request.progress_since is not None:
        request.progress_minutes += runtime.calendars.support.minutes_between(
            request.progress_since, now
        )
        request.progress_since = None
    for pause in request.pauses:
        if pause.ended_at is None:
            pause.ended_at = now
    if before == RESOLVED and request.resolved_at is not None:
        request.pauses.append(
            Pause(reason="resolved", started_at=request.resolved_at, ended_at=now)
        )
        request.resolved_at = request.resolution = request.time_to_resolve = None
        request.resolve_support_minutes = None
    if to == IN_PROGRESS:
        request.progress_since = now
    elif to == WAITING:
        request.resume_state = before
        request.pauses.append(Pause(reason="waiting", started_at=now))
    elif to == RESOLVED:
        request.resolved_at, request.resolution = now, note or None
        request.time_to_resolve = sla.minutes_to(runtime, request, now)
        request.resolve_support_minutes = sla.support_minutes_to(runtime, request, now)
    request.state = to
    _event(runtime, session, request, actor, action, before, to, note)
    board.follow(runtime, session, request, actor.name)
    _changed(
        runtime,
        session,
        request,
        actor,
        "state",
        f"{before} → {to}" + (f": {note}" if note else ""),
    )


def _confirm(
    runtime: Runtime, session: Session, request: Request, actor: Actor, refusal: str
) -> None:
    """Setting what a new request already has (its automatic assignee, its suggested priority)
    confirms it: the request is triaged. Otherwise there is nothing to do."""
    if request.state != NEW or not actor.team:
        raise CommandError(refusal)
    _triaged(runtime, session, request, actor)
    _changed(runtime, session, request, actor, "state", f"{NEW} → {TRIAGED}")


def _triaged(runtime: Runtime, session: Session, request: Request, actor: Actor) -> None:
    """Someone on the team set a priority or an assignee: a new request has been triaged."""
    if request.state == NEW and actor.team:
        request.state = TRIAGED
        _event(runtime, session, request, actor, "triaged", NEW, TRIAGED)


def _changed(
    runtime: Runtime, session: Session, request: Request, actor: Actor, change: str, detail: str
) -> None:
    request.updated_at = runtime.clock.now()
    runtime.audit(session, actor.name, f"request.{change}", request.ref, detail)
    sla.refresh(runtime, session, request)
    announce(session, "dutybot_request_updated", request=request_view(request), change=change)


def _event(
    runtime: Runtime,
    session: Session,
    request: Request,
    actor: Actor,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: str = "",
) -> None:
    session.add(
        RequestEvent(
            request_id=request.id,
            at=runtime.clock.now(),
            actor=actor.name,
            action=action,
            from_state=from_state,
            to_state=to_state,
            detail=detail,
        )
    )


def _not_resolved(request: Request, what: str) -> None:
    if request.state == RESOLVED:
        raise UsageError(
            f"{request.ref} is resolved; reopen it first (!request reopen {request.ref}) to {what} it."
        )


def _summary(runtime: Runtime, text: str) -> str:
    """The first line, shortened to the process file's summary length."""
    limit = section(runtime).summary_length
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
