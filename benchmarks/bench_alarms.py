"""Benchmark alarm ingest through the real HTTP endpoint, beside a raw SQLAlchemy insert.

Run from the repository root: ``.venv/bin/python benchmarks/bench_alarms.py``. It starts a
runtime with its receiver on a free local port (SQLite in a temporary directory, and
PostgreSQL too when ``DUTYBOT_BENCH_DATABASE_URL`` is set, in a throw-away schema) and posts
Alertmanager webhook payloads of 1, 10 and 100 alerts, each group sent several times (the
repeats Alertmanager makes), one request at a time over a kept-alive connection, as
Alertmanager's Go HTTP client sends them. The same rows are then inserted with plain SQLAlchemy
Core (one transaction per payload) into the same database. Printed: alerts/s for both, their
ratio, the same work through the receiver's WSGI app in-process (no TCP), the HTTP floor (the
same bodies posted to a route that does nothing but answer, through the same server and client:
what HTTP alone costs per request), and the p50/p99 time from sending a single-alert payload to
its 2xx. The webhook rate limit is raised for the run (``[limits] webhook``): it is what is
being measured, not what is refused.

Targets (issue 5): >= 2,000 alerts/s on SQLite, <= 3x the raw insert, p99 < 20 ms.
"""

from __future__ import annotations

import http.client
import json
import logging
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, MetaData, create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.test import Client  # noqa: E402

from core.clock import SystemClock  # noqa: E402
from core.plugin_manager import DEFAULT_PLUGINS  # noqa: E402
from core.receiver import Credential  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from plugins.alarms.ingest import key_hash  # noqa: E402
from plugins.alarms.models import AlarmAlert  # noqa: E402

TOKEN = secrets.token_hex(16)
PAYLOADS = {1: 3000, 10: 900, 100: 300}  # payloads sent per size: each at least a second's work
REPEATS = 3  # each group is sent this many times (first = new, then repeats)
LATENCY_SAMPLES = 1000
TARGET_RATE, TARGET_RATIO, TARGET_P99_MS = 2000, 3.0, 20.0


def payload(group: int, size: int) -> dict[str, Any]:
    """An Alertmanager v4 body: one group of ``size`` warning alerts (no page, one post)."""
    name = f"Bench{group}"
    return {
        "receiver": "dutybot",
        "status": "firing",
        "version": "4",
        "truncatedAlerts": 0,
        "groupKey": f'{{}}:{{alertname="{name}", job="bench"}}',
        "groupLabels": {"alertname": name, "job": "bench"},
        "commonLabels": {"alertname": name, "job": "bench", "severity": "warning"},
        "commonAnnotations": {"summary": "Benchmark alert"},
        "externalURL": "http://am:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": name,
                    "job": "bench",
                    "severity": "warning",
                    "instance": f"10.0.{group % 250}.{i}:9100",
                },
                "annotations": {
                    "summary": "Benchmark alert",
                    "runbook_url": "https://runbooks.example.org/bench",
                },
                "startsAt": "2026-11-30T08:00:00.123456789Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": f"{group:08x}{i:08x}",
            }
            for i in range(size)
        ],
    }


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """A SQLite file in a temporary directory, or a fresh schema in the given PostgreSQL."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def start(url: str, tmp: Path) -> Runtime:
    process = tmp / "process.toml"
    process.write_text('[limits]\nwebhook = "999999/1m"\n', encoding="utf-8")
    settings = Settings(
        database_url=url,
        data_dir=tmp,
        process_file=process,
        http_port=0,
        scheduler_enabled=False,
        disabled_plugins=frozenset(set(DEFAULT_PLUGINS) - {"system", "team", "alarms"}),
        credentials={"alertmanager": Credential(token=TOKEN)},
    )
    return Runtime(settings, clock=SystemClock()).start()


def post_all(port: int, bodies: list[bytes], path: str = "/alerts/alertmanager") -> float:
    """Post each body in turn from a separate sender process; seconds from first to last 2xx.

    The sender is its own process over one kept-alive connection, as Alertmanager is: its CPU
    is not the receiver's. A ``path`` other than the alert route measures the floor: a 404
    answered by the receiver without running any handler.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_send, (port, path, bodies, TOKEN))  # the child draws its own TOKEN


def _send(port: int, path: str, bodies: list[bytes], token: str) -> float:
    expected = 200 if path == "/alerts/alertmanager" else 404
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    began = time.perf_counter()
    for body in bodies:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != expected:
            raise SystemExit(f"unexpected {response.status}: {answer[:200]!r}")
    elapsed = time.perf_counter() - began
    connection.close()
    return elapsed


def post_in_process(runtime: Runtime, bodies: list[bytes]) -> float:
    """The same requests through the receiver's WSGI app without TCP: what the HTTP layer costs."""
    client = Client(runtime.receiver)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    began = time.perf_counter()
    for body in bodies:
        response = client.post("/alerts/alertmanager", data=body, headers=headers)
        if response.status_code != 200:
            raise SystemExit(
                f"unexpected {response.status_code}: {response.get_data(as_text=True)}"
            )
    return time.perf_counter() - began


