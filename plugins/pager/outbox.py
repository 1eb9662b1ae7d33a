"""The delivery outbox: claiming rows to send, recording what apprise said, falling back.

A claim is one UPDATE that moves due rows to ``sending`` under this worker's token with a lease.
On PostgreSQL the candidate rows are picked with ``FOR UPDATE SKIP LOCKED``, so replicas claiming
at once take different rows instead of queueing on each other; on SQLite the writers are
serialised by the database lock and the UPDATE re-checks each row's state, so a row is claimed
once. A row whose lease ran out (its worker died mid-send) is claimable again: a notification is
sent at least once, and exactly once unless a process dies between sending and recording.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, tuple_, update
from sqlalchemy.orm import Session

from core.db import Database
from plugins.pager.models import (
    ACKNOWLEDGED,
    CANCELLED,
    DELIVERED,
    FAILED,
    PENDING,
    RESOLVED,
    SENDING,
    SKIPPED,
    STANDBY,
    UNDELIVERED,
    Delivery,
    Page,
)
from plugins.pager.settings import Delivery as DeliverySettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """A row this worker may send until its lease ends."""

    id: int
    contact: str
    title: str
    body: str


@dataclass(frozen=True)
class Outcome:
    """What one attempt achieved; ``permanent`` failures are not retried on the same method."""

    delivered: bool
    detail: str
    permanent: bool = False


def claim(db: Database, now: datetime, token: str, limit: int, lease: timedelta) -> list[Claim]:
    """Claim up to ``limit`` due rows for ``token``, oldest due first."""
    claimable = or_(
        and_(Delivery.state == PENDING, Delivery.due_at <= now),
        and_(Delivery.state == SENDING, Delivery.claimed_until < now),
    )
    candidates = (
        select(Delivery.id).where(claimable).order_by(Delivery.due_at, Delivery.id).limit(limit)
    )
    if db.dialect == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(candidates.scalar_subquery()), claimable)
        .values(state=SENDING, claimed_by=token, claimed_until=now + lease)
        .returning(Delivery.id, Delivery.contact, Delivery.title, Delivery.body)
        .execution_options(synchronize_session=False)
    )
    with db.session() as session:
        _commit_without_waiting(session)
        rows = session.execute(statement).all()
    return [Claim(*row) for row in sorted(rows)]


def _commit_without_waiting(session: Session) -> None:
    """On PostgreSQL, let this transaction commit without waiting for its WAL flush.

    Only for claims and results: a database crash may forget the last fraction of a second of
    them, which sends a notification again (never loses one). Pages, acknowledgements and
    resolutions always commit durably. This halves a page's latency on a slow disk.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))


def record(
    db: Database,
    now: datetime,
    token: str,
    results: list[tuple[Claim, Outcome]],
    settings: DeliverySettings,
) -> bool:
    """Store a batch of outcomes in one transaction; True when a fallback became due (dispatch now).

    One transaction per batch keeps a fan-out's results from queueing on SQLite's write lock.
    """
    delivered = {
        claimed.id: outcome.detail[:300] for claimed, outcome in results if outcome.delivered
    }
    with db.session() as session:
        _commit_without_waiting(session)
        if delivered:
            _record_delivered(session, now, token, delivered)
        return any(
            [
                _record_failure(session, now, token, c, o, settings)
                for c, o in results
                if not o.delivered
            ]
        )


def _record_delivered(session: Session, now: datetime, token: str, details: dict[int, str]) -> None:
    """Mark rows delivered (those still claimed by ``token``) and stand their people's other methods down."""
    owned = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(details), Delivery.claimed_by == token, Delivery.state == SENDING)
        .values(
            state=DELIVERED,
            attempts=Delivery.attempts + 1,
            claimed_by=None,
            claimed_until=None,
            delivered_at=now,
            last_result=case(details, value=Delivery.id),
        )
        .returning(Delivery.page_id, Delivery.call, Delivery.person)
        .execution_options(synchronize_session=False)
    ).all()
    if len(owned) < len(details):
        log.warning(
            "%d deliveries: the claim lapsed before the result was recorded",
            len(details) - len(owned),
        )
    if owned:
        people = tuple_(Delivery.page_id, Delivery.call, Delivery.person).in_(
            [tuple(row) for row in owned]
        )
        _set(session, people, Delivery.state == STANDBY, state=SKIPPED)


def _record_failure(
    session: Session,
    now: datetime,
    token: str,
    claimed: Claim,
    outcome: Outcome,
    settings: DeliverySettings,
) -> bool:
    """Retry after a doubling backoff until ``attempts`` are spent, then make the person's next
    method due (returns True). Nothing is retried once the page is acknowledged or resolved.
    """
    mine = session.execute(
        update(Delivery)
        .where(Delivery.id == claimed.id, Delivery.claimed_by == token, Delivery.state == SENDING)
        .values(
            state=FAILED,
            attempts=Delivery.attempts + 1,
            claimed_by=None,
            claimed_until=None,
            last_result=outcome.detail[:300],
        )
        .returning(
            Delivery.page_id, Delivery.call, Delivery.person, Delivery.method, Delivery.attempts
        )
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if mine is None:
        log.warning("delivery %s: the claim lapsed before the result was recorded", claimed.id)
        return False
    page_id, call, person, method, attempts = mine
    # Lock the page row (PostgreSQL): an acknowledgement committing between this read and the
    # retry below would otherwise cancel nothing and see a retry go out after it.
    state = session.scalar(select(Page.state).where(Page.id == page_id).with_for_update())
    if state in (ACKNOWLEDGED, RESOLVED):
        _set(session, Delivery.id == claimed.id, state=CANCELLED)
        return False
    if not outcome.permanent and attempts < settings.attempts:
        _set(
            session,
            Delivery.id == claimed.id,
            state=PENDING,
            due_at=now + timedelta(seconds=settings.backoff(attempts)),
        )
        return False
    fallback = session.scalar(
        select(Delivery.id)
        .where(
            Delivery.page_id == page_id,
            Delivery.call == call,
            Delivery.person == person,
            Delivery.state == STANDBY,
            Delivery.method > method,
        )
        .order_by(Delivery.method)
        .limit(1)
    )
    if fallback is None:
        log.warning("page %s: every contact method of %s failed", page_id, person)
        return False
    _set(session, Delivery.id == fallback, state=PENDING, due_at=now)
    return True


def _set(session: Session, *where: ColumnElement[bool], **values: object) -> None:
    session.execute(
        update(Delivery).where(*where).values(**values).execution_options(synchronize_session=False)
    )


def backlog(db: Database) -> tuple[int, datetime | None]:
    """How many notifications wait to be sent, and since when the oldest has been due."""
    with db.session() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(Delivery.due_at)).where(Delivery.state.in_(UNDELIVERED))
        ).one()
    return count, oldest
