"""Working-day reminders: overdue review actions, and drafts nobody has published.

A postmortem is only useful once its actions are done and it is published; both drift without
a nudge. Each reminder goes to its owner by direct message once per working day (post keys
carry the date, so a restart or a second replica does not repeat it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.scheduler import Job
from plugins.postmortem.models import Action, Postmortem
from plugins.postmortem.service import section

if TYPE_CHECKING:
    from core.runtime import Runtime

JOB = "postmortem.reminders"


def remind(runtime: Runtime, fire: datetime) -> None:
    today = runtime.calendars.local(fire).date()
    stale_before = fire - timedelta(days=section(runtime).remind_unpublished_after_days)
    with runtime.db.session() as session:
        overdue = session.scalars(
            select(Action).where(Action.done_at.is_(None), Action.due < today).order_by(Action.id)
        ).all()
        for action in overdue:
            runtime.chat.post(
                action.owner,
                f"Reminder: action {action.id} of postmortem {action.postmortem_id} was due "
                f"{action.due.isoformat()}: {action.text}. When it is done: !action done {action.id}.",
                key=f"postmortem:action:{action.id}:overdue:{today.isoformat()}",
                session=session,
            )
        drafts = session.scalars(
            select(Postmortem)
            .where(Postmortem.published_at.is_(None), Postmortem.created_at < stale_before)
            .order_by(Postmortem.id)
        ).all()
        for draft in drafts:
            days = (fire - draft.created_at).days
            runtime.chat.post(
                draft.owner or "team",
                f"Postmortem {draft.id} ({draft.title}) is still a draft after {days} days. "
                f"Finish it and publish it with !postmortem publish {draft.id}.",
                key=f"postmortem:{draft.id}:unpublished:{today.isoformat()}",
                session=session,
            )


def jobs(runtime: Runtime) -> list[Job]:
    at = section(runtime).reminder_time
    return [
        Job(JOB, f"{at.minute} {at.hour} * * *", lambda fire: remind(runtime, fire), days="working")
    ]
