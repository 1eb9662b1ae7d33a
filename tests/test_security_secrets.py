"""Secrets appear nowhere: a whole morning with recognisable fake secrets in every place one can
be (webhook tokens, basic-auth passwords, apprise URLs of contact methods and of the heartbeat,
the calendar and pay tokens, the on-call feed key and the tokens derived from it, a wrong token
an attacker guessed), then every output is searched for them.

Searched: every log record at DEBUG (all loggers, through the root handler), what reached the
process's stdout and stderr, every chat reply and post, every HTTP answer (bodies and headers),
``/metrics`` when the metrics plugin serves it, ``!dutybot status`` and ``!dutybot audit``, the
reports (``!oncall hours``, the pay CSV, the ``dutybot`` CLI's reports), every row of every
table, every file written under the test's directory, and the texts of the pages sent. The one
intended exception is the on-call feed link, sent to its owner alone by direct message.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from core import cli
from core.clock import FakeClock
from core.models import ChatPost
from core.process import DEFAULT_PROCESS
from core.receiver import Credential
from core.runtime import Runtime
from plugins.oncall import feed
from plugins.pager import worker
from tests.conftest import advance
from tests.phones import Phones

PAGER_PASSWORD = "S3CR3T-PAGER-XYZ"
HEARTBEAT_PASSWORD = "S3CR3T-HEARTBEAT-XYZ"
ALERT_TOKEN = "S3CR3T-ALERT-TOKEN-XYZ"
GRAFANA_PASSWORD = "S3CR3T-GRAFANA-XYZ"
CALENDAR_TOKEN = "S3CR3T-CALENDAR-XYZ"
PAY_TOKEN = "S3CR3T-PAY-XYZ"
METRICS_TOKEN = "S3CR3T-METRICS-XYZ"
FEED_KEY = "S3CR3T-FEED-KEY-XYZ"
GUESSED = "S3CR3T-GUESSED-XYZ"
SECRETS = [
    PAGER_PASSWORD,
    HEARTBEAT_PASSWORD,
    ALERT_TOKEN,
    GRAFANA_PASSWORD,
    CALENDAR_TOKEN,
    PAY_TOKEN,
    METRICS_TOKEN,
    FEED_KEY,
    GUESSED,
]
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan")
FIXTURE = Path(__file__).parent / "fixtures" / "alertmanager" / "critical-firing.json"


@pytest.fixture
def destinations() -> Iterator[Phones]:
    found = Phones()
    yield found
    found.stop()


def process_text(destinations: Phones, monkeypatch: pytest.MonkeyPatch) -> str:
    """The built-in process; everyone's first contact fails, the second works."""
    contacts = ["[pager.contacts]"]
    for person in PEOPLE:
        for kind in ("fail", "ok"):
            name = f"H5_{person.upper()}_{kind.upper()}"
            monkeypatch.setenv(
                name, destinations.url(f"/{kind}/{person}", f"pager:{PAGER_PASSWORD}")
            )
        contacts.append(
            f'{person} = ["env:H5_{person.upper()}_FAIL", "env:H5_{person.upper()}_OK"]'
        )
    monkeypatch.setenv(
        "H5_HEARTBEAT", destinations.url("/ok/heartbeat", f"hb:{HEARTBEAT_PASSWORD}")
    )
    text = DEFAULT_PROCESS.read_text(encoding="utf-8")
    text = text.replace('# url = "env:DUTYBOT_HEARTBEAT_URL"', 'url = "env:H5_HEARTBEAT"')
    text = text.replace(
        "attempts = 3 ", "attempts = 1 "
    )  # fall back at once: fewer minutes to live
    start = text.index("[pager.contacts]")
    end = text.index("\n[", start + 1)
    return text[:start] + "\n".join(contacts) + "\n" + text[end:]


