"""The rota's chat commands: queries (``!support``, ``!rota``), changes, leave and cover.

Who may do what (``[acl]`` in the process file):

- ``rota.change`` (default: the whole team) changes your own shifts: swap them, ask for cover,
  accept someone's cover request, set support-channel cover on a day you are on support, record
  and remove your own leave, undo a change you made;
- ``rota.override`` (default: the ``leads`` group) does the same for anyone, and ``!rota
  override`` puts someone on support.

Days are ``YYYY-MM-DD``, ``YYYY-MM-DD..YYYY-MM-DD`` (inclusive), ``today`` or ``tomorrow``;
changes never reach into the past.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.commands import Command, CommandContext, CommandError, Permission, UsageError
from core.process import Person
from plugins.rota.cover import CoverSpan, hhmm, support_ranges
from plugins.rota.models import (
    ACTIVE,
    COVER,
    OPEN,
    OVERRIDE,
    SWAP,
    UNDONE,
    CoverSlot,
    Leave,
    RotaChange,
)
from plugins.rota.schedule import RotaDay
from plugins.rota.service import SupportRotaService, rota_of
from plugins.rota.text import (
    long_day,
    looks_like_days,
    moment,
    parse_days,
    parse_times,
    roster_text,
    runs,
    short_day,
    span,
    spans_of,
)

FEATURE = "Rota"
CHANGE = Permission(
    "rota.change", "change your own support shifts, cover and leave", default=("team",)
)
OVERRIDE_ANYONE = Permission(
    "rota.override", "change anyone's support shifts, cover and leave", default=("leads",)
)
HORIZON_WEEKS = 12
"""How far ahead ``!rota @person`` and ``!whoami`` look for someone's shifts."""


# -- helpers --------------------------------------------------------------------------------


def _need_override(ctx: CommandContext, what: str) -> None:
    ctx.require_permission(OVERRIDE_ANYONE, what)


def _when(first: date, last: date) -> str:
    return f"on {first}" if first == last else f"between {first} and {last}"


def _number(ctx: CommandContext, what: str) -> int:
    words = ctx.words()
    if len(words) != 1 or not words[0].lstrip("#").isdigit():
        raise UsageError(f"Give the number of the {what}.")
    return int(words[0].lstrip("#"))


def describe_change(change: RotaChange) -> str:
    days = span(change.first_day, change.last_day)
    if change.kind == SWAP:
        return f"swap #{change.id}: {change.person} and {change.other}, {days}"
    if change.kind == COVER:
        if change.other is None:
            return f"cover request #{change.id}: {change.person} needs cover, {days}"
        return f"cover #{change.id}: {change.other} covers {change.person}, {days}"
    if change.person is not None:
        return f"override #{change.id}: {change.other} instead of {change.person}, {days}"
    return f"override #{change.id}: {change.other} on support, {days}"


def _record(
    ctx: CommandContext,
    session: Session,
    kind: str,
    person: str | None,
    other: str | None,
    days: tuple[date, date],
    status: str = ACTIVE,
) -> int:
    """Store a change made by the sender and audit it (``rota.swap`` …); returns its number."""
    me = ctx.require_person()
    change = RotaChange(
        kind=kind,
        person=person,
        other=other,
        first_day=days[0],
        last_day=days[1],
        status=status,
        created_by=me.id,
        created_at=ctx.runtime.clock.now(),
    )
    session.add(change)
    session.flush()
    ctx.runtime.audit(session, me.id, f"rota.{kind}", f"#{change.id}", describe_change(change))
    return change.id


# -- queries --------------------------------------------------------------------------------