def raw_insert(engine: Engine, batches: list[list[dict[str, Any]]]) -> float:
    """The same alert rows, one transaction per payload, straight through SQLAlchemy Core.

    Same engine (so the same SQLite pragmas or PostgreSQL connection), into a fresh copy of the
    alerts table: the floor that any ingest path storing these rows has to stand on.
    """
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS raw_alerts"))
        connection.execute(
            text("CREATE TABLE raw_alerts AS SELECT * FROM alarm_alerts WHERE 1 = 0")
        )
    raw = AlarmAlert.__table__.to_metadata(MetaData(), name="raw_alerts")
    began = time.perf_counter()
    for rows in batches:
        with engine.begin() as connection:
            connection.execute(insert(raw), rows)
    return time.perf_counter() - began


def rows_of(body: dict[str, Any], serial: list[int]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for alert in body["alerts"]:
        serial[0] += 1
        rows.append(
            {
                "id": serial[0],
                "group_id": 1,
                "source": "alertmanager",
                "key_hash": key_hash(alert["fingerprint"] + str(serial[0])),
                "dedup_key": alert["fingerprint"],
                "title": alert["labels"]["alertname"],
                "summary": "Benchmark alert",
                "description": "",
                "runbook_url": alert["annotations"]["runbook_url"],
                "url": alert["generatorURL"],
                "labels": alert["labels"],
                "priority": "low",
                "status": "firing",
                "starts_at": now,
                "first_seen_at": now,
                "last_seen_at": now,
                "notifications": 1,
            }
        )
    return rows


def bench(url: str | None, label: str) -> bool:
    ok = True
    with database(url) as db_url, tempfile.TemporaryDirectory() as tmp:
        runtime = start(db_url, Path(tmp))
        port = runtime.receiver.port
        assert port is not None
        print(f"\n{label}: {runtime.db.display_url}")
        print(
            f"{'alerts/payload':>15} {'payloads':>9} {'dutybot/s':>10} {'raw/s':>10} {'ratio':>6}"
            f" {'in-process/s':>13} {'HTTP floor ms':>14} {'dutybot ms':>11}"
        )
        serial = [0]
        group = 0
        for size in PAYLOADS:
            groups = PAYLOADS[size] // REPEATS
            bodies, batches = [], []
            for _ in range(groups):
                group += 1
                body = payload(group, size)
                bodies += [json.dumps(body).encode()] * REPEATS
                batches += [rows_of(body, serial) for _ in range(REPEATS)]
            elapsed = post_all(port, bodies)
            raw = raw_insert(runtime.db.engine, batches)
            fresh = []
            for _ in range(groups):
                group += 1
                fresh += [json.dumps(payload(group, size)).encode()] * REPEATS
            in_process = post_in_process(runtime, fresh)
            floor = post_all(port, bodies, path="/nowhere")
            alerts = len(bodies) * size
            rate, raw_rate = alerts / elapsed, alerts / raw
            ratio = raw_rate / rate
            print(
                f"{size:>15} {len(bodies):>9} {rate:>10.0f} {raw_rate:>10.0f} {ratio:>5.1f}x"
                f" {alerts / in_process:>13.0f} {floor / len(bodies) * 1000:>14.2f}"
                f" {elapsed / len(bodies) * 1000:>11.2f}"
            )
            if url is None:
                ok &= rate >= TARGET_RATE and ratio <= TARGET_RATIO
        latencies = []
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        for _ in range(LATENCY_SAMPLES):
            group += 1
            body = json.dumps(payload(group, 1)).encode()
            began = time.perf_counter()
            response = requests.post(  # a new connection each time: the worst case
                f"http://127.0.0.1:{port}/alerts/alertmanager",
                data=body,
                headers=headers,
                timeout=10,
            )
            latencies.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        p99 = statistics.quantiles(latencies, n=100)[98]
        print(
            f"single-alert receive-to-2xx: p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms "
            f"({LATENCY_SAMPLES} new groups, each a new post)"
        )
        ok &= p99 < TARGET_P99_MS
        runtime.stop()
    return ok


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    ok = bench(None, "SQLite")
    pg = os.environ.get("DUTYBOT_BENCH_DATABASE_URL")
    if pg:
        ok &= bench(pg, "PostgreSQL")
    else:
        print(
            "\n(set DUTYBOT_BENCH_DATABASE_URL=postgresql+psycopg://... to measure PostgreSQL too)"
        )
    print(
        f"\ntargets: >= {TARGET_RATE} alerts/s and <= {TARGET_RATIO}x raw on SQLite, p99 < {TARGET_P99_MS} ms: "
        + ("met" if ok else "NOT met")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
