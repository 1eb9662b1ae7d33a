"""The pager: escalation, fallback, acknowledgement, paging hours, dedup, self-monitoring.

Every test pages real local HTTP receivers through apprise ``json://`` URLs (one path family
answers 200, one 500, one slowly) on the fake clock, and the ``world`` fixture checks at the end
that no notification or team post was left unasserted and no successful notification arrived
twice.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from core import hookimpl
from core.clock import FakeClock
from core.mentions import neutralise
from core.models import AuditEntry, ChatPost
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from plugins.pager import outbox, worker
from plugins.pager.models import Delivery, Page
from plugins.pager.service import notification
from tests.conftest import ROOT, ChatBot, advance

SLOW_SECONDS = 0.6
FIVE_MINUTES = timedelta(minutes=5)  # for stretches where nothing happens between 5-minute marks
OTHER_FEATURES = [name for name in DEFAULT_PLUGINS if name not in ("system", "team", "pager")]
"""Disabled in these tests: the pager is tested alone, with a fake rota answering for roles."""


# --- receivers ------------------------------------------------------------------------------------


@dataclass
class Notification:
    at: str  # the fake clock's HH:MM when it arrived
    path: str
    method: str
    title: str
    message: str
    status: int
    authorization: str | None = None
    arrived: float = 0.0  # perf_counter at arrival
    answered: float = 0.0  # perf_counter when the answer was sent


class Receivers:
    """A local HTTP server: ``/ok/...`` answers 200, ``/fail/...`` 500, ``/slow/...`` 200 late."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.log: list[Notification] = []
        self._taken = 0
        self._lock = threading.Lock()
        receivers = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                receivers._answer(self, payload.get("title", ""), payload.get("message", ""))

            def do_GET(self) -> None:
                receivers._answer(self, "", "")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _answer(self, handler: BaseHTTPRequestHandler, title: str, message: str) -> None:
        status = 500 if handler.path.startswith("/fail/") else 200
        note = Notification(
            self.clock.now().strftime("%H:%M"),
            handler.path,
            handler.command,
            title,
            message,
            status,
            authorization=handler.headers.get("Authorization"),
            arrived=time.perf_counter(),
        )
        with self._lock:
            self.log.append(note)
        if handler.path.startswith("/slow/"):
            time.sleep(SLOW_SECONDS)
        note.answered = time.perf_counter()
        handler.send_response(status)
        handler.end_headers()

    def url(self, path: str, scheme: str = "json") -> str:
        return f"{scheme}://127.0.0.1:{self.server.server_port}{path}"

    def take(self) -> list[tuple[str, str, str]]:
        """What arrived since the last take: (time, path, last line of the message)."""
        with self._lock:
            new, self._taken = self.log[self._taken :], len(self.log)
        return [(n.at, n.path, n.message.splitlines()[-1] if n.message else n.method) for n in new]

    def check(self) -> None:
        """Nothing arrived that the test did not look at; nothing delivered arrived twice."""
        assert self.log[self._taken :] == [], "unexpected notifications"
        delivered = [
            (n.path, n.title, n.message) for n in self.log if n.status == 200 and n.method == "POST"
        ]
        assert len(delivered) == len(set(delivered)), f"duplicate notifications: {delivered}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the world: receivers, a fake rota, runtimes with a [pager] section -------------------------------


class FakeRota:
    """Answers dutybot_role_holders the way the on-call and support rotas would."""

    def __init__(self) -> None:
        self.holders = {
            "oncall.primary": ["alice"],
            "oncall.secondary": ["dave"],
            "support": ["carol"],
        }

    @hookimpl
    def dutybot_role_holders(self, role: str) -> list[str] | None:
        return self.holders.get(role)


class AckListener:
    def __init__(self) -> None:
        self.seen: list[tuple[int, str, str]] = []

    @hookimpl
    def dutybot_page_acknowledged(self, page: Any, by: str) -> None:
        self.seen.append((page.id, page.state, by))


PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank")
CONTACTS = {
    "alice": ["/ok/alice"],
    "bob": ["/fail/bob", "/ok/bob"],
    "carol": ["/slow/carol", "/ok/carol"],
    "dave": ["/ok/dave"],
    "erin": ["/fail/erin"],
}  # frank has no contact method


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)