def support(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`support` takes no arguments.")
    rota = rota_of(ctx.runtime)
    calendars = rota.calendars
    now, today = rota.now(), rota.today()
    window = calendars.support
    lines: list[str] = []
    opening = None
    if window.is_open(now):
        closing = window.next_closing(now)
        lines.append(
            f"Support is open until {_until(rota, closing)}." if closing else "Support is open."
        )
    else:
        opening = window.next_opening(now)
        lines.append(
            f"Support is closed; it reopens {_at(rota, opening)}."
            if opening
            else "Support is closed."
        )
    lines.append(_today_line(rota.day(today)))
    if opening is None:
        lines.append(_cover_line(rota.cover_at(now)))
    else:
        reopen_day = calendars.local(opening).date()
        if reopen_day != today:
            lines.append(_reopen_line(rota.day(reopen_day)))
    return "\n".join(line for line in lines if line)


def _at(rota: SupportRotaService, instant: datetime) -> str:
    """``today at 10:00`` or ``on Monday 2026-12-07 at 10:00``."""
    local = rota.calendars.local(instant)
    if local.date() == rota.today():
        return f"today at {local:%H:%M}"
    return f"on {long_day(local.date())} at {local:%H:%M}"


def _until(rota: SupportRotaService, instant: datetime) -> str:
    """``17:00`` or, when support stays open past today, ``Tuesday 2026-12-01 17:00``."""
    local = rota.calendars.local(instant)
    if local.date() == rota.today():
        return f"{local:%H:%M}"
    return f"{long_day(local.date())} {local:%H:%M}"


def _today_line(day: RotaDay) -> str:
    if not day.working:
        why = f"a holiday: {day.holiday}" if day.holiday else "not a working day"
        return f"Nobody is on support today ({long_day(day.day)} is {why})."
    return f"On support today ({long_day(day.day)}): {roster_text(day)}."


def _reopen_line(day: RotaDay) -> str:
    return f"On support when it reopens ({long_day(day.day)}): {roster_text(day)}."


def _cover_line(covering: CoverSpan | None) -> str:
    if covering is None:
        return ""
    if covering.problem is None:
        return f"Covering the support channel now: {covering.person} (until {hhmm(covering.end)})."
    return f"Covering the support channel now: nobody ({covering.problem}); arrange it with !cover."


def rota(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) > 1:
        raise UsageError("Name at most one person.")
    service = rota_of(ctx.runtime)
    if words:
        return _next_shifts(service, ctx.person_arg(words[0]))
    today = service.today()
    monday = today - timedelta(days=today.weekday())
    working = service.calendars.working.schedule
    shown = [
        d
        for d in service.days(monday, monday + timedelta(days=13))
        if d.working or working.ranges_for(d.day.weekday(), False)
    ]
    lines = [f"{short_day(d.day)}: {roster_text(d)}" for d in shown]
    return "\n".join(["Support rota, this week and next:", *lines])


def _next_shifts(service: SupportRotaService, person: Person) -> str:
    today = service.today()
    days = service.days(today, today + timedelta(weeks=HORIZON_WEEKS, days=-1))
    labelled: list[tuple[date, str]] = []
    for rota_day in days:
        for index, shift in enumerate(rota_day.shifts):
            if shift.person == person.id:
                notes = (["lead"] if index == 0 else []) + ([shift.note] if shift.note else [])
                labelled.append((rota_day.day, "; ".join(notes)))
    if not labelled:
        return f"{person.id} has no support shifts in the next {HORIZON_WEEKS} weeks."
    lines = []
    for label in dict.fromkeys(label for _, label in labelled):
        for first, last in runs([d for d, lab in labelled if lab == label], service.calendars):
            lines.append((first, f"- {span(first, last)}" + (f" ({label})" if label else "")))
    lines.sort()
    header = f"{person.id}'s support shifts in the next {HORIZON_WEEKS} weeks:"
    return "\n".join([header, *(text for _, text in lines)])


def fairness(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`rota fairness` takes no arguments.")
    service = rota_of(ctx.runtime)
    today, start = service.today(), service.settings.start
    if today <= start:
        return f"The support rota starts on {start}; nobody has served yet."
    served = service.generate(today - timedelta(days=1)).served(today)
    members = list(service.settings.members)
    people = members + sorted(set(served) - set(members))
    order = sorted(people, key=lambda p: (served[p], people.index(p)))
    lines = [f"- {p}: {served[p]}" for p in order]
    header = (
        f"Support days served from {start} to {today - timedelta(days=1)} "
        "(who has served least fills the next gap):"
    )
    return "\n".join([header, *lines])


def changes(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`rota changes` takes no arguments.")
    service = rota_of(ctx.runtime)
    with ctx.runtime.db.session() as session:
        rows = session.scalars(
            select(RotaChange)
            .where(RotaChange.status.in_((OPEN, ACTIVE)), RotaChange.last_day >= service.today())
            .order_by(RotaChange.id)
        ).all()
    if not rows:
        return "No rota changes from today on."
    lines = []
    for row in rows:
        line = f"- {describe_change(row)} (by {row.created_by} at {moment(service.calendars, row.created_at)})"
        if row.status == OPEN:
            line += f"; take it with {ctx.prefix}rota accept {row.id}"
        lines.append(line)
    return "\n".join(["Rota changes from today on:", *lines])


# -- changes --------------------------------------------------------------------------------


def swap(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 3:
        raise UsageError("Name two people and the days they swap.")
    a, b = ctx.person_arg(words[0]), ctx.person_arg(words[1])
    if a.id == b.id:
        raise UsageError("Name two different people.")
    service = rota_of(ctx.runtime)
    first, last = parse_days(words[2], service.today())
    me = ctx.require_person()
    if me.id not in (a.id, b.id):
        _need_override(ctx, "swapping other people's shifts")
    with ctx.runtime.db.session() as session:
        days = service.days(first, last, session)
        a_days = [d.day for d in days if a.id in d.people and b.id not in d.people]
        b_days = [d.day for d in days if b.id in d.people and a.id not in d.people]
        if not a_days and not b_days:
            if any(a.id in d.people for d in days):
                raise CommandError(
                    f"{a.id} and {b.id} are on support on the same days {_when(first, last)}, "
                    "so swapping changes nothing."
                )
            raise CommandError(
                f"Neither {a.id} nor {b.id} is on support {_when(first, last)}, so there is nothing to swap."
            )
        for person, days_taken in ((b, a_days), (a, b_days)):
            away = service.leave_days(session, person.id, days_taken)
            if away:
                raise CommandError(
                    f"{person.id} is on leave on {spans_of(away, service.calendars)}."
                )
        number = _record(ctx, session, SWAP, a.id, b.id, (first, last))
    moves = [
        f"{taker.id} serves instead of {giver.id} on {spans_of(taken, service.calendars)}"
        for taker, giver, taken in ((b, a, a_days), (a, b, b_days))
        if taken
    ]
    return f"Swap #{number} recorded: {', and '.join(moves)}. Undo with {ctx.prefix}rota undo {number}."


def cover_request(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give the day or days you need cover for.")
    service = rota_of(ctx.runtime)
    first, last = parse_days(words[0], service.today())
    me = ctx.require_person()
    with ctx.runtime.db.session() as session:
        mine = [d.day for d in service.days(first, last, session) if me.id in d.people]
        if not mine:
            raise CommandError(
                f"You are not on support {_when(first, last)}, so there is nothing to cover."
            )
        number = _record(ctx, session, COVER, me.id, None, (first, last), OPEN)
    return (
        f"Cover request #{number}: {me.id} needs someone to take their support shifts on "
        f"{spans_of(mine, service.calendars)}. Anyone can take it with {ctx.prefix}rota accept {number}."
    )


def accept(ctx: CommandContext) -> str:
    number = _number(ctx, "cover request to accept")
    me = ctx.require_person()
    service = rota_of(ctx.runtime)
    today = service.today()
    with ctx.runtime.db.session() as session:
        change = session.get(RotaChange, number)
        if change is None or change.kind != COVER:
            raise CommandError(f"There is no cover request #{number}.")
        if change.status == UNDONE:
            raise CommandError(f"Cover request #{number} was withdrawn.")
        if change.status == ACTIVE:
            raise CommandError(f"Cover request #{number} was already accepted by {change.other}.")
        if change.person == me.id:
            raise CommandError(
                f"You cannot accept your own cover request; withdraw it with {ctx.prefix}rota undo {number}."
            )
        first, last = max(change.first_day, today), change.last_day
        if last < today:
            raise CommandError(f"Cover request #{number} is for days that have passed.")
        days = service.days(first, last, session)
        theirs = [d for d in days if change.person in d.people]
        if not theirs:
            raise CommandError(
                f"{change.person} is no longer on support {_when(first, last)}; nothing to cover."
            )
        clash = [d.day for d in theirs if me.id in d.people]
        if clash:
            raise CommandError(
                f"You are on support yourself on {spans_of(clash, service.calendars)}."
            )
        away = service.leave_days(session, me.id, (d.day for d in theirs))
        if away:
            raise CommandError(f"You are on leave on {spans_of(away, service.calendars)}.")
        taken = session.execute(
            update(RotaChange)
            .where(RotaChange.id == number, RotaChange.status == OPEN)
            .values(status=ACTIVE, other=me.id, first_day=first, accepted_at=service.now())
        )
        if taken.rowcount != 1:
            raise CommandError(f"Cover request #{number} was just taken by someone else.")
        ctx.runtime.audit(session, me.id, "rota.accept", f"#{number}", f"covers {change.person}")
    return (
        f"{me.id} covers {change.person} on {spans_of([d.day for d in theirs], service.calendars)} "
        f"(cover #{number}). Undo with {ctx.prefix}rota undo {number}."
    )


def override(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) not in (2, 3):
        raise UsageError("Name who goes on support, the days, and optionally whom they replace.")
    on = ctx.person_arg(words[0])
    service = rota_of(ctx.runtime)
    first, last = parse_days(words[1], service.today())
    off = ctx.person_arg(words[2]) if len(words) == 3 else None
    if off is not None and off.id == on.id:
        raise UsageError("Name two different people.")
    with ctx.runtime.db.session() as session:
        working = [d for d in service.days(first, last, session) if d.working]
        if not working:
            raise CommandError(f"There are no working days {_when(first, last)}.")
        if off is not None:
            target = [d.day for d in working if off.id in d.people]
            if not target:
                raise CommandError(
                    f"{off.id} is not on support {_when(first, last)}, so there is nobody to replace."
                )
        else:
            target = [d.day for d in working if on.id not in d.people]
            if not target:
                every = "" if first == last else " every working day"
                raise CommandError(f"{on.id} is already on support{every} {_when(first, last)}.")
        away = service.leave_days(session, on.id, target)
        if away:
            raise CommandError(f"{on.id} is on leave on {spans_of(away, service.calendars)}.")
        number = _record(ctx, session, OVERRIDE, off.id if off else None, on.id, (first, last))
    where = spans_of(target, service.calendars)
    what = f"instead of {off.id} on {where}" if off else f"on {where}, with the planned engineers"
    return f"Override #{number}: {on.id} is on support {what}. Undo with {ctx.prefix}rota undo {number}."


def undo(ctx: CommandContext) -> str:
    number = _number(ctx, "change to undo")
    me = ctx.require_person()
    service = rota_of(ctx.runtime)
    with ctx.runtime.db.session() as session:
        change = session.get(RotaChange, number)
        if change is None:
            raise CommandError(f"There is no rota change #{number}.")
        if change.status == UNDONE:
            raise CommandError(
                f"Change #{number} was already undone by {change.undone_by} at "
                f"{moment(service.calendars, change.undone_at)}."  # type: ignore[arg-type]
            )
        if change.last_day < service.today():
            raise CommandError(
                f"Change #{number} is over (its last day was {change.last_day}); the past stays as it was."
            )
        if change.created_by != me.id:
            _need_override(ctx, "undoing someone else's change")
        change.status, change.undone_by, change.undone_at = UNDONE, me.id, service.now()
        ctx.runtime.audit(session, me.id, "rota.undo", f"#{number}", describe_change(change))
    return f"Undid {describe_change(change)}."


# -- leave ----------------------------------------------------------------------------------


def leave_add(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) not in (1, 2):
        raise UsageError("Give the days of leave, and whose leave it is if not yours.")
    service = rota_of(ctx.runtime)
    first, last = parse_days(words[0], service.today())
    me = ctx.require_person()
    who = ctx.person_arg(words[1]) if len(words) == 2 else me
    if who.id != me.id:
        _need_override(ctx, "recording someone else's leave")
    with ctx.runtime.db.session() as session:
        overlap = session.scalars(
            select(Leave).where(
                Leave.person == who.id,
                Leave.removed_at.is_(None),
                Leave.first_day <= last,
                Leave.last_day >= first,
            )
        ).first()
        if overlap is not None:
            raise CommandError(
                f"That overlaps {who.id}'s leave #{overlap.id} ({span(overlap.first_day, overlap.last_day)})."
            )
        shifts = [d.day for d in service.days(first, last, session) if who.id in d.people]
        row = Leave(
            person=who.id,
            first_day=first,
            last_day=last,
            created_by=me.id,
            created_at=service.now(),
        )
        session.add(row)
        session.flush()
        ctx.runtime.audit(
            session, me.id, "leave.add", f"#{row.id}", f"{who.id} {span(first, last)}"
        )
    reply = f"Leave #{row.id} recorded: {who.id} is away {span(first, last)}."
    if shifts:
        reply += (
            f" That takes {who.id} off support on {spans_of(shifts, service.calendars)}; "
            f"see {ctx.prefix}rota for who fills in."
        )
    return reply


def leave_remove(ctx: CommandContext) -> str:
    number = _number(ctx, "leave to remove")
    me = ctx.require_person()
    service = rota_of(ctx.runtime)
    with ctx.runtime.db.session() as session:
        row = session.get(Leave, number)
        if row is None:
            raise CommandError(f"There is no leave #{number}.")
        if row.removed_at is not None:
            raise CommandError(
                f"Leave #{number} was already removed by {row.removed_by} at {moment(service.calendars, row.removed_at)}."
            )
        if row.person != me.id:
            _need_override(ctx, "removing someone else's leave")
        row.removed_by, row.removed_at = me.id, service.now()
        what = f"{row.person}, {span(row.first_day, row.last_day)}"
        ctx.runtime.audit(session, me.id, "leave.remove", f"#{number}", what)
    return f"Removed leave #{number}: {what}."


def leave_list(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) > 1:
        raise UsageError("Name at most one person.")
    who = ctx.person_arg(words[0]) if words else None
    service = rota_of(ctx.runtime)
    query = select(Leave).where(Leave.removed_at.is_(None), Leave.last_day >= service.today())
    if who is not None:
        query = query.where(Leave.person == who.id)
    with ctx.runtime.db.session() as session:
        rows = session.scalars(query.order_by(Leave.first_day, Leave.id)).all()
    whose = f" for {who.id}" if who else ""
    if not rows:
        return f"No leave{whose} from today on."
    lines = [
        f"- #{r.id} {r.person}: {span(r.first_day, r.last_day)} "
        f"(recorded by {r.created_by} at {moment(service.calendars, r.created_at)})"
        for r in rows
    ]
    return "\n".join([f"Leave{whose} from today on:", *lines])


# -- support-channel cover --------------------------------------------------------------------


def cover(ctx: CommandContext) -> str:
    words = ctx.words()
    service = rota_of(ctx.runtime)
    day = service.today()
    if words and looks_like_days(words[0]):
        if ".." in words[0]:
            raise UsageError("Give one day, not a range.")
        day, _ = parse_days(words.pop(0), day)
    if not words:
        return _cover_plan(service, day)
    if len(words) != 2:
        raise UsageError("Give a time range and who covers the support channel then.")
    start, end = parse_times(words[0])
    who = ctx.person_arg(words[1])
    ranges = support_ranges(service.calendars, day)
    if not ranges:
        raise CommandError(f"There are no support hours on {long_day(day)}.")
    if not any(s <= start and end <= e for s, e in ranges):
        hours = ", ".join(f"{hhmm(s)}-{hhmm(e)}" for s, e in ranges)
        raise CommandError(
            f"{words[0]} is not inside the support hours of {long_day(day)} ({hours})."
        )
    me = ctx.require_person()
    with ctx.runtime.db.session() as session:
        rota_day = service.day(day, session)
        if me.id not in rota_day.people:
            _need_override(ctx, "arranging cover on a day you are not on support")
        if who.id not in rota_day.people:
            on = ", ".join(rota_day.people) or "nobody"
            raise CommandError(f"{who.id} is not on support on {long_day(day)} (on support: {on}).")
        session.add(
            CoverSlot(
                day=day,
                start_minute=start,
                end_minute=end,
                person=who.id,
                created_by=me.id,
                created_at=service.now(),
            )
        )
        ctx.runtime.audit(
            session, me.id, "cover.set", f"{day}", f"{hhmm(start)}-{hhmm(end)} {who.id}"
        )
    return (
        f"{who.id} covers the support channel {hhmm(start)}-{hhmm(end)} on {long_day(day)}.\n"
        + _cover_plan(service, day)
    )


def _cover_plan(service: SupportRotaService, day: date) -> str:
    spans = service.cover_plan(day)
    if not spans:
        return f"There are no support hours on {long_day(day)}."
    return "\n".join(
        [f"Support-channel cover on {long_day(day)}:", *(f"- {s.describe()}" for s in spans)]
    )


def commands() -> list[Command]:
    return [
        Command(
            "support",
            FEATURE,
            "Who is on support today, who covers the support channel now, "
            "and whether support is open.",
            "support",
            support,
        ),
        Command(
            "rota",
            FEATURE,
            "The support rota this week and next, or someone's next shifts.",
            "rota [@person]",
            rota,
        ),
        Command(
            "rota fairness",
            FEATURE,
            "Days on support served per person (who fills gaps next).",
            "rota fairness",
            fairness,
        ),
        Command(
            "rota changes",
            FEATURE,
            "Swaps, cover and overrides from today on.",
            "rota changes",
            changes,
        ),
        Command(
            "rota swap",
            FEATURE,
            "Two people trade their support shifts on some days.",
            "rota swap @person @person DATE[..DATE]",
            swap,
            CHANGE,
        ),
        Command(
            "rota cover",
            FEATURE,
            "Ask for someone to take your support shifts on some days.",
            "rota cover DATE[..DATE]",
            cover_request,
            CHANGE,
        ),
        Command(
            "rota accept",
            FEATURE,
            "Take someone's shifts by accepting their cover request.",
            "rota accept ID",
            accept,
            CHANGE,
        ),
        Command(
            "rota override",
            FEATURE,
            "Put someone on support on some days (instead of someone).",
            "rota override @person DATE[..DATE] [@replaced]",
            override,
            OVERRIDE_ANYONE,
        ),
        Command(
            "rota undo",
            FEATURE,
            "Undo a swap, cover or override (or withdraw a cover request).",
            "rota undo ID",
            undo,
            CHANGE,
        ),
        Command(
            "leave add",
            FEATURE,
            "Record leave: nobody is put on support while away.",
            "leave add DATE[..DATE] [@person]",
            leave_add,
            CHANGE,
        ),
        Command(
            "leave remove",
            FEATURE,
            "Remove recorded leave.",
            "leave remove ID",
            leave_remove,
            CHANGE,
        ),
        Command("leave list", FEATURE, "Leave from today on.", "leave list [@person]", leave_list),
        Command(
            "cover",
            FEATURE,
            "Show or split the day's support-channel cover (default: the lead).",
            "cover [DATE] [HH:MM-HH:MM @person]",
            cover,
            CHANGE,
        ),
    ]
