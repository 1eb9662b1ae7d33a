"""Triage benchmark: ``!requests open`` with 100,000 requests in a SQLite database.

Run: .venv/bin/python benchmarks/bench_triage.py   (or `make bench` for every benchmark)

100,000 requests (60% open: new, triaged, in progress or waiting on the user; 40% resolved) are
inserted with one SQLAlchemy core ``INSERT ... SELECT`` over a recursive counter, so SQLite makes
the rows itself. The median round-trip of ``!requests open`` through Errbot's
test backend must be under 200 ms; it is printed with its ratio to Errbot's built-in ``!echo``
measured in the same bot, interleaved (and to an ``!echo`` of an equally long reply, since the
test backend renders every reply's Markdown). The other filters are timed too, and SQLite's plan
for the queue query is printed to show it walks an index instead of sorting every row.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import ColumnElement, case, func, insert, literal, null, select, text  # noqa: E402

from benchmarks.chatbench import chat_bot, time_commands  # noqa: E402
from core import runtime as runtime_module  # noqa: E402
from core.clock import FakeClock  # noqa: E402
from core.plugin_manager import DEFAULT_PLUGINS  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from plugins.triage.models import IN_PROGRESS, NEW, RESOLVED, TRIAGED, WAITING, Pause, Request  # noqa: E402

REQUESTS = 100_000
ROUNDS = 100
TARGET_MS = 200
NOW = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # a Monday in support hours
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"]
COMMANDS = ["!requests open", "!requests unassigned", "!requests @grace"]


def _instant(minutes: ColumnElement[int]) -> ColumnElement[str]:
    """NOW plus ``minutes``, as the text SQLAlchemy stores a UTC datetime in on SQLite."""
    shifted = func.strftime(
        "%Y-%m-%d %H:%M:%S", NOW.strftime("%Y-%m-%d %H:%M:%S"), func.printf("%+d minutes", minutes)
    )
    return shifted.concat(".000000")


def fill(runtime: Runtime) -> float:
    """Insert the requests with one INSERT ... SELECT over a counter, computed inside SQLite.

    States follow ``n % 20`` (15% new, 15% triaged, 20% in progress, 10% waiting, 40% resolved);
    requests were opened over the last 90 days; open ones are due between 10 hours ago and
    50 hours from now. Returns the seconds taken.
    """
    start = time.perf_counter()
    counter = select(literal(1).label("n")).cte("counter", recursive=True)
    counter = counter.union_all(select(counter.c.n + 1).where(counter.c.n < REQUESTS))
    n = counter.c.n
    bucket = n % 20
    state = case(
        (bucket < 3, NEW),
        (bucket < 6, TRIAGED),
        (bucket < 10, IN_PROGRESS),
        (bucket < 12, WAITING),
        else_=RESOLVED,
    )
    running = bucket < 10
    opened = -((n * 7919) % (90 * 24 * 60)) - 1
    due = (n * 104729) % 3600 - 600
    people = case(*((n % 10 == i, p) for i, p in enumerate(PEOPLE)), else_=null())
    columns = {
        "id": n,
        "summary": func.printf("Request number %d about service %d", n, n % 97),
        "description": func.printf("Request number %d", n),
        "requester": func.printf("@user%d", n % 500),
        "contact": func.printf("@user%d", n % 500),
        "state": state,
        "priority": case((n % 4 == 0, "high"), else_="normal"),
        "assignee": people,
        "opened_at": _instant(opened),
        "updated_at": _instant(opened),
        "first_response_at": case((bucket < 3, null()), else_=_instant(opened + 5)),
        "resolved_at": case((bucket >= 12, _instant(opened + 180)), else_=null()),
        "progress_minutes": literal(0.0),
        "sla_due_at": case((running, _instant(due)), else_=null()),
        "sla_warn_at": case((running, _instant(due - 20)), else_=null()),
    }
    requests = Request.__table__
    with runtime.db.engine.begin() as connection:
        connection.execute(insert(requests).from_select(list(columns), select(*columns.values())))
        waiting = select(requests.c.id, literal("waiting"), requests.c.updated_at).where(
            requests.c.state == WAITING
        )
        connection.execute(
            insert(Pause.__table__).from_select(["request_id", "reason", "started_at"], waiting)
        )
        connection.exec_driver_sql("ANALYZE")
    return time.perf_counter() - start


def plan(runtime: Runtime) -> str:
    query = (
        "SELECT id FROM triage_requests WHERE sla_due_at IS NOT NULL "
        "ORDER BY sla_due_at, id LIMIT 20"
    )
    with runtime.db.engine.connect() as connection:
        return "; ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {query}")))


def main() -> bool:
    data = Path(tempfile.mkdtemp(prefix="dutybot-bench-"))
    settings = Settings(
        database_url=f"sqlite:///{data / 'db.sqlite3'}",
        data_dir=data,
        http_enabled=False,
        scheduler_enabled=False,
        disabled_plugins=frozenset(set(DEFAULT_PLUGINS) - {"system", "team", "triage"}),
    )
    runtime = runtime_module.install(Runtime(settings, clock=FakeClock(NOW)).start())
    print(f"triage: inserted {REQUESTS:,} requests in {fill(runtime):.1f} s")
    print(f"triage: SQLite plan for the queue: {plan(runtime)}")
    try:
        with chat_bot() as bot:
            print(
                f"triage: !requests open answers with {len(bot.exec_command(COMMANDS[0]).splitlines())} lines"
            )
            timings = time_commands(bot, COMMANDS, ROUNDS)
    finally:
        runtime_module.uninstall()
    print(f"triage: Errbot !echo median round-trip {timings[0].echo * 1000:.2f} ms (baseline)")
    ok = True
    for timing in timings:
        ok &= timing.median * 1000 < TARGET_MS
        print(f"triage: {timing.command:<22} {timing.describe()} (target < {TARGET_MS} ms)")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
