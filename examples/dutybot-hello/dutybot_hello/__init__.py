"""dutybot-hello: a chat command and a hook, the shape of every dutybot plugin."""

from __future__ import annotations

import threading

from core import hookimpl
from core.commands import Command, CommandContext, UsageError

_greetings = 0
_lock = threading.Lock()


def hello(ctx: CommandContext) -> str:
    """Greet someone and say who is on support now (asked through a hook, not an import)."""
    global _greetings
    words = ctx.words()
    if len(words) > 1:
        raise UsageError("Greet one person at a time.")
    person = ctx.person_arg(words[0]) if words else ctx.require_person()
    runtime = ctx.runtime
    on_support = runtime.hook.dutybot_role_holders(
        runtime=runtime, role="support", at=runtime.clock.now()
    )
    with _lock:
        _greetings += 1
    return f"Hello, {person.name}! On support today: {', '.join(on_support or []) or 'nobody'}."


@hookimpl
def dutybot_commands() -> list[Command]:
    return [Command("hello", "Hello", "Say hello and who is on support.", "hello [@person]", hello)]


@hookimpl
def dutybot_status() -> list[str]:
    return [f"hello: {_greetings} greetings since start"]
