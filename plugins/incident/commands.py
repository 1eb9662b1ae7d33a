"""The incident feature's chat commands: ``!incident …`` and ``!incidents``.

Free text (reasons, notes, updates) is taken raw, not as shell words, so apostrophes ("can't
deploy") need no quoting; options are ``--name value`` and may be typed with the dash that
Slack and macOS substitute for ``--``. A change made by command is also posted in the incident's
thread, unless the command was typed in the team channel or the incident's conversation, where
its reply already says it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.commands import Command, CommandContext, Permission, UsageError
from plugins.incident import service, texts
from plugins.incident.access import DECLARE, OVERRIDE, RESPOND
from plugins.incident.durations import parse_when
from plugins.incident.models import COMMS, LEAD, OPEN, SCRIBE, Incident
from plugins.incident.service import COMMAND, Declaration, IncidentError, Update

FEATURE = "Incidents"
_OPTION = re.compile(r"(?:^|\s)(?:--|\u2014|\u2013)([a-z][a-z-]*)(?=\s|$)")
_ROLE_NAMES = {"lead": LEAD, "scribe": SCRIBE, "comms": COMMS, "communications": COMMS}
_WHEN = "YYYY-MM-DD HH:MM"

Change = Callable[[Session, Incident], str]


def split_options(args: str, allowed: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """``text --name value …`` as the text and the options; unknown or repeated ones are errors."""
    parts = _OPTION.split(args)
    options: dict[str, str] = {}
    for option, value in zip(parts[1::2], parts[2::2], strict=True):
        if option not in allowed:
            raise UsageError(
                f"Unknown option --{option} (known: {', '.join('--' + a for a in allowed)})."
            )
        if option in options:
            raise UsageError(f"--{option} is given twice.")
        if not value.strip():
            raise UsageError(f"--{option} needs a value.")
        options[option] = " ".join(value.split())
    return parts[0].strip(), options


def _ref_and_text(ctx: CommandContext, what: str) -> tuple[str, str]:
    """The incident's number and the free text after it (raw: quotes and apostrophes kept)."""
    parts = ctx.args.split(maxsplit=1)
    if not parts:
        raise UsageError(f"Give the incident's number and {what}.")
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def _local(ctx: CommandContext, day: str, clock: str) -> datetime:
    try:
        naive = datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise UsageError(f"{day} {clock} is not a time written {_WHEN}.") from None
    return naive.replace(tzinfo=ctx.runtime.calendars.tz)


def _in_place(ctx: CommandContext, incident: Incident) -> bool:
    """Whether the command was typed where the incident is worked (so its reply is seen there)."""
    return ctx.room is not None and ctx.room in (
        ctx.runtime.chat.address("team"),
        incident.conversation,
    )


def _change(
    ctx: CommandContext, ref: str, change: str, apply: Change, announce: bool = True
) -> str:
    """Apply a change to an incident, announce it where the incident is worked, tell listeners."""
    with ctx.runtime.db.session() as session:
        incident = service.find(session, ref)
        text = apply(session, incident)
        if announce and not _in_place(ctx, incident):
            service.tell(ctx.runtime, session, incident, text)
        incident_id = incident.id
    service.fire(ctx.runtime, "dutybot_incident_updated", incident_id, change=change)
    return text


def _priority_key(ctx: CommandContext, value: str) -> str:
    scheme = service.section(ctx.runtime).active
    key = scheme.find(value)
    if key is None:
        raise UsageError(
            f"{value!r} is not a priority here; the priorities are {', '.join(scheme.levels)}."
        )
    return key


# --- declaring --------------------------------------------------------------------------------


def declare(ctx: CommandContext) -> str:
    person = ctx.require_person()
    reason, options = split_options(ctx.args, ("impact", "priority"))
    if not reason:
        raise UsageError("Say why you are declaring it: the reason comes first.")
    if "impact" not in options:
        raise UsageError("Say what the impact is with --impact <impact>.")
    priority = _priority_key(ctx, options["priority"]) if "priority" in options else None
    declared = service.declare(
        ctx.runtime,
        Declaration(
            reason=reason, impact=options["impact"], by=person.id, source=COMMAND, priority=priority
        ),
    )
    first = declared.next_steps.partition("\n")[0]
    if declared.conversation:
        return f"{first} {declared.situation} It is worked in {declared.conversation}, where I posted what happens next."
    team = ctx.runtime.chat.address("team")
    return f"{first} {declared.situation} What happens next is in its thread in {team}."


