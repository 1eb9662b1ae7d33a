"""Translating between Errbot's objects and dutybot's chat-agnostic ones.

Everything here reads what the backend already put on the message or reaction (Slack's event,
the identifier's attributes): no backend look-up (a Slack ``users.info``) is made per message.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from errbot import Command as ErrbotCommand
from errbot.backends.base import REACTION_ADDED, REACTION_REMOVED, Message

from core.chat import ChatReaction, InboundMessage
from core.commands import Command
from core.mentions import defuse_handles, neutralise
from core.runtime import Runtime

SLACK_MODE = "slackv3"
EDITED = "message_changed"
# A bare Slack id: a capital letter, then capitals and digits, at least one digit (``CHANGES``
# is an IRC-style name, ``C024BE91L`` an id).
_SLACK_CHANNEL = re.compile(
    r"^(?:<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>|([CG](?=[A-Z0-9]*\d)[A-Z0-9]{6,}))$"
)
_BARE_SLACK_USER = re.compile(r"^[UW](?=[A-Z0-9]*\d)[A-Z0-9]{6,}$")
_SLACK_NAMED = re.compile(r"^<#[CGD][A-Z0-9]+\|([^>]+)>$")
_SKIN_TONE = re.compile(r"::skin-tone-\d+$")
_SLACK_ESCAPE = re.compile(r"&(amp|lt|gt);")
_SLACK_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
ATTACHMENT_PARTS = ("pretext", "title", "text")
QUOTED = ("is_share", "is_msg_unfurl", "from_url")  # an attachment quoting a message or a page
# Code spans and fenced blocks, not opened by an escaped or a longer run of backticks.
_SLACK_CODE = re.compile(r"(?<![\\`])(?:```.*?```|`[^`\n]+`)(?!`)", re.DOTALL)


HANDLE_ATTRIBUTES = ("userid", "real_jid", "person")
"""Where backends keep who someone is, most stable first: Slack's user id, the real JID of an
XMPP room occupant (their room nick is all ``person`` gives), then ``person`` (an IRC nick, a
Telegram user id, ``@name`` on the console)."""


def sender_handle(identifier: Any) -> str:
    """The handle people are listed by in the process file (``chat``)."""
    for attribute in HANDLE_ATTRIBUTES:
        try:
            value = getattr(identifier, attribute, None)
        except Exception:  # XMPP: no real JID in an anonymous room
            value = None
        if value:
            return str(value)
    return str(identifier)


def channel_address(address: str) -> str:
    """A room as dutybot compares it: Slack's ``<#C0123ABC|name>`` and ``C0123ABC`` (as Slack
    shows a channel's id, and names the channel of a reaction) are ``<#C0123ABC>``.

    The id form is what the process file lists (a renamed channel keeps its id) and what the
    Slack backend can post to without looking the name up. Other backends' rooms (``#ops``,
    ``ops@conference.example.org``) are left as they are.
    """
    slack = _SLACK_CHANNEL.match(address)
    return f"<#{slack.group(1) or slack.group(2)}>" if slack else address


def room_of(message: Any) -> str | None:
    room = getattr(message.frm, "room", None)
    return channel_address(str(room)) if room is not None else None


def _aliases(room: str) -> set[str]:
    """What the process file may call a room: its address, and on Slack also ``#name``."""
    slack = _SLACK_NAMED.match(room)
    return {channel_address(room), f"#{slack.group(1)}"} if slack else {channel_address(room)}


def channel_name(runtime: Runtime, room: str | None) -> str | None:
    """The [channels] name (``support``) of a room as the backend prints it (``#ask-support``,
    or Slack's ``<#C0123ABC|ask-support>``, known by id or by ``#ask-support``)."""
    if room is None:
        return None
    aliases = _aliases(room)
    channels = runtime.process.core.channels
    return next(
        (
            name
            for name in type(channels).model_fields
            if channel_address(getattr(channels, name)) in aliases
        ),
        None,
    )


