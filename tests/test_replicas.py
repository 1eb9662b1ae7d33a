"""Two real ``dutybot run`` processes on one PostgreSQL schema: one leader, one chat.

Replica A runs with chat off and starts first, so it takes the scheduler's advisory lock;
replica B is connected to chat (Errbot's Text backend) and follows. Both receive webhooks and
send pages. Both read one shared test clock (``DUTYBOT_TEST_CLOCK_FILE``), which the test
fast-forwards by rewriting the file. Pages go to a local HTTP server through apprise ``json://``.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from core.clock import FileClock
from core.models import ChatPost, JobRun
from core.runtime import Runtime
from core.settings import Settings, SettingsError
from plugins.pager.models import Delivery, Page
from tests.conftest import ROOT
from tests.phones import Phones
from tests.test_faults import figure
from tests.waiting import until

TAKEOVER = 6.0
"""The replicas' DUTYBOT_LEADER_TAKEOVER_SECONDS: followers try the lock every second."""
TOKEN = "replica-test-token"
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan")
ALERT = (ROOT / "tests" / "fixtures" / "alertmanager" / "critical-firing.json").read_bytes()


def messages(phones: Phones) -> list[tuple[str, str]]:
    """The pages the replicas sent: (path, message)."""
    return [(call.path, call.message) for call in phones.calls()]


class Replica:
    """A ``dutybot run`` child process; its stdout lines are kept for the test to read."""

    def __init__(self, name: str, env: dict[str, str], port: int, log: Path) -> None:
        self.name, self.port = name, port
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("a"),
            text=True,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                return json.load(r)
        except OSError:
            return None

    def role(self) -> str | None:
        health = self.health()
        return health["scheduler"] if health else None

    def alert(self) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/alerts/alertmanager",
            data=ALERT,
            method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def signal(self, signum: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signum)

    def stop(self) -> None:
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def set_clock(path: Path, instant: datetime) -> None:
    """Fast-forward every replica: they read the instant at the file's modification time."""
    fresh = path.with_suffix(".new")
    fresh.write_text(instant.isoformat())
    fresh.replace(path)  # atomically: a replica never reads a half-written file


def at(hh_mm_ss: str) -> datetime:
    hour, minute, second = map(int, hh_mm_ss.split(":"))
    return datetime(2026, 11, 30, hour, minute, second, tzinfo=UTC)


