"""The review meeting: proposed when the draft is made, set by the team, reminded the day before.

The proposal is the first of the next ``review_within_days`` working days on which none of the
participants (the owner and the incident's role holders) is on leave, at ``review_time`` if that
is inside working hours. Leave is known only through ``dutybot_leave`` (the rota plugin).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from core.runtime import Runtime
from core.scheduler import Job
from plugins.postmortem.models import Postmortem
from plugins.postmortem.report import section

JOB = "postmortem.review_reminder"


def participants(postmortem: Postmortem) -> list[str]:
    """Who should be at the review: the owner and whoever held a role in the incident."""
    people = set(postmortem.roles.values())
    if postmortem.owner:
        people.add(postmortem.owner)
    return sorted(people)


def on_leave(runtime: Runtime, people: list[str], day: date) -> bool:
    spans = runtime.hook.dutybot_leave(runtime=runtime, people=people, first=day, last=day)
    return any(spans)


def propose(runtime: Runtime, postmortem: Postmortem) -> datetime | None:
    """The earliest working-day slot within the limit when every participant is in, or None."""
    settings = section(runtime)
    calendars = runtime.calendars
    people = participants(postmortem)
    day = calendars.local(runtime.clock.now()).date()
    for _ in range(settings.review_within_days):
        day = calendars.next_working_day(day)
        at = datetime.combine(day, settings.review_time, tzinfo=calendars.tz)
        if calendars.working.is_open(at) and not on_leave(runtime, people, day):
            return at
    return None


def proposal_text(runtime: Runtime, postmortem: Postmortem) -> str:
    """The sentence of the draft note about the review."""
    change = f"!postmortem review {postmortem.id} YYYY-MM-DD HH:MM"
    if postmortem.review_at is None:
        days = section(runtime).review_within_days
        return (
            f"I found no time for the review within {days} working days when everyone involved "
            f"is in; set one with {change}."
        )
    names = [person_name(runtime, p) for p in participants(postmortem)]
    return (
        f"Proposed review: {runtime.calendars.format(postmortem.review_at)} with "
        f"{', '.join(names)}; change it with {change}."
    )


def person_name(runtime: Runtime, person_id: str) -> str:
    person = runtime.process.person(person_id)
    return person.name if person else person_id


def remind(runtime: Runtime, fire: datetime) -> None:
    """Remind each owner of a review happening tomorrow (local date)."""
    tz = runtime.calendars.tz
    tomorrow = runtime.calendars.local(fire).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(tomorrow + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    with runtime.db.session() as session:
        due = session.scalars(
            select(Postmortem)
            .where(Postmortem.review_at >= start, Postmortem.review_at < end)
            .where(Postmortem.owner.is_not(None))
            .order_by(Postmortem.review_at, Postmortem.id)
        ).all()
        for postmortem in due:
            runtime.chat.post(
                postmortem.owner,
                f"Reminder: the review of postmortem {postmortem.id} ({postmortem.title}) is "
                f"tomorrow at {runtime.calendars.format(postmortem.review_at)}. "
                f"Read the draft with !postmortem {postmortem.id}.",
                key=f"postmortem:{postmortem.id}:review-reminder:{tomorrow.isoformat()}",
                session=session,
            )


def jobs(runtime: Runtime) -> list[Job]:
    """The daily reminder, at the review time, for the next day's reviews."""
    at = section(runtime).review_time
    return [Job(JOB, f"{at.minute} {at.hour} * * *", lambda fire: remind(runtime, fire))]
