"""The support channel: every new top-level message from a user opens a request.

Replies in a request's thread are its conversation: a team member's reply is the first response
(and an update), a user's reply ends a wait, and ``field: value`` lines fill the template. A
message seen again with the same id (Slack re-delivers edited messages) updates the request's
description instead of opening a second one.

The core's outbox threads a post under an earlier *post* (by key), not under an inbound message;
so that nudges land in the request's thread, ``anchor`` records the user's message in the outbox
as an already-delivered post whose backend id is the message's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugins.triage import fields, service, text
from plugins.triage.events import transaction
from plugins.triage.models import RESOLVED, Request
from plugins.triage.roster import on_support
from plugins.triage.service import Actor
from plugins.triage.settings import section

if TYPE_CHECKING:
    from core.chat import InboundMessage
    from core.runtime import Runtime


def handle(runtime: Runtime, message: InboundMessage) -> str | None:
    """Open a request, or take part in one's conversation; returns the reply for the thread."""
    if message.channel_name != "support" or not message.text.strip():
        return None
    if message.thread_id is not None:
        return converse(runtime, message)
    if message.person is not None and not section(runtime).open_from_team:
        return None
    return open_from(runtime, message)


def open_from(runtime: Runtime, message: InboundMessage) -> str | None:
    actor = Actor.of(message.person, message.sender)
    body = message.text.strip()
    values = _valid_only(runtime, fields.field_lines(body))  # bad ones are asked for again
    with transaction(runtime) as session:
        if message.message_id is not None:
            seen = session.scalar(
                select(Request).where(Request.message_id == message.message_id).with_for_update()
            )
            if seen is not None:
                edited(runtime, session, seen, body, values, actor)
                return None
        support = on_support(runtime, runtime.clock.now())
        request = service.open_request(
            runtime,
            session,
            summary=_without_fields(body),
            description=_without_fields(body),
            values=values,
            requester=message.sender,
            actor=actor,
            support=support,
            room=message.channel,
            message_id=message.message_id,
        )
        anchor(runtime, session, request, message)
        return text.acknowledgement(
            runtime, request, support, in_thread=message.message_id is not None
        )


def edited(
    runtime: Runtime,
    session: Session,
    request: Request,
    body: str,
    values: dict[str, str],
    actor: Actor,
) -> None:
    """The message that opened a request was edited: keep its new wording and fields, quietly."""
    if request.state == RESOLVED:
        return
    service.edit_description(runtime, session, request, _without_fields(body), actor)
    if values:
        service.set_fields(runtime, session, request, values, actor)


def converse(runtime: Runtime, message: InboundMessage) -> str | None:
    """A reply in a thread: if it is a request's, record the response and any fields given."""
    settings = section(runtime)
    actor = Actor.of(message.person, message.sender)
    with transaction(runtime) as session:
        request = session.scalar(
            select(Request).where(Request.message_id == message.thread_id).with_for_update()
        )
        if request is None or request.state == RESOLVED:
            return None
        reply = None
        given = fields.field_lines(message.text)
        if given:
            try:
                values = fields.clean(settings, runtime.process, given)
            except fields.FieldError as exc:
                reply = str(exc)
            else:
                changed = service.set_fields(runtime, session, request, values, actor)
                reply = noted(runtime, request, changed, values) if changed else None
        service.reply_in_thread(runtime, session, request, actor)
        return reply


def noted(runtime: Runtime, request: Request, changed: list[str], values: dict[str, str]) -> str:
    """Confirm the fields taken from a reply, and ask for those still missing."""
    settings = section(runtime)
    reply = (
        f"Thanks, noted for {request.ref}: " + ", ".join(f"{f} {values[f]}" for f in changed) + "."
    )
    wanted = fields.missing(settings, request)
    if wanted:
        reply += "\nStill needed:\n" + "\n".join(fields.ask_lines(settings, wanted))
    return reply


def anchor(runtime: Runtime, session: Session, request: Request, message: InboundMessage) -> None:
    """Make the user's message the thread that the request's later posts reply under."""
    if message.message_id is None:
        return
    address = message.channel or runtime.chat.address("support")
    runtime.chat.anchor(
        session, text.thread_key(request.id), address, message.message_id, message.text
    )


def _without_fields(body: str) -> str:
    """The message without its ``field: value`` lines (unless that is all there is)."""
    lines = [ln for ln in body.splitlines() if ln.strip() and not fields.field_lines(ln)]
    return "\n".join(lines) or body


def _valid_only(runtime: Runtime, given: dict[str, str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in given.items():
        try:
            kept |= fields.clean(section(runtime), runtime.process, {name: value})
        except fields.FieldError:
            continue
    return kept
