"""Review of issue 10 (production): the scheduler across the autumn clock change, and rate
limits that concurrent commands from one sender must not get round."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from werkzeug.wrappers import Request

from core import hookimpl
from core.clock import FakeClock
from core.commands import Command, CommandContext
from core.plugin_manager import DEFAULT_PLUGINS
from core.process import DEFAULT_PROCESS
from core.receiver import Credential, Receiver, Route
from core.runtime import Runtime
from core.scheduler import Job
from plugins.pager.models import Page
from tests.waiting import until

FEATURES_OFF = {"disabled_plugins": frozenset(DEFAULT_PLUGINS) - {"system", "team"}}


class ClockChange:
    """A minutely sweep (no run record) and an hourly exactly-once job, recording their runs."""

    def __init__(self) -> None:
        self.minutely: list[datetime] = []
        self.hourly: list[datetime] = []

    @hookimpl
    def dutybot_scheduled_jobs(self) -> list[Job]:
        return [
            Job(
                "review.sweep",
                "* * * * *",
                self.minutely.append,
                exactly_once=False,
                grace=timedelta(seconds=30),
            ),
            Job("review.hourly", "0 * * * *", self.hourly.append),
        ]


def run_due_within(runtime: Runtime, seconds: float) -> None:
    """``run_due``, told to stop after ``seconds``: a scheduler stuck in a loop fails the test."""
    deadline = time.monotonic() + seconds
    runtime.scheduler.run_due(lambda: time.monotonic() < deadline)
    assert time.monotonic() < deadline, "run_due looped until it was stopped"


def test_the_autumn_clock_change_runs_every_real_minute_once_and_never_loops(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    jobs = ClockChange()
    start = datetime(2026, 10, 25, 0, 58, tzinfo=UTC)  # 01:58 BST; at 01:00 UTC it is 01:00 GMT
    clock.set(start)
    runtime = make_runtime(plugins=(jobs,), **FEATURES_OFF)
    while clock.now() < datetime(2026, 10, 25, 2, 2, tzinfo=UTC):
        clock.advance(minutes=1)
        run_due_within(runtime, 5)
    minutes = [t.astimezone(UTC) for t in jobs.minutely]
    assert minutes == [start + timedelta(minutes=n) for n in range(1, 65)]  # 00:59 to 02:02 UTC
    assert [t.astimezone(UTC) for t in jobs.hourly] == [
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
    ]


# --- rate limits under concurrent commands ---------------------------------------------------------


class Slow:
    """A command that holds until released, as a real one holds on the database or the network."""

    def __init__(self) -> None:
        self.entered = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def _run(self, _ctx: CommandContext) -> str:
        with self._lock:
            self.entered += 1
        self.release.wait(5)
        return "done"

    @hookimpl
    def dutybot_commands(self) -> list[Command]:
        return [Command("review slow", "Review", "Hold a while.", "review slow", self._run)]


def test_a_command_limit_holds_when_one_sender_sends_several_at_once(
    make_runtime: Callable[..., Runtime],
) -> None:
    slow = Slow()
    process = DEFAULT_PROCESS.read_text(encoding="utf-8").replace(
        '"incident declare" = "3/10m"', '"incident declare" = "3/10m"\n"review slow" = "1/10m"'
    )
    runtime = make_runtime(process=process, plugins=(slow,))
    replies: list[str] = []

    def ask() -> None:
        replies.append(runtime.run_command("review slow", "", "@bob"))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    until(lambda: slow.entered + len(replies) == 3, 5, "the commands did not start")
    slow.release.set()
    for thread in threads:
        thread.join(5)
    refused = [r for r in replies if r.startswith("Sorry bob, `!review slow` is limited to 1")]
    assert (replies.count("done"), len(refused)) == (1, 2), replies
    assert slow.entered == 1


def test_a_failed_use_gives_its_allowance_back(make_runtime: Callable[..., Runtime]) -> None:
    process = DEFAULT_PROCESS.read_text(encoding="utf-8").replace(
        '"incident declare" = "3/10m"', '"incident declare" = "1/10m"'
    )
    runtime = make_runtime(process=process)
    declare = "Database down --impact nobody can log in"
    for _ in range(3):  # each is refused for its arguments: none uses the one allowed
        reply = runtime.run_command("incident declare", "no impact given", "@bob")
        assert reply.startswith("Say what the impact is")
    assert runtime.run_command("incident declare", declare, "@bob").startswith(
        "Incident 1 declared"
    )
    assert runtime.run_command("incident declare", declare, "@bob").startswith("Sorry bob")


class HeldPage:
    """Holds every page request at the pager until a second one arrives (or a second passes)."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2)

    @hookimpl(hookwrapper=True)
    def dutybot_page(self, **_kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait(1)
        yield


def test_concurrent_pages_from_one_sender_cannot_pass_the_page_limit(
    make_runtime: Callable[..., Runtime],
) -> None:
    process = DEFAULT_PROCESS.read_text(encoding="utf-8").replace(
        "rate_limit = 5 ", "rate_limit = 1 "
    )
    runtime = make_runtime(process=process, plugins=(HeldPage(),))
    replies: list[str] = []
    threads = [
        threading.Thread(
            target=lambda who=who: replies.append(
                runtime.run_command("page", f"@{who} the database is down", "@bob")
            )
        )
        for who in ("carol", "dave")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    with runtime.db.session() as session:
        made = session.scalar(select(func.count()).select_from(Page))
    assert made == 1, replies
    assert sum(r.startswith("You have sent 1 pages") for r in replies) == 1, replies


# --- webhook bodies sent without a length --------------------------------------------------------


def test_a_chunked_body_over_the_limit_is_refused_not_cut_short() -> None:
    """Without Content-Length the server hands over at most the limit: the rest must not vanish."""
    received: list[bytes] = []

    def handler(request: Request, _args: Mapping[str, Any]) -> tuple[int, Any]:
        received.append(request.get_data())
        return 200, {"stored": len(received[-1])}

    routes = [Route("POST", "/in", handler, auth="am")]
    web = Receiver(routes, {"am": Credential(token="t")}, max_body=1000)
    web.start("127.0.0.1", 0)
    try:

        def chunked(size: int) -> str:
            body = b"x" * size
            chunks = b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + 500]), body[i : i + 500])
                for i in range(0, size, 500)
            )
            with socket.create_connection(("127.0.0.1", web.port or 0), timeout=5) as sock:
                sock.sendall(
                    b"POST /in HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
                    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + chunks
                    + b"0\r\n\r\n"
                )
                answer = b""
                while part := sock.recv(65536):
                    answer += part
            return answer.decode()

        too_big = chunked(5000)
        assert too_big.startswith("HTTP/1.1 413"), too_big
        assert too_big.endswith('{"reason": "body larger than 1000 bytes"}')
        assert received == []
        assert chunked(1000).startswith("HTTP/1.1 200")
        assert received == [b"x" * 1000]
    finally:
        web.stop()
