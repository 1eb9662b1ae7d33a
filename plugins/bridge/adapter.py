"""Translating between Errbot's objects and dutybot's chat-agnostic ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from errbot import Command as ErrbotCommand
from errbot.backends.base import Message

from core.chat import InboundMessage
from core.commands import Command
from core.runtime import Runtime


def sender_handle(identifier: Any) -> str:
    """The handle people are listed by in the process file: a Slack user id, else ``@name``."""
    return str(
        getattr(identifier, "userid", None) or getattr(identifier, "person", None) or identifier
    )


def room_of(message: Any) -> str | None:
    room = getattr(message.frm, "room", None)
    return str(room) if room is not None else None


def channel_name(runtime: Runtime, address: str | None) -> str | None:
    """The [channels] name (``support``) of a room address (``#ask-cloud-platform``)."""
    if address is None:
        return None
    channels = runtime.process.core.channels
    return next(
        (name for name in type(channels).model_fields if getattr(channels, name) == address), None
    )


def inbound(runtime: Runtime, message: Any) -> InboundMessage:
    """A dutybot message from an Errbot one; ids come from the backend's event where it has them
    (Slack: ``ts``, and ``thread_ts`` for a reply in a thread)."""
    handle = sender_handle(message.frm)
    room = room_of(message)
    event = (getattr(message, "extras", None) or {}).get("slack_event") or {}
    return InboundMessage(
        text=message.body,
        sender=handle,
        person=runtime.process.person_by_chat(handle),
        channel=room,
        channel_name=channel_name(runtime, room),
        message_id=event.get("ts"),
        thread_id=event.get("thread_ts"),
    )


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
        return runtime.run_command(
            command.name, args, sender_handle(message.frm), room_of(message), prefix
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
