"""The postmortem feature's chat commands: ``!postmortem …``, ``!postmortems`` and actions.

Free text (field values, action texts) is taken raw, not as shell words, so apostrophes need no
quoting; options are ``--name value`` and may be typed with the dash Slack and macOS substitute.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select

from core.commands import Command, CommandContext, Permission, UsageError
from plugins.postmortem import actions, service
from plugins.postmortem.models import ACTION_PRIORITIES, FIELDS, Postmortem

FEATURE = "Postmortems"
WRITE = Permission("postmortem.write", "edit postmortems and choose their owners")
PUBLISH = Permission("postmortem.publish", "publish postmortems to the incident log")
_OPTION = re.compile(r"(?:^|\s)(?:--|\u2014|\u2013)([a-z][a-z-]*)(?=\s|$)")
ACTION_OPTIONS = ("owner", "due", "priority")


def _ref(ctx: CommandContext, expected: int) -> list[str]:
    """The arguments split into at most ``expected`` parts, the last one raw free text."""
    parts = ctx.args.split(maxsplit=expected - 1)
    if len(parts) < expected or not parts[-1].strip():
        raise UsageError("Some arguments are missing.")
    return parts


def show(ctx: CommandContext) -> str:
    """``!postmortem ID``: the report as it stands."""
    if len(ctx.args.split()) != 1:
        raise UsageError("Give the postmortem's number.")
    with ctx.runtime.db.session() as session:
        return service.render(ctx.runtime, service.find(session, ctx.args.strip()))


def edit(ctx: CommandContext) -> str:
    """``!postmortem edit ID FIELD <text>``: fill one of the report's fields."""
    ref, field, text = _ref(ctx, 3)
    if field not in FIELDS:
        raise UsageError(f"{field!r} is not a field (fields: {', '.join(FIELDS)}).")
    actor = ctx.require_person().id
    with ctx.runtime.db.session() as session:
        postmortem = service.find(session, ref)
        setattr(postmortem, field, text.strip())
        ctx.runtime.audit(session, actor, "postmortem.edit", f"postmortem {ref}", field)
    return f"Postmortem {ref}: {field} updated."


def owner(ctx: CommandContext) -> str:
    """``!postmortem owner ID @person``: who writes it up and runs the review."""
    words = ctx.words()
    if len(words) != 2:
        raise UsageError("Give the postmortem's number and its owner.")
    person = ctx.person_arg(words[1])
    actor = ctx.require_person().id
    with ctx.runtime.db.session() as session:
        postmortem = service.find(session, words[0])
        postmortem.owner = person.id
        ctx.runtime.audit(session, actor, "postmortem.owner", f"postmortem {words[0]}", person.id)
    return f"Postmortem {words[0]} is owned by {person.name}."


def publish(ctx: CommandContext) -> str:
    """``!postmortem publish ID``: write it and the index to the incident log."""
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give the postmortem's number.")
    return service.publish(ctx.runtime, words[0], ctx.require_person().id)


