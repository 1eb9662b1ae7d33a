"""SLA clocks: time to first response and time to resolve, in minutes of a priority's clock.

A clock runs from the moment a request is opened, counts only the minutes its window is open
(support hours by default, via the calendars), and stands still during pauses (waiting on the
user; resolved until reopened). Deadlines are the instants a clock *will* reach a number of
minutes if nothing pauses it again; they are stored on the request (``sla_due_at``,
``sla_warn_at``) and as timers, and recomputed after every change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.triage.models import IN_PROGRESS, RESOLVED, Request, Timer
from plugins.triage.settings import Priority, TriageSection, section

if TYPE_CHECKING:
    from core.runtime import Runtime

RESPONSE = "response"
RESOLVE = "resolve"
LABELS = {RESPONSE: "first response", RESOLVE: "resolution"}
NUDGE = "nudge"
BREACH = "breach"
UPDATE = "update"
TICKET = "ticket"
UNITS = {
    "support": "support minutes",
    "working": "working minutes",
    "oncall": "on-call minutes",
    "wall": "minutes",
}

Span = tuple[datetime, datetime | None]


class Clock(Protocol):
    """What a clock needs of a calendar window: ``Window`` has both methods."""

    def minutes_between(self, start: datetime, end: datetime) -> float: ...

    def add(self, start: datetime, minutes: float) -> datetime: ...


class WallClock:
    """Every minute counts: the ``wall`` clock of priorities worked in and out of hours."""

    def minutes_between(self, start: datetime, end: datetime) -> float:
        return max((end - start).total_seconds(), 0.0) / 60

    def add(self, start: datetime, minutes: float) -> datetime:
        return start + timedelta(minutes=minutes)


@dataclass(frozen=True)
class SlaClock:
    """One clock of one request at an instant."""

    kind: str
    target: float
    elapsed: float
    running: bool
    unit: str
    due_at: datetime | None
    """When it reaches its target (running clocks only)."""
    warn_at: datetime | None
    """When it reaches the nudge percentage of its target (running clocks only)."""

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def percent(self) -> int:
        return int(100 * self.elapsed / self.target)


def clock_for(runtime: Runtime, priority: Priority) -> Clock:
    return WallClock() if priority.clock == "wall" else runtime.calendars[priority.clock]


def priority_of(settings: TriageSection, request: Request) -> Priority:
    """The request's priority in the active scheme, or the scheme's default if it was renamed."""
    scheme = settings.active
    return scheme.priorities.get(request.priority) or scheme.priorities[scheme.default]


def pauses_of(request: Request) -> list[Span]:
    return [(p.started_at, p.ended_at) for p in request.pauses]


def elapsed(clock: Clock, start: datetime, end: datetime, pauses: Sequence[Span]) -> float:
    """Clock minutes in ``[start, end)`` outside the pauses."""
    total = clock.minutes_between(start, end)
    for paused_from, paused_to in pauses:
        lo, hi = max(paused_from, start), min(paused_to or end, end)
        if lo < hi:
            total -= clock.minutes_between(lo, hi)
    return max(total, 0.0)


def reach(clock: Clock, start: datetime, minutes: float, pauses: Sequence[Span]) -> datetime | None:
    """The instant the clock reaches ``minutes`` after ``start``, given the pauses so far.

    None when it is paused now (an open pause) and has not reached them before that pause.
    """
    at, remaining = start, minutes
    for paused_from, paused_to in sorted(pauses, key=lambda span: span[0]):
        if paused_from > at:
            available = clock.minutes_between(at, paused_from)
            if available >= remaining:
                return clock.add(at, remaining)
            remaining -= available
        if paused_to is None:
            return None
        at = max(at, paused_to)
    return clock.add(at, remaining)


def clocks(runtime: Runtime, request: Request, now: datetime) -> list[SlaClock]:
    """The response and resolve clocks of a request at ``now``."""
    settings = section(runtime)
    priority = priority_of(settings, request)
    clock = clock_for(runtime, priority)
    pauses = pauses_of(request)
    paused_now = any(end is None for _, end in pauses)
    resolved = request.resolved_at
    response_end = request.first_response_at or resolved or now
    resolve_end = resolved or now
    result = []
    for kind, target, end, running in (
        (
            RESPONSE,
            priority.response_minutes,
            response_end,
            request.first_response_at is None and resolved is None and not paused_now,
        ),
        (RESOLVE, priority.resolve_minutes, resolve_end, resolved is None and not paused_now),
    ):
        due = warn = None
        if running:
            due = reach(clock, request.opened_at, target, pauses)
            warn = reach(clock, request.opened_at, target * settings.nudge_percent / 100, pauses)
        result.append(
            SlaClock(
                kind,
                target,
                elapsed(clock, request.opened_at, end, pauses),
                running,
                UNITS[priority.clock],
                due,
                warn,
            )
        )
    return result


def current(runtime: Runtime, request: Request, now: datetime) -> SlaClock:
    """The clock that matters most now: the running one due first, else the resolve clock."""
    all_clocks = clocks(runtime, request, now)
    running = [c for c in all_clocks if c.running and c.due_at is not None]
    return min(running, key=lambda c: c.due_at or now) if running else all_clocks[-1]


def minutes_to(runtime: Runtime, request: Request, at: datetime) -> float:
    """Unpaused clock minutes from opening to ``at``: the time to first response or to resolve."""
    priority = priority_of(section(runtime), request)
    return elapsed(clock_for(runtime, priority), request.opened_at, at, pauses_of(request))


def support_minutes_to(runtime: Runtime, request: Request, at: datetime) -> float:
    """Unpaused support-hours minutes from opening to ``at``, whatever the priority's clock:
    stored at the event so the metrics compare every priority in the same hours."""
    return elapsed(runtime.calendars.support, request.opened_at, at, pauses_of(request))


def refresh(runtime: Runtime, session: Session, request: Request) -> None:
    """Recompute the stored deadlines and the request's timers after any change to it."""
    now = runtime.clock.now()
    settings = section(runtime)
    wanted: dict[str, datetime] = {}
    for clock in clocks(runtime, request, now):
        if clock.due_at is not None and clock.warn_at is not None:
            wanted[f"{clock.kind}-{NUDGE}"] = clock.warn_at
            wanted[f"{clock.kind}-{BREACH}"] = clock.due_at
    request.sla_due_at = min((t for k, t in wanted.items() if k.endswith(BREACH)), default=None)
    request.sla_warn_at = min((t for k, t in wanted.items() if k.endswith(NUDGE)), default=None)
    update_at = _update_due(runtime, settings, request)
    if update_at is not None:
        wanted[UPDATE] = update_at
    ticket_at = _ticket_due(runtime, settings, request)
    if ticket_at is not None:
        wanted[TICKET] = ticket_at
    _apply(session, request, wanted)


