"""Telling other plugins: lifecycle hooks are called after the change has committed.

Changes queue their hook calls on the session; ``transaction`` makes them once the transaction
has committed, so a listener never hears of a change that was rolled back, and a listener that
fails (a mirror that cannot reach GitHub) is logged without undoing the change or the reply.
Links returned by the ticket hooks are stored with the ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from plugins.triage.models import Ticket

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)
_PENDING = "triage.pending_hooks"
LINK_HOOKS = frozenset({"dutybot_ticket_created", "dutybot_ticket_updated"})


def announce(session: Session, hook: str, **kwargs: Any) -> None:
    """Queue ``hook(runtime=..., **kwargs)`` for when this session's transaction commits."""
    session.info.setdefault(_PENDING, []).append((hook, kwargs))


@contextmanager
def transaction(runtime: Runtime) -> Iterator[Session]:
    """One session in one transaction; the hooks it queued are called once it has committed."""
    with runtime.db.session() as session:
        yield session
        pending = session.info.pop(_PENDING, [])
    for hook, kwargs in pending:
        _call(runtime, hook, kwargs)


def _call(runtime: Runtime, hook: str, kwargs: dict[str, Any]) -> None:
    try:
        results = getattr(runtime.hook, hook)(runtime=runtime, **kwargs)
    except Exception:
        log.exception("a plugin failed in %s; the change itself is saved", hook)
        return
    if hook in LINK_HOOKS:
        _keep_links(runtime, kwargs["ticket"].id, results)


def _keep_links(runtime: Runtime, ticket_id: int, results: list[Any]) -> None:
    """Store the ``{name: url}`` links plugins returned (e.g. the mirrored GitHub issue)."""
    new: dict[str, str] = {}
    for result in results:
        if isinstance(result, dict):
            new.update({str(k): str(v) for k, v in result.items()})
    if not new:
        return
    with runtime.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None and any(ticket.links.get(k) != v for k, v in new.items()):
            ticket.links = {**ticket.links, **new}
