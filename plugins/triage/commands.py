"""The support-request and board commands.

Anyone may open a request (``!request new``) and read requests and the board. Working on them —
assigning, prioritising, starting, waiting, ticketing, moving tickets — needs ``triage.work``
(default: the whole team). The requester may also fill in, resolve and reopen their own request.
"""

from __future__ import annotations

from collections.abc import Callable

from core.commands import Command, CommandContext, CommandError, Permission, UsageError
from plugins.triage import board, fields, queries, ratings, service, text
from plugins.triage.events import transaction
from plugins.triage.fields import FieldError
from plugins.triage.models import Request
from plugins.triage.roster import on_support
from plugins.triage.service import Actor
from plugins.triage.settings import section

FEATURE = "Requests"
WORK = Permission(
    "triage.work", "triage and work on support requests and the board", default=("team",)
)
NEW_OPTIONS = ("service", "environment", "impact", "contact", "description")
SET_OPTIONS = (*NEW_OPTIONS, "category")


def _actor(ctx: CommandContext) -> Actor:
    return Actor.of(ctx.person, ctx.sender)


def _clean(ctx: CommandContext, raw: dict[str, str]) -> dict[str, str]:
    try:
        return fields.clean(section(ctx.runtime), ctx.runtime.process, raw)
    except FieldError as exc:
        raise UsageError(str(exc)) from exc


def _ref_and_rest(ctx: CommandContext, what: str = "") -> tuple[str, str]:
    """The first word (an id) and the free text after it, without shell-style quoting."""
    ref, _, rest = ctx.args.partition(" ")
    if not ref:
        raise UsageError(f"Give the request's id{what}.")
    return ref, rest.strip()