class Http:
    """Real HTTP to the runtime's receiver; every answer (status, headers, body) is kept."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.answers: list[str] = []

    def __call__(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> int:
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers or {}
        )
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, answer_headers, text = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, answer_headers, text = exc.code, exc.headers, exc.read()
        self.answers.append(f"{status} {dict(answer_headers)} {text.decode(errors='replace')}")
        return status


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def dump(runtime: Runtime, leave_out: int | None) -> list[str]:
    """Every row of every table as text (``leave_out``: the id of the feed-link post)."""
    metadata = MetaData()
    metadata.reflect(runtime.db.engine)
    rows: list[str] = []
    with runtime.db.engine.connect() as connection:
        for name, table in metadata.tables.items():
            for row in connection.execute(select(table)):
                if name == ChatPost.__tablename__ and row.id == leave_out:
                    continue
                rows.append(f"{name}: {tuple(row)}")
    return rows


def test_no_secret_appears_in_any_output(
    make_runtime: Callable[..., Runtime],
    clock: FakeClock,
    destinations: Phones,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    database_url: str,
) -> None:
    caplog.set_level("DEBUG")
    monkeypatch.setenv(feed.SECRET_VARIABLE, FEED_KEY)
    credentials = {
        "alertmanager": Credential(token=ALERT_TOKEN),
        "grafana": Credential(username="grafana", password=GRAFANA_PASSWORD),
        "calendar": Credential(token=CALENDAR_TOKEN),
        "oncall_pay": Credential(token=PAY_TOKEN),
        "metrics": Credential(token=METRICS_TOKEN),
    }
    process = process_text(destinations, monkeypatch)
    runtime = make_runtime(process=process, credentials=credentials, http_enabled=True, http_port=0)
    http = Http(runtime.receiver.port)
    feed_tokens = {person: feed.token_for(person) for person in PEOPLE}
    assert all(feed_tokens.values())
    replies: list[str] = []

    def ask(command: str, args: str = "", as_user: str = "@alice") -> str:
        reply = runtime.run_command(command, args, as_user)
        replies.append(reply)
        pager = worker.running(runtime)
        assert pager is not None and pager.wait_idle(10)
        return reply

    # Webhooks: right and wrong credentials, tokens where logs would show them, bad bodies.
    alert = FIXTURE.read_bytes()
    assert http("POST", "/alerts/alertmanager", alert, bearer(ALERT_TOKEN)) == 200
    assert http("POST", "/alerts/alertmanager", alert, bearer(GUESSED)) == 401
    assert http("POST", f"/alerts/alertmanager?token={GUESSED}", alert) == 401
    assert http("POST", "/alerts/grafana", b"{}", basic("grafana", GUESSED)) == 401
    assert http("POST", "/alerts/grafana", b"not json", basic("grafana", GRAFANA_PASSWORD)) == 400
    assert http("POST", "/alerts/generic", b"x" * (1024 * 1024 + 1), bearer(GUESSED)) in (401, 413)
    assert http("GET", f"/oncall/alice.ics?token={feed_tokens['alice']}") == 200
    assert http("GET", f"/oncall/alice.ics?token={GUESSED}") == 403
    assert http("GET", f"/oncall/alice.ics?token={feed_tokens['bob']}") == 403
    assert http("GET", f"/calendar/support.ics?token={CALENDAR_TOKEN}") == 200
    assert http("GET", f"/calendar/support/alice.ics?token={GUESSED}") == 401
    assert http("GET", "/oncall/hours/2026-11.csv", headers=bearer(PAY_TOKEN)) == 200
    assert http("GET", "/oncall/hours/2026-11.csv", headers=bearer(GUESSED)) == 401
    assert http("GET", "/oncall/hours/2026-13.csv", headers=bearer(PAY_TOKEN)) == 400
    serves_metrics = any(route.path == "/metrics" for route in runtime.receiver.routes)
    if serves_metrics:
        assert http("GET", "/metrics", headers=bearer(METRICS_TOKEN)) == 200
        assert http("GET", "/metrics", headers=bearer(GUESSED)) == 401

    # Chat: paging, contact methods, status, audit, reports, the feed link.
    assert ask("page", "@bob the database is down").startswith("Page #")
    ask("contacts", "@bob")
    ask("contacts")
    ask("pages")
    ask("alarms")
    ask("alarm show", "1")
    ask("incident declare", "Database down --impact nobody can log in --priority high")
    ask("oncall hours", "2026-11")
    ask("oncall hours", "2026-11 csv")
    assert ask("oncall feed", as_user="@carol").startswith("I have sent you the link")
    ask("whoami")
    ask("team")

    # Live through the first minutes: fallbacks after failures, an escalation, heartbeats.
    until = datetime(2026, 11, 30, 8, 20, tzinfo=UTC)
    while clock.now() < until:
        advance(runtime, clock, clock.now() + timedelta(minutes=1))
        pager = worker.running(runtime)
        assert pager is not None and pager.wait_idle(10)
    ask("dutybot status")
    ask("dutybot audit", "100")
    if "stats" in runtime.commands:
        ask("stats")
    if serves_metrics:
        assert http("GET", "/metrics", headers=bearer(METRICS_TOKEN)) == 200

    # The CLI, on the same database and process file, as an operator would run it.
    monkeypatch.setenv("DUTYBOT_DATABASE_URL", database_url)
    process_file = tmp_path / "cli-process.toml"
    process_file.write_text(process, encoding="utf-8")
    monkeypatch.setenv("DUTYBOT_PROCESS_FILE", str(process_file))
    monkeypatch.setenv("DUTYBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DUTYBOT_WEBHOOK_TOKEN_ALERTMANAGER", ALERT_TOKEN)
    monkeypatch.setenv("DUTYBOT_WEBHOOK_BASIC_GRAFANA", f"grafana:{GRAFANA_PASSWORD}")
    cli_runs = [["check"], ["plugins"], ["help"], ["incident-log", "build"]]
    if serves_metrics:
        cli_runs.append(["report", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"])
    for argv in cli_runs:
        assert cli.main(argv) == 0, argv
    cli_output = capfd.readouterr()

    # The feed link went to carol alone, by direct message, and is the only place a token is.
    with runtime.db.session() as session:
        [link] = session.execute(
            select(ChatPost.id, ChatPost.address, ChatPost.text).where(
                ChatPost.text.contains(feed_tokens["carol"])
            )
        ).all()
    assert link.address == "@carol"

    # The pages really used the secrets: the test would notice if none were sent.
    sent = [
        base64.b64decode(a.split()[1]).decode()
        for a in (c.authorization for c in destinations.calls())
        if a
    ]
    assert f"pager:{PAGER_PASSWORD}" in sent and f"hb:{HEARTBEAT_PASSWORD}" in sent

    files = [
        f"{p.name}: {p.read_bytes().decode(errors='replace')}"
        for p in tmp_path.rglob("*")
        if p.is_file() and ".sqlite3" not in p.name  # the database: dumped row by row above
    ]
    captured = capfd.readouterr()  # anything since the CLI ran
    outputs = {
        "logs": caplog.text,
        "stdout": captured.out + cli_output.out,
        "stderr": captured.err + cli_output.err,
        "replies": "\n".join(replies),
        "http": "\n".join(http.answers),
        "database": "\n".join(dump(runtime, leave_out=link.id)),
        "files": "\n".join(files),
        "pages sent": "\n".join(c.body for c in destinations.calls()),
    }
    assert len(caplog.records) > 50 and "database" in outputs
    leaks = {
        (name, secret)
        for name, text in outputs.items()
        for secret in [*SECRETS, *feed_tokens.values()]
        if secret in text
    }
    assert leaks == set(), [
        line for name, secret in leaks for line in outputs[name].splitlines() if secret in line
    ]
