"""Pages in the database: creating them, calling people, escalating, acknowledging, resolving.

Every change of a page is one transaction whose first statement is a conditional UPDATE (or the
INSERT of a new row). That statement is the claim: a second replica, or an acknowledgement that
committed first, makes it match nothing and the change is dropped. Writing first also takes
SQLite's write lock before anything is read, so a transaction never fails on a stale snapshot.
Reads that decide who to call (hooks into the rota) happen before the transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.commands import CommandError
from core.mentions import neutralise
from plugins.pager import escalation, metrics
from plugins.pager.escalation import Call
from plugins.pager.models import (
    ACKNOWLEDGED,
    CANCELLED,
    HANDOVER,
    OPEN_STATES,
    PAGING,
    PENDING,
    RESOLVED,
    STANDBY,
    UNANSWERED,
    WAITING,
    DedupWindow,
    Delivery,
    Page,
)
from plugins.pager.settings import PagerSection

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

SECTION = "pager"
SYSTEM = "pager"  # the actor of automatic changes in the audit log
REPAGE_STEP = "re-page: still unresolved after your acknowledgement"


class PagerError(CommandError):
    """A page cannot be changed as asked; the message says why."""


@dataclass(frozen=True)
class PageInfo:
    """A page as other plugins and hooks see it (a snapshot, detached from any session)."""

    id: int
    target: str
    message: str
    source: str
    state: str
    created_at: datetime
    dedup_key: str | None
    step: str | None
    called: tuple[str, ...]
    next_action_at: datetime | None
    acked_by: str | None
    duplicate: bool = False


def section(runtime: Runtime) -> PagerSection:
    found = runtime.process.section(SECTION)
    assert isinstance(found, PagerSection)
    return found


def info(
    session: Session, page: Page, duplicate: bool = False, called: tuple[str, ...] | None = None
) -> PageInfo:
    """A snapshot of ``page``; ``called`` (who its latest call reached) is read if not given."""
    if called is None:
        called = tuple(
            session.scalars(
                select(Delivery.person)
                .where(
                    Delivery.page_id == page.id, Delivery.call == page.calls, Delivery.method == 0
                )
                .order_by(Delivery.id)
            )
        )
    steps = _steps(page)
    return PageInfo(
        id=page.id,
        target=page.target,
        message=page.message,
        source=page.source,
        state=page.state,
        created_at=page.created_at,
        dedup_key=page.dedup_key,
        step=steps[page.position % len(steps)] if steps and page.position >= 0 else None,
        called=called,
        next_action_at=page.next_action_at,
        acked_by=page.acked_by,
        duplicate=duplicate,
    )


def _steps(page: Page) -> list[str]:
    return json.loads(page.steps) if page.steps else []


# --- creating a page ----------------------------------------------------------------------------


def create_page(
    runtime: Runtime,
    target: str,
    message: str,
    source: str,
    dedup_key: str | None,
    session: Session,
) -> PageInfo:
    """Write a page and its first call into ``session`` (the caller's transaction).

    With a dedup key whose window is open, nothing is written and the existing page is returned.
    Outside paging hours the page waits for the next opening, or for the handover, as configured.
    """
    settings = section(runtime)
    now = runtime.clock.now()
    is_open = escalation.paging_open(runtime, settings, now)
    steps = escalation.steps_for(runtime, settings, target, now) if is_open else []
    call = escalation.plan_call(runtime, settings, steps, 0, now) if is_open else None
    if dedup_key is not None:
        existing = _open_dedup_window(session, dedup_key, now, settings.dedup_minutes)
        if existing is not None:
            return info(session, session.get(Page, existing), duplicate=True)
    page = Page(
        target=target,
        message=message,
        source=source,
        dedup_key=dedup_key,
        created_at=now,
        state=WAITING,
        steps=json.dumps(steps) if is_open else "",
        position=-1,
        calls=0,
    )
    if call is not None:
        _start_call(runtime, settings, page, steps, call, now)
    elif not is_open and settings.when_closed == "queue":
        page.next_action_at = escalation.next_opening(runtime, settings, now)
    elif not is_open:
        page.state = HANDOVER
    session.add(page)
    session.flush()
    if dedup_key is not None:
        session.execute(
            update(DedupWindow).where(DedupWindow.key == dedup_key).values(page_id=page.id)
        )
    runtime.audit(session, source, "page", f"#{page.id} {target}", message)
    if call is not None:
        _add_notifications(session, page, call, now, call.step)
    elif is_open:
        _unanswered(runtime, session, page)
    return info(session, page, called=call.people if call else ())


def _open_dedup_window(session: Session, key: str, now: datetime, minutes: int) -> int | None:
    """Open the dedup window for ``key`` (returns None) or return the page whose window is open.

    The window row is inserted first, so of two replicas paging for the same alert at once one
    inserts and the other waits for its commit, then sees the page.
    """
    expires = now + timedelta(minutes=minutes)
    try:
        with session.begin_nested():
            session.add(DedupWindow(key=key, page_id=None, expires_at=expires))
        return None
    except IntegrityError:
        pass
    reopened = session.execute(
        update(DedupWindow)
        .where(DedupWindow.key == key, DedupWindow.expires_at <= now)
        .values(page_id=None, expires_at=expires)
    )
    if reopened.rowcount == 1:
        return None
    return session.scalar(select(DedupWindow.page_id).where(DedupWindow.key == key))


# --- calls --------------------------------------------------------------------------------------


def _start_call(
    runtime: Runtime,
    settings: PagerSection,
    page: Page,
    steps: list[str],
    call: Call,
    now: datetime,
) -> None:
    """Move a page on to its next call; ``_add_notifications`` writes the call's outbox rows."""
    if page.first_called_at is None:  # when it landed, for the on-call metrics
        page.first_called_at, page.band = now, metrics.band(runtime, settings, now)
    page.state = PAGING
    page.steps = json.dumps(steps)
    page.position = call.position
    page.calls += 1
    page.call_started_at = now
    page.next_action_at = now + timedelta(minutes=settings.escalation.ack_minutes)


def _add_notifications(session: Session, page: Page, call: Call, now: datetime, why: str) -> None:
    """One outbox row per recipient and contact method: the first method goes out now."""
    title, body = notification(page, why)
    session.add_all(
        Delivery(
            page_id=page.id,
            call=page.calls,
            person=recipient.person,
            method=method,
            contact=contact,
            title=title,
            body=body,
            state=PENDING if method == 0 else STANDBY,
            due_at=now,
            created_at=now,
        )
        for recipient in call.recipients
        for method, contact in enumerate(recipient.contacts)
    )


def notification(page: Page, why: str) -> tuple[str, str]:
    """The title and body of one call: unique per call, so a repeat is never mistaken for one.

    The message can carry an alert's own text and a page may go to a Slack or Teams channel,
    so its mass mentions are defused like every chat post's.
    """
    return (
        f"dutybot page #{page.id}",
        f"{neutralise(page.message)}\n\nPage #{page.id} from {page.source}, call {page.calls}: {why}. "
        f"Acknowledge in chat: !ack {page.id}",
    )


def _unanswered(runtime: Runtime, session: Session, page: Page) -> None:
    page.state = UNANSWERED
    page.next_action_at = None
    steps = ", ".join(_steps(page))
    if page.calls:
        text = (
            f"Page #{page.id} for {page.target} was not acknowledged after {page.calls} calls "
            f"({steps}); nobody is being paged for it any more. {page.message}"
        )
    else:
        text = (
            f"Page #{page.id} for {page.target} reached nobody: no one in {steps} has a contact "
            f"method in [pager.contacts]. {page.message}"
        )
    runtime.chat.post("team", text, key=f"pager:{page.id}:unanswered:{page.calls}", session=session)
    runtime.audit(session, SYSTEM, "page unanswered", f"#{page.id}", f"after {page.calls} calls")


# --- moving pages on ----------------------------------------------------------------------------


def due_pages(runtime: Runtime, now: datetime) -> list[Page]:
    """Pages whose next step (first call, escalation, re-page) is due."""
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(Page)
                .where(Page.state.in_((WAITING, PAGING, ACKNOWLEDGED)), Page.next_action_at <= now)
                .order_by(Page.next_action_at, Page.id)
            )
        )


