"""Faults: PostgreSQL going away, a destination down, chat disconnected, SQLite locked or full.

PostgreSQL outages are made by a TCP proxy this test runs between dutybot and the shared server
(cut: every connection is closed and new ones are refused; restore: it listens again), never by
touching the server. Destinations are local HTTP servers reached through apprise ``json://``.
What tests/test_pager.py already proves is not repeated here: retries with backoff and fallback
on a failing method, a slow destination cut off by the timeout, escalation, acknowledgement.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.test import Client

import core.db
from core import hookimpl
from core.clock import FakeClock
from core.plugin_manager import DEFAULT_PLUGINS
from core.receiver import Credential, Route
from core.runtime import Runtime
from core.scheduler import Job
from plugins.pager import worker
from plugins.pager.models import Delivery, Page
from tests.conftest import ChatBot, advance
from tests.phones import Phones
from tests.waiting import until

TOKEN = "fault-token"
ALERT = json.loads(
    (Path(__file__).parent / "fixtures" / "alertmanager" / "critical-firing.json").read_text()
)
KEPT = {"system", "team", "alarms", "pager"}
PG = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def process(contacts: dict[str, list[str]], **delivery: float) -> str:
    """Alarms page alice in on-call hours (08:00 on the fake clock); pages go to ``contacts``."""
    disabled = json.dumps(sorted(set(DEFAULT_PLUGINS) - KEPT))
    people = "".join(
        f'[[people]]\nid = "{p}"\nname = "{p.title()}"\nchat = "@{p}"\n\n' for p in contacts
    )
    methods = "".join(f"{p} = {json.dumps(refs)}\n" for p, refs in contacts.items())
    settings = "".join(f"{k} = {v}\n" for k, v in {"attempts": 5, **delivery}.items())
    return (
        f"[plugins]\ndisabled = {disabled}\n\n{people}"
        '[pager]\nwhen_closed = "page"\n\n'
        f"[pager.delivery]\n{settings}\n"
        f"[pager.contacts]\n{methods}\n"
        '[[alarms.responders]]\nwindow = "oncall"\ntarget = "alice"\n'
    )


def alert(name: str) -> dict[str, Any]:
    """The captured critical alert, renamed: a different alert (and page) per name."""
    body = json.loads(json.dumps(ALERT))
    for labels in (body["alerts"][0]["labels"], body["commonLabels"], body["groupLabels"]):
        labels["alertname"] = name
    body["alerts"][0]["fingerprint"] = f"fp-{name}"
    body["groupKey"] = f'{{}}:{{alertname="{name}"}}'
    return body


# --- local services: phones and a cuttable PostgreSQL ------------------------------------------


def received(phones: Phones) -> list[tuple[str, str]]:
    """What reached the phones since the last look: (path, the message's last line)."""
    return [(call.path, call.message.splitlines()[-1]) for call in phones.take()]


class Proxy:
    """A TCP proxy to PostgreSQL: ``cut()`` drops every connection and refuses new ones;
    ``freeze()`` keeps them open but forwards nothing (a hung network path) until ``thaw()``."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._flowing = threading.Event()
        self._flowing.set()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def url(self, database_url: str) -> str:
        proxied = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return proxied.render_as_string(hide_password=False)

    def restore(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def cut(self) -> None:
        assert self._listener is not None
        _close(self._listener)  # shutdown() wakes the thread blocked in accept(); close() would not
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def phones() -> Iterator[Phones]:
    made = Phones()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def proxy(database_url: str) -> Iterator[Proxy]:
    url = make_url(database_url)
    made = Proxy((url.host or "127.0.0.1", url.port or 5432))
    try:
        yield made
    finally:
        made.thaw()
        made.cut()


def idle(runtime: Runtime) -> None:
    pager = worker.running(runtime)
    assert pager is not None and pager.wait_idle(20), "the pager did not finish sending"


def minutes(runtime: Runtime, clock: FakeClock, count: int) -> None:
    """Fast-forward minute by minute, letting each minute's sends finish (as a real clock would)."""
    for _ in range(count):
        advance(runtime, clock, clock.now() + timedelta(minutes=1))
        idle(runtime)


def count(runtime: Runtime, query: Any) -> int:
    with runtime.db.reads(), runtime.db.session() as session:  # a reader, beside the lock
        return int(session.scalar(query) or 0)


def post_alert(runtime: Runtime, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = Client(runtime.receiver).post(
        "/alerts/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    return response.status_code, response.get_json()


PAGES = select(func.count()).select_from(Page)
ALERTS = text("SELECT count(*) FROM alarm_alerts")


def figure(line: str) -> None:
    """Report a measured figure: printed, and collected by ``make faults`` (benchmarks/faults.py)."""
    print(f"figure: {line}")
    if path := os.environ.get("DUTYBOT_FAULT_FIGURES"):
        with open(path, "a", encoding="utf-8") as figures:
            figures.write(line + "\n")


class PageCount:
    """A plugin route that reads the database and lets a database error escape, as most do."""

    @hookimpl
    def dutybot_webhook_routes(self, runtime: Runtime) -> list[Route]:
        return [Route("GET", "/faults/pages", lambda _request, _args: (200, count(runtime, PAGES)))]


LINE = "Page #{n} from alarms, call 1: alice. Acknowledge in chat: !ack {n}"


# --- PostgreSQL goes away --------------------------------------------------------------------


@PG
def test_webhooks_answer_503_while_postgresql_is_away_and_no_page_is_lost_or_doubled(
    make_runtime: Callable[..., Runtime],
    database_url: str,
    proxy: Proxy,
    phones: Phones,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
) -> None:
    monkeypatch.setenv("FAULTS_ALICE", f"json://127.0.0.1:{phones.port}/ok/alice")
    runtime = make_runtime(
        process=process({"alice": ["env:FAULTS_ALICE"]}),
        plugins=(PageCount(),),
        database_url=proxy.url(database_url),
        credentials={"alertmanager": Credential(token=TOKEN)},
    )
    assert post_alert(runtime, alert("Before"))[0] == 200
    idle(runtime)
    assert received(phones) == [("/ok/alice", LINE.format(n=1))]

    proxy.cut()
    status, body = post_alert(runtime, alert("During"))
    assert (status, body) == (503, {"reason": body["reason"]}) and "retry" in body["reason"]
    assert runtime.run_command("page", "alice the database is down", "@alice") == (
        "Sorry, `!page` could not run: the database is unreachable. Try again in a minute."
    )
    assert post_alert(runtime, alert("During"))[0] == 503  # Alertmanager retries; still down
    response = Client(runtime.receiver).get("/faults/pages")
    assert (response.status_code, response.get_json(), response.headers["Retry-After"]) == (
        503,
        {"reason": "the database is unreachable; retry later"},
        "5",
    )

    proxy.restore()
    assert post_alert(runtime, alert("During"))[0] == 200  # the retry after the outage
    assert post_alert(runtime, alert("Before"))[0] == 200  # a repeat: the page is open already
    idle(runtime)
    minutes(runtime, clock, 5)
    assert received(phones) == [("/ok/alice", LINE.format(n=2))]
    assert Client(runtime.receiver).get("/faults/pages").get_json() == 2
    figure(
        "PostgreSQL cut: 3 webhooks answered 503 (2 alert retries, 1 plugin route), !page said "
        "so; after: 200, 2 alerts -> 2 pages -> 2 notifications (0 lost, 0 doubled)"
    )


@PG
def test_a_notification_sent_while_postgresql_is_away_is_recorded_later_not_sent_again(
    make_runtime: Callable[..., Runtime],
    database_url: str,
    proxy: Proxy,
    phones: Phones,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("FAULTS_ALICE", f"json://127.0.0.1:{phones.port}/hold/alice")
    runtime = make_runtime(
        process=process({"alice": ["env:FAULTS_ALICE"]}),
        database_url=proxy.url(database_url),
        credentials={"alertmanager": Credential(token=TOKEN)},
    )
    assert post_alert(runtime, alert("InFlight"))[0] == 200  # claimed; the phone holds the send
    proxy.cut()
    with caplog.at_level(logging.WARNING, logger="plugins.pager.worker"):
        phones.release.set()  # the send succeeds while its result cannot be stored
        until(lambda: "wait for the database" in caplog.text, 10, "the result was not held")
        proxy.restore()
        restored = time.monotonic()
        until(lambda: "recorded after the outage" in caplog.text, 10, "the result was lost")
        recorded = time.monotonic() - restored
    idle(runtime)
    states = select(Delivery.state)
    with runtime.db.session() as session:
        assert list(session.scalars(states)) == ["delivered"]
    # long past the claim's lease: a lost result would be sent again by these sweeps
    minutes(runtime, clock, 10)
    assert received(phones) == [("/hold/alice", LINE.format(n=1))]
    figure(
        f"a notification sent during a PostgreSQL cut: its result stored {recorded:.2f} s after "
        "the database returned; 10 sweeps past its lease sent it 0 more times"
    )


@PG
def test_a_leader_cut_off_from_postgresql_steps_down_and_a_follower_takes_over(
    make_runtime: Callable[..., Runtime],
    database_url: str,
    proxy: Proxy,
) -> None:
    takeover = 3.0
    features_off = {"disabled_plugins": frozenset(set(DEFAULT_PLUGINS) - {"system", "team"})}
    first = make_runtime(
        database_url=proxy.url(database_url),
        scheduler_enabled=True,
        leader_takeover_seconds=takeover,
        **features_off,
    )
    until(lambda: first.leadership.is_leader, takeover, "nobody took the lock")
    second = make_runtime(scheduler_enabled=True, leader_takeover_seconds=takeover, **features_off)
    follower = (
        "Scheduler: running, 0 jobs; this replica is follower (another replica leads; "
        "trying the lock every 0.5 s)"
    )
    status = lambda runtime: runtime.run_command("dutybot status", "", "@alice").splitlines()[4]  # noqa: E731
    assert status(second) == follower
    assert status(first).startswith("Scheduler: running, 0 jobs; this replica is leader (Postgre")

    proxy.cut()
    cut = time.monotonic()
    until(lambda: second.leadership.is_leader, takeover, "the follower did not take over")
    elapsed = time.monotonic() - cut
    assert not first.leadership.is_leader
    assert first.leadership.describe() == (
        "follower (the database is unreachable; trying the lock every 0.5 s)"
    )
    proxy.restore()
    until(lambda: status(first) == follower, takeover, "the old leader did not come back")
    assert (first.leadership.role, second.leadership.role) == ("follower", "leader")
    assert elapsed < takeover
    figure(
        f"leader's PostgreSQL connection cut: the follower led after {elapsed:.2f} s "
        f"(bound {takeover:g} s); the old leader had stepped down first"
    )


@PG
def test_a_leader_whose_connection_hangs_stops_leading_when_its_lease_runs_out(
    make_runtime: Callable[..., Runtime], database_url: str, proxy: Proxy
) -> None:
    runtime = make_runtime(
        database_url=proxy.url(database_url),
        scheduler_enabled=True,
        leader_takeover_seconds=3.0,
        disabled_plugins=frozenset(set(DEFAULT_PLUGINS) - {"system", "team"}),
    )
    leadership = runtime.leadership
    until(lambda: leadership.is_leader, 3, "nobody took the lock")
    proxy.freeze()  # the renewal hangs; PostgreSQL still sees a live session holding the lock
    frozen = time.monotonic()
    until(lambda: not leadership.is_leader, 3, "a hung leader kept leading")
    stepped_down = time.monotonic() - frozen
    assert stepped_down <= leadership.lease + leadership.retry
    assert leadership.describe() == (
        "follower (the lock's connection stopped answering; trying the lock every 0.5 s)"
    )
    proxy.thaw()
    until(lambda: leadership.is_leader, 3, "the leader did not renew once the path was back")
    figure(
        f"leader's connection hung: it stopped leading after {stepped_down:.2f} s (lease "
        f"{leadership.lease:g} s, renewed every {leadership.retry:g} s) and led again once it answered"
    )


class Morning:
    """A plugin with one exactly-once job at 08:30."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    @hookimpl
    def dutybot_scheduled_jobs(self) -> list[Job]:
        return [Job("faults.morning", "30 8 * * *", lambda t: self.ran.append(t.isoformat()))]


@PG
def test_a_fire_time_during_an_outage_runs_once_when_the_database_is_back(
    make_runtime: Callable[..., Runtime],
    database_url: str,
    proxy: Proxy,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    morning = Morning()
    features_off = {"disabled_plugins": frozenset(set(DEFAULT_PLUGINS) - {"system", "team"})}
    runtime = make_runtime(plugins=(morning,), database_url=proxy.url(database_url), **features_off)
    runtime.leadership.step()  # what the leader thread does: take the lock
    assert runtime.leadership.is_leader
    clock.advance(minutes=31)
    proxy.cut()
    with caplog.at_level(logging.WARNING, logger="core.scheduler"):
        runtime.scheduler.tick()
        runtime.scheduler.tick()
        assert morning.ran == []
        proxy.restore()
        runtime.scheduler.tick()
        runtime.scheduler.tick()
    assert morning.ran == ["2026-11-30T08:30:00+00:00"]
    assert [r.getMessage() for r in caplog.records if r.name == "core.scheduler"] == [
        "scheduled jobs wait: the database is unreachable; retrying every tick",
        "the database is back; scheduled jobs run again",
    ]


# --- a destination down, then back ----------------------------------------------------------


def test_pages_queued_while_a_destination_is_down_drain_once_it_is_back(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    port = free_port()  # nothing listens yet: connection refused
    monkeypatch.setenv("FAULTS_ALICE", f"json://127.0.0.1:{port}/ok/alice")
    runtime = make_runtime(
        process=process({"alice": ["env:FAULTS_ALICE"]}, attempts=6, timeout_seconds=2),
        credentials={"alertmanager": Credential(token=TOKEN)},
    )
    for name in ("One", "Two", "Three"):
        assert post_alert(runtime, alert(name))[0] == 200
    idle(runtime)
    minutes(runtime, clock, 2)  # retries after 30 s and 60 s
    unsent = select(func.count()).select_from(Delivery).where(Delivery.state != "delivered")
    assert count(runtime, unsent) == 3
    phones = Phones(port)  # the destination is back
    try:
        minutes(runtime, clock, 3)
        assert sorted(received(phones)) == sorted(
            ("/ok/alice", LINE.format(n=n)) for n in (1, 2, 3)
        )
        assert count(runtime, unsent) == 0
        assert runtime.run_command("dutybot status", "", "@alice").count("outbox: 0 undelivered")
        figure(
            f"{runtime.db.dialect}: destination refusing connections: 3 pages x 3 failed tries; "
            "once back, the outbox drained at the next retry: 3 notifications, 0 doubled"
        )
    finally:
        phones.stop()


# --- chat disconnected ------------------------------------------------------------------------


def test_while_chat_is_disconnected_webhooks_and_pages_work_and_posts_wait(
    make_runtime: Callable[..., Runtime], phones: Phones, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAULTS_ALICE", f"json://127.0.0.1:{phones.port}/ok/alice")
    runtime = make_runtime(
        process=process({"alice": ["env:FAULTS_ALICE"]}),
        credentials={"alertmanager": Credential(token=TOKEN)},
    )
    chat = ChatBot(runtime)
    try:
        chat.backend.plugin_manager.deactivate_plugin("Dutybot")  # Errbot does this on a disconnect
        assert post_alert(runtime, alert("ChatDown"))[0] == 200
        idle(runtime)
        assert received(phones) == [("/ok/alice", LINE.format(n=1))]
        waiting = runtime.chat.pending()
        assert waiting >= 1
        chat.backend.plugin_manager.activate_plugin("Dutybot")  # and on reconnection
        said = [chat.pop() for _ in range(waiting)]
        assert any("ChatDown" in text for text in said), said
        assert runtime.chat.pending() == 0
        chat.assert_quiet()
        figure(
            f"{runtime.db.dialect}: chat disconnected: webhook 200, page sent; {waiting} posts "
            "delivered on reconnect"
        )
    finally:
        chat.stop()


# --- SQLite locked or full --------------------------------------------------------------------


def sqlite_file(runtime: Runtime) -> str:
    return str(runtime.db.url.database)


def assert_intact(runtime: Runtime) -> None:
    with sqlite3.connect(sqlite_file(runtime)) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


@SQLITE
def test_a_locked_sqlite_file_gives_clear_errors_and_leaves_nothing_half_done(
    make_runtime: Callable[..., Runtime], phones: Phones, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    monkeypatch.setenv("FAULTS_ALICE", f"json://127.0.0.1:{phones.port}/ok/alice")
    runtime = make_runtime(
        process=process({"alice": ["env:FAULTS_ALICE"]}),
        credentials={"alertmanager": Credential(token=TOKEN)},
    )
    other = sqlite3.connect(sqlite_file(runtime), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        started = time.monotonic()
        assert runtime.run_command("page", "alice disk trouble", "@alice") == (
            "Sorry, `!page` could not run: the database is locked by another process. "
            "Try again in a minute."
        )
        answered = time.monotonic() - started
        status, body = post_alert(runtime, alert("Locked"))
        assert status == 503 and "retry" in body["reason"]
        assert (count(runtime, PAGES), count(runtime, ALERTS)) == (0, 0)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert post_alert(runtime, alert("Locked"))[0] == 200
    idle(runtime)
    assert received(phones) == [("/ok/alice", LINE.format(n=1))]
    assert_intact(runtime)
    figure(
        f"SQLite locked: !page answered in {answered:.2f} s (busy timeout 0.2 s here, 5 s in "
        "production), webhook 503; integrity ok, nothing stored, the retry paged once"
    )


@SQLITE
def test_a_full_sqlite_database_gives_clear_errors_and_leaves_nothing_half_done(
    make_runtime: Callable[..., Runtime], phones: Phones, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAULTS_ALICE", f"json://127.0.0.1:{phones.port}/ok/alice")
    runtime = make_runtime(
        process=process({"alice": ["env:FAULTS_ALICE"]}),
        credentials={"alertmanager": Credential(token=TOKEN)},
    )
    with runtime.db.session() as session:
        pages_now = session.execute(text("PRAGMA page_count")).scalar()

    def no_room(dbapi_connection: Any, _record: Any) -> None:  # the disk is full: no new page
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages_now}")

    event.listen(runtime.db.engine, "connect", no_room)
    runtime.db.engine.dispose()
    long = "disk trouble " + "x" * 15_000  # rows that need new pages, which cannot be had
    assert runtime.run_command("page", f'alice "{long}"', "@alice") == (
        "Sorry, `!page` could not run: the database is full (no space left for it). "
        "Try again in a minute."
    )
    big = alert("Full")
    big["alerts"][0]["annotations"]["message"] = long
    status, body = post_alert(runtime, big)
    assert status == 503 and "retry" in body["reason"]
    event.remove(runtime.db.engine, "connect", no_room)  # space is freed
    runtime.db.engine.dispose()
    assert (count(runtime, PAGES), count(runtime, ALERTS)) == (0, 0)
    assert_intact(runtime)
    assert post_alert(runtime, big)[0] == 200
    idle(runtime)
    assert received(phones) == [("/ok/alice", LINE.format(n=1))]
    figure("SQLite full: !page and webhook refused clearly (503); integrity ok, nothing stored")
