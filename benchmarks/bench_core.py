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

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.chatbench import chat_bot, time_commands  # noqa: E402
from core import runtime as runtime_module  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402

ROUNDS = 300
COMMANDS = ["!whoami", "!team", "!dutybot status"]
FRAMEWORK_PATH = "!team"


def bench_commands() -> bool:
    data = Path(tempfile.mkdtemp(prefix="dutybot-bench-"))
    settings = Settings(
        database_url=f"sqlite:///{data / 'db.sqlite3'}",
        data_dir=data,
        http_enabled=False,
        scheduler_enabled=False,
    )
    runtime_module.install(Runtime(settings).start())
    try:
        with chat_bot() as bot:
            timings = time_commands(bot, COMMANDS, ROUNDS)
    finally:
        runtime_module.uninstall()
    print(f"core: Errbot !echo median round-trip {timings[0].echo * 1000:.2f} ms (baseline)")
    ok = True
    for timing in timings:
        judged = timing.command == FRAMEWORK_PATH
        ok &= not judged or timing.median / timing.echo_same_length <= 1.5
        print(
            f"core: {timing.command:<16} {timing.describe()}"
            + (" (target <= 1.5x)" if judged else " (information)")
        )
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
