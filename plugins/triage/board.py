"""The built-in board: tickets in columns with labels, kept in step with their requests.

By the 15-minute rule a request that needs real work becomes a ticket; it lands in the new column
with the process file's labels (``support-request``, ``needs-triage``), moves to the progress
column when its request is in progress and to the done column when it is resolved. Every change
is told to ``dutybot_ticket_created``/``dutybot_ticket_updated`` after commit, so a plugin can
mirror the board to GitHub Issues or Jira.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.commands import CommandError, UsageError
from plugins.triage.events import announce
from plugins.triage.models import IN_PROGRESS, RESOLVED, Request, Ticket
from plugins.triage.settings import section
from plugins.triage.views import ticket_view

if TYPE_CHECKING:
    from core.runtime import Runtime

_REF = re.compile(r"^(?:#|t-?)?(\d{1,9})$", re.IGNORECASE)
_LABEL = re.compile(r"^[\w.:/ -]{1,50}$")


def load(session: Session, ref: str) -> Ticket:
    """The ticket a user named (``T-3``, ``t3``, ``#3`` or ``3``), locked; UsageError if none."""
    match = _REF.match(ref.strip())
    if match is None:
        raise UsageError(f"{ref!r} is not a ticket id (they look like T-3).")
    ticket = session.get(Ticket, int(match.group(1)), with_for_update=True)
    if ticket is None:
        raise UsageError(f"There is no ticket T-{int(match.group(1))}.")
    return ticket


def create(runtime: Runtime, session: Session, request: Request, actor: str) -> Ticket:
    """A ticket for a request, in the new column with the new-ticket labels."""
    board = section(runtime).board
    now = runtime.clock.now()
    ticket = Ticket(
        title=f"{request.ref}: {request.summary}",
        body=_body(runtime, request),
        column=board.new_column,
        labels=list(board.labels),
        links={},
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    ticket.request = request
    session.add(ticket)
    session.flush()
    runtime.audit(session, actor, "ticket.create", ticket.ref, ticket.title)
    announce(session, "dutybot_ticket_created", ticket=ticket_view(ticket, board))
    return ticket


def follow(runtime: Runtime, session: Session, request: Request, actor: str) -> None:
    """Move a request's ticket to the column its new state belongs in."""
    ticket = request.ticket
    if ticket is None:
        return
    board = section(runtime).board
    target = {IN_PROGRESS: board.progress_column, RESOLVED: board.done_column}.get(request.state)
    if target is not None and target != ticket.column:
        _set_column(runtime, session, ticket, target, actor)


def move(runtime: Runtime, session: Session, ticket: Ticket, name: str, actor: str) -> None:
    board = section(runtime).board
    column = board.column(name)
    if column is None:
        raise UsageError(
            f"There is no column {name!r}; the columns are {', '.join(board.columns)}."
        )
    if column == ticket.column:
        raise CommandError(f"{ticket.ref} is already in {column}.")
    _set_column(runtime, session, ticket, column, actor)


def relabel(
    runtime: Runtime, session: Session, ticket: Ticket, changes: list[str], actor: str
) -> None:
    """Apply ``+label`` (or ``label``) and ``-label`` changes."""
    if not changes:
        raise UsageError("Name the labels to add (+label) or remove (-label).")
    labels = list(ticket.labels)
    for change in changes:
        remove, name = change.startswith("-"), change.lstrip("+-")
        if not _LABEL.match(name):
            raise UsageError(
                f"{name!r} is not a label (letters, digits, spaces and - _ . : / only)."
            )
        if remove and name not in labels:
            raise UsageError(f"{ticket.ref} has no label {name!r}.")
        if remove:
            labels.remove(name)
        elif name not in labels:
            labels.append(name)
    if labels == ticket.labels:
        raise CommandError(f"{ticket.ref} already has those labels: {', '.join(labels) or 'none'}.")
    detail = f"{', '.join(ticket.labels) or 'none'} → {', '.join(labels) or 'none'}"
    ticket.labels = labels
    _updated(runtime, session, ticket, actor, "labels", detail)


def render(runtime: Runtime, session: Session) -> str:
    """The board, column by column: open columns oldest first, the done column newest first."""
    board = section(runtime).board
    limit = section(runtime).list_limit
    counts = dict(
        session.execute(select(Ticket.column, func.count()).group_by(Ticket.column)).all()
    )
    total = sum(counts.values())
    if not total:
        return "The board is empty. Turn a request into a ticket with !request ticket ID."
    columns = list(board.columns) + sorted(c for c in counts if c not in board.columns)
    lines = [f"Board ({total} ticket{'s' if total != 1 else ''}):"]
    for column in columns:
        count = counts.get(column, 0)
        lines.append(f"{column} ({count})")
        order = Ticket.updated_at.desc() if column == board.done_column else Ticket.id
        tickets = session.scalars(
            select(Ticket).where(Ticket.column == column).order_by(order, Ticket.id).limit(limit)
        ).all()
        lines += [f"- {_line(ticket)}" for ticket in tickets]
        if count > len(tickets):
            lines.append(f"- … and {count - len(tickets)} more")
    return "\n".join(lines)


def _line(ticket: Ticket) -> str:
    labels = f" [{', '.join(ticket.labels)}]" if ticket.labels else ""
    links = "".join(f" {url}" for _, url in sorted(ticket.links.items()))
    return f"{ticket.ref} {ticket.title}{labels}{links}"


def _set_column(
    runtime: Runtime, session: Session, ticket: Ticket, column: str, actor: str
) -> None:
    detail = f"{ticket.column} → {column}"
    ticket.column = column
    _updated(runtime, session, ticket, actor, "column", detail)


def _updated(
    runtime: Runtime, session: Session, ticket: Ticket, actor: str, change: str, detail: str
) -> None:
    ticket.updated_at = runtime.clock.now()
    runtime.audit(session, actor, f"ticket.{change}", ticket.ref, detail)
    announce(
        session,
        "dutybot_ticket_updated",
        ticket=ticket_view(ticket, section(runtime).board),
        change=change,
    )


def _body(runtime: Runtime, request: Request) -> str:
    fmt = runtime.calendars.format
    fields = [
        ("Service", request.service),
        ("Environment", request.environment),
        ("Impact", request.impact),
        ("Contact", request.contact),
        ("Requested by", f"{request.requester} at {fmt(request.opened_at)}"),
        ("Priority", request.priority + (f" ({request.category})" if request.category else "")),
    ]
    lines = [f"{name}: {value}" for name, value in fields if value]
    return "\n".join(
        [request.description, "", *lines, "", f"The conversation stays in chat ({request.ref})."]
    )
