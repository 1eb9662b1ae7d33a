"""examples/dutybot-github-issues, pip-installed as a user would, mirroring board tickets to a
local HTTP server that imitates the two GitHub REST endpoints it calls (no network)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from core.clock import FakeClock
from core.runtime import Runtime
from tests.conftest import pip_installed
from tests.test_triage_harness import Desk, desk_maker, london

TOKEN = "ghp-test-token"
REPO = "acme/platform-support"


@dataclass
class FakeGitHub:
    """Issues kept in memory; every call recorded as (method, path, json body)."""

    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    failing: bool = False
    refused: list[str] = field(default_factory=list)
    url: str = ""


def _handler(github: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self._answer("POST")

        def do_PATCH(self) -> None:  # noqa: N802
            self._answer("PATCH")

        def _answer(self, method: str) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.headers["Authorization"] != f"Bearer {TOKEN}":
                github.refused.append(self.path)
                return self._send(401, {"message": "Bad credentials"})
            github.calls.append((method, self.path, body))
            if github.failing:
                return self._send(502, {"message": "Server Error"})
            prefix = f"/repos/{REPO}/issues"
            if method == "POST" and self.path == prefix:
                number = len(github.issues) + 1
                github.issues[number] = {"state": "open", **body}
                return self._send(
                    201,
                    {"number": number, "html_url": f"https://github.test/{REPO}/issues/{number}"},
                )
            number = int(self.path.removeprefix(prefix + "/"))
            github.issues[number].update(body)
            return self._send(200, {"number": number})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            """Quiet: the test reads the calls instead."""

    return Handler


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pip_installed(
        "dutybot-github-issues", "dutybot_github_issues", tmp_path_factory.mktemp("gh")
    ) as target:
        yield target


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("DUTYBOT_GITHUB_API", fake.url)
    monkeypatch.setenv("DUTYBOT_GITHUB_REPO", REPO)
    monkeypatch.setenv("DUTYBOT_GITHUB_TOKEN", TOKEN)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def desk(installed: Path, make_runtime: Callable[..., Runtime], clock: FakeClock) -> Desk:
    desk = desk_maker(make_runtime, clock)(start=london(2026, 11, 30, 10, 0))
    desk.listener.link_base = None  # only the GitHub link on the board
    return desk


def status_line(desk: Desk) -> str:
    return next(
        ln for ln in desk.ask("dutybot status").splitlines() if ln.startswith("GitHub Issues:")
    )


def test_the_plugin_is_loaded_from_its_entry_point(desk: Desk, github: FakeGitHub) -> None:
    assert "github-issues (dutybot-github-issues 0.1.0)" in desk.ask("dutybot status")
    assert status_line(desk) == (
        f"GitHub Issues: mirroring board tickets to {REPO} via {github.url}"
    )


def test_tickets_are_mirrored_to_issues_and_closed_when_done(
    desk: Desk, github: FakeGitHub
) -> None:
    desk.say(
        "Need a new Kafka topic for orders\nservice: orders\nenv: prod\nimpact: launch blocked"
    )
    assert desk.ask("request ticket R-1", as_user="@grace") == (
        "Created T-1 for R-1 in to do [support-request, needs-triage]."
    )
    method, path, body = github.calls[0]
    assert (method, path, body["title"], body["labels"]) == (
        "POST",
        f"/repos/{REPO}/issues",
        "R-1: Need a new Kafka topic for orders",
        ["support-request", "needs-triage"],
    )
    assert body["body"].startswith(
        "Need a new Kafka topic for orders\n\nService: orders\nEnvironment: production\n"
    )
    assert body["body"].endswith("(dutybot ticket T-1, board column: to do)")
    assert desk.ask("board").splitlines()[2] == (
        "- T-1 R-1: Need a new Kafka topic for orders [support-request, needs-triage] "
        f"https://github.test/{REPO}/issues/1"
    )

    desk.ask("request start R-1", as_user="@grace")
    desk.ask("ticket label T-1 -needs-triage", as_user="@grace")
    desk.ask("request resolve R-1 topic created", as_user="@grace")
    assert github.calls[1:] == [
        (
            "PATCH",
            f"/repos/{REPO}/issues/1",
            {
                "title": "R-1: Need a new Kafka topic for orders",
                "labels": ["support-request", "needs-triage"],
                "state": "open",
            },
        ),
        (
            "PATCH",
            f"/repos/{REPO}/issues/1",
            {
                "title": "R-1: Need a new Kafka topic for orders",
                "labels": ["support-request"],
                "state": "open",
            },
        ),
        (
            "PATCH",
            f"/repos/{REPO}/issues/1",
            {
                "title": "R-1: Need a new Kafka topic for orders",
                "labels": ["support-request"],
                "state": "closed",
            },
        ),
    ]
    assert github.issues[1]["state"] == "closed"
    assert github.refused == []


def test_an_issue_github_could_not_open_is_opened_by_the_next_change(
    desk: Desk, github: FakeGitHub
) -> None:
    desk.say("Rotate the shared CI secret")
    github.failing = True
    assert desk.ask("request ticket R-1", as_user="@grace") == (
        "Created T-1 for R-1 in to do [support-request, needs-triage]."
    )
    assert (
        desk.ask("board").splitlines()[2]
        == "- T-1 R-1: Rotate the shared CI secret [support-request, needs-triage]"
    )
    github.failing = False
    desk.ask("request start R-1", as_user="@grace")
    assert [call[0] for call in github.calls] == ["POST", "POST"]
    assert desk.ask("board").splitlines()[3] == (
        f"- T-1 R-1: Rotate the shared CI secret [support-request, needs-triage] https://github.test/{REPO}/issues/1"
    )


def test_without_configuration_nothing_is_sent(
    desk: Desk, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DUTYBOT_GITHUB_TOKEN")
    desk.say("A request that stays local")
    desk.ask("request ticket R-1", as_user="@grace")
    assert github.calls == [] and github.refused == []
    assert status_line(desk) == (
        "GitHub Issues: not mirroring (set DUTYBOT_GITHUB_REPO and DUTYBOT_GITHUB_TOKEN)"
    )
