"""The ``!oncall`` commands: reading the rota, changing it, cover, unavailability, work, pay.

Handlers read their arguments, call ``changes`` or ``views`` in one session, and add to the
reply any rota problem the change leaves in its period, so whoever made it can fix or undo it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from core.commands import Command, CommandContext, CommandError, Permission, UsageError
from plugins.oncall import feed, report, views
from plugins.oncall.availability import describe_days
from plugins.oncall.changes import Changes
from plugins.oncall.checks import problems
from plugins.oncall.models import APPLIED, WORKED
from plugins.oncall.periods import (
    Period,
    days_of,
    fmt_hours,
    parse_month,
    parse_period,
    parse_worked,
)
from plugins.oncall.settings import ROLES, OncallSection
from plugins.oncall.timeline import person_segments

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.runtime import Runtime

FEATURE = "On-call"
SECTION = "oncall"
CHANGE = Permission(
    "oncall.change",
    "change the on-call rota: overrides, swaps, and other people's entries",
    default=("leads",),
)
TAKE_PART = Permission(
    "oncall.cover", "ask for and accept on-call cover, record your own unavailability and work"
)
PAY = Permission("oncall.pay", "read on-call hours and pay", default=("admins",))


def section_of(runtime: Runtime) -> OncallSection:
    section = runtime.process.section(SECTION)
    assert isinstance(section, OncallSection)
    return section


def _id(word: str) -> int:
    if not word.isdigit():
        raise UsageError(f"{word!r} is not an entry number.")
    return int(word)


def _problems(runtime: Runtime, session: Session, section: OncallSection, period: Period) -> str:
    found = problems(runtime, session, section, period)
    if not found:
        return ""
    return "\nRota problems in that period:\n" + "\n".join(
        f"- {p.line(runtime.calendars)}" for p in found
    )


# --- reading ------------------------------------------------------------------------------------


def oncall(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) > 1:
        raise UsageError("Name at most one person.")
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    person = ctx.person_arg(words[0]).id if words else None
    with runtime.db.session() as session:
        if person is None:
            return views.now(runtime, session, section)
        return views.for_person(runtime, session, section, person)


def next_shifts(ctx: CommandContext) -> str:
    words = ctx.words()
    limit = section_of(ctx.runtime).horizon_weeks
    if len(words) > 1 or (words and (not words[0].isdigit() or not 1 <= int(words[0]) <= limit)):
        raise UsageError(f"Give how many shifts to show, a number from 1 to {limit}.")
    with ctx.runtime.db.session() as session:
        return views.next_shifts(ctx.runtime, session, int(words[0]) if words else 1)


def ledger(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`oncall ledger` takes no arguments.")
    with ctx.runtime.db.session() as session:
        return views.ledger_text(ctx.runtime, session, section_of(ctx.runtime))


def changes(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`oncall changes` takes no arguments.")
    with ctx.runtime.db.session() as session:
        return views.entries_text(ctx.runtime, session)


def feed_link(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`oncall feed` takes no arguments.")
    person = ctx.require_person()
    url = feed.url_for(ctx.runtime, person.id)
    if url is None:
        raise CommandError(
            f"On-call calendar feeds are off: the bot's {feed.SECRET_VARIABLE} is not set."
        )
    ctx.runtime.chat.post(
        person.id, f"Your on-call calendar (subscribe to it; keep the link private): {url}"
    )
    return "I have sent you the link to your on-call calendar in a direct message."


# --- changing the rota --------------------------------------------------------------------------


def override(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) not in (2, 3) or (len(words) == 3 and words[2] not in ROLES):
        raise UsageError(
            "Name the person, the period and optionally the role (primary or secondary)."
        )
    person = ctx.person_arg(words[0]).id
    role = words[2] if len(words) == 3 else "primary"
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    period = parse_period(words[1], runtime.calendars.tz)
    actor = ctx.require_person().id
    with runtime.db.session() as session:
        entry = Changes(runtime, session, section, actor).override(person, role, period)
        done = Period(entry.starts_at, entry.ends_at)
        return (
            f"Entry {entry.id}: {person} is {role} from {_when(runtime, done)}. "
            f"Undo with {ctx.prefix}oncall undo {entry.id}."
            + _problems(runtime, session, section, done)
        )


def swap(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 3:
        raise UsageError("Name two people and the period.")
    first, second = ctx.person_arg(words[0]).id, ctx.person_arg(words[1]).id
    if first == second:
        raise UsageError("Name two different people.")
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    period = parse_period(words[2], runtime.calendars.tz)
    actor = ctx.require_person().id
    with runtime.db.session() as session:
        entry = Changes(runtime, session, section, actor).swap(first, second, period)
        done = Period(entry.starts_at, entry.ends_at)
        return (
            f"Entry {entry.id}: {first} and {second} swapped their on-call duties from "
            f"{_when(runtime, done)}. Undo with {ctx.prefix}oncall undo {entry.id}."
            + _problems(runtime, session, section, done)
        )


def cover(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give the period you need cover for.")
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    period = parse_period(words[0], runtime.calendars.tz)
    requester = ctx.require_person().id
    with runtime.db.session() as session:
        entry = Changes(runtime, session, section, requester).request_cover(requester, period)
        duties = "; ".join(
            f"{s.role} {_when(runtime, Period(s.start, s.end))}"
            for s in person_segments(session, requester, entry.starts_at, entry.ends_at)
        )
        runtime.chat.post(
            "team",
            f"{requester} asks for on-call cover ({duties}). "
            f"Accept with {ctx.prefix}oncall accept {entry.id}.",
            session=session,
        )
        return (
            f"Cover request {entry.id} is posted in {runtime.chat.address('team')}; "
            "you stay on call until someone accepts it."
        )


def accept(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give the number of the cover request.")
    entry_id = _id(words[0])
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    taker = ctx.require_person().id
    with runtime.db.session() as session:
        entry, segments = Changes(runtime, session, section, taker).accept_cover(entry_id, taker)
        done = Period(segments[0].start, segments[-1].end)
        runtime.chat.post(
            entry.person,
            f"{taker} accepted your cover request {entry.id} and is on call for you from {_when(runtime, done)}.",
            session=session,
        )
        return (
            f"Thanks {taker}: you cover {entry.person} from {_when(runtime, done)}. "
            f"Undo with {ctx.prefix}oncall undo {entry.id}."
            + _problems(runtime, session, section, done)
        )


def undo(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give the number of the entry to undo.")
    entry_id = _id(words[0])
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    actor = ctx.require_person()
    may_undo_others = runtime.acl.allows(actor, CHANGE)
    with runtime.db.session() as session:
        changes = Changes(runtime, session, section, actor.id)
        before = changes.find(entry_id).ends_at
        entry = changes.undo(entry_id, may_undo_others)
        what = f"Entry {entry.id} ({views.describe(entry)})"
        if entry.state == APPLIED:
            reply = f"{what} ends now; the rota as it was before applies from now on."
        else:
            reply = f"{what} is undone."
        period = Period(max(entry.starts_at, changes.now), before)
        if period.end > period.start and entry.kind != WORKED:
            reply += _problems(runtime, session, section, period)
        return reply


def unavailable(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) not in (1, 2):
        raise UsageError("Give the days, and a person if it is not you.")
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    actor = ctx.require_person()
    person = ctx.person_arg(words[1]) if len(words) == 2 else actor
    if person != actor:
        ctx.require_permission(CHANGE, "recording someone else's unavailability")
    period = parse_period(words[0], runtime.calendars.tz, dates_only=True)
    with runtime.db.session() as session:
        entry = Changes(runtime, session, section, actor.id).unavailable(person.id, period)
        days = describe_days(days_of(runtime.calendars.tz, period.start, period.end))
        return (
            f"Entry {entry.id}: {person.id} is unavailable for on-call on {days}. "
            f"Undo with {ctx.prefix}oncall undo {entry.id}."
            + _problems(runtime, session, section, period)
        )


def worked(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) < 3:
        raise UsageError("Give the date, the times and what you worked on.")
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    period = parse_worked(words[0], words[1], runtime.calendars.tz)
    person = ctx.require_person().id
    note = " ".join(words[2:])
    with runtime.db.session() as session:
        entry, outside = Changes(runtime, session, section, person).worked(person, period, note)
        rest = runtime.calendars.format(period.end + timedelta(hours=section.rest_hours))
        return (
            f"Entry {entry.id}: {person} worked {_when(runtime, period)} "
            f"({fmt_hours(outside / 3600)} h out of hours): {note}. "
            f"Rest until {rest}; you will not be picked as secondary or cover before then."
        )


def hours(ctx: CommandContext) -> str:
    words = ctx.words()
    if not 1 <= len(words) <= 2 or (len(words) == 2 and words[1] != "csv"):
        raise UsageError("Give the month, and `csv` for a CSV export.")
    runtime, section = ctx.runtime, section_of(ctx.runtime)
    month, period = parse_month(words[0], runtime.calendars.tz)
    found = report.month_claims(runtime, section, period)
    with runtime.db.session() as session:
        runtime.audit(
            session, ctx.require_person().id, "oncall.pay.read", month, " ".join(words[1:])
        )
    if len(words) == 2:
        return f"```\n{report.as_csv(month, found)}```"
    return report.as_text(section, month, found)


def _when(runtime: Runtime, period: Period) -> str:
    return f"{runtime.calendars.format(period.start)} to {runtime.calendars.format(period.end)}"


def commands() -> list[Command]:
    period = "FROM..TO"
    return [
        Command(
            "oncall",
            FEATURE,
            "Who is on call now (primary, secondary, until when), or a person's shifts.",
            "oncall [@person]",
            oncall,
        ),
        Command(
            "oncall next", FEATURE, "The next on-call shifts.", "oncall next [COUNT]", next_shifts
        ),
        Command(
            "oncall ledger",
            FEATURE,
            "On-call hours per member: the fairness ledger.",
            "oncall ledger",
            ledger,
        ),
        Command(
            "oncall changes",
            FEATURE,
            "Overrides, swaps, cover and unavailability from now on.",
            "oncall changes",
            changes,
        ),
        Command(
            "oncall feed",
            FEATURE,
            "Get the link to your on-call calendar (iCal) by direct message.",
            "oncall feed",
            feed_link,
        ),
        Command(
            "oncall override",
            FEATURE,
            "Put someone on call instead of whoever is planned.",
            f"oncall override @person {period} [primary|secondary]",
            override,
            CHANGE,
        ),
        Command(
            "oncall swap",
            FEATURE,
            "Two people exchange their on-call duties for a period.",
            f"oncall swap @a @b {period}",
            swap,
            CHANGE,
        ),
        Command(
            "oncall cover",
            FEATURE,
            "Ask the team to cover your on-call duties for a period.",
            f"oncall cover {period}",
            cover,
            TAKE_PART,
        ),
        Command(
            "oncall accept",
            FEATURE,
            "Accept a cover request: you take over those duties.",
            "oncall accept ID",
            accept,
            TAKE_PART,
        ),
        Command(
            "oncall undo",
            FEATURE,
            "Undo an on-call entry (yours, or anyone's with oncall.change).",
            "oncall undo ID",
            undo,
            TAKE_PART,
        ),
        Command(
            "oncall unavailable",
            FEATURE,
            "Record days you (or someone) cannot be on call.",
            "oncall unavailable FROM..TO [@person]",
            unavailable,
            TAKE_PART,
        ),
        Command(
            "oncall worked",
            FEATURE,
            "Record out-of-hours work (starts your rest period).",
            "oncall worked YYYY-MM-DD HH:MM-HH:MM <what you worked on>",
            worked,
            TAKE_PART,
        ),
        Command(
            "oncall hours",
            FEATURE,
            "On-call hours, out-of-hours work and pay for a month.",
            "oncall hours YYYY-MM [csv]",
            hours,
            PAY,
        ),
    ]
