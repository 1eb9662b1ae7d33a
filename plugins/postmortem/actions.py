"""Review actions: added at or after the review, each with an owner, a due date and a priority.

An action is overdue from the day after its due date (in the team's timezone) until it is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.commands import CommandError
from core.runtime import Runtime
from plugins.postmortem import service
from plugins.postmortem.models import Action

FILTERS = ("open", "mine", "overdue")


@dataclass(frozen=True)
class NewAction:
    postmortem_ref: str
    text: str
    owner: str
    due: date
    priority: str


def today(runtime: Runtime) -> date:
    return runtime.calendars.local(runtime.clock.now()).date()


def add(runtime: Runtime, new: NewAction, by: str) -> str:
    """Record an action on a postmortem."""
    with runtime.db.session() as session:
        postmortem = service.find(session, new.postmortem_ref)
        action = Action(
            postmortem_id=postmortem.id,
            text=new.text,
            owner=new.owner,
            due=new.due,
            priority=new.priority,
            created_by=by,
            created_at=runtime.clock.now(),
        )
        session.add(action)
        session.flush()
        runtime.audit(session, by, "postmortem.action.add", f"action {action.id}", new.text[:200])
        return f"Action {action.id} on postmortem {postmortem.id}: {describe(runtime, action)}."


def done(runtime: Runtime, ref: str, by: str) -> str:
    """Mark an action done (once)."""
    with runtime.db.session() as session:
        action = find(session, ref)
        if action.done_at is not None:
            raise CommandError(
                f"Action {ref} was already done on {runtime.calendars.format(action.done_at)}."
            )
        action.done_at = runtime.clock.now()
        action.done_by = by
        runtime.audit(session, by, "postmortem.action.done", f"action {action.id}")
        return f"Action {ref} done: {action.text}"


def find(session: Session, ref: str) -> Action:
    if not ref.isdigit():
        raise CommandError(f"{ref!r} is not an action number.")
    action = session.get(Action, int(ref))
    if action is None:
        raise CommandError(f"There is no action {ref}. See them with !actions.")
    return action


def listing(runtime: Runtime, which: str, person: str | None) -> list[str]:
    """Open actions (all, the asker's, or the overdue ones), soonest due first."""
    with runtime.db.session() as session:
        query = select(Action).where(Action.done_at.is_(None))
        if which == "mine":
            query = query.where(Action.owner == person)
        if which == "overdue":
            query = query.where(Action.due < today(runtime))
        rows = session.scalars(query.order_by(Action.due, Action.id)).all()
        return [line(runtime, action) for action in rows]


def overdue_lines(runtime: Runtime, day: date) -> list[str]:
    """Overdue actions on ``day``, for the 09:00 checklist."""
    with runtime.db.session() as session:
        rows = session.scalars(
            select(Action)
            .where(Action.done_at.is_(None), Action.due < day)
            .order_by(Action.due, Action.id)
        ).all()
        return [f"Overdue postmortem {line(runtime, action)}" for action in rows]


def line(runtime: Runtime, action: Action) -> str:
    return f"action {action.id} (postmortem {action.postmortem_id}): {describe(runtime, action)}"


def describe(runtime: Runtime, action: Action) -> str:
    person = runtime.process.person(action.owner)
    owner = person.name if person else action.owner
    return (
        f"{action.text} ({action.priority} priority, owner {owner}, due {action.due.isoformat()})"
    )


def of_postmortem(session: Session, postmortem_id: int) -> list[Action]:
    return list(
        session.scalars(
            select(Action).where(Action.postmortem_id == postmortem_id).order_by(Action.id)
        )
    )