@dataclass
class World:
    clock: FakeClock
    receivers: Receivers
    make_runtime: Callable[..., Runtime]
    monkeypatch: pytest.MonkeyPatch
    rota: FakeRota = field(default_factory=FakeRota)
    acks: AckListener = field(default_factory=AckListener)
    runtimes: list[Runtime] = field(default_factory=list)
    _posts_taken: int = 0

    def process(self, **sections: dict[str, Any]) -> str:
        base: dict[str, dict[str, Any]] = {
            "plugins": {"disabled": OTHER_FEATURES},
            "groups": {"leads": ["alice", "dave"]},
            "pager": {},
            "pager.escalation": {"steps": ["oncall.primary", "oncall.secondary"], "repeat": 1},
            "pager.delivery": {},
            "pager.heartbeat": {},
            "pager.contacts": {},
        }
        for person, paths in CONTACTS.items():
            names = [f"PAGER_{person.upper()}_{i}" for i in range(len(paths))]
            for name, path in zip(names, paths, strict=True):
                self.monkeypatch.setenv(name, self.receivers.url(path))
            base["pager.contacts"][person] = [f"env:{n}" for n in names]
        for name, values in sections.items():
            base.setdefault(name.replace("_", "."), {}).update(values)
        people = "".join(
            f'[[people]]\nid = "{p}"\nname = "{p.title()}"\nchat = "@{p}"\n\n' for p in PEOPLE
        )
        tables = "".join(
            f"[{name}]\n" + "".join(f'"{k}" = {toml_value(v)}\n' for k, v in values.items()) + "\n"
            for name, values in base.items()
        )
        return people + tables

    def start(self, **sections: dict[str, Any]) -> Runtime:
        runtime = self.make_runtime(
            process=self.process(**sections), plugins=(self.rota, self.acks)
        )
        self.runtimes.append(runtime)
        return runtime

    def run_until(
        self, runtime: Runtime, hh_mm: str, step: timedelta = timedelta(minutes=1)
    ) -> None:
        """Step the clock minute by minute to today's (or tomorrow's) HH:MM, letting sends finish."""
        hour, minute = map(int, hh_mm.split(":"))
        until = self.clock.now().replace(hour=hour, minute=minute, second=0)
        if until <= self.clock.now():
            until += timedelta(days=1)
        while self.clock.now() < until:
            advance(runtime, self.clock, min(self.clock.now() + step, until), step)
            idle(runtime)

    def posts(self) -> list[str]:
        """The pager's team posts made since the last call."""
        with self.runtimes[0].db.session() as session:
            query = (
                select(ChatPost.text).where(ChatPost.key.startswith("pager:")).order_by(ChatPost.id)
            )
            texts = session.scalars(query).all()
        new, self._posts_taken = texts[self._posts_taken :], len(texts)
        return list(new)


def idle(runtime: Runtime) -> None:
    pager = worker.running(runtime)
    assert pager is not None and pager.wait_idle(10), "the pager did not finish sending"


@pytest.fixture
def world(
    clock: FakeClock, make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    receivers = Receivers(clock)
    made = World(clock, receivers, make_runtime, monkeypatch)
    try:
        yield made
        for runtime in made.runtimes:
            if worker.running(runtime):
                idle(runtime)
        receivers.check()
        if made.runtimes:
            assert made.posts() == [], "unexpected team posts"
    finally:
        receivers.stop()


def ask(runtime: Runtime, command: str, as_user: str = "@bob") -> str:
    name, _, args = command.removeprefix("!").partition(" ")
    if name == "dutybot":
        sub, _, args = args.partition(" ")
        name = f"dutybot {sub}"
    reply = runtime.run_command(name, args, as_user)
    if worker.running(runtime):
        idle(runtime)
    return reply


def audit_log(runtime: Runtime) -> list[tuple[str, str, str]]:
    with runtime.db.session() as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject).order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def deliveries(runtime: Runtime) -> list[tuple[int, str, int, str, int]]:
    with runtime.db.session() as session:
        rows = session.execute(
            select(
                Delivery.call, Delivery.person, Delivery.method, Delivery.state, Delivery.attempts
            ).order_by(Delivery.id)
        )
        return [tuple(row) for row in rows]


def at(hh_mm: str, day: int = 30, month: int = 11) -> datetime:
    hour, minute = map(int, hh_mm.split(":"))
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# --- escalation ---------------------------------------------------------------------------------------


def test_oncall_page_escalates_step_by_step_and_repeats_then_gives_up(world: World) -> None:
    runtime = world.start()
    assert ask(runtime, "!page oncall Database is down", as_user="@bob") == (
        "Page #1: paging alice as oncall.primary. Acknowledge with !ack 1; if nobody does, the next "
        "call is at 2026-11-30 08:15."
    )
    [first] = world.receivers.log
    assert (first.path, first.title, first.message) == (
        "/ok/alice",
        "dutybot page #1",
        "Database is down\n\nPage #1 from bob, call 1: oncall.primary. Acknowledge in chat: !ack 1",
    )
    assert world.receivers.take() == [("08:00", "/ok/alice", first.message.splitlines()[-1])]
    world.run_until(runtime, "08:14")
    assert world.receivers.take() == []
    world.run_until(runtime, "08:15")
    assert world.receivers.take() == [
        (
            "08:15",
            "/ok/dave",
            "Page #1 from bob, call 2: oncall.secondary. Acknowledge in chat: !ack 1",
        )
    ]
    world.run_until(runtime, "09:10", step=FIVE_MINUTES)
    assert world.receivers.take() == [
        (
            "08:30",
            "/ok/alice",
            "Page #1 from bob, call 3: oncall.primary. Acknowledge in chat: !ack 1",
        ),
        (
            "08:45",
            "/ok/dave",
            "Page #1 from bob, call 4: oncall.secondary. Acknowledge in chat: !ack 1",
        ),
    ]
    assert world.posts() == [
        "Page #1 for oncall was not acknowledged after 4 calls (oncall.primary, oncall.secondary); "
        "nobody is being paged for it any more. Database is down"
    ]
    assert ask(runtime, "!pages") == (
        "Open pages:\n- #1 for oncall from bob at 2026-11-30 08:00: not acknowledged by anyone. Database is down"
    )
    assert audit_log(runtime) == [
        ("bob", "page", "#1 oncall"),
        ("pager", "escalate", "#1"),
        ("pager", "escalate", "#1"),
        ("pager", "escalate", "#1"),
        ("pager", "page unanswered", "#1"),
    ]