class Cluster:
    """Destinations, the shared clock and the replicas, on one fresh PostgreSQL schema."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.destinations = Phones()
        self.clock_file = tmp_path / "clock"
        set_clock(self.clock_file, at("08:59:00"))
        contacts = "".join(f'{p} = ["env:PAGER_{p.upper()}"]\n' for p in PEOPLE)
        default = (ROOT / "core" / "default_process.toml").read_text(encoding="utf-8")
        self.process_file = tmp_path / "process.toml"
        self.process_file.write_text(
            default.replace("[pager.contacts]\n", f"[pager.contacts]\n{contacts}", 1),
            encoding="utf-8",
        )
        self.contacts = {f"PAGER_{p.upper()}": self.destinations.url(f"/{p}") for p in PEOPLE}
        self.replicas: list[Replica] = []
        self.engine = create_engine(database_url)

    def env(self, name: str, port: int, chat: bool) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")}
        return {
            **clean,
            **self.contacts,
            "DUTYBOT_DATABASE_URL": self.database_url,
            "DUTYBOT_PROCESS_FILE": str(self.process_file),
            "DUTYBOT_DATA_DIR": str(self.tmp_path / name),
            "DUTYBOT_HTTP_PORT": str(port),
            "DUTYBOT_CHAT": "on" if chat else "off",
            "DUTYBOT_WEBHOOK_TOKEN_ALERTMANAGER": TOKEN,
            "DUTYBOT_LEADER_TAKEOVER_SECONDS": str(TAKEOVER),
            "DUTYBOT_TEST_CLOCK_FILE": str(self.clock_file),
            "DUTYBOT_ALLOW_TEST_CLOCK": "yes",
            "DUTYBOT_LOG_LEVEL": "INFO",
        }

    def start(self, name: str, chat: bool) -> Replica:
        port = free_port()
        replica = Replica(name, self.env(name, port, chat), port, self.tmp_path / f"{name}.log")
        self.replicas.append(replica)
        until(replica.health, 60, f"replica {name} did not start:\n{self.logs()}")
        return replica

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in self.tmp_path.glob("*.log")
        )

    def scalar(self, query: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def states(self, message: str) -> list[str]:
        with self.engine.connect() as connection:
            query = (
                select(Delivery.state)
                .join(Page, Page.id == Delivery.page_id)
                .where(Page.message == message, Delivery.call == 1)
            )
            return list(connection.execute(query).scalars())

    def stop(self) -> None:
        for replica in self.replicas:
            replica.stop()
        self.destinations.stop()
        self.engine.dispose()


@pytest.fixture
def cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(database_url, tmp_path)
    try:
        yield made
    finally:
        made.stop()


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
def test_two_replicas_share_the_work_and_the_survivor_takes_over(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = cluster.start("a", chat=False)
    until(lambda: a.role() == "leader", 10, "replica a did not take the lock")
    b = cluster.start("b", chat=True)
    until(lambda: any("ready:" in line for line in b.lines), 30, f"no chat:\n{cluster.logs()}")
    assert (a.role(), b.role()) == ("leader", "follower")

    # 09:00: the leader (a, no chat) runs the checklist job; b, the chat replica, posts it.
    set_clock(cluster.clock_file, at("09:00:00"))
    checklist = ChatPost.key == "supportday:checklist:2026-11-30"
    posted = select(func.count()).select_from(ChatPost).where(checklist)
    delivered = posted.where(ChatPost.delivered_at.is_not(None))
    until(lambda: cluster.scalar(delivered), 20, f"no checklist:\n{cluster.logs()}")
    said = until(
        lambda: [line for line in b.lines if "Support checklist for Monday" in line],
        10,
        "b did not post the checklist",
    )
    assert len(said) == 1 and cluster.scalar(posted) == 1
    assert not [line for line in a.lines if "Support checklist" in line]

    # Alertmanager (an HA pair) sends the same alert to both replicas: one page goes out.
    results: list[int] = []
    senders = [threading.Thread(target=lambda r=r: results.append(r.alert())) for r in (a, b)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert results == [200, 200]
    pages = select(func.count()).select_from(Page)
    unsent = (
        select(func.count()).select_from(Delivery).where(Delivery.state.in_(("pending", "sending")))
    )
    until(
        lambda: messages(cluster.destinations) and not cluster.scalar(unsent),
        20,
        f"the alert paged nobody:\n{cluster.logs()}",
    )
    first_page = messages(cluster.destinations)
    assert len(first_page) == 1 and cluster.scalar(pages) == 1, first_page

    # The leader freezes; meanwhile a page is committed and nothing sends it yet.
    a.signal(signal.SIGSTOP)
    for name, url in cluster.contacts.items():
        monkeypatch.setenv(name, url)
    writer = Runtime(
        Settings(
            database_url=cluster.database_url,
            process_file=cluster.process_file,
            data_dir=cluster.tmp_path / "writer",
            http_enabled=False,
            scheduler_enabled=False,
        ),
        clock=FileClock(cluster.clock_file),
    )
    message = "Disk full on db-1"
    writer.hook.dutybot_page(
        runtime=writer, target="alice", message=message, dedup_key=None, source="test", session=None
    )
    writer.db.dispose()
    assert cluster.states(message) == ["pending"]

    # kill -9 the leader: b takes the lock within the bound, then its sweep sends the page.
    a.signal(signal.SIGKILL)
    killed = time.monotonic()
    until(lambda: b.role() == "leader", TAKEOVER, f"b did not take over:\n{cluster.logs()}")
    takeover = time.monotonic() - killed
    set_clock(cluster.clock_file, at("09:02:00"))  # the next minute's sweep
    until(lambda: cluster.states(message) == ["delivered"], 20, f"not delivered:\n{cluster.logs()}")
    assert [(path, text.splitlines()[-1]) for path, text in messages(cluster.destinations)] == [
        (
            first_page[0][0],
            "Page #1 from alarms, call 1: oncall.primary. Acknowledge in chat: !ack 1",
        ),
        ("/alice", "Page #2 from test, call 1: alice. Acknowledge in chat: !ack 2"),
    ]
    assert cluster.scalar(posted) == 1
    runs = select(func.count()).select_from(JobRun).where(JobRun.job == "supportday.checklist")
    assert cluster.scalar(runs) == 1
    figure(
        f"two replicas: leader killed (kill -9), the follower led after {takeover:.2f} s "
        f"(bound {TAKEOVER:g} s) and sent the page it left unsent; 1 checklist, 1 page per alert"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_replica_without_chat_serves_until_sigterm_and_then_stops_cleanly(
    cluster: Cluster,
) -> None:
    replica = cluster.start("solo", chat=False)
    assert replica.role() == "leader"  # SQLite: one process, always the leader
    until(lambda: any("ready, chat off: sqlite:///" in x for x in replica.lines), 10, "no ready")
    replica.signal(signal.SIGTERM)
    assert replica.proc.wait(timeout=15) == 0
    assert replica.health() is None


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        (
            {"DUTYBOT_TEST_CLOCK_FILE": "clock"},
            "DUTYBOT_TEST_CLOCK_FILE replaces the real clock and is for tests only; "
            "set DUTYBOT_ALLOW_TEST_CLOCK=yes as well to use it",
        ),
        (
            {"DUTYBOT_TEST_CLOCK_FILE": "missing", "DUTYBOT_ALLOW_TEST_CLOCK": "yes"},
            "DUTYBOT_TEST_CLOCK_FILE: missing is not a file",
        ),
        (
            {"DUTYBOT_LEADER_TAKEOVER_SECONDS": "1"},
            "DUTYBOT_LEADER_TAKEOVER_SECONDS: expected seconds from 3 to 600, got '1'",
        ),
        (
            {"DUTYBOT_LEADER_TAKEOVER_SECONDS": "soon"},
            "DUTYBOT_LEADER_TAKEOVER_SECONDS: expected seconds from 3 to 600, got 'soon'",
        ),
        (
            {"DUTYBOT_CHAT": "maybe"},
            "DUTYBOT_CHAT: expected on/off (or true/false, 1/0), got 'maybe'",
        ),
    ],
)
def test_bad_replica_settings_are_refused_with_the_reason(
    env: dict[str, str], problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clock").write_text("2026-11-30T09:00:00+00:00")
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert str(refused.value) == problem


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
def test_replicas_starting_together_migrate_one_after_the_other(
    cluster: Cluster, tmp_path: Path
) -> None:
    upgrades = [
        subprocess.Popen(
            [sys.executable, "-m", "core.cli", "db", "upgrade"],
            cwd=ROOT,
            env=cluster.env(f"m{i}", 0, chat=False),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for i in range(3)
    ]
    outcomes = [(p.wait(timeout=60), p.stdout.read() if p.stdout else "") for p in upgrades]
    assert outcomes == [(0, "database is up to date\n")] * 3


def test_the_file_clock_runs_on_from_the_written_instant_and_jumps_when_rewritten(
    tmp_path: Path,
) -> None:
    path = tmp_path / "clock"
    set_clock(path, at("08:59:00"))
    clock = FileClock(path)
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    elapsed = datetime.now(UTC) - written
    assert abs(clock.now() - (at("08:59:00") + elapsed)).total_seconds() < 1
    set_clock(path, at("09:00:00"))
    until(lambda: clock.now() >= at("09:00:00"), 2, "the clock did not jump")
    assert clock.now() - at("09:00:00") < timedelta(seconds=1)
    path.write_text("not a time")  # half-written: the clock keeps the time it had
    assert clock.now() - at("09:00:00") < timedelta(seconds=1)
    with pytest.raises(ValueError):
        FileClock(path)
