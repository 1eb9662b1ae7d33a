"""What the read-only commands say: who is on call now, next, for a person, the ledger, changes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plugins.oncall.availability import resting
from plugins.oncall.generate import ledger, shifts_between
from plugins.oncall.models import (
    APPLIED,
    COVER,
    OPEN,
    OVERRIDE,
    ROTA_KINDS,
    SWAP,
    UNAVAILABLE,
    Entry,
)
from plugins.oncall.periods import Period, fmt_hours, shift_bounds
from plugins.oncall.settings import ROLES, OncallSection
from plugins.oncall.timeline import current, person_segments, planned_from, planned_until, timeline

if TYPE_CHECKING:
    from core.runtime import Runtime


def _name(runtime: Runtime, person: str | None) -> str:
    if person is None:
        return "nobody"
    known = runtime.process.person(person)
    return f"{known.name} ({person})" if known else person


def now(runtime: Runtime, session: Session, section: OncallSection) -> str:
    """``!oncall``: both roles now and until when, the on-call window, and who is resting."""
    at = runtime.clock.now()
    if not section.members:
        return "The on-call rota has no members ([oncall] members in the process file)."
    holders = {role: current(session, role, at) for role in ROLES}
    if not any(holders.values()):
        first = planned_from(session)
        starts = (
            f" The rota starts {runtime.calendars.format(first)}." if first and first > at else ""
        )
        return f"Nobody is on call now.{starts}"
    lines = [f"On call now ({runtime.calendars.format(at)}), {_window(runtime, at)}:"]
    for role, segment in holders.items():
        person = segment.person if segment else None
        until = f" until {runtime.calendars.format(segment.end)}" if segment else ""
        lines.append(f"- {role}: {_name(runtime, person)}{until}")
    for person, until in sorted(resting(session, section, at).items()):
        lines.append(
            f"- {person} is resting after out-of-hours work until {runtime.calendars.format(until)}"
        )
    return "\n".join(lines)


def _window(runtime: Runtime, at: datetime) -> str:
    window = runtime.calendars.oncall
    if window.is_open(at):
        closing = window.next_closing(at)
        return (
            f"in on-call hours until {runtime.calendars.format(closing)}"
            if closing
            else "in on-call hours"
        )
    opening = window.next_opening(at)
    return (
        f"outside on-call hours (they resume {runtime.calendars.format(opening)})"
        if opening
        else "outside on-call hours"
    )


def for_person(runtime: Runtime, session: Session, section: OncallSection, person: str) -> str:
    """``!oncall @person``: their stretches on call from now on, rest, and their ledger."""
    tz, at = runtime.calendars.tz, runtime.clock.now()
    end = planned_until(session)
    segments = []
    if end is not None and end > at:
        since = shift_bounds(section, tz, at).start
        segments = [s for s in person_segments(session, person, since, end) if s.end > at]
    if person not in section.members and not segments:
        return f"{_name(runtime, person)} is not on the on-call rota."
    lines = [f"On-call rota for {_name(runtime, person)}:"]
    for segment in segments[:4]:
        marker = " (now)" if segment.start <= at else ""
        lines.append(
            f"- {segment.role} {runtime.calendars.format(segment.start)} to {runtime.calendars.format(segment.end)}{marker}"
        )
    if not segments:
        lines.append(
            f"- no shifts planned up to {runtime.calendars.format(end)}"
            if end
            else "- no shifts planned yet"
        )
    rest = resting(session, section, at).get(person)
    if rest is not None:
        lines.append(f"- resting after out-of-hours work until {runtime.calendars.format(rest)}")
    if person in section.new_to_oncall:
        lines.append("- new to on-call: always paired with an experienced secondary")
    so_far, in_all = _ledgers(runtime, session, section)
    lines.append(
        f"- ledger: {fmt_hours(sum(so_far.get(person, {}).values()))} h on call so far, "
        f"{fmt_hours(sum(in_all.get(person, {}).values()))} h including what is planned"
    )
    return "\n".join(lines)


def _ledgers(
    runtime: Runtime, session: Session, section: OncallSection
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """The ledger up to now and up to the end of the plan."""
    first, end, at = planned_from(session), planned_until(session), runtime.clock.now()
    if first is None or end is None:
        return {}, {}
    return (
        ledger(session, runtime.calendars, section, first, max(first, min(at, end))),
        ledger(session, runtime.calendars, section, first, end),
    )


def next_shifts(runtime: Runtime, session: Session, count: int) -> str:
    """``!oncall next``: the next ``count`` shifts after the current one, changes included."""
    at = runtime.clock.now()
    end = planned_until(session)
    shifts = [s for s in shifts_between(session, at, end) if s.start > at][:count] if end else []
    if not shifts:
        return "No on-call shifts are planned after this one."
    title = "Next on-call shift:" if count == 1 else f"Next {len(shifts)} on-call shifts:"
    lines = [title]
    for shift in shifts:
        roles = ", ".join(_holders(runtime, session, role, shift) for role in ROLES)
        lines.append(
            f"- {runtime.calendars.format(shift.start)} to {runtime.calendars.format(shift.end)}: {roles}"
        )
    return "\n".join(lines)


def _holders(runtime: Runtime, session: Session, role: str, shift: Period) -> str:
    """``primary carol; erin from 2026-12-05 00:00; carol from 2026-12-07 00:00``."""
    segments = timeline(session, role, shift.start, shift.end)
    if not segments:
        return f"{role} nobody"
    later = [
        f"{s.person or 'nobody'} from {runtime.calendars.format(s.start)}" for s in segments[1:]
    ]
    return "; ".join([f"{role} {segments[0].person or 'nobody'}", *later])


def ledger_text(runtime: Runtime, session: Session, section: OncallSection) -> str:
    """``!oncall ledger``: credited hours per member, so far and including the plan."""
    end = planned_until(session)
    if not section.members or end is None:
        return "Nothing is planned yet, so the ledger is empty."
    so_far, in_all = _ledgers(runtime, session, section)
    lines = [f"On-call ledger (credited hours; planned up to {runtime.calendars.format(end)}):"]
    for person in section.members:
        mine = in_all.get(person, dict.fromkeys(ROLES, 0.0))
        lines.append(
            f"- {person}: {fmt_hours(sum(so_far.get(person, {}).values()))} h so far, "
            f"{fmt_hours(sum(mine.values()))} h in all "
            f"(primary {fmt_hours(mine['primary'])}, secondary {fmt_hours(mine['secondary'])})"
        )
    return "\n".join(lines)


def entries_text(runtime: Runtime, session: Session) -> str:
    """``!oncall changes``: open cover requests and changes in force from now on."""
    at = runtime.clock.now()
    entries = session.scalars(
        select(Entry)
        .where(
            Entry.ends_at > at,
            or_(
                Entry.state == OPEN,
                (Entry.state == APPLIED) & Entry.kind.in_((*ROTA_KINDS, UNAVAILABLE)),
            ),
        )
        .order_by(Entry.starts_at, Entry.id)
    ).all()
    if not entries:
        return "No on-call changes or cover requests from now on."
    lines = ["On-call changes from now on:"]
    for entry in entries:
        state = " (open)" if entry.state == OPEN else ""
        lines.append(
            f"- {entry.id}: {describe(entry)}{state}, {runtime.calendars.format(entry.starts_at)} to {runtime.calendars.format(entry.ends_at)}"
        )
    return "\n".join(lines)


def describe(entry: Entry) -> str:
    """One entry in a few words: ``carol is primary``, ``erin covers bob``."""
    if entry.kind == OVERRIDE:
        return f"{entry.person} is {entry.role}"
    if entry.kind == SWAP:
        return f"{entry.person} and {entry.other} swap"
    if entry.kind == COVER:
        return (
            f"{entry.other} covers {entry.person}"
            if entry.other
            else f"{entry.person} asks for cover"
        )
    if entry.kind == UNAVAILABLE:
        return f"{entry.person} is unavailable for on-call"
    return f"{entry.person} worked out of hours"