def slack_event(message: Any) -> Mapping[str, Any]:
    """The Slack event a message came from (empty on other backends)."""
    return (getattr(message, "extras", None) or {}).get("slack_event") or {}


def is_edit(message: Any) -> bool:
    """An edited message, which Slack delivers again as a new event with the new text.

    It must never run a command or open a request a second time, so the bridge drops it.
    """
    return slack_event(message).get("subtype") == EDITED


def slack_text(message: Any) -> str:
    """What a Slack message says as people read it: its text, then its attachments', unescaped.

    Tools post alerts as attachments: Alertmanager's Slack integration puts the subject in the
    attachment's ``title`` and sends no text at all, so without them its posts read as empty.
    An attachment with none of ``ATTACHMENT_PARTS`` gives its ``fallback``. A shared message
    or a link's preview is left out: it is someone else's words, or a page's, and read as the
    sender's it could open a request or declare an incident a second time. Slack sends ``&``,
    ``<`` and ``>`` typed by people as ``&amp;``, ``&lt;`` and ``&gt;`` (its only escapes), and
    the backend leaves them so; plugins store and echo text, so they get the characters.
    """
    lines = [message.body] if message.body else []
    for attachment in (getattr(message, "extras", None) or {}).get("attachments") or []:
        if any(attachment.get(key) for key in QUOTED):
            continue
        parts = [str(attachment[key]) for key in ATTACHMENT_PARTS if attachment.get(key)]
        lines += parts or ([str(attachment["fallback"])] if attachment.get("fallback") else [])
    return _SLACK_ESCAPE.sub(lambda m: _SLACK_UNESCAPED[m.group(1)], "\n".join(lines))


def slack_body(text: str) -> str:
    """A neutralised message body as the SlackV3 backend must get it: bare ``@handles``
    defused (``defuse_handles``), and ``&`` escaped.

    The backend converts the body from Markdown before posting it, and the conversion decodes
    HTML entities: ``&lt;!here&gt;`` (what Slack sends for a typed ``<!here>``, so what a
    command echoes, and what a feature stores when someone types the entity itself) reached
    Slack as ``<!here>``, a live mention past ``neutralise``, which looks for the characters.
    With ``&`` escaped the conversion gives back the text as it was, and Slack shows ``&amp;``
    as ``&``. Inside code the conversion decodes nothing, so code is left as it is; what is
    taken for code (``_SLACK_CODE``) is only what certainly is code to the conversion.
    """
    text = defuse_handles(text)
    parts, done = [], 0
    for code in _SLACK_CODE.finditer(text):
        parts += [text[done : code.start()].replace("&", "&amp;"), code.group()]
        done = code.end()
    return "".join([*parts, text[done:].replace("&", "&amp;")])


def inbound(runtime: Runtime, message: Any) -> InboundMessage:
    """A dutybot message from an Errbot one; ids come from the backend's event where it has them
    (Slack: ``ts``, and ``thread_ts`` for a reply in a thread), and so does the text
    (``slack_text``)."""
    handle = sender_handle(message.frm)
    room = getattr(message.frm, "room", None)
    event = slack_event(message)
    return InboundMessage(
        text=slack_text(message) if event else message.body,
        sender=handle,
        person=runtime.process.person_by_chat(handle),
        channel=channel_address(str(room)) if room is not None else None,
        channel_name=channel_name(runtime, str(room)) if room is not None else None,
        message_id=event.get("ts"),
        thread_id=event.get("thread_ts"),
    )


def reply_parent(message: Any) -> Any:
    """What a reply to ``message`` hangs off: the message, or, in a Slack thread, the thread's
    first message (Slack asks replies to name that, not another reply)."""
    event = slack_event(message)
    root = event.get("thread_ts")
    if root is None or root == event.get("ts"):
        return message
    parent = Message("", extras={"slack_event": {"ts": root, "thread_ts": root}})
    parent.frm, parent.to = message.frm, message.to
    return parent


