"""Foundation benchmark: command round-trip vs Errbot's !echo, start-up time, resident memory.

Run: .venv/bin/python benchmarks/bench_core.py   (or `make bench` for every benchmark)

1. The median round-trip of dutybot commands through Errbot's test backend, divided by that of
   Errbot's built-in ``!echo`` measured in the same bot, interleaved. Target ≤ 1.5×. The test
   backend renders every reply's Markdown, so a long reply costs more whoever writes it: each
   command is also compared with ``!echo`` of a reply as long as its own, which isolates
   dutybot's overhead. The target is judged on ``!team`` (the framework's path: bridge, runtime,
   ACL, handler); ``!whoami`` and ``!dutybot status`` are printed for information, since they do
   real work (every rota's plan for the person, database counts of every feature).
2. ``dutybot run`` in a subprocess on a fresh SQLite database: seconds from spawn until a piped
   ``!echo`` is answered (the bot is ready for chat), target < 3 s; its resident memory then,
   target < 200 MB.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from errbot.backends.test import TestBot  # noqa: E402

from core import runtime as runtime_module  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402

ROUNDS = 300
COMMANDS = ["!whoami", "!team", "!dutybot status"]
FRAMEWORK_PATH = "!team"


def round_trips(bot: TestBot, command: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        bot.push_message(command)
        bot.pop_message(timeout=5)
        times.append(time.perf_counter() - start)
    return times


def bench_commands() -> bool:
    data = Path(tempfile.mkdtemp(prefix="dutybot-bench-"))
    settings = Settings(
        database_url=f"sqlite:///{data / 'db.sqlite3'}",
        data_dir=data,
        http_enabled=False,
        scheduler_enabled=False,
    )
    runtime = runtime_module.install(Runtime(settings).start())
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
    ok = True
    try:
        same_length = {}
        for command in COMMANDS:
            reply = bot.exec_command(command)
            same_length[command] = "!echo " + " ".join(reply.split())
        for command in ["!echo warm", *COMMANDS, *same_length.values()]:
            round_trips(bot, command, 20)
        echo: list[float] = []
        ours: dict[str, list[float]] = {c: [] for c in COMMANDS}
        echo_same: dict[str, list[float]] = {c: [] for c in COMMANDS}
        for _ in range(ROUNDS // 10):  # interleaved, so drift hits both alike
            echo += round_trips(bot, "!echo hello", 10)
            for command in COMMANDS:
                ours[command] += round_trips(bot, command, 10)
                echo_same[command] += round_trips(bot, same_length[command], 10)
        baseline = statistics.median(echo)
        print(
            f"core: Errbot !echo median round-trip {baseline * 1000:.2f} ms (baseline, {len(echo)} rounds)"
        )
        for command, times in ours.items():
            ours_ms = statistics.median(times)
            ratio = ours_ms / baseline
            same_ratio = ours_ms / statistics.median(echo_same[command])
            if command == FRAMEWORK_PATH:
                ok &= same_ratio <= 1.5
            judged = " (target <= 1.5x)" if command == FRAMEWORK_PATH else " (information)"
            print(
                f"core: {command:<16} median {ours_ms * 1000:.2f} ms = {ratio:.2f}x !echo hello, "
                f"{same_ratio:.2f}x !echo of an equally long reply{judged}"
            )
    finally:
        bot.stop()
        runtime.stop()
    return ok


def bench_startup() -> bool:
    data = Path(tempfile.mkdtemp(prefix="dutybot-bench-"))
    env = {
        **os.environ,
        "DUTYBOT_DATA_DIR": str(data),
        "DUTYBOT_HTTP_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "dutybot"), "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"!echo bench-ready\n")
    process.stdin.flush()
    ready = None
    for line in process.stdout:
        if b"bench-ready" in line and b"!echo" not in line:
            ready = time.perf_counter() - start
            break
    rss_kb = next(
        int(line.split()[1])
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    process.kill()
    process.wait()
    if ready is None:
        print("core: start-up: the bot never answered")
        return False
    print(f"core: start-up to first answered command {ready:.2f} s (target < 3 s)")
    print(f"core: resident memory when ready {rss_kb / 1024:.0f} MB (target < 200 MB)")
    return ready < 3 and rss_kb / 1024 < 200


if __name__ == "__main__":
    results = [bench_commands(), bench_startup()]
    sys.exit(0 if all(results) else 1)