def set_review(ctx: CommandContext) -> str:
    """``!postmortem review ID YYYY-MM-DD HH:MM``: fix the review meeting."""
    words = ctx.words()
    if len(words) != 3:
        raise UsageError("Give the postmortem's number, a date and a time.")
    try:
        naive = datetime.strptime(f"{words[1]} {words[2]}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise UsageError(f"{words[1]} {words[2]} is not a time written YYYY-MM-DD HH:MM.") from None
    at = naive.replace(tzinfo=ctx.runtime.calendars.tz)
    return service.set_review(ctx.runtime, words[0], at, ctx.require_person().id)


def rebuild_log(ctx: CommandContext) -> str:
    """``!postmortem rebuild-log``: regenerate the incident log from the database."""
    if ctx.args:
        raise UsageError("This command takes no arguments.")
    return service.rebuild_log(ctx.runtime, ctx.require_person().id)


def listing(ctx: CommandContext) -> str:
    """``!postmortems``: every postmortem, newest first, with its state."""
    if ctx.args:
        raise UsageError("This command takes no arguments.")
    with ctx.runtime.db.session() as session:
        rows = session.scalars(select(Postmortem).order_by(Postmortem.id.desc())).all()
        if not rows:
            return "There are no postmortems yet."
        return "\n".join(
            f"{p.id}: {p.title} ({'published' if p.published_at else 'draft'})" for p in rows
        )


def split_options(args: str) -> tuple[str, dict[str, str]]:
    """``text --name value …`` as the text and the options; unknown or repeated ones are errors."""
    parts = _OPTION.split(args)
    options: dict[str, str] = {}
    for option, value in zip(parts[1::2], parts[2::2], strict=True):
        if option not in ACTION_OPTIONS:
            raise UsageError(f"Unknown option --{option}.")
        if option in options:
            raise UsageError(f"--{option} is given twice.")
        if not value.strip():
            raise UsageError(f"--{option} needs a value.")
        options[option] = " ".join(value.split())
    return parts[0].strip(), options


def action_add(ctx: CommandContext) -> str:
    """``!action add ID <text> --owner @p --due YYYY-MM-DD [--priority high|normal|low]``."""
    text, options = split_options(ctx.args)
    ref, _, text = text.partition(" ")
    if not ref or not text.strip():
        raise UsageError("Give the postmortem's number and what is to be done.")
    if "owner" not in options or "due" not in options:
        raise UsageError("Every action needs an --owner and a --due date.")
    owner = ctx.person_arg(options["owner"])
    try:
        due = date.fromisoformat(options["due"])
    except ValueError:
        raise UsageError(f"{options['due']!r} is not a date written YYYY-MM-DD.") from None
    priority = options.get("priority", "normal")
    if priority not in ACTION_PRIORITIES:
        raise UsageError(f"{priority!r} is not a priority ({', '.join(ACTION_PRIORITIES)}).")
    new = actions.NewAction(ref, " ".join(text.split()), owner.id, due, priority)
    return actions.add(ctx.runtime, new, ctx.require_person().id)


def action_done(ctx: CommandContext) -> str:
    """``!action done AID``."""
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give the action's number.")
    return actions.done(ctx.runtime, words[0], ctx.require_person().id)


def action_list(ctx: CommandContext) -> str:
    """``!actions [open|mine|overdue]``: actions not yet done."""
    words = ctx.words() or ["open"]
    if len(words) != 1 or words[0] not in actions.FILTERS:
        raise UsageError(f"Say which actions: {', '.join(actions.FILTERS)}.")
    person = ctx.require_person().id if words[0] == "mine" else None
    lines = actions.listing(ctx.runtime, words[0], person)
    if not lines:
        return f"No {words[0]} actions."
    return "\n".join(f"{line[0].upper()}{line[1:]}" for line in lines)


def commands() -> list[Command]:
    return [
        Command("postmortem", FEATURE, "Show a postmortem.", "postmortem ID", show),
        Command(
            "postmortem edit",
            FEATURE,
            "Fill a postmortem field.",
            f"postmortem edit ID {'|'.join(FIELDS)} <text>",
            edit,
            permission=WRITE,
        ),
        Command(
            "postmortem owner",
            FEATURE,
            "Choose a postmortem's owner.",
            "postmortem owner ID @person",
            owner,
            permission=WRITE,
        ),
        Command(
            "postmortem review",
            FEATURE,
            "Set a postmortem's review meeting.",
            "postmortem review ID YYYY-MM-DD HH:MM",
            set_review,
            permission=WRITE,
        ),
        Command(
            "postmortem publish",
            FEATURE,
            "Publish a postmortem to the incident log.",
            "postmortem publish ID",
            publish,
            permission=PUBLISH,
        ),
        Command(
            "postmortem rebuild-log",
            FEATURE,
            "Regenerate the incident log from the database.",
            "postmortem rebuild-log",
            rebuild_log,
            permission=PUBLISH,
        ),
        Command("postmortems", FEATURE, "List postmortems.", "postmortems", listing),
        Command(
            "action add",
            FEATURE,
            "Add a review action to a postmortem.",
            "action add ID <text> --owner @person --due YYYY-MM-DD [--priority high|normal|low]",
            action_add,
            permission=WRITE,
        ),
        Command(
            "action done",
            FEATURE,
            "Mark a review action done.",
            "action done AID",
            action_done,
            permission=WRITE,
        ),
        Command(
            "actions", FEATURE, "List review actions.", "actions [open|mine|overdue]", action_list
        ),
    ]