def reaction_of(runtime: Runtime, reaction: Any) -> ChatReaction | None:
    """A dutybot reaction from an Errbot ``Reaction``; None for what dutybot cannot place.

    Slack's ``reacted_to`` is ``{"type": "message", "channel": "C…", "ts": "…"}``: the message's
    id and channel, not its text or thread. Reactions on files, and actions other than added and
    removed, are not passed on.
    """
    item = reaction.reacted_to
    if reaction.action not in (REACTION_ADDED, REACTION_REMOVED) or not isinstance(item, Mapping):
        return None
    if item.get("type", "message") != "message":
        return None
    handle = sender_handle(reaction.reactor)
    channel = item.get("channel")
    room = channel_address(str(channel)) if channel is not None else None
    return ChatReaction(
        reactor=handle,
        person=runtime.process.person_by_chat(handle),
        emoji=emoji_name(reaction.reaction_name),
        added=reaction.action == REACTION_ADDED,
        message_id=item.get("ts"),
        channel=room,
        channel_name=channel_name(runtime, room),
        thread_id=item.get("thread_ts"),
        text=item.get("text"),
    )


def emoji_name(name: str) -> str:
    """``:thumbsup::skin-tone-2:`` and ``thumbsup`` are the same reaction."""
    return _SKIN_TONE.sub("", name.strip().strip(":")).strip(":")


def backend_address(bot: Any, address: str) -> str:
    """A process-file address as the backend builds identifiers from it.

    Slack's ``build_identifier`` wants ``<@U…>`` and ``<#C…>``; a bare id (as Slack shows it in
    a profile) is wrapped, so posts to it cannot fail and wait in the outbox for good.
    """
    if getattr(bot, "mode", None) != SLACK_MODE:
        return address
    if _BARE_SLACK_USER.match(address):
        return f"<@{address}>"
    return channel_address(address)


def outbound(bot: Any, to: Any, text: str, parent_ref: str | None) -> Message:
    """A message to send, replying in the thread of backend message ``parent_ref`` if given."""
    message = bot.build_message(text)
    message.to, message.frm = to, bot.bot_identifier
    if parent_ref is not None:
        message.parent = Message("", extras={"slack_event": {"ts": parent_ref}})
    return message


def message_ref(message: Message) -> str | None:
    """The backend's id of a sent message (Slack sets ``extras['ts']``), else None."""
    ts = (message.extras or {}).get("ts")
    return str(ts[0] if isinstance(ts, list) and ts else ts) if ts else None


def group_by_feature(commands: Iterable[Command]) -> dict[str, list[Command]]:
    groups: dict[str, list[Command]] = defaultdict(list)
    for command in sorted(commands, key=lambda c: c.name):
        groups[command.feature].append(command)
    return dict(groups)


def errbot_command(runtime: Runtime, command: Command, prefix: str) -> ErrbotCommand:
    """An Errbot command that runs ``command`` through the runtime as the message's sender."""

    def run(_plugin: Any, message: Any, args: str) -> str:
        return neutralise(
            runtime.run_command(
                command.name, args, sender_handle(message.frm), room_of(message), prefix
            )
        )

    return ErrbotCommand(
        run, name=command.errbot_name, doc=f"{command.summary}\nUsage: {prefix}{command.usage}"
    )


def dynamic_plugins(
    runtime: Runtime, prefix: str
) -> list[tuple[str, tuple[ErrbotCommand, ...], str]]:
    """One Errbot plugin per feature, so ``!help`` lists dutybot's commands grouped by feature."""
    return [
        (
            f"dutybot {feature}" if feature != "dutybot" else "dutybot",
            tuple(errbot_command(runtime, c, prefix) for c in commands),
            "dutybot: the framework's own commands"
            if feature == "dutybot"
            else f"dutybot: {feature}",
        )
        for feature, commands in group_by_feature(runtime.commands.values()).items()
    ]
