"""Reactions in incident threads: a configured emoji on a message puts it on the timeline.

Slack names a reacted-to message by its id alone, so ``keep`` stores every message people write
in an incident's thread (or conversation) as it arrives and ``react`` finds it again. A message
goes on the timeline once, as a note in its author's name: the first configured reaction adds
it; further ones (someone else's, or removed and added again) change nothing, and removing a
reaction leaves the entry, because a timeline records what was said, not who reacted last. The
declaring message and the bot's own posts are not kept: they are on the timeline already.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.incident import service
from plugins.incident.models import Incident, ThreadMessage
from plugins.incident.texts import name

if TYPE_CHECKING:
    from core.chat import ChatReaction, InboundMessage
    from core.runtime import Runtime

log = logging.getLogger(__name__)


def keep(runtime: Runtime, message: InboundMessage, incident_id: int, noted: bool) -> None:
    """Store a message of an incident's thread; ``noted``: it is a note, on the timeline already.

    A message without an id (the console) cannot be reacted to, so it is not kept; one the
    backend delivers twice is kept once.
    """
    if message.message_id is None:
        return
    now = runtime.clock.now()
    row = ThreadMessage(
        incident_id=incident_id,
        message_ref=message.message_id,
        author=message.person.id if message.person else message.sender,
        text=message.text.strip(),
        posted_at=now,
        noted_at=now if noted else None,
    )
    with runtime.db.session() as session:
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            log.info("message %s of incident %s already kept", message.message_id, incident_id)


def react(runtime: Runtime, reaction: ChatReaction) -> None:
    """Put the reacted-to message on its incident's timeline, if the reaction says to."""
    if not reaction.added or reaction.message_id is None:
        return
    if reaction.emoji not in service.section(runtime).timeline_reactions:
        return
    if reaction.person is None:
        log.info("ignoring :%s: from %s: not in the process file", reaction.emoji, reaction.reactor)
        return
    now = runtime.clock.now()
    with runtime.db.session() as session:
        kept = session.scalars(
            select(ThreadMessage)
            .where(ThreadMessage.message_ref == reaction.message_id)
            .with_for_update()
        ).first()
        if kept is None or kept.noted_at is not None:
            return
        kept.noted_at = now
        incident = session.get(Incident, kept.incident_id)
        assert incident is not None
        service.record(session, incident, now, "note", kept.author, " ".join(kept.text.split()))
        runtime.audit(
            session,
            reaction.person.id,
            "incident.note",
            f"incident {incident.id}",
            f":{reaction.emoji}: on {kept.author}'s message {kept.message_ref}",
        )
        service.tell(
            runtime,
            session,
            incident,
            f"{name(runtime, reaction.person.id)} put {name(runtime, kept.author)}'s message on "
            f"incident {incident.id}'s timeline.",
        )
        incident_id = incident.id
    service.fire(runtime, "dutybot_incident_updated", incident_id, change="note")
