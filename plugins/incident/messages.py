"""The team's fixed phrases in chat: declaring, taking roles, notes and resolving.

A declaration is read in the team channel. Role phrases, notes and the resolution are read in
the incident's thread (or its dedicated conversation); typed at the top level of the team
channel, role phrases and the resolution apply to the one open incident, if only one is open.
Whatever the bot returns is replied in the message's thread by the bridge. Every message in an
incident's thread is kept (``reactions``: a reaction can put it on the timeline later).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.models import ChatPost
from plugins.incident import reactions, service, texts
from plugins.incident.access import DECLARE, RESPOND
from plugins.incident.models import COMMS, LEAD, SCRIBE, Incident
from plugins.incident.phrases import Phrase
from plugins.incident.service import CHAT, Declaration, IncidentError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.chat import InboundMessage
    from core.commands import Permission
    from core.process import Person
    from core.runtime import Runtime
    from plugins.incident.settings import Phrases


@dataclass(frozen=True)
class Phrasebook:
    declare: Phrase
    resolve: Phrase
    roles: dict[str, Phrase]
    note_marker: str


@lru_cache(maxsize=8)
def phrasebook(phrases: Phrases) -> Phrasebook:
    """The compiled phrases of a process file (compiled once, not per message)."""
    return Phrasebook(
        declare=Phrase(phrases.declare),
        resolve=Phrase(phrases.resolve),
        roles={
            LEAD: Phrase(phrases.lead),
            SCRIBE: Phrase(phrases.scribe),
            COMMS: Phrase(phrases.comms),
        },
        note_marker=phrases.note_marker.lower(),
    )


def handle(runtime: Runtime, message: InboundMessage) -> str | None:
    """The reply to a chat message about incidents, or None if it is not about them."""
    book = phrasebook(service.section(runtime).phrases)
    incident_id = _incident_of(runtime, message)
    if incident_id is not None:
        return _in_incident(runtime, book, message, incident_id)
    if message.channel_name != "team":
        return None
    found = book.declare.match(message.text)
    if found is not None:
        return _declare(runtime, message, found["reason"], found["impact"])
    missing = book.declare.near_miss(message.text)
    if missing is not None:
        return _declaration_help(book, missing)
    return _top_level(runtime, book, message)


def _incident_of(runtime: Runtime, message: InboundMessage) -> int | None:
    """The incident whose thread or dedicated conversation the message is in.

    A dedicated conversation is a channel the process file does not name, so a top-level message
    in a named channel (or a direct message) needs no look-up: busy channels stay cheap.
    """
    maybe_conversation = message.channel is not None and message.channel_name is None
    if message.thread_id is None and not maybe_conversation:
        return None
    with runtime.db.session() as session:
        if message.thread_id is not None:
            query = (
                select(Incident.id)
                .join(ChatPost, ChatPost.key == Incident.thread_key)
                .where(ChatPost.ref == message.thread_id)
                .order_by(Incident.id.desc())
            )
            found = session.scalars(query).first()
            if found is not None:
                return found
        if not maybe_conversation:
            return None
        query = (
            select(Incident.id)
            .where(Incident.conversation == message.channel)
            .order_by(Incident.id.desc())
        )
        return session.scalars(query).first()


def _in_incident(
    runtime: Runtime, book: Phrasebook, message: InboundMessage, incident_id: int
) -> str | None:
    text = message.text.strip()
    noting = text.lower().startswith(book.note_marker)
    reactions.keep(runtime, message, incident_id, noted=noting)
    if noting:
        return _note(runtime, message, incident_id, text[len(book.note_marker) :].strip())
    for role, phrase in book.roles.items():
        if phrase.match(text) is not None:
            return _claim(runtime, message, incident_id, role, inside=True)
    found = book.resolve.match(text)
    if found is not None:
        return _resolve(runtime, message, incident_id, found["resolution"], inside=True)
    missing = book.resolve.near_miss(text)
    if missing is not None:
        return f'To declare it resolved, say why, in the team\'s words: "{book.resolve.example()}"'
    return None


def _top_level(runtime: Runtime, book: Phrasebook, message: InboundMessage) -> str | None:
    """Role phrases and the resolution outside a thread: they mean the one open incident."""
    role = next(
        (r for r, phrase in book.roles.items() if phrase.match(message.text) is not None), None
    )
    resolution = book.resolve.match(message.text)
    if role is None and resolution is None:
        return None
    with runtime.db.session() as session:
        open_ids = [incident.id for incident in service.open_incidents(session)]
    if not open_ids:
        return "There is no open incident." + (
            " To declare one: " + f'"{book.declare.example()}"' if role else ""
        )
    if len(open_ids) > 1:
        command = f"!incident {role} ID" if role else "!incident resolve ID <resolution>"
        listed = ", ".join(map(str, open_ids))
        return f"Several incidents are open ({listed}): say it in the incident's thread, or use {command}."
    if role is not None:
        return _claim(runtime, message, open_ids[0], role, inside=False)
    assert resolution is not None
    return _resolve(runtime, message, open_ids[0], resolution["resolution"], inside=False)


def _declaration_help(book: Phrasebook, missing: str) -> str:
    what = f"the {missing}" if missing else "everything I need"
    return (
        f"That looks like an incident declaration, but I could not find {what}. Say it in the team's "
        f'words: "{book.declare.example()}" (or use !incident declare <reason> --impact <impact>).'
    )


def _allowed(
    runtime: Runtime, message: InboundMessage, permission: Permission, doing: str
) -> Person | str:
    """The sender as a person who may do this, or the reply that says why not."""
    person = message.person
    if person is None:
        return (
            f"I can't let you {doing}: you ({message.sender}) are not in the team's process file."
        )
    if not runtime.acl.allows(person, permission):
        return f"Sorry {person.id}, to {doing} you need the permission '{permission.name}' ({permission.description})."
    return person


def _declare(runtime: Runtime, message: InboundMessage, reason: str, impact: str) -> str | None:
    person = _allowed(runtime, message, DECLARE, "declare an incident")
    if isinstance(person, str):
        return person
    if message.message_id is not None and _seen(runtime, message.message_id):
        return None  # the backend delivered this message again (Slack re-sends edited messages)
    declaration = Declaration(
        reason=reason,
        impact=impact,
        by=person.id,
        source=CHAT,
        message_ref=message.message_id,
        thread_ref=message.thread_id,
        message_text=message.text,
        channel=message.channel,
    )
    try:
        return service.declare(runtime, declaration).next_steps
    except IntegrityError:  # another replica declared it from the same message a moment ago
        return None


def _seen(runtime: Runtime, message_id: str) -> bool:
    with runtime.db.session() as session:
        return (
            session.scalar(select(Incident.id).where(Incident.message_ref == message_id))
            is not None
        )


def _note(runtime: Runtime, message: InboundMessage, incident_id: int, note: str) -> str | None:
    if not note:
        return None
    author = message.person.id if message.person else message.sender
    with runtime.db.session() as session:
        incident = _get(session, incident_id)
        service.add_note(runtime, session, incident, author, note)
    service.fire(runtime, "dutybot_incident_updated", incident_id, change="note")
    return f"Noted on incident {incident_id}'s timeline."


def _claim(
    runtime: Runtime, message: InboundMessage, incident_id: int, role: str, inside: bool
) -> str:
    """A volunteer takes a role; ``inside`` says the reply lands where the incident is worked."""
    person = _allowed(runtime, message, RESPOND, f"be the {texts.ROLE_LABELS[role]}")
    if isinstance(person, str):
        return person
    try:
        with runtime.db.session() as session:
            incident = _get(session, incident_id)
            text = service.assign(runtime, session, incident, role, person.id, person.id)
            if not inside:
                service.tell(runtime, session, incident, text)
    except IncidentError as exc:
        return str(exc)
    service.fire(runtime, "dutybot_incident_updated", incident_id, change="role")
    return text


def _resolve(
    runtime: Runtime, message: InboundMessage, incident_id: int, resolution: str, inside: bool
) -> str:
    person = _allowed(runtime, message, RESPOND, "resolve an incident")
    if isinstance(person, str):
        return person
    try:
        with runtime.db.session() as session:
            incident = _get(session, incident_id)
            override = service.may_resolve(runtime, session, incident, person)
            body, told = service.resolve(
                runtime, session, incident, person.id, resolution, override, not inside
            )
    except IncidentError as exc:
        return str(exc)
    service.fire(runtime, "dutybot_incident_resolved", incident_id)
    return body + (f"\nAlso told: {texts.joined(told)}." if told else "")


def _get(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    assert incident is not None
    return incident
