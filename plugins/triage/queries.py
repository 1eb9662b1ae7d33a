"""Reading many requests at once: the risk-sorted queue, the checklist, status and metrics.

The queue is two index scans, never a pass over every row: running requests in order of their
stored ``sla_due_at`` (soonest deadline, or longest overdue, first), then those waiting on the
user (their clocks are paused, so they are at no risk), each ``LIMIT``-ed to the page shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from plugins.triage import sla, text
from plugins.triage.models import OPEN_STATES, RESOLVED, WAITING, Request, Timer
from plugins.triage.settings import section

if TYPE_CHECKING:
    from core.runtime import Runtime

UNASSIGNED = object()
"""The assignee filter of ``!requests unassigned``."""


@dataclass(frozen=True)
class Page:
    requests: list[Request]
    total: int


def queue(session: Session, assignee: object | None, limit: int) -> Page:
    """Open requests most at risk first; ``assignee`` is None (all), UNASSIGNED or a person id."""
    who = _assignee_filter(assignee)
    running = list(
        session.scalars(
            select(Request)
            .where(Request.sla_due_at.is_not(None), *who)
            .order_by(Request.sla_due_at, Request.id)
            .limit(limit)
        )
    )
    waiting: list[Request] = []
    if len(running) < limit:
        waiting = list(
            session.scalars(
                select(Request)
                .where(Request.state == WAITING, *who)
                .order_by(Request.id)
                .limit(limit - len(running))
            )
        )
    total = session.scalar(
        select(func.count()).select_from(Request).where(Request.state.in_(OPEN_STATES), *who)
    )
    return Page(running + waiting, total or 0)


def unassigned(session: Session, limit: int) -> Page:
    return queue(session, UNASSIGNED, limit)


def at_risk(session: Session, now: datetime, limit: int) -> Page:
    """Running requests past the nudge percentage of a target (or past the target)."""
    where = and_(Request.sla_warn_at.is_not(None), Request.sla_warn_at <= now)
    rows = list(
        session.scalars(
            select(Request).where(where).order_by(Request.sla_due_at, Request.id).limit(limit)
        )
    )
    total = session.scalar(select(func.count()).select_from(Request).where(where))
    return Page(rows, total or 0)


def checklist_lines(runtime: Runtime) -> list[str]:
    """For the 09:00 checklist: requests nobody has, and requests about to miss (or missing) their SLA."""
    now = runtime.clock.now()
    limit = section(runtime).list_limit
    lines = []
    with runtime.db.session() as session:
        nobody = unassigned(session, limit)
        risky = at_risk(session, now, limit)
        if nobody.total:
            refs = ", ".join(r.ref for r in nobody.requests) + _more(nobody)
            lines.append(
                f"Unassigned support requests ({nobody.total}): {refs}. Assign them with !request assign ID @person."
            )
        if risky.total:
            refs = "; ".join(
                f"{r.ref} {text.clock_text(runtime, r, now)}" for r in risky.requests
            ) + _more(risky)
            lines.append(f"Support requests at risk of missing their SLA ({risky.total}): {refs}.")
    return lines


def status_lines(runtime: Runtime) -> list[str]:
    now = runtime.clock.now()
    with runtime.db.session() as session:
        open_count = session.scalar(
            select(func.count()).select_from(Request).where(Request.state.in_(OPEN_STATES))
        )
        nobody = session.scalar(
            select(func.count())
            .select_from(Request)
            .where(Request.state.in_(OPEN_STATES), Request.assignee.is_(None))
        )
        overdue = session.scalar(
            select(func.count()).select_from(Request).where(Request.sla_due_at <= now)
        )
    return [f"Requests: {open_count} open, {nobody} unassigned, {overdue} overdue"]


def metrics(runtime: Runtime, start: datetime, end: datetime) -> dict[str, Any]:
    """Requests opened and resolved in [start, end), mean SLA times (each priority's clock
    minutes) and breaches."""
    with runtime.db.session() as session:
        opened = dict(
            session.execute(
                select(Request.priority, func.count())
                .where(Request.opened_at >= start, Request.opened_at < end)
                .group_by(Request.priority)
            ).all()
        )
        resolved, mean_resolve = session.execute(
            select(func.count(), func.avg(Request.time_to_resolve)).where(
                Request.state == RESOLVED, Request.resolved_at >= start, Request.resolved_at < end
            )
        ).one()
        mean_response = session.scalar(
            select(func.avg(Request.time_to_response)).where(
                Request.first_response_at >= start, Request.first_response_at < end
            )
        )
        breaches = dict(
            session.execute(
                select(Timer.kind, func.count())
                .where(
                    Timer.kind.like(f"%-{sla.BREACH}"),
                    Timer.fired_at >= start,
                    Timer.fired_at < end,
                )
                .group_by(Timer.kind)
            ).all()
        )
    return {
        "requests_opened": sum(opened.values()),
        "requests_opened_by_priority": dict(sorted(opened.items())),
        "requests_resolved": resolved,
        "mean_time_to_first_response_minutes": _rounded(mean_response),
        "mean_time_to_resolve_minutes": _rounded(mean_resolve),
        "first_response_breaches": breaches.get(f"{sla.RESPONSE}-{sla.BREACH}", 0),
        "resolve_breaches": breaches.get(f"{sla.RESOLVE}-{sla.BREACH}", 0),
    }


def _assignee_filter(assignee: object | None) -> list[ColumnElement[bool]]:
    if assignee is None:
        return []
    if assignee is UNASSIGNED:
        return [Request.assignee.is_(None)]
    return [Request.assignee == assignee]


def _more(page: Page) -> str:
    hidden = page.total - len(page.requests)
    return f" and {hidden} more" if hidden > 0 else ""


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)
