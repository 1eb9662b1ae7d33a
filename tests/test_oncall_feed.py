"""Each person's on-call calendar: the link by direct message, the token, the parsed iCal feed.

The rota: alice primary and bob secondary until 2026-12-02 09:30, then carol and alice, bob and
carol, alice and bob (from 2026-12-16 09:30), all planned three weeks ahead of 2026-11-30.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from werkzeug.test import Client

from core.runtime import Runtime
from tests.test_oncall_fixtures import Desk, start

SECRET = "feed-secret-for-tests"


def token(person: str) -> str:
    return hmac.new(SECRET.encode(), f"oncall-feed:{person}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


@pytest.fixture
def desk(make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setenv("DUTYBOT_ONCALL_FEED_SECRET", SECRET)
    monkeypatch.setenv("DUTYBOT_PUBLIC_URL", "https://dutybot.example.org/")
    return start(make_runtime, 'members = ["alice", "bob", "carol"]\nhorizon_weeks = 3')


def events(body: bytes) -> list[tuple[str, datetime, datetime]]:
    calendar = Calendar.from_ical(body)
    return [
        (str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend"))
        for e in calendar.walk("VEVENT")
    ]


def test_the_link_comes_by_direct_message(desk: Desk) -> None:
    assert desk.ask("!oncall feed", as_user="@bob") == (
        "I have sent you the link to your on-call calendar in a direct message."
    )
    assert desk.pop() == (
        "@bob",
        "Your on-call calendar (subscribe to it; keep the link private): "
        f"https://dutybot.example.org/oncall/bob.ics?token={token('bob')}",
    )
    assert (
        desk.ask("!oncall feed please") == "`oncall feed` takes no arguments.\nUsage: !oncall feed"
    )
    desk.assert_quiet()


def test_the_feed_parses_and_shows_changes(desk: Desk) -> None:
    client = Client(desk.runtime.receiver)
    desk.ask("!oncall override @carol 2026-12-19..2026-12-20")
    response = client.get(f"/oncall/alice.ics?token={token('alice')}")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    assert str(calendar["x-wr-calname"]) == "On call: Alice Archer (Platform)"
    assert events(response.get_data()) == [
        (
            "On call: primary",
            datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
            datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
        ),
        (
            "On call: secondary",
            datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
            datetime(2026, 12, 9, 9, 30, tzinfo=UTC),
        ),
        (
            "On call: primary",
            datetime(2026, 12, 16, 9, 30, tzinfo=UTC),
            datetime(2026, 12, 19, 0, 0, tzinfo=UTC),
        ),
        (
            "On call: primary",
            datetime(2026, 12, 21, 0, 0, tzinfo=UTC),
            datetime(2026, 12, 23, 9, 30, tzinfo=UTC),
        ),
    ]
    uids = [str(e["uid"]) for e in calendar.walk("VEVENT")]
    assert uids[0] == "oncall-primary-alice-20261125T093000Z@dutybot"
    assert len(set(uids)) == 4
    carol = client.get(f"/oncall/carol.ics?token={token('carol')}")
    assert [summary for summary, *_ in events(carol.get_data())] == [
        "On call: primary",
        "On call: secondary",
        "On call: primary",
    ]


def test_the_token_is_checked(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client(desk.runtime.receiver)
    for path in (
        "/oncall/alice.ics",
        "/oncall/alice.ics?token=guess",
        f"/oncall/alice.ics?token={token('bob')}",
    ):
        response = client.get(path)
        assert (response.status_code, response.json) == (403, {"reason": "wrong or missing token"})
    stranger = client.get(f"/oncall/zed.ics?token={token('zed')}")
    assert (stranger.status_code, stranger.json) == (404, {"reason": "no person 'zed'"})
    monkeypatch.delenv("DUTYBOT_ONCALL_FEED_SECRET")
    off = client.get(f"/oncall/alice.ics?token={token('alice')}")
    assert (off.status_code, off.json) == (
        403,
        {"reason": "on-call feeds are off: DUTYBOT_ONCALL_FEED_SECRET is not set"},
    )
