"""The sweep: fires due timers — SLA nudges and breach notices, update reminders, ticket hints.

It runs every minute (``[triage] sweep_cron``) and reads only timers that are due, through an
index. A timer is marked fired in the same transaction as its post is queued, and every post has
a key, so a sweep that runs twice (a restart, a second replica) cannot notify twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.scheduler import Job
from plugins.triage import sla, text
from plugins.triage.events import transaction
from plugins.triage.models import Request, Timer
from plugins.triage.roster import on_support
from plugins.triage.settings import section

if TYPE_CHECKING:
    from core.runtime import Runtime

SWEEP = "triage.sweep"
GRACE = timedelta(seconds=59)
BATCH = 200
_DUE = (
    select(Timer)
    .where(Timer.fired_at.is_(None), Timer.due_at <= bindparam("now", type_=Timer.due_at.type))
    .order_by(Timer.due_at, Timer.id)
    .limit(BATCH)
)
"""Built once: the sweep runs every minute and mostly finds nothing."""


def jobs(runtime: Runtime) -> list[Job]:
    # Missed minutes are not replayed: one sweep fires every timer that has come due meanwhile.
    return [
        Job(
            SWEEP,
            section(runtime).sweep_cron,
            lambda _fire_time: sweep(runtime),
            exactly_once=False,
            grace=GRACE,
        )
    ]


def sweep(runtime: Runtime) -> int:
    """Fire every due timer, oldest first; returns how many fired."""
    with transaction(runtime) as session:
        now = runtime.clock.now()
        due = session.scalars(_DUE, {"now": now}).all()
        for timer in due:
            timer.fired_at = now
            request = session.get(Request, timer.request_id)
            if request is not None and not _overtaken(session, timer, now):
                _notify(runtime, session, request, timer)
    return len(due)


def _overtaken(session: Session, timer: Timer, now: datetime) -> bool:
    """A nudge whose breach is due too (the bot was down) says nothing: the breach notice will."""
    if not timer.kind.endswith(f"-{sla.NUDGE}"):
        return False
    breach = timer.kind.replace(sla.NUDGE, sla.BREACH)
    due = session.scalar(
        select(Timer.due_at).where(Timer.request_id == timer.request_id, Timer.kind == breach)
    )
    return due is not None and due <= now


def _notify(runtime: Runtime, session: Session, request: Request, timer: Timer) -> None:
    kind = timer.kind
    key = f"triage:{kind}:{request.id}" + (
        f":{timer.due_at:%Y%m%dT%H%M%S}" if kind == sla.UPDATE else ""
    )
    thread = text.thread_key(request.id)
    who = _who(runtime, request)
    if kind.endswith(f"-{sla.BREACH}"):
        runtime.chat.post(
            section(runtime).breach_channel,
            _breach(runtime, request, kind),
            key=key,
            session=session,
        )
    elif kind.endswith(f"-{sla.NUDGE}"):
        runtime.chat.post(
            "support",
            f"{who}{_nudge(runtime, request, kind)}",
            key=key,
            thread_ref=thread,
            session=session,
        )
    elif kind == sla.UPDATE:
        runtime.chat.post(
            "support",
            f"{who}{_update(runtime, request)}",
            key=key,
            thread_ref=thread,
            session=session,
        )
    elif kind == sla.TICKET:
        runtime.chat.post(
            "support",
            f"{who}{_ticket(runtime, request)}",
            key=key,
            thread_ref=thread,
            session=session,
        )


def _clock(runtime: Runtime, request: Request, kind: str) -> sla.SlaClock:
    wanted = kind.split("-")[0]
    return next(c for c in sla.clocks(runtime, request, runtime.clock.now()) if c.kind == wanted)


def _nudge(runtime: Runtime, request: Request, kind: str) -> str:
    clock = _clock(runtime, request, kind)
    due = f"; it is due by {text.when(runtime, clock.due_at)}" if clock.due_at else ""
    return (
        f'{request.ref} [{request.priority}] "{request.summary}" has used {clock.percent}% of its '
        f"{clock.label} target ({text.minutes(clock.elapsed)} of {text.minutes(clock.target)} {clock.unit}){due}."
    )


def _breach(runtime: Runtime, request: Request, kind: str) -> str:
    clock = _clock(runtime, request, kind)
    support = on_support(runtime, runtime.clock.now())
    return (
        f"{request.ref} [{request.priority}] missed its {clock.label} target of "
        f'{text.minutes(clock.target)} {clock.unit}: "{request.summary}" from {request.requester}, '
        f"assigned to {request.assignee or 'nobody'}. On support: {text.mentions(runtime, support.people)}."
    )


def _update(runtime: Runtime, request: Request) -> str:
    priority = sla.priority_of(section(runtime), request)
    return (
        f"{request.ref} [{request.priority}] has had no update for {text.minutes(priority.update_minutes)} "
        f"{sla.UNITS[priority.clock]}: please post one in its thread."
    )


def _ticket(runtime: Runtime, request: Request) -> str:
    limit = text.minutes(section(runtime).ticket_after_minutes)
    return (
        f"{request.ref} has been in progress for {limit} support minutes. By the {limit}-minute rule it "
        f"should become a ticket on the board (the conversation stays here): !request ticket {request.ref}"
    )


def _who(runtime: Runtime, request: Request) -> str:
    """Whom a thread post is for (``"@grace "``): the assignee, else everyone on support."""
    people = (
        [request.assignee]
        if request.assignee
        else list(on_support(runtime, runtime.clock.now()).people)
    )
    return f"{text.mentions(runtime, people)} " if people else ""