# --- roles ------------------------------------------------------------------------------------


def role_command(role: str) -> Callable[[CommandContext], str]:
    """``!incident lead|scribe|comms ID [@person]``: give a role (to yourself by default)."""

    def handler(ctx: CommandContext) -> str:
        by = ctx.require_person()
        words = ctx.words()
        if len(words) not in (1, 2):
            raise UsageError(
                "Give the incident's number and, to give the role to someone else, their @name."
            )
        person = ctx.person_arg(words[1]) if len(words) == 2 else by
        return _change(
            ctx,
            words[0],
            "role",
            lambda s, i: service.assign(ctx.runtime, s, i, role, person.id, by.id),
        )

    return handler


def handover(ctx: CommandContext) -> str:
    """``!incident handover [ID] ROLE @person``: a role holder hands the role to someone."""
    by = ctx.require_person()
    words = ctx.words()
    if len(words) not in (2, 3):
        raise UsageError(
            "Give the role (lead, scribe or comms) and the @name of who takes it over."
        )
    *ref, role_word, who = words
    role = _ROLE_NAMES.get(role_word.lower())
    if role is None:
        raise UsageError(f"{role_word!r} is not an incident role (lead, scribe or comms).")
    person = ctx.person_arg(who)
    with ctx.runtime.db.session() as session:
        number = ref[0] if ref else _held_incident(session, by.id, role)
        incident = service.find(session, number)
        holder = service.holders(session, incident.id).get(role)
        if holder != by.id and not ctx.runtime.acl.allows(by, OVERRIDE):
            raise IncidentError(
                f"Only the {texts.ROLE_LABELS[role]} of incident {incident.id} ({texts.name(ctx.runtime, holder)}) "
                f"can hand it over; to take it yourself, use !incident {role} {incident.id}."
            )
    return _change(
        ctx,
        number,
        "role",
        lambda s, i: f"Handover: {service.assign(ctx.runtime, s, i, role, person.id, by.id)}",
    )


def _held_incident(session: Session, person: str, role: str) -> str:
    held = service.holder_of(session, person, role)
    label = texts.ROLE_LABELS[role]
    if not held:
        raise UsageError(
            f"You are not the {label} of any open incident; give the incident's number."
        )
    if len(held) > 1:
        numbers = ", ".join(str(i.id) for i in held)
        raise UsageError(f"You are the {label} of incidents {numbers}; give the incident's number.")
    return str(held[0].id)


# --- priority, notes, key times, alarms -------------------------------------------------------


def priority(ctx: CommandContext) -> str:
    by = ctx.require_person()
    words = ctx.words()
    if len(words) != 2:
        raise UsageError("Give the incident's number and its priority.")
    key = _priority_key(ctx, words[1])
    return _change(
        ctx, words[0], "priority", lambda s, i: service.set_priority(ctx.runtime, s, i, key, by.id)
    )


def note(ctx: CommandContext) -> str:
    by = ctx.require_person()
    ref, text = _ref_and_text(ctx, "the note")
    if not text:
        raise UsageError("Write the note after the incident's number.")

    def apply(session: Session, incident: Incident) -> str:
        service.add_note(ctx.runtime, session, incident, by.id, text)
        return f"Noted on incident {incident.id}'s timeline."

    return _change(ctx, ref, "note", apply, announce=False)


def detected(ctx: CommandContext) -> str:
    by = ctx.require_person()
    words = ctx.words()
    if len(words) != 3:
        raise UsageError(f"Give the incident's number and when it was first detected, as {_WHEN}.")
    at = _local(ctx, words[1], words[2])
    return _change(
        ctx, words[0], "detected", lambda s, i: service.set_detected(ctx.runtime, s, i, at, by.id)
    )


