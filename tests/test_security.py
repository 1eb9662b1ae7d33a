"""Webhook authentication and limits, and per-sender limits on paging commands.

Tokens are compared in constant time; bodies are size-limited; each webhook source is
rate-limited with a token bucket (429, a JSON reason and ``Retry-After``, nothing stored); paging
commands are rate-limited per sender with a clear refusal, and every paging request is audited.
Time moves only on the fake clock.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.test import Client
from werkzeug.wrappers import Request

from core import receiver as receiver_module
from core.clock import FakeClock
from core.models import AuditEntry
from core.process import DEFAULT_PROCESS, ProcessError
from core.ratelimit import Rate, TokenBucket
from core.receiver import Credential, Receiver, Route
from core.runtime import Runtime
from tests.conftest import DEFAULT_START, ROOT, ChatBot

TOKEN = "security-test-token-0123456789abcdef"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


class Counting:
    """A route handler that counts the requests that reached it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, _request: Request, _args: Mapping[str, Any]) -> tuple[int, Any]:
        self.calls += 1
        return 200, {"stored": self.calls}


def client(handler: Counting, clock: FakeClock, rate: str = "3/1m", **kwargs: Any) -> Client:
    routes = [
        Route("POST", "/in", handler, auth="alertmanager"),
        Route("GET", "/feed.ics", handler),
    ]
    credentials = {"alertmanager": Credential(token=TOKEN)}
    return Client(Receiver(routes, credentials, rate=Rate.parse(rate), clock=clock, **kwargs))


# --- tokens and bodies --------------------------------------------------------------------------


def test_tokens_and_passwords_are_compared_with_compare_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(receiver_module.hmac, "compare_digest", spy)
    bearer = Credential(token=TOKEN)
    assert bearer.matches(f"Bearer {TOKEN}")
    assert not bearer.matches("Bearer x")  # a different length: still one digest comparison
    assert not bearer.matches(f"Bearer {TOKEN[:-1]}")
    assert len(compared) == 3
    assert all(len(a) == len(b) == 32 for a, b in compared)  # SHA-256 digests: length hidden
    basic = Credential(username="am", password="pw:with:colons")
    compared.clear()
    assert basic.matches("Basic " + base64.b64encode(b"am:pw:with:colons").decode())
    assert not basic.matches("Basic " + base64.b64encode(b"xx:pw:with:colons").decode())
    assert len(compared) == 4  # user and password are both compared, even when the user is wrong


def test_the_body_size_limit_stays(clock: FakeClock) -> None:
    handler = Counting()
    web = client(handler, clock, max_body=1000)
    too_big = web.post("/in", data=b"x" * 1001, headers=BEARER)
    assert (too_big.status_code, too_big.json) == (413, {"reason": "body larger than 1000 bytes"})
    assert web.post("/in", data=b"x" * 1000, headers=BEARER).status_code == 200
    assert handler.calls == 1
    assert receiver_module.MAX_BODY == 1024 * 1024  # the default every runtime uses


# --- webhook rate limits ----------------------------------------------------------------------------


def test_a_source_over_its_rate_gets_429_with_retry_after_and_nothing_runs(
    clock: FakeClock,
) -> None:
    handler = Counting()
    web = client(handler, clock, rate="3/1m")
    assert [web.post("/in", json={}, headers=BEARER).status_code for _ in range(3)] == [200] * 3
    refused = web.post("/in", json={}, headers=BEARER)
    assert refused.status_code == 429
    assert refused.json == {
        "reason": "rate limit: source 'alertmanager' may send 3 per 1m; retry in 20 seconds"
    }
    assert refused.headers["Retry-After"] == "20"
    assert handler.calls == 3
    clock.advance(seconds=19)
    assert web.post("/in", json={}, headers=BEARER).status_code == 429
    clock.advance(seconds=1)  # one token back after a third of the period
    assert web.post("/in", json={}, headers=BEARER).status_code == 200
    assert web.post("/in", json={}, headers=BEARER).status_code == 429
    clock.advance(minutes=1)  # the bucket is full again: a burst of three
    assert [web.post("/in", json={}, headers=BEARER).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    assert handler.calls == 7


def test_callers_without_the_token_cannot_use_up_the_sources_allowance(clock: FakeClock) -> None:
    handler = Counting()
    web = client(handler, clock, rate="2/1m")
    wrong = {"Authorization": "Bearer guessed"}
    assert {web.post("/in", json={}, headers=wrong).status_code for _ in range(50)} == {401}
    assert [web.post("/in", json={}, headers=BEARER).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


def test_public_routes_are_limited_per_client_address(clock: FakeClock) -> None:
    handler = Counting()
    web = client(handler, clock, rate="2/1m")
    here = {"REMOTE_ADDR": "10.0.0.1"}
    there = {"REMOTE_ADDR": "10.0.0.2"}
    assert [web.get("/feed.ics", environ_base=here).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert web.get("/feed.ics", environ_base=there).status_code == 200
    assert web.get("/feed.ics", environ_base=here).json == {
        "reason": "rate limit: this address may send 2 per 1m; retry in 30 seconds"
    }


def test_health_checks_are_never_rate_limited(runtime: Runtime) -> None:
    """A load balancer's checks all come from one address; a 429 would take the replica out."""
    web = Client(runtime.receiver)
    balancer = {"REMOTE_ADDR": "10.0.0.9"}
    limit = runtime.process.core.limits.webhook.count
    codes = {web.get("/healthz", environ_base=balancer).status_code for _ in range(limit + 5)}
    assert codes == {200}


def test_full_buckets_are_forgotten_so_many_senders_do_not_grow_memory(clock: FakeClock) -> None:
    bucket = TokenBucket(Rate.parse("1/1m"), clock)
    for n in range(20_000):
        assert bucket.take(f"sender {n}").allowed
        if n == 9_999:
            clock.advance(minutes=1)
    assert len(bucket._buckets) <= 10_001


def test_the_webhook_limit_is_set_in_the_process_file_and_stores_nothing_over_it(
    make_runtime: Callable[..., Runtime],
) -> None:
    process = DEFAULT_PROCESS.read_text(encoding="utf-8").replace(
        'webhook = "1200/1m"', 'webhook = "2/10m"'
    )
    runtime = make_runtime(process=process, credentials={"generic": Credential(token=TOKEN)})
    web = Client(runtime.receiver)

    def alert(n: int) -> Any:
        body = {"title": f"Disk {n}", "dedup_key": f"disk-{n}", "severity": "warning"}
        return web.post("/alerts/generic", json=body, headers=BEARER)

    assert [alert(1).status_code, alert(2).status_code] == [200, 200]
    refused = alert(3)
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "300")
    assert refused.json["reason"].startswith("rate limit: source 'generic' may send 2 per 10m")
    assert "Disk 3" not in runtime.run_command("alarms", "", "@alice")
    assert "Disk 2" in runtime.run_command("alarms", "", "@alice")


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (
            'webhook = "lots"',
            "limits.webhook: 'lots' is not a rate: write COUNT/PERIOD",
        ),
        (
            'webhook = "0/1m"',
            "limits.webhook: '0/1m' is not a rate: write COUNT/PERIOD",
        ),
        (
            '[limits.commands]\n"paeg" = "1/1m"',
            "limits.commands.paeg: unknown command",
        ),
    ],
)
def test_bad_limits_are_named(
    make_runtime: Callable[..., Runtime], limits: str, problem: str
) -> None:
    process = f'[[people]]\nid = "alice"\nname = "Alice"\nchat = "@alice"\n\n[limits]\n{limits}\n'
    with pytest.raises(ProcessError) as caught:
        make_runtime(process=process)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


