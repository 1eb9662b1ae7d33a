"""How requests read in chat: the acknowledgement, list lines, details and SLA clocks.

Times are shown in the team's timezone as ``YYYY-MM-DD HH:MM``; clock minutes name their clock
("support minutes") so nobody mistakes them for wall-clock time.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from plugins.triage import fields, sla
from plugins.triage.models import RESOLVED, WAITING, Request, RequestEvent
from plugins.triage.roster import OnSupport
from plugins.triage.settings import section

if TYPE_CHECKING:
    from core.runtime import Runtime


def thread_key(request_id: int) -> str:
    """The outbox key of the post a request's thread hangs from (see ``intake.anchor``)."""
    return f"triage:thread:{request_id}"


def when(runtime: Runtime, t: datetime) -> str:
    return runtime.calendars.format(t)


def minutes(value: float) -> str:
    return f"{value:.0f}"


def people(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(names) if names else "nobody"


def mentions(runtime: Runtime, ids: list[str] | tuple[str, ...]) -> str:
    """Chat handles of people (so they are notified), or ``nobody``."""
    handles = []
    for person_id in ids:
        person = runtime.process.person(person_id)
        handles.append(person.chat if person else person_id)
    return people(handles)


def acknowledgement(runtime: Runtime, request: Request, support: OnSupport, in_thread: bool) -> str:
    """The reply to a new request: its id, priority, when to expect an answer, who is on support."""
    settings = section(runtime)
    kind = f"{request.priority}, {request.category}" if request.category else request.priority
    first = f"Thanks {request.requester}, this is request {request.ref} ({kind})."
    response = sla.clocks(runtime, request, runtime.clock.now())[0]
    if response.due_at is not None:
        first += f" We aim to answer by {when(runtime, response.due_at)}."
    who = f"On support: {people(support.people)}"
    who += f"; {request.assignee} has it." if request.assignee else "; nobody has picked it up yet."
    lines = [first, who]
    wanted = fields.missing(settings, request)
    if wanted and in_thread:
        lines.append("To help us, please reply in this thread with:")
        lines += fields.ask_lines(settings, wanted)
    elif wanted:
        hints = " ".join(fields.OPTION_HINTS[f] for f in wanted)
        lines.append(f"To help us, please add: !request set {request.ref} {hints}")
    return "\n".join(lines)


def clock_text(runtime: Runtime, request: Request, now: datetime) -> str:
    """Where the request stands against its SLA, in a few words."""
    if request.state == RESOLVED and request.resolved_at is not None:
        return f"resolved {when(runtime, request.resolved_at)}"
    if request.state == WAITING:
        return "clocks paused, waiting on the user"
    clock = sla.current(runtime, request, now)
    if clock.due_at is None:
        return "no clock running"
    if clock.due_at <= now:
        return f"{clock.label} overdue since {when(runtime, clock.due_at)}"
    return f"{clock.label} due {when(runtime, clock.due_at)} ({clock.percent}% used)"


def line(runtime: Runtime, request: Request, now: datetime) -> str:
    """One request in a list."""
    owner = request.assignee or "unassigned"
    return (
        f"{request.ref} [{request.priority}] {request.state}, {owner}: {request.summary}"
        f" — {clock_text(runtime, request, now)}"
    )


def details(runtime: Runtime, request: Request, events: list[RequestEvent]) -> str:
    """Everything about one request, with its history."""
    now = runtime.clock.now()
    kind = f"{request.priority} ({request.category})" if request.category else request.priority
    place = f" in {request.room}" if request.room else ""
    lines = [
        f"{request.ref}: {request.summary}",
        f"State: {request.state}; priority {kind}; assigned to {request.assignee or 'nobody'}",
        f"Opened {when(runtime, request.opened_at)} by {request.requester}{place}; contact {request.contact or 'none'}",
        f"Service: {request.service or '?'}; environment: {request.environment or '?'}; "
        f"impact: {request.impact or '?'}",
        f"Description: {request.description}",
    ]
    lines += [_clock_line(runtime, request, clock) for clock in sla.clocks(runtime, request, now)]
    if request.resolution:
        lines.append(f"Resolution note: {request.resolution}")
    if request.ticket is not None:
        lines.append(f"Ticket: {request.ticket.ref} ({request.ticket.column})")
    lines.append("History:")
    lines += [f"- {_event_line(runtime, event)}" for event in events]
    return "\n".join(lines)


def _clock_line(runtime: Runtime, request: Request, clock: sla.SlaClock) -> str:
    label = clock.label[0].upper() + clock.label[1:]
    used = f"{minutes(clock.elapsed)} of {minutes(clock.target)} {clock.unit}"
    if clock.running and clock.due_at is not None:
        return f"{label}: due {when(runtime, clock.due_at)} ({used})"
    if clock.kind == sla.RESPONSE and request.first_response_at is not None:
        return f"{label}: {when(runtime, request.first_response_at)} by {request.first_response_by} ({used})"
    if clock.kind == sla.RESOLVE and request.resolved_at is not None:
        return f"{label}: {when(runtime, request.resolved_at)} ({used})"
    return f"{label}: paused ({used})"


def _event_line(runtime: Runtime, event: RequestEvent) -> str:
    text = f"{when(runtime, event.at)} {event.actor}: {event.action}"
    if event.to_state is not None:
        text += (
            f" ({event.from_state} → {event.to_state})"
            if event.from_state
            else f" ({event.to_state})"
        )
    return text + (f": {event.detail}" if event.detail else "")