def repaired(ctx: CommandContext) -> str:
    by = ctx.require_person()
    words = ctx.words()
    if len(words) not in (1, 3):
        raise UsageError(
            f"Give the incident's number and, if not now, when service was restored, as {_WHEN}."
        )
    at = _local(ctx, words[1], words[2]) if len(words) == 3 else ctx.runtime.clock.now()
    return _change(
        ctx, words[0], "repaired", lambda s, i: service.set_repaired(ctx.runtime, s, i, at, by.id)
    )


def link(ctx: CommandContext) -> str:
    by = ctx.require_person()
    words = ctx.words()
    if len(words) != 2 or not words[1].removeprefix("#").isdigit():
        raise UsageError("Give the incident's number and the alarm's number.")
    alarm = words[1].removeprefix("#")
    return _change(
        ctx, words[0], "alarm", lambda s, i: service.link_alarm(ctx.runtime, s, i, alarm, by.id)
    )


# --- updates and closing ----------------------------------------------------------------------


def update(ctx: CommandContext) -> str:
    by = ctx.require_person()
    ref, rest = _ref_and_text(ctx, "the update")
    action, options = split_options(rest, ("next", "impact", "users"))
    if not action:
        raise UsageError(
            "Say what is being done: the update's text comes after the incident's number."
        )
    runtime = ctx.runtime
    now = runtime.clock.now()

    def apply(session: Session, incident: Incident) -> str:
        next_at = _next_update(ctx, incident, options.get("next"), now)
        change = Update(
            action=action, next_at=next_at, impact=options.get("impact"), users=options.get("users")
        )
        return service.post_update(runtime, session, incident, by.id, change)

    return _change(ctx, ref, "update", apply, announce=False)


def _next_update(
    ctx: CommandContext, incident: Incident, when: str | None, now: datetime
) -> datetime:
    runtime = ctx.runtime
    if when is not None:
        try:
            return parse_when(when, now, runtime.calendars)
        except ValueError as exc:
            raise UsageError(f"--next: {exc}; or give a time of day as HH:MM.") from None
    level = service.section(runtime).level(incident.priority)
    if level.update_every is None:
        raise UsageError(
            f"Say when the next update comes with --next (e.g. --next 30m): {level.label} has no default."
        )
    return level.update_every.due(now, runtime.calendars, level.update_hours)


def resolve(ctx: CommandContext) -> str:
    person = ctx.require_person()
    ref, resolution = _ref_and_text(ctx, "the resolution")
    if not resolution:
        raise UsageError("Say how it was resolved (or the plan) after the incident's number.")
    runtime = ctx.runtime
    with runtime.db.session() as session:
        incident = service.find(session, ref)
        override = service.may_resolve(runtime, session, incident, person)
        in_thread = not _in_place(ctx, incident)
        body, told = service.resolve(
            runtime, session, incident, person.id, resolution, override, in_thread
        )
        incident_id = incident.id
    service.fire(runtime, "dutybot_incident_resolved", incident_id)
    return _closed(body, told, in_thread)


def _closed(body: str, told: list[str], in_thread: bool) -> str:
    """The reply to closing an incident: what was said, and who else heard it."""
    also = [*told, "the incident's thread"] if in_thread else told
    return body + (f"\nAlso told: {texts.joined(also)}." if also else "")


def cancel(ctx: CommandContext) -> str:
    person = ctx.require_person()
    ref, reason = _ref_and_text(ctx, "why it is cancelled")
    if not reason:
        raise UsageError("Say why the incident is cancelled after its number.")
    with ctx.runtime.db.session() as session:
        incident = service.find(session, ref)
        in_thread = not _in_place(ctx, incident)
        body, told = service.cancel(ctx.runtime, session, incident, person.id, reason, in_thread)
        incident_id = incident.id
    service.fire(ctx.runtime, "dutybot_incident_updated", incident_id, change="cancelled")
    return _closed(body, told, in_thread)


# --- reading ----------------------------------------------------------------------------------


