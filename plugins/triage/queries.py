"""Reading many requests at once: the risk-sorted queue, the checklist and status.

The queue is two index scans, never a pass over every row: running requests in order of their
stored ``sla_due_at`` (soonest deadline, or longest overdue, first), then those waiting on the
user (their clocks are paused, so they are at no risk), each ``LIMIT``-ed to the page shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from plugins.triage import text
from plugins.triage.models import OPEN_STATES, WAITING, Request
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


def _assignee_filter(assignee: object | None) -> list[ColumnElement[bool]]:
    if assignee is None:
        return []
    if assignee is UNASSIGNED:
        return [Request.assignee.is_(None)]
    return [Request.assignee == assignee]


def _more(page: Page) -> str:
    hidden = page.total - len(page.requests)
    return f" and {hidden} more" if hidden > 0 else ""