def stuck_pages(runtime: Runtime, now: datetime) -> list[Page]:
    """Paging pages whose current call has delivered nothing for ``stuck_minutes``."""
    settings = section(runtime)
    delivered = (
        select(Delivery.id)
        .where(
            Delivery.page_id == Page.id,
            Delivery.call == Page.calls,
            Delivery.delivered_at.is_not(None),
        )
        .exists()
    )
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(Page)
                .where(
                    Page.state == PAGING,
                    Page.call_started_at <= now - timedelta(minutes=settings.stuck_minutes),
                    ~delivered,
                )
                .order_by(Page.id)
            )
        )


def advance(runtime: Runtime, page: Page, now: datetime, stuck: bool = False) -> None:
    """Take a page's next step: first call, escalation, re-page, or giving up.

    ``page`` is a snapshot read earlier; the change is dropped if the page moved meanwhile.
    Outside paging hours no new call is made: the step waits for the next opening.
    """
    settings = section(runtime)
    if not escalation.paging_open(runtime, settings, now):
        with runtime.db.session() as session:
            current = _claim(session, page)
            if current is not None:
                current.next_action_at = escalation.next_opening(runtime, settings, now)
        return
    repage = False
    if page.state == WAITING:
        steps = escalation.steps_for(runtime, settings, page.target, now)
        call = escalation.plan_call(runtime, settings, steps, 0, now)
    elif page.state == ACKNOWLEDGED:
        steps = _steps(page)
        acker = escalation.reachable(settings, [page.acked_by or ""])
        repage = bool(acker)
        call = (
            Call(page.position, steps[page.position % len(steps)], acker)
            if acker
            else escalation.plan_call(runtime, settings, steps, page.position, now)
        )
    else:
        steps = _steps(page)
        call = escalation.plan_call(runtime, settings, steps, page.position + 1, now)
    with runtime.db.session() as session:
        current = _claim(session, page)
        if current is None:
            return
        if stuck:
            _report_stuck(runtime, session, current, call)
        if call is None:
            current.steps = json.dumps(steps)
            _unanswered(runtime, session, current)
            return
        _start_call(runtime, settings, current, steps, call, now)
        _add_notifications(session, current, call, now, REPAGE_STEP if repage else call.step)
        action = "re-page" if repage else ("first call" if page.state == WAITING else "escalate")
        if action == "escalate":
            current.escalations += 1
        runtime.audit(
            session,
            SYSTEM,
            action,
            f"#{page.id}",
            f"call {current.calls}: {', '.join(call.people)}",
        )