def test_the_whole_team_is_the_last_step_and_a_slow_phone_holds_nobody_up(world: World) -> None:
    runtime = world.start(pager_escalation={"steps": ["oncall.primary", "team"], "repeat": 0})
    ask(runtime, "!page oncall Everything is down", as_user="@dave")
    assert world.receivers.take() == [
        (
            "08:00",
            "/ok/alice",
            "Page #1 from dave, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        )
    ]
    advance(runtime, world.clock, at("08:15"))
    pager = worker.running(runtime)
    assert pager is not None
    idle(runtime)
    by_path = {n.path: n for n in world.receivers.log}
    # carol's first method answers after SLOW_SECONDS; everyone else was reached meanwhile
    assert (
        max(n.arrived for p, n in by_path.items() if p != "/slow/carol")
        < by_path["/slow/carol"].answered
    )
    line = "Page #1 from dave, call 2: team. Acknowledge in chat: !ack 1"
    assert sorted(world.receivers.take()) == sorted(
        ("08:15", path, line)
        for path in ["/ok/alice", "/fail/bob", "/slow/carol", "/ok/dave", "/fail/erin"]
    )
    assert ask(runtime, "!ack 1", as_user="@carol") == (
        "Page #1 acknowledged by carol: escalation stopped, 3 pending notifications cancelled. Resolve it "
        "with !resolve 1; if it is still open at 2026-11-30 09:15 you will be paged again."
    )
    world.run_until(runtime, "08:30", step=FIVE_MINUTES)
    assert world.receivers.take() == []
    # bob's and erin's retries and bob's second method were cancelled; carol's phone answered
    assert deliveries(runtime) == [
        (1, "alice", 0, "delivered", 1),
        (2, "alice", 0, "delivered", 1),
        (2, "bob", 0, "cancelled", 1),
        (2, "bob", 1, "cancelled", 0),
        (2, "carol", 0, "delivered", 1),
        (2, "carol", 1, "skipped", 0),
        (2, "dave", 0, "delivered", 1),
        (2, "erin", 0, "cancelled", 1),
    ]
    assert world.acks.seen == [(1, "acknowledged", "carol")]


def test_inside_support_hours_the_support_engineers_are_called_first(world: World) -> None:
    world.clock.set(at("11:00"))
    runtime = world.start()
    assert ask(runtime, "!page oncall The API is slow", as_user="@alice") == (
        "Page #1: paging carol as support. Acknowledge with !ack 1; if nobody does, the next call is "
        "at 2026-11-30 11:15."
    )
    world.run_until(runtime, "11:15", step=FIVE_MINUTES)
    assert world.receivers.take() == [
        (
            "11:00",
            "/slow/carol",
            "Page #1 from alice, call 1: support. Acknowledge in chat: !ack 1",
        ),
        (
            "11:15",
            "/ok/alice",
            "Page #1 from alice, call 2: oncall.primary. Acknowledge in chat: !ack 1",
        ),
    ]
    ask(runtime, "!resolve 1", as_user="@alice")


# --- delivery: fallback, retries, timeouts -----------------------------------------------------------


def test_a_failing_method_is_retried_with_backoff_then_falls_back_to_the_next(world: World) -> None:
    runtime = world.start()
    assert ask(runtime, "!page @bob Can you look at the deploy?", as_user="@alice") == (
        "Page #1: paging bob. Acknowledge with !ack 1; if nobody does, the next call is at 2026-11-30 08:15."
    )
    world.run_until(runtime, "08:05")
    line = "Page #1 from alice, call 1: bob. Acknowledge in chat: !ack 1"
    # 500 at 08:00; retried after 30 s (the 08:01 sweep) and 60 s more (08:02); then method 2
    assert world.receivers.take() == [
        ("08:00", "/fail/bob", line),
        ("08:01", "/fail/bob", line),
        ("08:02", "/fail/bob", line),
        ("08:02", "/ok/bob", line),
    ]
    assert deliveries(runtime) == [(1, "bob", 0, "failed", 3), (1, "bob", 1, "delivered", 1)]
    assert ask(runtime, "!ack") == (
        "Page #1 acknowledged by bob: escalation stopped, 0 pending notifications cancelled. Resolve it "
        "with !resolve 1; if it is still open at 2026-11-30 09:05 you will be paged again."
    )
    assert (
        ask(runtime, "!resolve #1") == "Page #1 resolved by bob; 0 pending notifications cancelled."
    )


def test_a_slow_destination_times_out_and_falls_back(world: World) -> None:
    runtime = world.start(pager_delivery={"attempts": 1, "timeout_seconds": SLOW_SECONDS / 3})
    ask(runtime, "!page @carol Are you there?", as_user="@alice")
    line = "Page #1 from alice, call 1: carol. Acknowledge in chat: !ack 1"
    assert world.receivers.take() == [("08:00", "/slow/carol", line), ("08:00", "/ok/carol", line)]
    with runtime.db.session() as session:
        results = session.execute(
            select(Delivery.state, Delivery.last_result).order_by(Delivery.id)
        ).all()
    assert results[0][0] == "failed" and results[0][1].startswith("FAILURE")
    assert results[1][0] == "delivered" and results[1][1].startswith("SUCCESS")
    ask(runtime, "!resolve 1", as_user="@carol")


def test_acknowledging_cancels_pending_retries_and_the_escalation(world: World) -> None:
    world.rota.holders["oncall.primary"] = ["bob"]
    runtime = world.start()
    ask(runtime, "!page oncall Disk full on db-1", as_user="@alice")
    assert world.receivers.take() == [
        (
            "08:00",
            "/fail/bob",
            "Page #1 from alice, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        )
    ]
    assert ask(runtime, "!ack 1") == (
        "Page #1 acknowledged by bob: escalation stopped, 2 pending notifications cancelled. Resolve it "
        "with !resolve 1; if it is still open at 2026-11-30 09:00 you will be paged again."
    )
    world.run_until(runtime, "08:50", step=FIVE_MINUTES)
    assert world.receivers.take() == []
    assert deliveries(runtime) == [(1, "bob", 0, "cancelled", 1), (1, "bob", 1, "cancelled", 0)]
    assert ask(runtime, "!resolve 1", as_user="@dave") == (
        "Page #1 resolved by dave; 0 pending notifications cancelled."
    )
    assert audit_log(runtime) == [
        ("alice", "page", "#1 oncall"),
        ("bob", "acknowledge", "#1"),
        ("dave", "resolve", "#1"),
    ]


def test_an_acknowledged_page_left_unresolved_is_paged_again(world: World) -> None:
    runtime = world.start()
    ask(runtime, "!page oncall Certificates expire today", as_user="@bob")
    world.run_until(runtime, "08:05", step=FIVE_MINUTES)
    assert ask(runtime, "!ack", as_user="@alice").startswith("Page #1 acknowledged by alice")
    world.run_until(runtime, "09:20", step=FIVE_MINUTES)
    assert world.receivers.take() == [
        (
            "08:00",
            "/ok/alice",
            "Page #1 from bob, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        ),
        (
            "09:05",
            "/ok/alice",
            "Page #1 from bob, call 2: re-page: still unresolved after your acknowledgement. "
            "Acknowledge in chat: !ack 1",
        ),
        (
            "09:20",
            "/ok/dave",
            "Page #1 from bob, call 3: oncall.secondary. Acknowledge in chat: !ack 1",
        ),
    ]
    assert ask(runtime, "!pages") == (
        "Open pages:\n- #1 for oncall from bob at 2026-11-30 08:00: paging dave as oncall.secondary, next "
        "step at 2026-11-30 09:35. Certificates expire today"
    )
    assert (
        ask(runtime, "!resolve 1", as_user="@dave")
        == "Page #1 resolved by dave; 0 pending notifications cancelled."
    )
    world.run_until(runtime, "11:00", step=FIVE_MINUTES)
    assert world.receivers.take() == []
    assert ask(runtime, "!pages") == "No open pages."
    assert [a for a in audit_log(runtime) if a[0] == "pager"] == [
        ("pager", "re-page", "#1"),
        ("pager", "escalate", "#1"),
    ]


# --- paging hours -------------------------------------------------------------------------------------


def test_a_page_at_2300_is_queued_until_0700(world: World) -> None:
    world.clock.set(at("23:00"))
    runtime = world.start()
    assert ask(runtime, "!page oncall Backups failed", as_user="@bob") == (
        "Page #1 is queued: it is outside paging hours, so nobody is paged until 2026-12-01 07:00."
    )
    world.run_until(runtime, "06:59", step=timedelta(hours=1))
    assert world.receivers.take() == []
    assert ask(runtime, "!pages") == (
        "Open pages:\n- #1 for oncall from bob at 2026-11-30 23:00: queued until 2026-12-01 07:00. Backups failed"
    )
    world.run_until(runtime, "07:00")
    assert world.receivers.take() == [
        (
            "07:00",
            "/ok/alice",
            "Page #1 from bob, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        )
    ]
    assert ask(runtime, "!ack", as_user="@alice").startswith("Page #1 acknowledged by alice")


def test_an_escalation_due_at_night_waits_for_the_morning(world: World) -> None:
    world.clock.set(at("21:50"))
    runtime = world.start()
    ask(runtime, "!page oncall Queue backing up", as_user="@bob")
    world.run_until(runtime, "06:59", step=timedelta(hours=1))
    world.run_until(runtime, "07:00")
    assert world.receivers.take() == [
        (
            "21:50",
            "/ok/alice",
            "Page #1 from bob, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        ),
        (
            "07:00",
            "/ok/dave",
            "Page #1 from bob, call 2: oncall.secondary. Acknowledge in chat: !ack 1",
        ),
    ]
    ask(runtime, "!resolve 1")


def test_on_a_bank_holiday_on_call_is_paged_at_noon_instead_of_support(world: World) -> None:
    world.clock.set(datetime(2026, 12, 25, 12, 0, tzinfo=UTC))  # Christmas Day, a Friday
    runtime = world.start()
    assert ask(runtime, "!page oncall Checkout broken", as_user="@bob").startswith(
        "Page #1: paging alice as oncall.primary."
    )
    world.clock.set(datetime(2026, 12, 18, 12, 0, tzinfo=UTC))  # the Friday before: support hours
    assert ask(runtime, "!page oncall Checkout broken again", as_user="@bob").startswith(
        "Page #2: paging carol as support."
    )
    assert [n[1] for n in world.receivers.take()] == ["/ok/alice", "/slow/carol"]
    for page in (1, 2):
        ask(runtime, f"!resolve {page}")


def test_a_night_page_before_the_clocks_go_forward_goes_out_at_0700_summer_time(
    world: World,
) -> None:
    world.clock.set(datetime(2027, 3, 27, 23, 0, tzinfo=UTC))  # 23:00 GMT; BST starts at 01:00 UTC
    runtime = world.start()
    assert ask(runtime, "!page oncall Disk filling up", as_user="@bob") == (
        "Page #1 is queued: it is outside paging hours, so nobody is paged until 2027-03-28 07:00."
    )
    world.run_until(runtime, "05:59", step=timedelta(hours=1))
    world.run_until(runtime, "06:00")
    assert world.receivers.take() == [  # 06:00 UTC is 07:00 BST
        (
            "06:00",
            "/ok/alice",
            "Page #1 from bob, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        )
    ]
    ask(runtime, "!ack", as_user="@alice")


def test_handover_mode_holds_night_pages_for_the_morning_checklist(world: World) -> None:
    world.clock.set(at("23:10"))
    runtime = world.start(pager={"when_closed": "handover"})
    assert ask(runtime, "!page oncall Disk 90% full", as_user="@bob") == (
        "Page #1 is held for the morning handover: it is outside paging hours."
    )
    world.run_until(runtime, "09:00", step=timedelta(hours=1))
    assert world.receivers.take() == []
    assert runtime.hook.dutybot_checklist_items(
        runtime=runtime, day=at("09:00", day=1, month=12).date()
    ) == [
        [
            "Page #1 for oncall from bob at 2026-11-30 23:10: held for the morning handover. Disk 90% full "
            "(!ack 1, !resolve 1)"
        ]
    ]
    ask(runtime, "!resolve 1", as_user="@alice")
    assert runtime.hook.dutybot_checklist_items(runtime=runtime, day=at("09:00").date()) == [[]]


def test_a_24x7_team_is_paged_at_night(world: World) -> None:
    world.clock.set(at("03:00"))
    runtime = world.start(pager={"when_closed": "page"})
    ask(runtime, "!page oncall Region down", as_user="@bob")
    assert world.receivers.take() == [
        (
            "03:00",
            "/ok/alice",
            "Page #1 from bob, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        )
    ]
    ask(runtime, "!ack 1", as_user="@alice")


# --- never twice --------------------------------------------------------------------------------------


def hook_page(
    runtime: Runtime, key: str | None, message: str = "CPU high", session: Any = None
) -> Any:
    return runtime.hook.dutybot_page(
        runtime=runtime,
        target="oncall",
        message=message,
        dedup_key=key,
        source="alarms",
        session=session,
    )


def test_a_dedup_key_pages_once_within_its_window(world: World) -> None:
    runtime = world.start(pager={"dedup_minutes": 30})
    first = hook_page(runtime, "alert-7")
    idle(runtime)
    again = hook_page(runtime, "alert-7", message="CPU high (repeated)")
    other = hook_page(runtime, "alert-8", message="Memory high")
    idle(runtime)
    assert (first.id, first.duplicate, again.id, again.duplicate, other.id) == (
        1,
        False,
        1,
        True,
        2,
    )
    assert world.receivers.take() == [
        (
            "08:00",
            "/ok/alice",
            "Page #1 from alarms, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        ),
        (
            "08:00",
            "/ok/alice",
            "Page #2 from alarms, call 1: oncall.primary. Acknowledge in chat: !ack 2",
        ),
    ]
    ask(runtime, "!ack 1", as_user="@alice")
    ask(runtime, "!ack 2", as_user="@alice")
    world.clock.set(at("08:29"))
    assert hook_page(runtime, "alert-7").id == 1  # acknowledged, still within the window
    ask(runtime, "!resolve 2", as_user="@alice")  # resolving ends the window at once
    assert hook_page(runtime, "alert-8").id == 3
    idle(runtime)  # (jumping the clock past a send's claim lease would let it be sent again)
    world.clock.set(at("08:31"))
    assert hook_page(runtime, "alert-7").id == 4  # the window of #1 has passed
    idle(runtime)
    assert [n[1:] for n in world.receivers.take()] == [
        ("/ok/alice", "Page #3 from alarms, call 1: oncall.primary. Acknowledge in chat: !ack 3"),
        ("/ok/alice", "Page #4 from alarms, call 1: oncall.primary. Acknowledge in chat: !ack 4"),
    ]
    for page in (1, 3, 4):
        ask(runtime, f"!resolve {page}", as_user="@alice")


def test_a_repeated_chat_page_is_not_sent_twice(world: World) -> None:
    runtime = world.start()
    ask(runtime, "!page @alice Deploy stuck", as_user="@bob")
    assert ask(runtime, "!page @alice Deploy stuck", as_user="@bob") == (
        "That page is already open, so nobody is paged again: #1 for alice from bob at 2026-11-30 08:00: "
        "paging alice, next step at 2026-11-30 08:15. Deploy stuck"
    )
    assert [n[1] for n in world.receivers.take()] == ["/ok/alice"]
    ask(runtime, "!ack", as_user="@alice")


def test_a_page_is_written_in_the_callers_transaction_and_sent_after_it_commits(
    world: World,
) -> None:
    runtime = world.start()
    with pytest.raises(RuntimeError), runtime.db.session() as session:
        hook_page(runtime, "alert-1", session=session)
        raise RuntimeError("the alert could not be stored")
    with runtime.db.session() as session:
        assert session.scalars(select(Page)).all() == []
        page = hook_page(runtime, "alert-1", session=session)
        session.flush()
        assert world.receivers.log == []
    idle(runtime)
    assert world.receivers.take() == [
        (
            "08:00",
            "/ok/alice",
            f"Page #{page.id} from alarms, call 1: oncall.primary. Acknowledge in chat: !ack {page.id}",
        )
    ]
    ask(runtime, f"!resolve {page.id}")


def test_two_replicas_never_send_the_same_notification(world: World) -> None:
    settings = {
        "groups": {"responders": ["alice", "bob", "dave", "erin"]},
        "pager_delivery": {"workers": 2},
        "pager_escalation": {"steps": ["responders"]},
    }
    first, second = world.start(**settings), world.start(**settings)
    for pager in (worker.running(first), worker.running(second)):
        assert pager is not None
        pager.stop()  # hold back the sends, then let two fresh replicas race for them
    with first.db.session() as session:
        for n in range(6):
            hook_page(first, None, message=f"Alert {n}", session=session)
    replicas = [
        worker.Pager(runtime, runtime.process.section("pager")) for runtime in (first, second)
    ]
    start = threading.Barrier(2)

    def race(pager: worker.Pager) -> None:
        start.wait()
        pager.dispatch()

    threads = [threading.Thread(target=race, args=(pager,)) for pager in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for pager in replicas:
        assert pager.wait_idle(10)
        pager.stop()
    arrived = world.receivers.take()
    # 6 pages x 4 people; bob's and erin's first methods fail and wait for their retry
    assert len(arrived) == 24 and len(set(arrived)) == 24
    with first.db.session() as session:
        assert (
            session.scalars(
                select(Delivery.attempts).where(Delivery.attempts != 1, Delivery.method == 0)
            ).all()
            == []
        )


# --- the auditor and the heartbeat ----------------------------------------------------------------------


def test_the_auditor_escalates_a_page_that_reaches_nobody(world: World) -> None:
    world.rota.holders["oncall.primary"] = ["erin"]
    runtime = world.start()
    ask(runtime, "!page oncall Payments failing", as_user="@bob")
    world.run_until(runtime, "08:09")
    line = "Page #1 from bob, call 1: oncall.primary. Acknowledge in chat: !ack 1"
    assert world.receivers.take() == [
        ("08:00", "/fail/erin", line),
        ("08:01", "/fail/erin", line),
        ("08:02", "/fail/erin", line),
    ]
    assert world.posts() == []
    world.run_until(runtime, "08:10")
    assert world.posts() == [
        "Page #1 is stuck: nothing reached erin in 10 minutes; calling dave now."
    ]
    assert world.receivers.take() == [
        (
            "08:10",
            "/ok/dave",
            "Page #1 from bob, call 2: oncall.secondary. Acknowledge in chat: !ack 1",
        )
    ]
    ask(runtime, "!ack", as_user="@dave")


def test_nobody_reachable_is_said_at_once(world: World) -> None:
    world.rota.holders.update({"oncall.primary": ["frank"], "oncall.secondary": []})
    runtime = world.start()
    assert ask(runtime, "!page oncall Lights out", as_user="@bob") == (
        "Page #1 reached nobody: nobody it could call has a contact method in [pager.contacts]. I have "
        "told the team channel."
    )
    assert world.posts() == [
        "Page #1 for oncall reached nobody: no one in oncall.primary, oncall.secondary has a contact "
        "method in [pager.contacts]. Lights out"
    ]
    assert runtime.hook.dutybot_checklist_items(runtime=runtime, day=at("09:00").date()) == [
        [
            "Page #1 for oncall from bob at 2026-11-30 08:00: not acknowledged by anyone. Lights out (!ack 1, !resolve 1)"
        ]
    ]
    assert (
        ask(runtime, "!ack")
        == "No unacknowledged page has called you. Give the page's number: !ack ID (see !pages)."
    )
    ask(runtime, "!resolve 1")


def test_the_heartbeat_is_sent_only_while_the_pager_is_healthy(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGER_HEARTBEAT", world.receivers.url("/ok/heartbeat", scheme="http"))
    runtime = world.start(pager_heartbeat={"url": "env:PAGER_HEARTBEAT"})
    claim = outbox.claim
    assert status(runtime)[-1] == "Pager heartbeat: not sent yet"
    world.run_until(runtime, "08:10", step=FIVE_MINUTES)
    assert world.receivers.take() == [
        ("08:05", "/ok/heartbeat", "GET"),
        ("08:10", "/ok/heartbeat", "GET"),
    ]
    assert status(runtime)[-1] == "Pager heartbeat at 2026-11-30 08:10: sent (HTTP 200)"

    def broken_claim(*_args: Any) -> list[outbox.Claim]:
        raise OSError("database unreachable")

    monkeypatch.setattr(outbox, "claim", broken_claim)
    ask(runtime, "!page @alice Anything?", as_user="@bob")
    world.run_until(runtime, "08:25", step=FIVE_MINUTES)
    assert world.receivers.take() == [("08:15", "/ok/heartbeat", "GET")]  # 08:20, 08:25 withheld
    assert world.posts() == [
        "Page #1 is stuck: nothing reached alice in 10 minutes; calling alice now."
    ]
    assert status(runtime) == [
        "Pager: running, 32 workers; outbox: 2 undelivered, oldest due 15 min ago",
        "Pages: 1 paging, 0 acknowledged, 0 queued for paging hours, 0 held for handover, 0 unanswered",
        "Pager heartbeat at 2026-11-30 08:25: withheld: a notification has been due since 2026-11-30 08:10",
    ]
    monkeypatch.setattr(outbox, "claim", claim)  # the database is back
    world.run_until(runtime, "08:30")
    assert sorted(world.receivers.take()) == [
        ("08:26", "/ok/alice", "Page #1 from bob, call 1: alice. Acknowledge in chat: !ack 1"),
        ("08:26", "/ok/alice", "Page #1 from bob, call 2: alice. Acknowledge in chat: !ack 1"),
        ("08:30", "/ok/heartbeat", "GET"),
    ]
    assert status(runtime)[0] == "Pager: running, 32 workers; outbox: 0 undelivered"
    ask(runtime, "!ack", as_user="@alice")


def status(runtime: Runtime) -> list[str]:
    return [line for line in ask(runtime, "!dutybot status").splitlines() if line.startswith("Pag")]


# --- commands: bad input, permissions, rate limit, secrets -------------------------------------------------


def test_bad_input_gets_the_problem_and_the_usage_and_changes_nothing(world: World) -> None:
    runtime = world.start()
    usage = "Usage: !page @person|oncall|GROUP|ROLE MESSAGE"
    assert ask(runtime, "!page") == f"Say whom to page and why.\n{usage}"
    assert (
        ask(runtime, "!page @alice")
        == f"Give a message for the page, e.g. what is broken.\n{usage}"
    )
    assert ask(runtime, "!page @zoe help") == (
        "I don't know anyone called '@zoe'. People in this team: alice, bob, carol, dave, erin, frank.\n"
        + usage
    )
    assert ask(runtime, "!page everyone help") == (
        "I can't page 'everyone': name a person (@bob), oncall (the escalation policy), team, a group or a "
        f"role (oncall.primary, oncall.secondary, support).\n{usage}"
    )
    assert ask(runtime, "!ack one") == "Give one page number, like 12 or #12.\nUsage: !ack [ID]"
    assert ask(runtime, "!resolve") == "Give one page number, like 12 or #12.\nUsage: !resolve ID"
    assert (
        ask(runtime, "!resolve 1 2") == "Give one page number, like 12 or #12.\nUsage: !resolve ID"
    )
    assert ask(runtime, "!ack 9") == "There is no page #9."
    assert ask(runtime, "!pages now") == "`pages` takes no arguments.\nUsage: !pages"
    assert ask(runtime, "!page leads Can't log in (it's urgent)") == (
        "Page #1: paging alice, dave as leads. Acknowledge with !ack 1; if nobody does, the next call is at "
        "2026-11-30 08:15."
    )
    assert sorted(n[1] for n in world.receivers.take()) == ["/ok/alice", "/ok/dave"]
    assert ask(runtime, "!ack 1", as_user="@dave").startswith("Page #1 acknowledged by dave")
    assert ask(runtime, "!ack 1", as_user="@alice") == (
        "Page #1 was already acknowledged by dave at 2026-11-30 08:00."
    )
    ask(runtime, "!resolve 1", as_user="@alice")
    assert (
        ask(runtime, "!resolve 1") == "Page #1 was already resolved by alice at 2026-11-30 08:00."
    )
    assert ask(runtime, "!page @dave x", as_user="@mallory") == (
        "Sorry @mallory, `!page` needs the permission 'pager.page' (page people)."
    )


def test_ack_without_a_number_needs_exactly_one_page_calling_you(world: World) -> None:
    runtime = world.start()
    ask(runtime, "!page @alice First", as_user="@bob")
    ask(runtime, "!page oncall Second", as_user="@bob")
    assert len(world.receivers.take()) == 2
    assert (
        ask(runtime, "!ack", as_user="@alice")
        == "Several pages have called you (#2, #1); say which: !ack ID."
    )
    assert ask(runtime, "!ack 2", as_user="@alice").startswith("Page #2 acknowledged by alice")
    assert ask(runtime, "!ack", as_user="@alice").startswith("Page #1 acknowledged by alice")


def test_paging_is_guarded_by_a_permission_and_rate_limited(world: World) -> None:
    extra = {"acl": {"pager.page": ["leads"], "pager.respond": ["leads"]}}
    runtime = world.start(pager={"rate_limit": 2, "rate_limit_minutes": 30}, **extra)
    assert ask(runtime, "!page @alice Help", as_user="@bob") == (
        "Sorry bob, `!page` needs the permission 'pager.page' (page people)."
    )
    assert ask(runtime, "!page @alice One", as_user="@dave").startswith("Page #1: paging alice.")
    world.clock.set(at("08:10"))
    assert ask(runtime, "!page @alice Two", as_user="@dave").startswith("Page #2: paging alice.")
    assert ask(runtime, "!page @alice Three", as_user="@dave") == (
        "You have sent 2 pages in the last 30 minutes, the limit; you can page again at 2026-11-30 08:30."
    )
    assert ask(runtime, "!ack 1", as_user="@bob") == (
        "Sorry bob, `!ack` needs the permission 'pager.respond' (acknowledge and resolve pages)."
    )
    assert [n[2] for n in world.receivers.take()] == [
        "Page #1 from dave, call 1: alice. Acknowledge in chat: !ack 1",
        "Page #2 from dave, call 1: alice. Acknowledge in chat: !ack 2",
    ]
    assert [a for a in audit_log(runtime) if a[1] == "page"] == [
        ("dave", "page", "#1 alice"),
        ("dave", "page", "#2 alice"),
    ]
    for page in (1, 2):
        ask(runtime, f"!resolve {page}", as_user="@alice")


def test_secrets_never_appear_in_replies_status_logs_or_the_database(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    secret = "S3CRET-t0ken"
    monkeypatch.setenv(
        "PAGER_ALICE_SECRET", world.receivers.url("/ok/alice").replace("://", f"://pager:{secret}@")
    )
    monkeypatch.setenv("PAGER_ALICE_GONE", world.receivers.url("/ok/alice-later"))
    runtime = world.start(
        pager_contacts={"alice": ["env:PAGER_ALICE_SECRET", "env:PAGER_ALICE_GONE"]}
    )
    monkeypatch.delenv("PAGER_ALICE_GONE")  # removed after start-up: that method is now unusable
    replies = [
        ask(runtime, "!contacts @alice"),
        ask(runtime, "!page @alice Secret-free page", as_user="@bob"),
        ask(runtime, "!dutybot status"),
        ask(runtime, "!pages"),
    ]
    port = world.receivers.server.server_port
    assert replies[0] == (
        "alice's contact methods, in the order they are tried:\n"
        f"1. json://pager:****@127.0.0.1:{port}/ok/alice?method=POST&overflow=upstream&retry=0&wait=0.5"
        "&optional=no (env:PAGER_ALICE_SECRET)\n"
        "2. unusable: env:PAGER_ALICE_GONE: the environment variable PAGER_ALICE_GONE is not set "
        "(env:PAGER_ALICE_GONE)"
    )
    [note] = world.receivers.log
    assert (
        base64.b64decode(note.authorization.split()[1]).decode() == f"pager:{secret}"
    )  # it was used
    world.receivers.take()
    with runtime.db.session() as session:
        stored = [
            str(row)
            for table in (Delivery, Page, AuditEntry, ChatPost)
            for row in session.execute(select(table.__table__))
        ]
    for text in (*replies, caplog.text, *stored):
        assert secret not in text
    ask(runtime, "!ack", as_user="@alice")


def test_the_bridge_exposes_the_paging_commands(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = world.start()
    bot = ChatBot(runtime)
    try:
        assert bot.ask("!page @dave The build is red", as_user="@alice") == (
            "Page #1: paging dave. Acknowledge with !ack 1; if nobody does, the next call is at 2026-11-30 08:15."
        )
        idle(runtime)
        assert bot.ask("!ack", as_user="@dave").startswith("Page #1 acknowledged by dave")
        bot.assert_quiet()
    finally:
        bot.stop()
    assert [n[1] for n in world.receivers.take()] == ["/ok/dave"]


# --- crash safety -------------------------------------------------------------------------------------------

CHILD = """
import os, sys, time
from pathlib import Path

from sqlalchemy import event

from core.runtime import Runtime
from core.settings import Settings
from plugins.pager import worker

settings = Settings(
    database_url=os.environ["PAGER_CRASH_DB"],
    process_file=Path(os.environ["PAGER_CRASH_PROCESS"]),
    data_dir=Path(os.environ["PAGER_CRASH_DATA"]),
    http_enabled=False,
    scheduler_enabled=False,
)
runtime = Runtime(settings).start()
if sys.argv[1] == "page":
    with runtime.db.session() as session:
        def committed(committed_session):
            if not committed_session.in_nested_transaction():
                print("committed", flush=True)
                time.sleep(600)  # killed here: after the commit, before the pager's dispatch
        event.listen(session, "after_commit", committed)
        page = runtime.hook.dutybot_page(runtime=runtime, target="alice", message="Disk full on db-1",
                                         dedup_key="alert-42", source="alarms", session=session)
        print(f"page {page.id}", flush=True)
else:
    assert worker.running(runtime).wait_idle(30)
    print("idle", flush=True)
    time.sleep(600)
"""

CRASH_PROCESS = f"""
[plugins]
disabled = {json.dumps(OTHER_FEATURES)}

[[people]]
id = "alice"
name = "Alice"
chat = "@alice"

[pager]
when_closed = "page"   # the child runs on the real clock, whatever the hour

[pager.contacts]
alice = ["env:PAGER_CRASH_ALICE"]
"""


class Child:
    """A real dutybot process running CHILD; its output lines arrive on a queue."""

    def __init__(self, mode: str, env: dict[str, str], log: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, mode],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log.open("a"),
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def said(self, timeout: float = 60) -> str:
        return self.lines.get(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def delivery_states(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(Delivery.state)).scalars())
    finally:
        engine.dispose()


def test_a_page_committed_before_a_crash_is_delivered_once_after_restart(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    receivers = Receivers(clock)
    process = tmp_path / "crash.toml"
    process.write_text(CRASH_PROCESS, encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PAGER_CRASH_DB": database_url,
        "PAGER_CRASH_PROCESS": str(process),
        "PAGER_CRASH_DATA": str(tmp_path / "data"),
        "PAGER_CRASH_ALICE": receivers.url("/ok/alice"),
    }
    log = tmp_path / "children.log"
    children: list[Child] = []
    try:
        first = Child("page", env, log)
        children.append(first)
        assert first.said() == "page 1"
        assert first.said() == "committed"
        first.kill()  # kill -9 between the commit and the delivery
        assert (delivery_states(database_url), receivers.log) == (["pending"], [])
        second = Child("serve", env, log)  # a restart: it sends what the dead process committed
        children.append(second)
        assert second.said() == "idle", log.read_text()
        second.kill()
        assert (
            receivers.take()
            == [  # (stamped with this test's fake clock; the children run on real time)
                (
                    "08:00",
                    "/ok/alice",
                    "Page #1 from alarms, call 1: alice. Acknowledge in chat: !ack 1",
                )
            ]
        )
        assert delivery_states(database_url) == ["delivered"]
        receivers.check()
    finally:
        for child in children:
            child.kill()
        receivers.stop()


def test_a_page_cannot_mass_mention_the_channel_it_is_sent_to() -> None:
    page = Page(id=7, message="<!channel> @here db down", source="alarm", calls=1)
    title, body = notification(page, "first call")
    assert "<!channel>" not in body and "@here" not in body
    assert body.startswith(neutralise("<!channel> @here db down")) and title == "dutybot page #7"