def _update_due(runtime: Runtime, settings: TriageSection, request: Request) -> datetime | None:
    """When the team owes the user an update, for priorities with an update target."""
    priority = priority_of(settings, request)
    if (
        not priority.update_minutes
        or request.last_update_at is None
        or request.first_response_at is None
        or request.state == RESOLVED
        or any(end is None for _, end in pauses_of(request))
    ):
        return None
    return clock_for(runtime, priority).add(request.last_update_at, priority.update_minutes)


def _ticket_due(runtime: Runtime, settings: TriageSection, request: Request) -> datetime | None:
    """The 15-minute rule: when in-progress work reaches the limit in support time."""
    if request.state != IN_PROGRESS or request.ticket is not None or request.progress_since is None:
        return None
    left = max(settings.ticket_after_minutes - request.progress_minutes, 0.0)
    return runtime.calendars.support.add(request.progress_since, left)


def _apply(session: Session, request: Request, wanted: dict[str, datetime]) -> None:
    """Make the request's unfired timers exactly ``wanted``; fired ones stay fired.

    The update reminder is the exception: an update after it fired re-arms it.
    """
    existing = {
        t.kind: t for t in session.scalars(select(Timer).where(Timer.request_id == request.id))
    }
    for kind, timer in existing.items():
        if timer.fired_at is not None:
            rearm = (
                kind == UPDATE
                and kind in wanted
                and request.last_update_at is not None
                and request.last_update_at > timer.fired_at
            )
            if rearm:
                timer.fired_at, timer.due_at = None, wanted[kind]
        elif kind in wanted:
            timer.due_at = wanted[kind]
        else:
            session.delete(timer)
    for kind, due in wanted.items():
        if kind not in existing:
            session.add(Timer(request_id=request.id, kind=kind, due_at=due))
