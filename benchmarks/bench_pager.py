"""Benchmark the pager beside bare apprise, against the same local receiver in the same run.

Run from the repository root: ``.venv/bin/python benchmarks/bench_pager.py``. It starts a local
HTTP receiver and a runtime on SQLite in a temporary directory (and on PostgreSQL too when
``DUTYBOT_BENCH_DATABASE_URL`` is set, in a throw-away schema), then measures:

* latency: from asking ``dutybot_page`` for a page (written to the outbox, committed, claimed,
  sent by a worker) to the notification's arrival at the receiver, p50/p99 over many pages,
  beside ``apprise.Apprise.notify()`` to the same URL, interleaved. Target (issue 6):
  pager p99 <= 2 x bare p99 + 10 ms.
* fan-out: one page to 20 people whose endpoints each take 50 ms, from the request until every
  result is recorded, beside one ``notify()`` to the same 20 URLs (apprise's shared pool).
  Target: < 200 ms (apprise's own pool takes ~250 ms on a 2-CPU machine).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import apprise  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from core.plugin_manager import DEFAULT_PLUGINS  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from plugins.pager import worker  # noqa: E402

PAGES = 300
WARMUP = 20
FAN_OUT = 20
FAN_OUT_DELAY = 0.05
FAN_OUT_ROUNDS = 15
LATENCY_FACTOR, LATENCY_SLACK_MS = 2.0, 10.0
FAN_OUT_TARGET_MS = 200.0


class Receiver:
    """Records when each notification arrives (keyed by its message) and when it was answered."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                arrived = time.perf_counter()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = body["message"].split("\n", 1)[0]
                if self.path.startswith("/slow/"):
                    time.sleep(FAN_OUT_DELAY)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver._cond:
                    receiver.arrived[f"{key}{self.path}"] = arrived
                    receiver.answered[f"{key}{self.path}"] = time.perf_counter()
                    receiver._cond.notify_all()

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # 20 connections at once must not overflow the backlog

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.server.server_port}{path}"

    def wait(self, keys: list[str], timeout: float = 10) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: all(k in self.answered for k in keys), timeout):
                raise TimeoutError(f"not delivered: {[k for k in keys if k not in self.answered]}")


def process_file(directory: Path, receiver: Receiver) -> Path:
    """The alice who is paged for latency, and 20 people each with one 50 ms endpoint."""
    people = ["alice"] + [f"p{i:02d}" for i in range(FAN_OUT)]
    os.environ["BENCH_ALICE"] = receiver.url("/fast/alice")
    lines = [
        "[plugins]",
        f"disabled = {json.dumps([n for n in DEFAULT_PLUGINS if n not in ('system', 'team', 'pager')])}",
        "[groups]",
        f"fanout = {json.dumps(people[1:])}",
        "[pager]",
        'when_closed = "page"',
        f"rate_limit = {PAGES * 10}",
        "[pager.contacts]",
        'alice = ["env:BENCH_ALICE"]',
    ]
    for person in people[1:]:
        os.environ[f"BENCH_{person.upper()}"] = receiver.url(f"/slow/{person}")
        lines.append(f'{person} = ["env:BENCH_{person.upper()}"]')
    for person in people:
        lines[0:0] = ["[[people]]", f'id = "{person}"', f'name = "{person}"', f'chat = "@{person}"']
    path = directory / "process.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency(runtime: Runtime, receiver: Receiver, label: str) -> tuple[list[float], list[float]]:
    """Interleaved single notifications: through the pager, and through bare apprise."""
    bare = apprise.Apprise()
    bare.add(receiver.url("/fast/bare"))
    pager_ms: list[float] = []
    bare_ms: list[float] = []
    for n in range(WARMUP + PAGES):
        key = f"{label} latency {n}"
        began = time.perf_counter()
        runtime.hook.dutybot_page(
            runtime=runtime,
            target="alice",
            message=key,
            dedup_key=None,
            source="bench",
            session=None,
        )
        receiver.wait([f"{key}/fast/alice"])
        paged = (receiver.arrived[f"{key}/fast/alice"] - began) * 1000
        began = time.perf_counter()
        bare.notify(body=key, title="bench")
        receiver.wait([f"{key}/fast/bare"])
        direct = (receiver.arrived[f"{key}/fast/bare"] - began) * 1000
        if n >= WARMUP:
            pager_ms.append(paged)
            bare_ms.append(direct)
    return pager_ms, bare_ms


