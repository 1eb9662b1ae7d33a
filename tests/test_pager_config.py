"""The [pager] section: contact references are checked at start-up and never echo a secret."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from core.process import DEFAULT_PROCESS, ProcessError, validate
from plugins.pager.settings import PagerSection

SECRET = "S3CRET-t0ken"
PEOPLE = '[[people]]\nid = "alice"\nname = "Alice"\nchat = "@alice"\n\n'


def problems(pager_toml: str) -> list[str]:
    raw = tomllib.loads(PEOPLE + pager_toml)
    with pytest.raises(ProcessError) as caught:
        validate(raw, "process.toml", {"pager": PagerSection})
    return caught.value.problems


def section(pager_toml: str) -> PagerSection:
    found = validate(
        tomllib.loads(PEOPLE + pager_toml), "process.toml", {"pager": PagerSection}
    ).section("pager")
    assert isinstance(found, PagerSection)
    return found


def test_the_default_process_has_the_documented_defaults() -> None:
    raw = tomllib.loads(DEFAULT_PROCESS.read_text(encoding="utf-8"))
    people = raw["people"]
    found = validate(
        {"people": people, "pager": raw["pager"]}, "default", {"pager": PagerSection}
    ).section("pager")
    assert found == PagerSection()
    assert found.model_dump() == {
        "hours": ["oncall", "support"],
        "when_closed": "queue",
        "dedup_minutes": 720,
        "rate_limit": 5,
        "rate_limit_minutes": 60,
        "stuck_minutes": 10,
        "escalation": {
            "steps": ["oncall.primary", "oncall.secondary", "team"],
            "support_first": True,
            "ack_minutes": 15,
            "repeat": 2,
            "repage_minutes": 60,
        },
        "delivery": {
            "workers": 32,
            "attempts": 3,
            "backoff_seconds": 30,
            "backoff_max_seconds": 300,
            "timeout_seconds": 10.0,
        },
        "heartbeat": {"url": None, "method": "GET", "cron": "*/5 * * * *"},
        "contacts": {},
    }
    assert [found.delivery.backoff(n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_contacts_by_environment_variable_and_secrets_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALICE_SMS_URL", f"json://pager:{SECRET}@127.0.0.1:9/sms")
    secrets_file = tmp_path / "alice_email_url"
    secrets_file.write_text(f"json://pager:{SECRET}@127.0.0.1:9/email\n", encoding="utf-8")
    found = section(f'[pager.contacts]\nalice = ["env:ALICE_SMS_URL", "file:{secrets_file}"]\n')
    assert found.contacts == {"alice": ["env:ALICE_SMS_URL", f"file:{secrets_file}"]}


def test_every_bad_reference_is_reported_at_once_without_its_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    monkeypatch.setenv("NOT_A_URL", SECRET)
    monkeypatch.setenv("UNKNOWN_SCHEME", f"nosuchscheme://pager:{SECRET}@host/")
    monkeypatch.setenv("BROKEN_JSON", f"json://pager:{SECRET}@")
    monkeypatch.setenv("GOOD", "json://127.0.0.1:9/zoe")
    found = problems(
        "[pager.contacts]\n"
        f'alice = ["json://pager:{SECRET}@127.0.0.1/", "env:NO_SUCH_VARIABLE", "env:NOT_A_URL", '
        f'"env:UNKNOWN_SCHEME", "env:BROKEN_JSON", "file:{tmp_path}/missing", "env:bad name"]\n'
        'zoe = ["env:GOOD"]\n'
    )
    assert found == [
        "process.toml: pager.contacts.alice[0]: not a reference: write the URL into an environment "
        "variable or a secrets file and give env:NAME or file:PATH here",
        "process.toml: pager.contacts.alice[1]: env:NO_SUCH_VARIABLE: the environment variable "
        "NO_SUCH_VARIABLE is not set",
        "process.toml: pager.contacts.alice[2]: env:NOT_A_URL: does not hold a URL (expected scheme://...)",
        "process.toml: pager.contacts.alice[3]: env:UNKNOWN_SCHEME: holds a URL apprise cannot use "
        "(see apprise's documentation)",
        "process.toml: pager.contacts.alice[4]: env:BROKEN_JSON: holds a URL apprise cannot use "
        "(see apprise's documentation)",
        f"process.toml: pager.contacts.alice[5]: file:{tmp_path}/missing: cannot read the secrets file "
        "(No such file or directory)",
        "process.toml: pager.contacts.alice[6]: 'env:bad name': 'bad name' is not an environment variable name",
        "process.toml: pager.contacts.zoe.[key]: unknown person 'zoe' (not in [[people]])",
    ]
    assert SECRET not in "\n".join(found) + caplog.text


def test_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTBEAT", "https://hc-ping.example/abc")
    assert (
        section('[pager.heartbeat]\nurl = "env:HEARTBEAT"\nmethod = "POST"\n').heartbeat.url
        == "env:HEARTBEAT"
    )
    assert problems(
        '[pager]\nhours = ["night"]\nwhen_closed = "ignore"\nrate_limit = 0\n'
        "[pager.escalation]\nsteps = []\nack_minutes = 0\n"
        "[pager.delivery]\nworkers = 0\n"
        '[pager.heartbeat]\ncron = "every minute"\nurl = "env:NO_SUCH_HEARTBEAT"\n'
    ) == [
        "process.toml: pager.hours[0]: Input should be 'support', 'working' or 'oncall'",
        "process.toml: pager.when_closed: Input should be 'queue', 'handover' or 'page'",
        "process.toml: pager.rate_limit: Input should be greater than or equal to 1",
        "process.toml: pager.escalation.steps: List should have at least 1 item after validation, not 0",
        "process.toml: pager.escalation.ack_minutes: Input should be greater than or equal to 1",
        "process.toml: pager.delivery.workers: Input should be greater than or equal to 1",
        "process.toml: pager.heartbeat.url: env:NO_SUCH_HEARTBEAT: the environment variable "
        "NO_SUCH_HEARTBEAT is not set",
        "process.toml: pager.heartbeat.cron: 'every minute' is not a crontab expression: Wrong number of "
        "fields; got 2, expected 5",
    ]