def _claim(session: Session, page: Page) -> Page | None:
    """Lock a page for a change, if it is still as ``page`` saw it; the current row or None."""
    claimed = session.execute(
        update(Page)
        .where(Page.id == page.id, Page.state == page.state, Page.calls == page.calls)
        .values(next_action_at=None)
    )
    return session.get(Page, page.id) if claimed.rowcount == 1 else None


def _report_stuck(runtime: Runtime, session: Session, page: Page, call: Call | None) -> None:
    settings = section(runtime)
    people = ", ".join(
        session.scalars(
            select(Delivery.person).where(
                Delivery.page_id == page.id, Delivery.call == page.calls, Delivery.method == 0
            )
        ).all()
    )
    then = f"calling {', '.join(call.people)} now" if call else "nobody is left to call"
    runtime.chat.post(
        "team",
        f"Page #{page.id} is stuck: nothing reached {people} in {settings.stuck_minutes} minutes; {then}.",
        key=f"pager:{page.id}:stuck:{page.calls}",
        session=session,
    )


# --- acknowledging and resolving ----------------------------------------------------------------


def acknowledge(runtime: Runtime, page_id: int, person: str) -> tuple[PageInfo, int]:
    """Acknowledge a page: stop its escalation and cancel every pending notification at once.

    Returns the page and how many notifications were cancelled.
    """
    settings = section(runtime)
    now = runtime.clock.now()
    repage = settings.escalation.repage_minutes
    with runtime.db.session() as session:
        changed = session.execute(
            update(Page)
            .where(Page.id == page_id, Page.state.in_((WAITING, HANDOVER, PAGING, UNANSWERED)))
            .values(
                state=ACKNOWLEDGED,
                acked_by=person,
                acked_at=now,
                next_action_at=now + timedelta(minutes=repage) if repage else None,
            )
        )
        if changed.rowcount != 1:
            raise PagerError(_why_not(runtime, session, page_id))
        cancelled = _cancel_pending(session, page_id)
        metrics.store_ack(session.get(Page, page_id), now)
        runtime.audit(
            session, person, "acknowledge", f"#{page_id}", f"{cancelled} notifications cancelled"
        )
        page = info(session, session.get(Page, page_id))
    runtime.hook.dutybot_page_acknowledged(runtime=runtime, page=page, by=person)
    return page, cancelled


