"""Translating between Errbot's objects and dutybot's chat-agnostic ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from errbot import Command as ErrbotCommand

from core.chat import InboundMessage
from core.commands import Command
from core.runtime import Runtime


def sender_handle(identifier: Any) -> str:
    """The handle people are listed by in the process file: a Slack user id, else ``@name``."""
    return str(getattr(identifier, "userid", None) or getattr(identifier, "person", None) or identifier)


def room_of(message: Any) -> str | None:
    room = getattr(message.frm, "room", None)
    return str(room) if room is not None else None


def channel_name(runtime: Runtime, address: str | None) -> str | None:
    """The [channels] name (``support``) of a room address (``#ask-cloud-platform``)."""
    if address is None:
        return None
    channels = runtime.process.core.channels
    return next((name for name in type(channels).model_fields if getattr(channels, name) == address), None)


def inbound(runtime: Runtime, message: Any) -> InboundMessage:
    handle = sender_handle(message.frm)
    room = room_of(message)
    extras = getattr(message, "extras", None) or {}
    parent = getattr(message, "parent", None)
    return InboundMessage(
        text=message.body,
        sender=handle,
        person=runtime.process.person_by_chat(handle),
        channel=room,
        channel_name=channel_name(runtime, room),
        message_id=str(extras["ts"]) if "ts" in extras else None,
        thread_id=str(getattr(parent, "extras", {}).get("ts")) if parent is not None else None,
    )


def group_by_feature(commands: Iterable[Command]) -> dict[str, list[Command]]:
    groups: dict[str, list[Command]] = defaultdict(list)
    for command in sorted(commands, key=lambda c: c.name):
        groups[command.feature].append(command)
    return dict(groups)


def errbot_command(runtime: Runtime, command: Command, prefix: str) -> ErrbotCommand:
    """An Errbot command that runs ``command`` through the runtime as the message's sender."""

    def run(_plugin: Any, message: Any, args: str) -> str:
        return runtime.run_command(command.name, args, sender_handle(message.frm), room_of(message), prefix)

    return ErrbotCommand(run, name=command.errbot_name, doc=f"{command.summary}\nUsage: {prefix}{command.usage}")


def dynamic_plugins(runtime: Runtime, prefix: str) -> list[tuple[str, tuple[ErrbotCommand, ...], str]]:
    """One Errbot plugin per feature, so ``!help`` lists dutybot's commands grouped by feature."""
    return [
        (
            f"dutybot {feature}" if feature != "dutybot" else "dutybot",
            tuple(errbot_command(runtime, c, prefix) for c in commands),
            f"dutybot: {feature} commands",
        )
        for feature, commands in group_by_feature(runtime.commands.values()).items()
    ]

