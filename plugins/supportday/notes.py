"""Handover notes: collected with ``!handover add``, carried by the next handover or checklist.

Notes written in the day wait for the 18:00 handover to on-call; notes written after it (by
the on-call engineer, at night or over a weekend) wait for the next 09:00 checklist. Each note
is carried exactly once, by whichever of the two runs first after it was written.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.commands import UsageError
from plugins.supportday.models import HandoverNote
from plugins.supportday.settings import section
from plugins.supportday.texts import instant, text, today

if TYPE_CHECKING:
    from datetime import date

    from core.process import Person
    from core.runtime import Runtime

MAX_NOTE = 2000


def add(runtime: Runtime, person: Person, note: str) -> str:
    note = note.strip()
    if not note:
        raise UsageError("Write the note after `handover add`.")
    if len(note) > MAX_NOTE:
        raise UsageError(f"A note can be at most {MAX_NOTE} characters; this one has {len(note)}.")
    with runtime.db.session() as session:
        session.add(HandoverNote(added_at=runtime.clock.now(), author=person.id, text=note))
        runtime.audit(session, person.id, "handover.add", "", note)
        count = len(waiting(session, runtime.clock.now()))
    what, when = next_delivery(runtime)
    return f"Noted. {count_notes(count)} waiting for {what} at {runtime.calendars.format(when)}."


def waiting(session: Session, until: datetime) -> list[HandoverNote]:
    """Notes written up to ``until`` that no handover or checklist has carried yet, oldest first."""
    return list(
        session.scalars(
            select(HandoverNote)
            .where(
                HandoverNote.handover_id.is_(None),
                HandoverNote.checklist_id.is_(None),
                HandoverNote.added_at <= until,
            )
            .order_by(HandoverNote.added_at, HandoverNote.id)
        )
    )


def carry_into_checklist(session: Session, checklist_id: int, until: datetime) -> None:
    _carry(session, until, checklist_id=checklist_id)


def carry_into_handover(session: Session, handover_id: int, until: datetime) -> None:
    _carry(session, until, handover_id=handover_id)


def _carry(session: Session, until: datetime, **carrier: int) -> None:
    session.execute(
        update(HandoverNote)
        .where(
            HandoverNote.handover_id.is_(None),
            HandoverNote.checklist_id.is_(None),
            HandoverNote.added_at <= until,
        )
        .values(**carrier)
        .execution_options(synchronize_session=False)
    )


def line(runtime: Runtime, note: HandoverNote, template: str) -> str:
    """A note as the texts ``checklist_note`` or ``handover_note`` show it."""
    return text(
        runtime,
        template,
        author=note.author,
        added=runtime.calendars.format(note.added_at),
        note=note.text,
    )


def checklist_lines(runtime: Runtime, day: date) -> list[str]:
    """The notes the 09:00 checklist of ``day`` will carry: those written since the last handover."""
    with runtime.db.session() as session:
        notes = waiting(session, instant(runtime, day, section(runtime).checklist_at))
    return [line(runtime, note, "checklist_note") for note in notes]


def next_delivery(runtime: Runtime) -> tuple[str, datetime]:
    """What carries a note written now, and when: today's handover, or the next checklist."""
    settings, now, day = section(runtime), runtime.clock.now(), today(runtime)
    working = runtime.calendars.is_working_day(day)
    if working and now < instant(runtime, day, settings.checklist_at):
        return "the checklist", instant(runtime, day, settings.checklist_at)
    if working and now < instant(runtime, day, settings.handover_at):
        return "the handover to on-call", instant(runtime, day, settings.handover_at)
    return "the checklist", instant(
        runtime, runtime.calendars.next_working_day(day), settings.checklist_at
    )


def show(runtime: Runtime) -> str:
    """The notes waiting now, and what will carry them."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        notes = waiting(session, now)
    what, when = next_delivery(runtime)
    if not notes:
        return (
            f"No handover notes yet; notes added now go to {what} at {runtime.calendars.format(when)}. "
            "Add one with `!handover add <text>`."
        )
    lines = [f"{count_notes(len(notes))} waiting for {what} at {runtime.calendars.format(when)}:"]
    lines += [f"- {line(runtime, note, 'handover_note')}" for note in notes]
    return "\n".join(lines)


def count_notes(n: int) -> str:
    return f"{n} note" if n == 1 else f"{n} notes"