def fan_out(runtime: Runtime, receiver: Receiver, label: str) -> tuple[list[float], list[float]]:
    """One page to 20 slow endpoints, until every result is recorded; and one notify() to them."""
    pager = worker.running(runtime)
    assert pager is not None
    bare = apprise.Apprise()
    for i in range(FAN_OUT):
        bare.add(receiver.url(f"/slow/bare{i:02d}"))
    pager_ms: list[float] = []
    bare_ms: list[float] = []
    for n in range(FAN_OUT_ROUNDS + 1):
        key = f"{label} fan-out {n}"
        began = time.perf_counter()
        runtime.hook.dutybot_page(
            runtime=runtime,
            target="fanout",
            message=key,
            dedup_key=None,
            source="bench",
            session=None,
        )
        assert pager.wait_idle(10)
        paged = (time.perf_counter() - began) * 1000
        receiver.wait([f"{key}/slow/p{i:02d}" for i in range(FAN_OUT)])
        began = time.perf_counter()
        assert bare.notify(body=key, title="bench")
        direct = (time.perf_counter() - began) * 1000
        if n:
            pager_ms.append(paged)
            bare_ms.append(direct)
    return pager_ms, bare_ms


@contextmanager
def database_urls(directory: Path) -> Iterator[list[tuple[str, str]]]:
    urls = [("SQLite", f"sqlite:///{directory / 'bench.sqlite3'}")]
    pg = os.environ.get("DUTYBOT_BENCH_DATABASE_URL")
    schema = f"bench_{secrets.token_hex(4)}"
    if pg:
        with create_engine(pg).begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
        urls.append(("PostgreSQL", url.render_as_string(hide_password=False)))
    try:
        yield urls
    finally:
        if pg:
            with create_engine(pg).begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def run(label: str, url: str, process: Path, receiver: Receiver) -> bool:
    settings = Settings(
        database_url=url, process_file=process, http_enabled=False, scheduler_enabled=False
    )
    runtime = Runtime(settings).start()
    try:
        pager_ms, bare_ms = latency(runtime, receiver, label)
        fan_pager, fan_bare = fan_out(runtime, receiver, label)
    finally:
        runtime.stop()
    p50, p99 = percentile(pager_ms, 0.5), percentile(pager_ms, 0.99)
    b50, b99 = percentile(bare_ms, 0.5), percentile(bare_ms, 0.99)
    limit = LATENCY_FACTOR * b99 + LATENCY_SLACK_MS
    fan, fan_b = statistics.median(fan_pager), statistics.median(fan_bare)
    print(f"-- {label}")
    report(
        f"latency over {PAGES} pages: pager p50 {p50:.1f} ms, p99 {p99:.1f} ms; bare apprise "
        f"p50 {b50:.1f} ms, p99 {b99:.1f} ms; p99 ratio {p99 / b99:.2f}",
        p99 <= limit,
        f"pager p99 <= 2 x bare p99 + 10 ms = {limit:.1f} ms",
    )
    report(
        f"fan-out to {FAN_OUT} x {FAN_OUT_DELAY * 1000:.0f} ms endpoints, median of {FAN_OUT_ROUNDS}: "
        f"pager {fan:.0f} ms (max {max(fan_pager):.0f}), apprise's pool {fan_b:.0f} ms; "
        f"ratio {fan / fan_b:.2f}",
        fan < FAN_OUT_TARGET_MS,
        f"< {FAN_OUT_TARGET_MS:.0f} ms",
    )
    return p99 <= limit and fan < FAN_OUT_TARGET_MS


def report(line: str, met: bool, target: str) -> None:
    print(f"{line}\n   target {target}: {'met' if met else 'MISSED'}", flush=True)


def main() -> int:
    logging.disable(logging.WARNING)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    receiver = Receiver()
    results: list[bool] = []
    with tempfile.TemporaryDirectory() as tmp, database_urls(Path(tmp)) as urls:
        process = process_file(Path(tmp), receiver)
        for label, url in urls:
            results.append(run(label, url, process, receiver))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
