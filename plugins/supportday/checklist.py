"""The start-of-day checklist: posted at 09:00, stored, claimed, ticked, and nudged at 09:30."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.commands import CommandError, UsageError
from plugins.supportday import contributions, notes
from plugins.supportday.models import Checklist, ChecklistItem
from plugins.supportday.settings import section
from plugins.supportday.texts import (
    SUPPORT,
    holders,
    instant,
    local_day,
    mentions,
    render,
    show_day,
    text,
    today,
)

if TYPE_CHECKING:
    from core.process import Person
    from core.runtime import Runtime


def post(runtime: Runtime, fire_time: datetime) -> None:
    """The 09:00 job: store the day's checklist and post it to the team channel, once."""
    day = local_day(runtime, fire_time)
    engineers = holders(runtime, SUPPORT, fire_time)
    lines = [render(runtime, item) for item in section(runtime).checklist]
    lines += contributions.collect(runtime, runtime.hook.dutybot_checklist_items, day=day)
    with runtime.db.session() as session:
        if find(session, day) is not None:
            return
        checklist = Checklist(day=day, posted_at=runtime.clock.now(), engineers=engineers)
        session.add(checklist)
        session.flush()
        session.add_all(
            ChecklistItem(checklist_id=checklist.id, position=n, text=line)
            for n, line in enumerate(lines, start=1)
        )
        notes.carry_into_checklist(session, checklist.id, fire_time)
        numbered = [f"{n}. {line}" for n, line in enumerate(lines, start=1)]
        body = [
            text(
                runtime,
                "checklist_header",
                day=show_day(day),
                engineers=mentions(runtime, engineers),
            ),
            *numbered,
            text(runtime, "checklist_footer"),
        ]
        runtime.chat.post(
            "team", "\n".join(body), key=f"supportday:checklist:{day}", session=session
        )


def nudge(runtime: Runtime, fire_time: datetime) -> None:
    """The 09:30 job: if nobody has claimed or ticked the day's checklist, say so, once."""
    day = local_day(runtime, fire_time)
    with runtime.db.session() as session:
        checklist = find(session, day)
        if checklist is None or checklist.claimed_by or any(i.done_by for i in checklist.items):
            return
        message = text(
            runtime,
            "nudge",
            day=show_day(day),
            engineers=mentions(runtime, holders(runtime, SUPPORT, fire_time)),
        )
        runtime.chat.post("team", message, key=f"supportday:nudge:{day}", session=session)


def find(session: Session, day: date) -> Checklist | None:
    return session.scalar(select(Checklist).where(Checklist.day == day))


def todays(runtime: Runtime, session: Session) -> Checklist:
    """Today's checklist, or a reply saying why there is none (yet)."""
    day = today(runtime)
    checklist = find(session, day)
    if checklist is not None:
        return checklist
    due = next_posting(runtime)
    if local_day(runtime, due) == day:
        raise CommandError(
            f"Today's checklist ({show_day(day)}) is posted at {runtime.calendars.format(due)}."
        )
    if runtime.calendars.is_working_day(day):
        raise CommandError(f"There is no checklist for today ({show_day(day)}): it was not posted.")
    raise CommandError(
        f"Today ({show_day(day)}) is not a working day, so there is no checklist. "
        f"The next one is posted at {runtime.calendars.format(due)}."
    )


def next_posting(runtime: Runtime) -> datetime:
    """When the next checklist is due: today's if still to come, else the next working day's."""
    day, at = today(runtime), section(runtime).checklist_at
    if runtime.calendars.is_working_day(day) and instant(runtime, day, at) > runtime.clock.now():
        return instant(runtime, day, at)
    return instant(runtime, runtime.calendars.next_working_day(day), at)


def show(runtime: Runtime) -> str:
    """Today's checklist with who claimed it and who ticked what."""
    with runtime.db.session() as session:
        checklist = todays(runtime, session)
        return describe(runtime, checklist)


def describe(runtime: Runtime, checklist: Checklist) -> str:
    """The checklist as ``!checklist`` shows it: people by id, so looking does not notify them."""
    claim = (
        f"claimed by {checklist.claimed_by} at {runtime.calendars.format(checklist.claimed_at)}"
        if checklist.claimed_by and checklist.claimed_at
        else "not claimed yet"
    )
    nobody = section(runtime).texts.nobody
    lines = [
        f"Support checklist for {show_day(checklist.day)} "
        f"(on support: {', '.join(checklist.engineers) or nobody}), {claim}:"
    ]
    for item in checklist.items:
        if item.done_by and item.done_at:
            lines.append(
                f"{item.position}. [x] {item.text} ({item.done_by} at {runtime.calendars.format(item.done_at)})"
            )
        else:
            lines.append(f"{item.position}. [ ] {item.text}")
    done = sum(1 for item in checklist.items if item.done_by)
    lines.append(f"{done} of {len(checklist.items)} done.")
    return "\n".join(lines)


def tick(runtime: Runtime, person: Person, words: list[str]) -> str:
    """Tick items of today's checklist by number; all or nothing, recorded with who and when."""
    if not words or not all(word.isdigit() for word in words):
        raise UsageError("Give the number of each item you have done, e.g. `done 2` or `done 1 3`.")
    numbers = sorted({int(word) for word in words})
    now = runtime.clock.now()
    with runtime.db.session() as session:
        checklist = todays(runtime, session)
        items = {item.position: item for item in checklist.items}
        missing = [n for n in numbers if n not in items]
        if missing:
            has = f"items 1 to {len(items)}" if items else "no items"
            raise UsageError(
                f"There is no item {', '.join(map(str, missing))}: today's checklist has {has}."
            )
        for n in numbers:
            ticked = session.execute(
                update(ChecklistItem)
                .where(ChecklistItem.id == items[n].id, ChecklistItem.done_by.is_(None))
                .values(done_by=person.id, done_at=now)
            )
            if ticked.rowcount == 0:  # ticked since we read it; leaving rolls back our ticks
                item = items[n]
                session.refresh(item)
                raise CommandError(
                    f"Item {n} was already ticked by {item.done_by} at "
                    f"{runtime.calendars.format(item.done_at)}; nothing changed."
                )
            runtime.audit(
                session, person.id, "checklist.done", str(checklist.day), f"{n}. {items[n].text}"
            )
        total = len(items)
        done = session.scalar(
            select(func.count())
            .select_from(ChecklistItem)
            .where(ChecklistItem.checklist_id == checklist.id, ChecklistItem.done_by.is_not(None))
        )
    ticked_text = "; ".join(f"{n}. {items[n].text}" for n in numbers)
    progress = "All done, thank you!" if done == total else f"{done} of {total} done."
    return f"Ticked {ticked_text}. {progress}"


def claim(runtime: Runtime, person: Person) -> str:
    """Take today's checklist; the first to claim it keeps it."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        checklist = todays(runtime, session)
        claimed = session.execute(
            update(Checklist)
            .where(Checklist.id == checklist.id, Checklist.claimed_by.is_(None))
            .values(claimed_by=person.id, claimed_at=now)
        )
        if claimed.rowcount == 0:
            session.refresh(checklist)
            who = "You" if checklist.claimed_by == person.id else checklist.claimed_by
            raise CommandError(
                f"{who} already claimed the checklist for {show_day(checklist.day)} at "
                f"{runtime.calendars.format(checklist.claimed_at)}."
            )
        runtime.audit(session, person.id, "checklist.claim", str(checklist.day))
    return f"You have claimed the checklist for {show_day(checklist.day)}. Thank you!"