def _one_ref(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give one request id, such as R-12.")
    return words[0]


def _may_change(ctx: CommandContext, request: Request, what: str) -> None:
    """The requester may change their own request; anyone else needs ``triage.work``."""
    mine = ctx.sender.removeprefix("@") == request.requester.removeprefix("@")
    if mine or ctx.runtime.acl.allows(ctx.person, WORK):
        return
    who = ctx.person.id if ctx.person else ctx.sender
    raise CommandError(
        f"Sorry {who}, only the requester or someone with the permission '{WORK.name}' "
        f"({WORK.description}) can {what} {request.ref}."
    )


def new(ctx: CommandContext) -> str:
    summary, raw = fields.split_options(ctx.args, NEW_OPTIONS)
    if not summary:
        raise UsageError("Say what the request is about.")
    values = _clean(ctx, raw)
    runtime = ctx.runtime
    support = on_support(runtime, runtime.clock.now())
    with transaction(runtime) as session:
        request = service.open_request(
            runtime,
            session,
            summary=summary,
            description=values.pop("description", summary),
            values=values,
            requester=ctx.sender,
            actor=_actor(ctx),
            support=support,
            room=ctx.room,
        )
        return text.acknowledgement(runtime, request, support, in_thread=False)


def show(ctx: CommandContext) -> str:
    with ctx.runtime.db.session() as session:
        request = service.load(session, _one_ref(ctx), for_update=False)
        return text.details(ctx.runtime, request, service.history(session, request))


def set_fields(ctx: CommandContext) -> str:
    ref, raw = fields.split_options(ctx.args, SET_OPTIONS)
    if not ref or " " in ref:
        raise UsageError("Give the request's id, then the fields to set.")
    if not raw:
        raise UsageError("Give at least one field to set.")
    values = _clean(ctx, raw)
    runtime = ctx.runtime
    with transaction(runtime) as session:
        request = service.load(session, ref)
        _may_change(ctx, request, "change")
        changed = service.set_fields(runtime, session, request, values, _actor(ctx))
        if not changed:
            raise CommandError(f"{request.ref} already has those values.")
        reply = f"Updated {request.ref}: " + ", ".join(f"{f} {values[f]}" for f in changed) + "."
        wanted = fields.missing(section(runtime), request)
    if wanted:
        reply += " Still missing: " + ", ".join(wanted) + "."
    return reply


def assign(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 2:
        raise UsageError("Give the request's id and the person.")
    person = ctx.person_arg(words[1])
    with transaction(ctx.runtime) as session:
        request = service.load(session, words[0])
        service.assign(ctx.runtime, session, request, person.id, _actor(ctx))
        return f"{request.ref} is now assigned to {person.id}."


def priority(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 2:
        raise UsageError("Give the request's id and the priority.")
    runtime = ctx.runtime
    with transaction(runtime) as session:
        request = service.load(session, words[0])
        service.set_priority(runtime, session, request, words[1], _actor(ctx))
        return f"{request.ref} now has priority {request.priority}: {text.clock_text(runtime, request, runtime.clock.now())}."


def start(ctx: CommandContext) -> str:
    with transaction(ctx.runtime) as session:
        request = service.load(session, _one_ref(ctx))
        service.start(ctx.runtime, session, request, _actor(ctx))
        return f"{request.ref} is in progress with {request.assignee or 'nobody'}."


def wait(ctx: CommandContext) -> str:
    ref, note = _ref_and_rest(ctx)
    with transaction(ctx.runtime) as session:
        request = service.load(session, ref)
        service.wait(ctx.runtime, session, request, _actor(ctx), note)
        return (
            f"{request.ref} is waiting on the user: its SLA clocks are paused until they reply "
            f"in its thread (or !request start {request.ref})."
        )


def resolve(ctx: CommandContext) -> str:
    ref, note = _ref_and_rest(ctx)
    with transaction(ctx.runtime) as session:
        request = service.load(session, ref)
        _may_change(ctx, request, "resolve")
        if not note:
            raise UsageError(f"Say how {request.ref} was resolved.")
        service.resolve(ctx.runtime, session, request, _actor(ctx), note)
        ratings.ask(ctx.runtime, session, request)
        return f"{request.ref} is resolved: {note}"


def reopen(ctx: CommandContext) -> str:
    ref, note = _ref_and_rest(ctx)
    with transaction(ctx.runtime) as session:
        request = service.load(session, ref)
        _may_change(ctx, request, "reopen")
        service.reopen(ctx.runtime, session, request, _actor(ctx), note)
        return f"{request.ref} is reopened and in progress with {request.assignee or 'nobody'}."


def ticket(ctx: CommandContext) -> str:
    with transaction(ctx.runtime) as session:
        request = service.load(session, _one_ref(ctx))
        service.attach_ticket(ctx.runtime, session, request, _actor(ctx))
        made = request.ticket
        assert made is not None
        labels = f" [{', '.join(made.labels)}]" if made.labels else ""
        return f"Created {made.ref} for {request.ref} in {made.column}{labels}."


def requests(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) > 1:
        raise UsageError("Give at most one filter.")
    which = words[0] if words else "open"
    if which == "open":
        title, empty, assignee = "Open requests", "No open requests.", None
    elif which == "unassigned":
        title, empty, assignee = (
            "Unassigned requests",
            "No unassigned requests.",
            queries.UNASSIGNED,
        )
    elif which == "mine" or which.startswith("@") or ctx.runtime.process.person(which):
        person = ctx.require_person() if which == "mine" else ctx.person_arg(which)
        title, empty, assignee = (
            f"Requests assigned to {person.id}",
            f"No open requests assigned to {person.id}.",
            person.id,
        )
    else:
        raise UsageError(f"Unknown filter {which!r}: use open, unassigned, mine or @person.")
    runtime = ctx.runtime
    now = runtime.clock.now()
    with runtime.db.session() as session:
        page = queries.queue(session, assignee, section(runtime).list_limit)
        if not page.total:
            return empty
        lines = [f"{title}, most at risk first ({page.total}):"]
        lines += [f"- {text.line(runtime, r, now)}" for r in page.requests]
    hidden = page.total - len(page.requests)
    if hidden:
        lines.append(f"- … and {hidden} more")
    return "\n".join(lines)


def show_board(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`board` takes no arguments.")
    with ctx.runtime.db.session() as session:
        return board.render(ctx.runtime, session)


def move_ticket(ctx: CommandContext) -> str:
    ref, column = ctx.args.partition(" ")[::2]
    if not ref or not column.strip():
        raise UsageError("Give the ticket's id and the column.")
    with transaction(ctx.runtime) as session:
        moved = board.load(session, ref)
        board.move(ctx.runtime, session, moved, column, ctx.person.id if ctx.person else ctx.sender)
        return f"{moved.ref} moved to {moved.column}."


def label_ticket(ctx: CommandContext) -> str:
    words = ctx.words()
    if not words:
        raise UsageError("Give the ticket's id and the labels.")
    with transaction(ctx.runtime) as session:
        labelled = board.load(session, words[0])
        board.relabel(
            ctx.runtime, session, labelled, words[1:], ctx.person.id if ctx.person else ctx.sender
        )
        return f"{labelled.ref} labels: {', '.join(labelled.labels) or 'none'}."


def _command(
    name: str,
    summary: str,
    usage: str,
    handler: Callable[[CommandContext], str],
    work: bool = False,
) -> Command:
    return Command(name, FEATURE, summary, usage, handler, permission=WORK if work else None)


def commands() -> list[Command]:
    return [
        _command(
            "request new",
            "Open a support request.",
            "request new SUMMARY [--service NAME] [--env ENVIRONMENT] [--impact TEXT] [--contact @person]",
            new,
        ),
        _command(
            "request show",
            "Show a request: fields, SLA clocks and history.",
            "request show ID",
            show,
        ),
        _command(
            "request set",
            "Fill in or correct a request's fields (the requester, or the team).",
            "request set ID [--service NAME] [--env ENVIRONMENT] [--impact TEXT] [--contact @person] "
            "[--description TEXT] [--category NAME]",
            set_fields,
        ),
        _command(
            "request assign",
            "Assign a request to someone.",
            "request assign ID @person",
            assign,
            work=True,
        ),
        _command(
            "request priority",
            "Set a request's priority.",
            "request priority ID PRIORITY",
            priority,
            work=True,
        ),
        _command(
            "request start",
            "Start working on a request (or resume it).",
            "request start ID",
            start,
            work=True,
        ),
        _command(
            "request wait",
            "Wait on the user: pauses the SLA clocks.",
            "request wait ID [NOTE]",
            wait,
            work=True,
        ),
        _command(
            "request resolve", "Resolve a request, saying how.", "request resolve ID NOTE", resolve
        ),
        _command(
            "request reopen", "Reopen a resolved request.", "request reopen ID [NOTE]", reopen
        ),
        _command(
            "request ticket",
            "Turn a request into a ticket on the board.",
            "request ticket ID",
            ticket,
            work=True,
        ),
        _command(
            "requests",
            "List open requests, most at risk first.",
            "requests [open|unassigned|mine|@person]",
            requests,
        ),
        _command("board", "Show the board: tickets by column.", "board", show_board),
        _command(
            "ticket move",
            "Move a ticket to another column.",
            "ticket move ID COLUMN",
            move_ticket,
            work=True,
        ),
        _command(
            "ticket label",
            "Add (+label) or remove (-label) a ticket's labels.",
            "ticket label ID +LABEL|-LABEL ...",
            label_ticket,
            work=True,
        ),
    ]