def show(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give an incident's number; !incidents lists them.")
    runtime = ctx.runtime
    with runtime.db.session() as session:
        incident = service.find(session, words[0])
        view = service.snapshot(runtime, session, incident)
    return texts.summary(runtime, view, runtime.clock.now())


def incidents(ctx: CommandContext) -> str:
    words = ctx.words()
    which = words[0].lower() if words else "open"
    if len(words) > 1 or which not in ("open", "recent"):
        raise UsageError("Say `open` (the default) or `recent`.")
    runtime = ctx.runtime
    settings = service.section(runtime)
    now = runtime.clock.now()
    since = now - timedelta(days=settings.recent_days)
    with runtime.db.session() as session:
        query = select(Incident).order_by(Incident.id)
        if which == "open":
            query = query.where(Incident.status == OPEN)
        else:
            query = query.where(
                or_(
                    Incident.status == OPEN,
                    Incident.declared_at >= since,
                    Incident.resolved_at >= since,
                )
            )
        rows = list(session.scalars(query))
        lines = [
            texts.list_line(
                runtime,
                row,
                settings.level(row.priority).label,
                service.holders(session, row.id),
                now,
            )
            for row in rows
        ]
    if which == "open":
        return "Open incidents:\n" + "\n".join(lines) if lines else "No open incidents."
    heading = f"Open incidents and those of the last {settings.recent_days} days:"
    return (
        heading + "\n" + "\n".join(lines)
        if lines
        else f"No incidents in the last {settings.recent_days} days."
    )


def commands() -> list[Command]:
    def command(
        name: str,
        summary: str,
        usage: str,
        handler: Callable[[CommandContext], str],
        permission: Permission | None = RESPOND,
    ) -> Command:
        return Command(name, FEATURE, summary, usage, handler, permission=permission)

    return [
        command(
            "incident declare",
            "Declare an incident (it may page the on-call engineer).",
            "incident declare <reason> --impact <impact> [--priority <priority>]",
            declare,
            DECLARE,
        ),
        command(
            "incident",
            "Show an incident: roles, key times, updates and its timeline.",
            "incident ID",
            show,
            None,
        ),
        command(
            "incidents",
            "List open incidents, or those of the last days.",
            "incidents [open|recent]",
            incidents,
            None,
        ),
        command(
            "incident priority",
            "Change an incident's priority (recorded).",
            "incident priority ID PRIORITY",
            priority,
        ),
        command(
            "incident lead",
            "Be (or make someone) the incident lead.",
            "incident lead ID [@person]",
            role_command(LEAD),
        ),
        command(
            "incident scribe",
            "Be (or make someone) the scribe.",
            "incident scribe ID [@person]",
            role_command(SCRIBE),
        ),
        command(
            "incident comms",
            "Be (or make someone) the communications lead.",
            "incident comms ID [@person]",
            role_command(COMMS),
        ),
        command(
            "incident handover",
            "Hand your incident role over; the new holder is announced.",
            "incident handover [ID] lead|scribe|comms @person",
            handover,
        ),
        command(
            "incident note",
            "Add a note to an incident's timeline.",
            "incident note ID <text>",
            note,
        ),
        command(
            "incident detected",
            "Set when the problem was first detected.",
            f"incident detected ID {_WHEN}",
            detected,
        ),
        command(
            "incident repaired",
            "Record that service is restored (now, or at a time).",
            f"incident repaired ID [{_WHEN}]",
            repaired,
        ),
        command(
            "incident link",
            "Link an alarm to an incident; its changes go on the timeline.",
            "incident link ID ALARM",
            link,
        ),
        command(
            "incident update",
            "Post an update to users and promise the next one.",
            "incident update ID <what we are doing> --next 30m|HH:MM [--impact <impact>] [--users <what users should do>]",
            update,
        ),
        command(
            "incident resolve",
            "Declare an incident resolved (its lead; or with incident.override).",
            "incident resolve ID <resolution or plan>",
            resolve,
        ),
        command(
            "incident cancel",
            "Withdraw an incident declared in error.",
            "incident cancel ID <why>",
            cancel,
            OVERRIDE,
        ),
    ]
