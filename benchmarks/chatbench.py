"""Round-trips through Errbot's test backend, each beside Errbot's own ``!echo`` in the same run.

Shared by the benchmarks that time chat commands. The test backend renders every reply's
Markdown, so a long reply costs more whoever writes it: each command is timed against
``!echo hello`` and against ``!echo`` of a reply as long as its own, interleaved so that drift
hits both alike.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from errbot.backends.test import TestBot

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Timing:
    """Median round-trips of one command and of its two ``!echo`` baselines, in seconds."""

    command: str
    median: float
    echo: float
    echo_same_length: float

    def describe(self) -> str:
        return (
            f"median {self.median * 1000:.2f} ms = {self.median / self.echo:.2f}x !echo hello, "
            f"{self.median / self.echo_same_length:.2f}x !echo of an equally long reply"
        )


@contextmanager
def chat_bot() -> Iterator[TestBot]:
    """A started Errbot test bot with the dutybot bridge (attached to the installed runtime)."""
    bot = TestBot(
        extra_plugin_dir=str(ROOT / "plugins" / "bridge"),
        loglevel=logging.ERROR,
        extra_config={
            "BOT_ADMINS": ("@alice",),
            "AUTOINSTALL_DEPS": False,
            "CORE_PLUGINS": ("ACLs", "CommandNotFoundFilter", "Help", "Utils"),
        },
    )
    bot.start()
    try:
        yield bot
    finally:
        bot.stop()


def round_trips(bot: TestBot, command: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        bot.push_message(command)
        bot.pop_message(timeout=5)
        times.append(time.perf_counter() - start)
    return times


def time_commands(bot: TestBot, commands: list[str], rounds: int) -> list[Timing]:
    """Each command's median round-trip beside both ``!echo`` baselines, interleaved."""
    same_length = {c: "!echo " + " ".join(bot.exec_command(c).split()) for c in commands}
    for command in ["!echo warm", *commands, *same_length.values()]:
        round_trips(bot, command, 5)
    echo: list[float] = []
    ours: dict[str, list[float]] = {c: [] for c in commands}
    echo_same: dict[str, list[float]] = {c: [] for c in commands}
    for _ in range(rounds // 10):
        echo += round_trips(bot, "!echo hello", 10)
        for command in commands:
            ours[command] += round_trips(bot, command, 10)
            echo_same[command] += round_trips(bot, same_length[command], 10)
    baseline = statistics.median(echo)
    return [
        Timing(c, statistics.median(ours[c]), baseline, statistics.median(echo_same[c]))
        for c in commands
    ]