# --- paging commands ----------------------------------------------------------------------------------


def audit_entries(runtime: Runtime, *actions: str) -> list[tuple[str, str, str]]:
    with runtime.db.session() as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject)
            .where(AuditEntry.action.in_(actions))
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def test_declaring_incidents_is_limited_per_sender_and_refusals_are_audited(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    process = DEFAULT_PROCESS.read_text(encoding="utf-8").replace(
        '"incident declare" = "3/10m"', '"incident declare" = "2/10m"'
    )
    runtime = make_runtime(process=process)

    def declare(who: str, args: str = "Database down --impact nobody can log in") -> str:
        return runtime.run_command("incident declare", args, who)

    assert declare("@bob", "no impact given").startswith("Say what the impact is")  # not counted
    assert declare("@bob").startswith("Incident 1 declared")
    assert declare("@bob").startswith("Incident 2 declared")
    assert declare("@bob") == (
        "Sorry bob, `!incident declare` is limited to 2 per 10m per person; you can use it again "
        "at 2026-11-30 08:05."
    )
    assert declare("@carol").startswith("Incident 3 declared")  # per sender
    clock.advance(minutes=4, seconds=59)
    assert declare("@bob").startswith("Sorry bob, `!incident declare` is limited")
    clock.advance(seconds=1)
    assert declare("@bob").startswith("Incident 4 declared")
    assert audit_entries(runtime, "refused: rate limit") == [
        ("bob", "refused: rate limit", "!incident declare"),
        ("bob", "refused: rate limit", "!incident declare"),
    ]
    assert "bob: refused: rate limit !incident declare" in runtime.run_command(
        "dutybot audit", "", "@alice"
    )


def test_page_requests_are_rate_limited_and_every_one_is_audited(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    process = (
        DEFAULT_PROCESS.read_text(encoding="utf-8")
        .replace("rate_limit = 5 ", "rate_limit = 2 ")
        .replace("rate_limit_minutes = 60 ", "rate_limit_minutes = 10 ")
    )
    runtime = make_runtime(process=process)

    def page(args: str) -> str:
        return runtime.run_command("page", args, "@bob")

    assert page("@carol the database is down").startswith("Page #1")
    assert page("@carol the database is down").startswith("That page is already open")
    assert page("@dave the disk is full").startswith("Page #2")
    assert page("@erin the network is down") == (
        "You have sent 2 pages in the last 10 minutes, the limit; you can page again at "
        "2026-11-30 08:10."
    )
    clock.set(DEFAULT_START + timedelta(minutes=10, seconds=1))
    assert page("@erin the network is down").startswith("Page #3")
    assert audit_entries(runtime, "page", "page duplicate", "page refused") == [
        ("bob", "page", "#1 carol"),
        ("bob", "page duplicate", "#1 carol"),
        ("bob", "page", "#2 dave"),
        ("bob", "page refused", "erin"),
        ("bob", "page", "#3 erin"),
    ]
    shown = runtime.run_command("dutybot audit", "5", "@alice")
    assert "bob: page refused erin rate limit (2 pages): the network is down" in shown


def test_a_refusal_reaches_chat_through_the_bridge(runtime: Runtime) -> None:
    bot = ChatBot(runtime)
    try:
        assert bot.ask("!dutybot audit", as_user="@erin") == (
            "Sorry erin, !dutybot audit needs the permission 'dutybot.audit' (read the audit log)."
        )
        bot.assert_quiet()
    finally:
        bot.stop()


def test_the_documented_acl_matrix_is_the_code_s(runtime: Runtime) -> None:
    """docs/security.md's table lists every permission with its real default holders."""
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z.]+)` \| ([a-z, ]+) \|", doc, flags=re.MULTILINE)
    documented = {name: tuple(holders.split(", ")) for name, holders in rows}
    assert documented == {p.name: p.default for p in runtime.acl.permissions}
