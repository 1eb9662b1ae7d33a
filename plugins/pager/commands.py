"""Chat commands: ``!page``, ``!ack``, ``!resolve``, ``!pages``, ``!contacts``."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta

from core.commands import Command, CommandContext, CommandError, Permission, UsageError
from plugins.pager import contacts, escalation, service
from plugins.pager.models import HANDOVER, OPEN_STATES, PAGING, UNANSWERED, WAITING
from plugins.pager.service import PageInfo

FEATURE = "Paging"
PAGE = Permission("pager.page", "page people", default=("team",))
RESPOND = Permission("pager.respond", "acknowledge and resolve pages", default=("team",))
_PAGE_ID = re.compile(r"#?(\d{1,9})")
_senders: dict[str, threading.Lock] = {}
_senders_lock = threading.Lock()


def page(ctx: CommandContext) -> str:
    """Page a person, the on-call policy, a group or a role; rate-limited per sender.

    Every request that names a target and a message is audited: a new page by the pager
    itself, a refusal (rate limit) and a duplicate (an open page already covers it) here.
    """
    first, message = (ctx.args.split(maxsplit=1) + ["", ""])[:2]
    if not first:
        raise UsageError("Say whom to page and why.")
    target = _target(ctx, first)
    if not message:
        raise UsageError("Give a message for the page, e.g. what is broken.")
    sender = ctx.require_person().id
    runtime = ctx.runtime
    digest = hashlib.sha256(message.encode()).hexdigest()[:16]
    with _one_at_a_time(sender):
        _check_rate(ctx, sender, target, message)
        found = runtime.hook.dutybot_page(
            runtime=runtime,
            target=target,
            message=message,
            dedup_key=f"chat:{sender}:{target}:{digest}",
            source=sender,
            session=None,
        )
    if found.duplicate:
        _audit(ctx, "page duplicate", f"#{found.id} {target}", message)
    return _page_reply(ctx, found)


def _one_at_a_time(sender: str) -> threading.Lock:
    """One sender's pages are counted and made one after the other.

    Errbot runs commands in parallel: two ``!page`` sent at once would both be counted before
    either is made and both pass the limit. Commands run only on the one chat replica
    (docs/deploy.md), so a lock in this process is enough; one per person in the process file.
    """
    with _senders_lock:
        return _senders.setdefault(sender, threading.Lock())


def _audit(ctx: CommandContext, action: str, subject: str, detail: str) -> None:
    runtime = ctx.runtime
    with runtime.db.session() as session:
        runtime.audit(session, ctx.require_person().id, action, subject, detail[:200])


def _target(ctx: CommandContext, word: str) -> str:
    runtime = ctx.runtime
    if word.startswith("@"):
        return ctx.person_arg(word).id
    if escalation.is_target(runtime, service.section(runtime), word):
        return word
    raise UsageError(
        f"I can't page {word!r}: name a person (@bob), oncall (the escalation policy), team, "
        f"a group or a role ({', '.join(escalation.KNOWN_ROLES)})."
    )


def _check_rate(ctx: CommandContext, sender: str, target: str, message: str) -> None:
    """[pager] rate_limit pages per sender: counted in the database, so every replica agrees."""
    settings = service.section(ctx.runtime)
    window = timedelta(minutes=settings.rate_limit_minutes)
    sent = service.pages_sent_since(ctx.runtime, sender, ctx.runtime.clock.now() - window)
    if len(sent) >= settings.rate_limit:
        _audit(ctx, "page refused", target, f"rate limit ({len(sent)} pages): {message}")
        raise CommandError(
            f"You have sent {len(sent)} pages in the last {settings.rate_limit_minutes} minutes, the "
            f"limit; you can page again at {ctx.runtime.calendars.format(sent[0] + window)}."
        )


def _page_reply(ctx: CommandContext, page: PageInfo) -> str:
    runtime = ctx.runtime
    if page.duplicate:
        return f"That page is already open, so nobody is paged again: {service.describe(runtime, page)}"
    if page.state == PAGING:
        return (
            f"Page #{page.id}: paging {service.who_was_called(page)}. Acknowledge with {ctx.prefix}ack {page.id}; if nobody "
            f"does, the next call is at {runtime.calendars.format(page.next_action_at)}."
        )
    if page.state == WAITING:
        return (
            f"Page #{page.id} is queued: it is outside paging hours, so nobody is paged until "
            f"{runtime.calendars.format(page.next_action_at)}."
        )
    if page.state == HANDOVER:
        return f"Page #{page.id} is held for the morning handover: it is outside paging hours."
    assert page.state == UNANSWERED
    return (
        f"Page #{page.id} reached nobody: nobody it could call has a contact method in "
        "[pager.contacts]. I have told the team channel."
    )


def ack(ctx: CommandContext) -> str:
    person = ctx.require_person().id
    page_id = _page_id(ctx, required=False)
    if page_id is None:
        page_id = _page_calling(ctx, person)
    page, cancelled = service.acknowledge(ctx.runtime, page_id, person)
    reply = f"Page #{page.id} acknowledged by {person}: escalation stopped, {_notifications(cancelled)} cancelled."
    if page.next_action_at:
        reply += (
            f" Resolve it with {ctx.prefix}resolve {page.id}; if it is still open at "
            f"{ctx.runtime.calendars.format(page.next_action_at)} you will be paged again."
        )
    return reply


def _page_calling(ctx: CommandContext, person: str) -> int:
    calling = service.pages_calling(ctx.runtime, person)
    if not calling:
        raise CommandError(
            f"No unacknowledged page has called you. Give the page's number: {ctx.prefix}ack ID "
            f"(see {ctx.prefix}pages)."
        )
    if len(calling) > 1:
        numbers = ", ".join(f"#{i}" for i in calling)
        raise CommandError(
            f"Several pages have called you ({numbers}); say which: {ctx.prefix}ack ID."
        )
    return calling[0]


def resolve(ctx: CommandContext) -> str:
    person = ctx.require_person().id
    page_id = _page_id(ctx, required=True)
    page, cancelled = service.resolve(ctx.runtime, page_id, person)
    return f"Page #{page.id} resolved by {person}; {_notifications(cancelled)} cancelled."


def _page_id(ctx: CommandContext, required: bool) -> int | None:
    words = ctx.words()
    if not words and not required:
        return None
    match = _PAGE_ID.fullmatch(words[0]) if len(words) == 1 else None
    if match is None:
        raise UsageError("Give one page number, like 12 or #12.")
    return int(match.group(1))


def _notifications(count: int) -> str:
    return f"{count} pending notification{'' if count == 1 else 's'}"


def pages(ctx: CommandContext) -> str:
    if ctx.args:
        raise UsageError("`pages` takes no arguments.")
    found = service.pages_in(ctx.runtime, OPEN_STATES)
    if not found:
        return "No open pages."
    return "Open pages:\n" + "\n".join(f"- {service.describe(ctx.runtime, p)}" for p in found)


def contact_methods(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) > 1:
        raise UsageError("Name at most one person.")
    person = ctx.person_arg(words[0]) if words else ctx.require_person()
    refs = service.section(ctx.runtime).contacts.get(person.id, [])
    if not refs:
        return f"{person.id} has no contact methods in [pager.contacts], so cannot be paged."
    lines = [f"{i}. {contacts.masked(ref)} ({ref})" for i, ref in enumerate(refs, start=1)]
    return f"{person.id}'s contact methods, in the order they are tried:\n" + "\n".join(lines)


COMMANDS = [
    Command(
        "page",
        FEATURE,
        "Page a person, the on-call engineers (oncall), a group or a role.",
        "page @person|oncall|GROUP|ROLE MESSAGE",
        page,
        permission=PAGE,
    ),
    Command(
        "ack",
        FEATURE,
        "Acknowledge a page (without a number: the one that called you).",
        "ack [ID]",
        ack,
        permission=RESPOND,
    ),
    Command(
        "resolve",
        FEATURE,
        "Resolve a page: stop paging and re-paging for it.",
        "resolve ID",
        resolve,
        permission=RESPOND,
    ),
    Command("pages", FEATURE, "List the open pages and where each one stands.", "pages", pages),
    Command(
        "contacts",
        FEATURE,
        "Show how someone is paged (secrets masked).",
        "contacts [@person]",
        contact_methods,
    ),
]