def resolve(runtime: Runtime, page_id: int, person: str) -> tuple[PageInfo, int]:
    """Resolve a page: cancel what is pending and end its dedup window, so the alert may page again."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        changed = session.execute(
            update(Page)
            .where(Page.id == page_id, Page.state.in_(OPEN_STATES))
            .values(state=RESOLVED, resolved_by=person, resolved_at=now, next_action_at=None)
        )
        if changed.rowcount != 1:
            raise PagerError(_why_not(runtime, session, page_id))
        cancelled = _cancel_pending(session, page_id)
        session.execute(
            update(DedupWindow)
            .where(DedupWindow.page_id == page_id, DedupWindow.expires_at > now)
            .values(expires_at=now)
        )
        runtime.audit(
            session, person, "resolve", f"#{page_id}", f"{cancelled} notifications cancelled"
        )
        return info(session, session.get(Page, page_id)), cancelled


def _cancel_pending(session: Session, page_id: int) -> int:
    return session.execute(
        update(Delivery)
        .where(Delivery.page_id == page_id, Delivery.state.in_((PENDING, STANDBY)))
        .values(state=CANCELLED)
    ).rowcount


def _why_not(runtime: Runtime, session: Session, page_id: int) -> str:
    page = session.get(Page, page_id)
    if page is None:
        return f"There is no page #{page_id}."
    if page.state == RESOLVED:
        return f"Page #{page_id} was already resolved by {page.resolved_by} at {runtime.calendars.format(page.resolved_at)}."
    return f"Page #{page_id} was already acknowledged by {page.acked_by} at {runtime.calendars.format(page.acked_at)}."


# --- reading --------------------------------------------------------------------------------------


def pages_in(runtime: Runtime, states: tuple[str, ...]) -> list[PageInfo]:
    with runtime.db.session() as session:
        pages = session.scalars(select(Page).where(Page.state.in_(states)).order_by(Page.id)).all()
        return [info(session, page) for page in pages]


def pages_calling(runtime: Runtime, person: str) -> list[int]:
    """Open pages that have called ``person`` and are not yet acknowledged, newest first."""
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(Page.id)
                .where(
                    Page.state.in_((PAGING, UNANSWERED)),
                    select(Delivery.id)
                    .where(Delivery.page_id == Page.id, Delivery.person == person)
                    .exists(),
                )
                .order_by(Page.id.desc())
            )
        )


def pages_sent_since(runtime: Runtime, source: str, since: datetime) -> list[datetime]:
    """When ``source`` created pages since ``since``, oldest first (for the rate limit)."""
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(Page.created_at)
                .where(Page.source == source, Page.created_at > since)
                .order_by(Page.created_at)
            )
        )


def counts_by_state(runtime: Runtime) -> dict[str, int]:
    with runtime.db.session() as session:
        rows = session.execute(
            select(Page.state, func.count()).where(Page.state.in_(OPEN_STATES)).group_by(Page.state)
        ).all()
    return {state: count for state, count in rows}


def who_was_called(page: PageInfo) -> str:
    """Who the latest call reached, and as what unless that is the person themselves."""
    return ", ".join(page.called) + ("" if page.step in page.called else f" as {page.step}")


def describe(runtime: Runtime, page: PageInfo) -> str:
    """One line about where a page stands, for chat."""
    when = runtime.calendars.format(page.created_at)
    if page.state == WAITING:
        where = (
            f"queued until {runtime.calendars.format(page.next_action_at)}"
            if page.next_action_at
            else "queued"
        )
    elif page.state == HANDOVER:
        where = "held for the morning handover"
    elif page.state == PAGING:
        where = f"paging {who_was_called(page)}"
        if page.next_action_at:
            where += f", next step at {runtime.calendars.format(page.next_action_at)}"
    elif page.state == ACKNOWLEDGED:
        where = f"acknowledged by {page.acked_by}"
        if page.next_action_at:
            where += (
                f", re-paged at {runtime.calendars.format(page.next_action_at)} unless resolved"
            )
    elif page.state == UNANSWERED:
        where = "not acknowledged by anyone"
    else:
        where = "resolved"
    return f"#{page.id} for {page.target} from {page.source} at {when}: {where}. {page.message}"
