"""Read-only snapshots of requests and tickets: what hooks receive.

Listeners get plain frozen values taken when the change was made, never live ORM rows, so a
plugin cannot change a request behind the feature's back or trip over a closed session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from plugins.triage.models import Request, Ticket
from plugins.triage.settings import Board


@dataclass(frozen=True)
class RequestView:
    id: int
    ref: str
    summary: str
    description: str
    service: str | None
    environment: str | None
    impact: str | None
    contact: str | None
    category: str | None
    requester: str
    state: str
    priority: str
    assignee: str | None
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    sla_due_at: datetime | None
    ticket: str | None


@dataclass(frozen=True)
class TicketView:
    id: int
    ref: str
    title: str
    body: str
    column: str
    closed: bool
    """Whether the ticket is in the board's done column."""
    labels: tuple[str, ...]
    request: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    links: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def request_view(request: Request) -> RequestView:
    return RequestView(
        id=request.id,
        ref=request.ref,
        summary=request.summary,
        description=request.description,
        service=request.service,
        environment=request.environment,
        impact=request.impact,
        contact=request.contact,
        category=request.category,
        requester=request.requester,
        state=request.state,
        priority=request.priority,
        assignee=request.assignee,
        opened_at=request.opened_at,
        first_response_at=request.first_response_at,
        resolved_at=request.resolved_at,
        resolution=request.resolution,
        sla_due_at=request.sla_due_at,
        ticket=request.ticket.ref if request.ticket is not None else None,
    )


def ticket_view(ticket: Ticket, board: Board) -> TicketView:
    return TicketView(
        id=ticket.id,
        ref=ticket.ref,
        title=ticket.title,
        body=ticket.body,
        column=ticket.column,
        closed=ticket.column == board.done_column,
        labels=tuple(ticket.labels),
        request=ticket.request.ref if ticket.request is not None else None,
        created_by=ticket.created_by,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        links=MappingProxyType(dict(ticket.links)),
    )
