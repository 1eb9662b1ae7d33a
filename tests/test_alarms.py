"""Alarms received over HTTP: every fixture, dedup, grouping, routing, posts, paging, auth,
bad input, storms and database outages. Other feature plugins are disabled so that every post
and page request seen here is the alarms feature's own."""

from __future__ import annotations

import base64
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from werkzeug.test import Client

from core import hookimpl
from core.chat import InboundMessage
from core.clock import FakeClock
from core.plugin_manager import DEFAULT_PLUGINS
from core.receiver import Credential
from core.runtime import Runtime
from plugins.alarms.models import AlarmAlert, AlarmEvent, AlarmGroup
from tests.conftest import advance

FIXTURES = Path(__file__).parent / "fixtures" / "alertmanager"
AM_TOKEN = "am-token"
GENERIC_TOKEN = "generic-token"
CREDENTIALS = {
    "alertmanager": Credential(token=AM_TOKEN),
    "grafana": Credential(username="grafana", password="g-pass"),
    "generic": Credential(token=GENERIC_TOKEN),
}
OTHERS = frozenset(set(DEFAULT_PLUGINS) - {"system", "team", "alarms"})
HIGH, LOW, NOTIFY = "#high-priority-alarms", "#lower-priority-alarms", "#cloud-platform-notify"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass(frozen=True)
class Post:
    """A delivered post; ``thread`` is the ref of the post it replies to (``m1``: the first post),
    ``ref`` its own (not compared: tests write posts without it)."""

    address: str
    text: str
    thread: str | None = None
    ref: str = field(default="", compare=False)


class Recorder:
    """A plugin standing in for the pager and for listeners: it records what reached its hooks."""

    def __init__(self) -> None:
        self.pages: list[tuple[str, str | None]] = []
        self.messages: list[str] = []
        self.received: list[tuple[int, str]] = []

    @hookimpl
    def dutybot_page(self, target: str, message: str, dedup_key: str | None) -> str:
        self.pages.append((target, dedup_key))
        self.messages.append(message)
        return f"page-{len(self.pages)}"

    @hookimpl
    def dutybot_alert_received(self, alarm: Any, change: str) -> None:
        self.received.append((alarm.id, change))


@dataclass
class Alarms:
    """A runtime with the alarms plugin, its WSGI client, a recording chat and pager."""

    runtime: Runtime
    clock: FakeClock
    recorder: Recorder
    sent: list[Post] = field(default_factory=list)
    delivered: int = 0

    def __post_init__(self) -> None:
        self.client = Client(self.runtime.receiver)
        self.runtime.chat.attach(self.deliver)

    def deliver(self, address: str, text_: str, thread: str | None) -> str:
        """The chat sink: records the post and returns its ref, as a chat backend would."""
        self.delivered += 1
        self.sent.append(Post(address, text_, thread, f"m{self.delivered}"))
        return f"m{self.delivered}"

    def send(self, source: str, payload: Any, token: str | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", None) or {
            "Authorization": f"Bearer {token or self._token(source)}"
        }
        body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
        return self.client.post(
            f"/alerts/{source}",
            data=body,
            headers=headers,
            content_type="application/json",
            **kwargs,
        )

    def am(self, payload: dict[str, Any] | str) -> Any:
        response = self.send(
            "alertmanager", fixture(payload) if isinstance(payload, str) else payload
        )
        assert response.status_code == 200, response.get_json()
        return response

    def take(self) -> list[Post]:
        """The posts delivered since the last call."""
        posts, self.sent[:] = list(self.sent), []
        return posts

    def pages(self) -> list[tuple[str, str | None]]:
        pages, self.recorder.pages[:] = list(self.recorder.pages), []
        return pages

    def count(self, model: type) -> int:
        with self.runtime.db.session() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0

    def group(self, alarm_id: int) -> AlarmGroup:
        with self.runtime.db.session() as session:
            group = session.get(AlarmGroup, alarm_id)
            assert group is not None
            return group

    def run(self, command: str, args: str = "", sender: str = "@alice") -> str:
        return self.runtime.run_command(command, args, sender)

    @staticmethod
    def _token(source: str) -> str:
        if source == "grafana":
            return ""
        return GENERIC_TOKEN if source == "generic" else AM_TOKEN


def alarms_factory(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Callable[..., Alarms]:
    """Build ``Alarms`` harnesses (the other test_alarms_* modules make their fixtures with it)."""

    def make(
        process: str | None = None, plugins: tuple[object, ...] = (), **overrides: Any
    ) -> Alarms:
        recorder = Recorder()
        overrides.setdefault("credentials", CREDENTIALS)
        overrides.setdefault("disabled_plugins", OTHERS)
        runtime = make_runtime(process=process, plugins=(recorder, *plugins), **overrides)
        return Alarms(runtime, clock, recorder)

    return make


@pytest.fixture
def make_alarms(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Callable[..., Alarms]:
    return alarms_factory(make_runtime, clock)


@pytest.fixture
def alarms(make_alarms: Callable[..., Alarms]) -> Alarms:
    return make_alarms()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time in the week of 2026-11-30 (GMT, so equal to UTC)."""
    return (
        datetime(2026, 11, day, hour, minute, tzinfo=UTC)
        if day > 2
        else datetime(2026, 12, day, hour, minute, tzinfo=UTC)
    )


CRITICAL_POST = (
    "[FIRING:1] #1 NginxIngressDown (high): Nginx ingress controller is down\n"
    "No ingress-nginx pods are ready in namespace ingress-controllers\n"
    "Labels: cluster=live, namespace=ingress-controllers, job=ingress-nginx\n"
    "Runbook: https://runbooks.example.org/ingress-down\n"
    "Since 2026-11-27 03:09, 1 notification. Triage: !alarm ack 1"
)


# --- the fixtures, firing and resolved ---------------------------------------------------------


def test_critical_alert_is_one_high_post_and_pages_oncall_in_oncall_hours(alarms: Alarms) -> None:
    response = alarms.send("alertmanager", fixture("critical-firing"))
    assert response.status_code == 200
    assert response.get_json() == {"stored": 1, "alarms": [1]}
    assert alarms.take() == [
        Post(HIGH, CRITICAL_POST),
        Post(HIGH, "Paged oncall (on-call hours).", "m1"),
    ]
    assert alarms.pages() == [("oncall", "alarm-1-1")]
    assert alarms.recorder.messages == [
        "[high] alarm #1 NginxIngressDown: Nginx ingress controller is down "
        "(1 alert firing since 2026-11-27 03:09). Acknowledge in chat: !alarm ack 1"
    ]
    assert alarms.recorder.received == [(1, "fired")]


def test_resolved_counterpart_is_threaded_under_the_post(alarms: Alarms, clock: FakeClock) -> None:
    alarms.am("critical-firing")
    alarms.take(), alarms.pages()
    clock.advance(minutes=20)
    alarms.am("critical-resolved")
    assert alarms.take() == [
        Post(HIGH, "[RESOLVED] #1 NginxIngressDown after 20m, 2 notifications.", "m1")
    ]
    assert alarms.pages() == []
    group = alarms.group(1)
    assert (group.status, group.alerts_firing, group.resolved_at) == ("resolved", 0, clock.now())
    assert alarms.count(AlarmAlert) == 1
    assert alarms.recorder.received == [(1, "fired"), (1, "resolved")]


def test_resolved_before_any_firing_is_stored_quietly(alarms: Alarms) -> None:
    alarms.am("critical-resolved")
    assert alarms.take() == [] and alarms.pages() == []
    assert alarms.group(1).status == "resolved"
    assert alarms.run("alarms") == "No open alarms."


def test_repeats_are_deduplicated_on_fingerprint_and_threaded_at_most_every_interval(
    alarms: Alarms, clock: FakeClock
) -> None:
    alarms.am("critical-firing")
    alarms.take(), alarms.pages()
    clock.advance(minutes=1)
    changed = fixture("critical-firing")
    changed["alerts"][0]["annotations"]["summary"] = "Different words, same fingerprint"
    alarms.am(changed)
    assert alarms.take() == []  # within the 5-minute update interval
    clock.advance(minutes=5)
    alarms.am("critical-firing")
    assert alarms.take() == [Post(HIGH, "Still firing: 1 alert, 3 notifications.", "m1")]
    assert alarms.pages() == []
    assert alarms.count(AlarmAlert) == 1 and alarms.count(AlarmGroup) == 1
    with alarms.runtime.db.session() as session:
        assert session.scalars(select(AlarmAlert.notifications)).one() == 3


def test_a_repeat_rewrites_what_changed_and_only_counts_what_did_not(
    alarms: Alarms, clock: FakeClock
) -> None:
    def stored() -> tuple[str, int, datetime, str | None]:
        with alarms.runtime.db.session() as session:
            row = session.execute(
                select(
                    AlarmAlert.summary,
                    AlarmAlert.notifications,
                    AlarmAlert.last_seen_at,
                    AlarmAlert.content_hash,
                )
            ).one()
            return row.summary, row.notifications, row.last_seen_at, row.content_hash

    alarms.am("critical-firing")
    summary, _, first_seen, digest = stored()
    clock.advance(minutes=1)
    alarms.am("critical-firing")  # the same content: counters and last-seen only
    assert stored() == (summary, 2, first_seen + timedelta(minutes=1), digest)
    clock.advance(minutes=1)
    changed = fixture("critical-firing")
    changed["alerts"][0]["annotations"]["summary"] = "Different words, same fingerprint"
    alarms.am(changed)
    summary, count, seen, new_digest = stored()
    assert (summary, count, seen) == (
        "Different words, same fingerprint",
        3,
        first_seen + timedelta(minutes=2),
    )
    assert new_digest != digest
    clock.advance(minutes=1)
    alarms.am("critical-firing")  # and back again: the change is not skipped as a repeat
    assert stored()[0] == fixture("critical-firing")["alerts"][0]["annotations"]["summary"]


def test_two_warnings_are_one_low_post_listing_both_and_never_page(
    alarms: Alarms, clock: FakeClock
) -> None:
    assert alarms.am("warning-two-alerts-firing").get_json() == {"stored": 2, "alarms": [1]}
    assert alarms.take() == [
        Post(
            LOW,
            "[FIRING:2] #1 CPU-High (low): CPU usage above 80% for 5m\n"
            "Labels: cluster=live, job=node-exporter\n"
            "- instance=10.0.1.17:9100: node 10.0.1.17 CPU at 87%\n"
            "- instance=10.0.1.18:9100: node 10.0.1.18 CPU at 91%\n"
            "Since 2026-11-27 03:09, 1 notification. Triage: !alarm ack 1",
        )
    ]
    assert alarms.pages() == []
    clock.advance(minutes=10)
    resolved = fixture("warning-two-alerts-firing")
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    alarms.am(resolved)  # one of the two resolved
    assert alarms.take() == [Post(LOW, "Still firing: 1 alert (was 2), 2 notifications.", "m1")]
    resolved["alerts"][1]["status"] = "resolved"
    alarms.am(resolved)
    assert alarms.take() == [Post(LOW, "[RESOLVED] #1 CPU-High after 10m, 3 notifications.", "m1")]
    assert alarms.pages() == []


def test_info_goes_to_the_notify_channel_with_no_resolved_message(
    alarms: Alarms, clock: FakeClock
) -> None:
    alarms.am("info-firing")
    assert alarms.take() == [
        Post(
            NOTIFY,
            "[FIRING:1] #1 KubeNodeCountChanged (info): Node count changed from 21 to 22\n"
            "Labels: cluster=live, job=kube-state-metrics\n"
            "Since 2026-11-27 03:09, 1 notification. Triage: !alarm ack 1",
        )
    ]
    clock.advance(minutes=10)
    resolved = fixture("info-firing")
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    alarms.am(resolved)
    assert alarms.take() == [] and alarms.pages() == []
    assert alarms.group(1).status == "resolved"


# --- paging by the hour ------------------------------------------------------------------------


def test_in_support_hours_the_support_engineers_are_paged(alarms: Alarms, clock: FakeClock) -> None:
    clock.set(local(30, 11))
    alarms.am("critical-firing")
    assert alarms.pages() == [("support", "alarm-1-1")]
    assert alarms.take()[1] == Post(HIGH, "Paged support (support hours).", "m1")


def test_outside_all_hours_nobody_is_paged_until_oncall_hours_begin(
    alarms: Alarms, clock: FakeClock
) -> None:
    clock.set(local(30, 23))
    alarms.am("critical-firing")
    assert alarms.pages() == []
    assert alarms.take()[1] == Post(
        HIGH,
        "Not paged: it is outside support hours and on-call hours. If it is still firing then, I will page.",
        "m1",
    )
    advance(alarms.runtime, clock, local(1, 6, 59), step=timedelta(minutes=30))
    assert alarms.pages() == [] and alarms.take() == []
    advance(alarms.runtime, clock, local(1, 7, 1))
    assert alarms.pages() == [("oncall", "alarm-1-1")]
    assert alarms.take() == [Post(HIGH, "Paged oncall (on-call hours).", "m1")]
    advance(alarms.runtime, clock, local(1, 7, 10))
    assert alarms.pages() == []


def test_an_alarm_resolved_before_anyone_is_on_duty_never_pages(
    alarms: Alarms, clock: FakeClock
) -> None:
    clock.set(local(30, 23))
    alarms.am("critical-firing")
    clock.set(local(1, 2))
    alarms.am("critical-resolved")
    advance(alarms.runtime, clock, local(1, 8), step=timedelta(minutes=15))
    assert alarms.pages() == []


def test_without_a_pager_the_thread_says_nobody_was_paged(
    make_alarms: Callable[..., Alarms],
) -> None:
    alarms = make_alarms()
    alarms.runtime.pm.unregister(alarms.recorder)
    alarms.am("critical-firing")
    assert alarms.take()[1] == Post(
        HIGH, "Nobody was paged: no pager plugin took the page for oncall.", "m1"
    )
    assert alarms.group(1).paged_episode == 1


# --- storms, flapping, priority changes --------------------------------------------------------


def storm(count: int, status: str = "firing") -> dict[str, Any]:
    payload = fixture("warning-two-alerts-firing")
    template = payload["alerts"][0]
    payload["alerts"] = [
        {
            **template,
            "status": status,
            "labels": {
                **template["labels"],
                "severity": "critical",
                "instance": f"10.1.{i // 250}.{i % 250}:9100",
            },
            "annotations": {"summary": "CPU usage above 80% for 5m"},
            "fingerprint": f"{i:016x}",
        }
        for i in range(count)
    ]
    return payload


def test_a_storm_of_500_alerts_in_one_group_is_one_post_and_one_page(
    alarms: Alarms, clock: FakeClock
) -> None:
    assert alarms.am(storm(500)).get_json() == {"stored": 500, "alarms": [1]}
    assert alarms.take() == [
        Post(
            HIGH,
            "[FIRING:500] #1 CPU-High (high): CPU usage above 80% for 5m\n"
            "Labels: cluster=live, job=node-exporter\n"
            "- instance=10.1.0.0:9100\n- instance=10.1.0.1:9100\n- instance=10.1.0.2:9100\n"
            "- instance=10.1.0.3:9100\n- instance=10.1.0.4:9100\n"
            "- … and 495 more\n"
            "Since 2026-11-27 03:09, 1 notification. Triage: !alarm ack 1",
        ),
        Post(HIGH, "Paged oncall (on-call hours).", "m1"),
    ]
    assert alarms.pages() == [("oncall", "alarm-1-1")]
    for _ in range(3):  # Alertmanager's repeats of the same storm
        clock.advance(seconds=30)
        alarms.am(storm(500))
    assert alarms.take() == [] and alarms.pages() == []
    assert alarms.count(AlarmAlert) == 500 and alarms.count(AlarmGroup) == 1
    clock.advance(minutes=30)
    alarms.am(storm(500, "resolved"))
    assert alarms.take() == [Post(HIGH, "[RESOLVED] #1 CPU-High after 31m, 5 notifications.", "m1")]


def test_a_storm_sent_one_alert_per_request_is_still_one_post(alarms: Alarms) -> None:
    for i in range(50):
        alert = {
            "title": "DiskFull",
            "severity": "warning",
            "dedup_key": f"disk-{i}",
            "group_key": "disks",
            "labels": {"instance": f"node-{i}"},
            "summary": "Disk almost full",
        }
        assert alarms.send("generic", alert).status_code == 200
    posts = alarms.take()
    assert [p.address for p in posts] == [LOW]
    assert alarms.group(1).alerts_firing == 50


def test_flapping_alarm_stays_in_its_thread_and_stops_paging(
    alarms: Alarms, clock: FakeClock
) -> None:
    for _ in range(2):
        alarms.am("critical-firing")
        clock.advance(minutes=5)
        alarms.am("critical-resolved")
        clock.advance(minutes=5)
    assert len(alarms.pages()) == 2
    alarms.take()
    alarms.am("critical-firing")
    assert alarms.take() == [
        Post(
            HIGH,
            "[FIRING:1] again: flapping (fired 3 times in 1h), so no new post and no page until it settles.",
            "m4",
        )
    ]
    assert alarms.pages() == []
    assert "flapping" in alarms.run("alarms")


def test_a_flapping_alarm_that_stays_firing_is_down_and_paged_after_the_flap_window(
    alarms: Alarms, clock: FakeClock
) -> None:
    """Flapping is judged when an episode starts; an alarm that flapped and then stayed down
    must not stay unpaged for good."""
    for _ in range(2):
        alarms.am("critical-firing")
        clock.advance(minutes=5)
        alarms.am("critical-resolved")
        clock.advance(minutes=5)
    alarms.am("critical-firing")
    fired = clock.now()
    alarms.take(), alarms.pages()
    advance(alarms.runtime, clock, fired + timedelta(minutes=59))
    assert alarms.take() == [] and alarms.pages() == []
    assert alarms.group(1).flapping
    advance(alarms.runtime, clock, fired + timedelta(minutes=61))
    post, steady, paged = alarms.take()  # the flapping episode had no post of its own
    assert (post.address, post.thread) == (HIGH, None)
    assert post.text.startswith("[FIRING:1] #1 NginxIngressDown (high)")
    assert (steady.text, steady.thread) == (
        "Still firing after 1h without a break: no longer flapping.",
        post.ref,
    )
    assert (paged.text, paged.thread) == ("Paged oncall (on-call hours).", post.ref)
    assert alarms.pages() == [("oncall", "alarm-1-3")]
    assert "flapping" not in alarms.run("alarms")
    advance(alarms.runtime, clock, fired + timedelta(minutes=90))
    assert alarms.take() == [] and alarms.pages() == []  # once


def test_a_critical_alert_joining_a_warning_group_raises_it_to_high(alarms: Alarms) -> None:
    payload = fixture("warning-two-alerts-firing")
    alarms.am(payload)
    alarms.take()
    payload["alerts"][1]["labels"]["severity"] = "critical"
    alarms.am(payload)
    posts = alarms.take()
    assert [(p.address, p.thread) for p in posts] == [(HIGH, None), (HIGH, "m2")]
    assert posts[0].text.startswith("[FIRING:2] #1 CPU-High (high)")
    assert alarms.pages() == [("oncall", "alarm-1-1")]


def test_a_resolved_critical_alert_joining_a_warning_group_raises_nothing(
    alarms: Alarms,
) -> None:
    """A check that reports ``resolved`` on every healthy run must not page on-call."""
    warning = {"title": "Backup", "severity": "warning", "dedup_key": "a", "group_key": "g"}
    alarms.send("generic", warning)
    alarms.take()
    alarms.send(
        "generic", {**warning, "severity": "critical", "dedup_key": "b", "status": "resolved"}
    )
    group = alarms.group(1)
    assert (group.priority, group.channel, group.status) == ("low", "alarms_low", "firing")
    assert alarms.take() == [] and alarms.pages() == []
    assert alarms.recorder.received[-1] == (1, "repeated")


def test_an_alert_the_sender_regroups_moves_and_its_emptied_alarm_resolves(
    alarms: Alarms, clock: FakeClock
) -> None:
    alert = {"title": "DiskFull", "severity": "warning", "dedup_key": "disk-1", "group_key": "a"}
    alarms.send("generic", alert)
    alarms.send("generic", {**alert, "dedup_key": "disk-2", "group_key": "c"})
    clock.advance(minutes=1)
    assert alarms.send("generic", {**alert, "group_key": "b"}).get_json() == {
        "stored": 1,
        "alarms": [3],
    }
    old, new = alarms.group(1), alarms.group(3)
    assert (old.status, old.alerts_firing, old.resolved_at) == ("resolved", 0, clock.now())
    assert (new.status, new.alerts_firing) == ("firing", 1)
    assert alarms.group(2).status == "firing"  # an alarm whose alerts stayed is untouched
    with alarms.runtime.db.session() as session:
        moved = session.scalars(select(AlarmAlert.group_id).where(AlarmAlert.dedup_key == "disk-1"))
        events = session.execute(
            select(
                AlarmEvent.group_id, AlarmEvent.kind, AlarmEvent.priority, AlarmEvent.detail
            ).where(AlarmEvent.kind == "resolved")
        ).all()
    assert list(moved) == [3]
    assert events == [(1, "resolved", "low", "its alerts moved to another alarm")]


def regrouped(rnd: random.Random) -> dict[str, Any]:
    """A notification that puts some of eight alerts (some resolved) in one of three groups."""
    payload = fixture("warning-two-alerts-firing")
    template, group = payload["alerts"][0], rnd.choice("ABC")
    payload.update(groupKey=f'{{}}:{{team="{group}"}}', groupLabels={"team": group})
    payload["alerts"] = [
        {
            **template,
            "status": rnd.choice(["firing", "firing", "resolved"]),
            "labels": {**template["labels"], "instance": f"node-{k}"},
            "fingerprint": f"{k:016x}",
        }
        for k in rnd.sample(range(8), rnd.randint(1, 4))
    ]
    return payload


def test_concurrent_senders_regrouping_the_same_alerts_keep_every_count_true(
    alarms: Alarms,
) -> None:
    """Six senders move the same alerts between three groups at once: none is refused (no
    deadlock outlasts the retries) and every alarm's firing count and status match its alerts.
    On PostgreSQL, before notifications of one source took turns, a third were refused and one
    run in two left an alarm counting an alert it no longer had."""
    statuses: list[int] = []

    def sender(seed: int) -> None:
        rnd, client = random.Random(seed), Client(alarms.runtime.receiver)
        headers = {"Authorization": f"Bearer {AM_TOKEN}"}
        for _ in range(15):
            body = json.dumps(regrouped(rnd))
            statuses.append(
                client.post("/alerts/alertmanager", data=body, headers=headers).status_code
            )

    threads = [threading.Thread(target=sender, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 90
    with alarms.runtime.db.session() as session:
        firing = dict(
            session.execute(
                select(AlarmAlert.group_id, func.count())
                .where(AlarmAlert.status == "firing")
                .group_by(AlarmAlert.group_id)
            ).all()
        )
        groups = session.execute(
            select(AlarmGroup.id, AlarmGroup.alerts_firing, AlarmGroup.status)
        ).all()
    assert len(groups) == 3
    assert [(g.id, g.alerts_firing, g.status) for g in groups] == [
        (g.id, firing.get(g.id, 0), "firing" if firing.get(g.id) else "resolved") for g in groups
    ]


# --- routing -----------------------------------------------------------------------------------


ROUTED_PROCESS = """
[[people]]
id = "alice"
name = "Alice Archer"
chat = "@alice"

[channels]
alarms_high = "#high"
alarms_low = "#low"

[alarms]
default_priority = "low"

[alarms.priorities.high]
channel = "alarms_high"
page = true

[alarms.priorities.low]
channel = "alarms_low"

[[alarms.routes]]
matchers = ['team="database"', 'severity=~"critical|warning"']
priority = "high"
channel = "#database-alarms"

[[alarms.routes]]
matchers = ['severity="critical"']
priority = "high"
"""


def test_routes_match_labels_in_order_first_match_wins(make_alarms: Callable[..., Alarms]) -> None:
    alarms = make_alarms(process=ROUTED_PROCESS)
    db_warning = {
        "title": "ReplicationLag",
        "severity": "warning",
        "dedup_key": "lag",
        "labels": {"team": "database"},
    }
    web_warning = {
        "title": "SlowPages",
        "severity": "warning",
        "dedup_key": "slow",
        "labels": {"team": "web"},
    }
    web_critical = {
        "title": "SiteDown",
        "severity": "critical",
        "dedup_key": "down",
        "labels": {"team": "web"},
    }
    for alert in (db_warning, web_warning, web_critical):
        assert alarms.send("generic", alert).status_code == 200
    assert [(p.address, p.text.split("\n")[0]) for p in alarms.take() if p.thread is None] == [
        ("#database-alarms", "[FIRING:1] #1 ReplicationLag (high)"),
        ("#low", "[FIRING:1] #2 SlowPages (low)"),
        ("#high", "[FIRING:1] #3 SiteDown (high)"),
    ]


class RaiseProduction:
    """An extra plugin deciding priority from labels: anything in production is high."""

    @hookimpl
    def dutybot_alert_priority(self, labels: dict[str, str], priority: str) -> str | None:
        return "high" if labels.get("env") == "production" and priority == "low" else None


def test_a_plugin_can_override_the_priority(make_alarms: Callable[..., Alarms]) -> None:
    alarms = make_alarms(plugins=(RaiseProduction(),))
    alert = {
        "title": "QueueBacklog",
        "severity": "warning",
        "dedup_key": "q",
        "labels": {"env": "production"},
    }
    alarms.send("generic", alert)
    assert alarms.take()[0].address == HIGH
    assert alarms.pages() == [("oncall", "alarm-1-1")]


# --- the other sources -------------------------------------------------------------------------


GRAFANA = {
    "receiver": "dutybot",
    "status": "firing",
    "orgId": 1,
    "groupKey": '{}/{}:{alertname="High memory usage"}',
    "groupLabels": {"alertname": "High memory usage"},
    "commonLabels": {"alertname": "High memory usage"},
    "externalURL": "https://grafana.example.org/",
    "version": "1",
    "truncatedAlerts": 0,
    "title": "[FIRING:1] High memory usage",
    "state": "alerting",
    "message": "...",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "High memory usage",
                "team": "blue",
                "zone": "us-1",
                "severity": "critical",
            },
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone us-1",
            },
            "startsAt": "2026-11-30T07:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://grafana.example.org/alerting/silence/new",
            "dashboardURL": "",
            "panelURL": "https://grafana.example.org/d/abc?viewPanel=2",
            "values": {"B": 44.2, "C": 1},
        }
    ],
}


def test_grafana_webhook_with_basic_auth(alarms: Alarms) -> None:
    auth = "Basic " + base64.b64encode(b"grafana:g-pass").decode()
    response = alarms.send("grafana", GRAFANA, headers={"Authorization": auth})
    assert response.status_code == 200, response.get_json()
    assert alarms.take()[0] == Post(
        HIGH,
        "[FIRING:1] #1 High memory usage (high): This alert was triggered for zone us-1\n"
        "The system has high memory usage\n"
        "Runbook: https://myrunbook.com/runbook/1234\n"
        "Since 2026-11-30 05:51, 1 notification. Triage: !alarm ack 1",
    )
    with alarms.runtime.db.session() as session:
        assert (
            session.scalars(select(AlarmAlert.url)).one()
            == "https://grafana.example.org/d/abc?viewPanel=2"
        )


def test_generic_alert_firing_and_resolved_by_its_dedup_key(
    alarms: Alarms, clock: FakeClock
) -> None:
    alert = {
        "title": "BackupFailed",
        "severity": "critical",
        "dedup_key": "backup-db1",
        "status": "firing",
        "labels": {"service": "db1"},
        "summary": "Nightly backup failed",
        "runbook_url": "https://runbooks.example.org/backup",
    }
    assert alarms.send("generic", alert).get_json() == {"stored": 1, "alarms": [1]}
    assert alarms.take()[0] == Post(
        HIGH,
        "[FIRING:1] #1 BackupFailed (high): Nightly backup failed\n"
        "Labels: service=db1\n"
        "Runbook: https://runbooks.example.org/backup\n"
        "Since 2026-11-30 08:00, 1 notification. Triage: !alarm ack 1",
    )
    clock.advance(hours=2)
    alarms.send("generic", {**alert, "status": "resolved", "summary": "other words"})
    assert alarms.take() == [
        Post(HIGH, "[RESOLVED] #1 BackupFailed after 2h, 2 notifications.", "m1")
    ]


# --- authentication and bad input --------------------------------------------------------------


WRONG_CREDENTIALS = [
    ("alertmanager", {}),
    ("alertmanager", {"Authorization": "Bearer wrong"}),
    ("alertmanager", {"Authorization": "Basic " + base64.b64encode(b"am:am-token").decode()}),
    ("grafana", {"Authorization": "Basic " + base64.b64encode(b"grafana:wrong").decode()}),
    ("generic", {"Authorization": f"Bearer {AM_TOKEN}"}),
]


def test_wrong_or_missing_credentials_get_401_and_store_nothing(alarms: Alarms) -> None:
    for source, headers in WRONG_CREDENTIALS:
        response = alarms.send(
            source, fixture("critical-firing"), headers=headers or {"X-None": "1"}
        )
        assert (response.status_code, response.get_json()) == (
            401,
            {"reason": "missing or wrong credentials"},
        ), (source, headers)
    assert alarms.count(AlarmGroup) == alarms.count(AlarmAlert) == 0
    assert alarms.take() == [] and alarms.pages() == []


def test_a_source_without_configured_credentials_refuses_everything(
    make_alarms: Callable[..., Alarms],
) -> None:
    alarms = make_alarms(credentials={})
    response = alarms.send("alertmanager", fixture("critical-firing"))
    assert (response.status_code, response.get_json()) == (
        401,
        {"reason": "no credentials are configured for source 'alertmanager'; refusing"},
    )
    assert alarms.count(AlarmGroup) == 0


def without(payload: dict[str, Any], *path: str | int) -> dict[str, Any]:
    target: Any = payload
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return payload


def replaced(payload: dict[str, Any], value: Any, *path: str | int) -> dict[str, Any]:
    target: Any = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return payload


BAD_BODIES = [
    (
        "alertmanager",
        b"{not json",
        "body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ),
    ("alertmanager", b"", "body is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
    (
        "alertmanager",
        b'{"a": "\xc3\x28"}',
        "body is not valid JSON: 'utf-8' codec can't decode byte 0xc3 in position 7: invalid continuation byte",
    ),
    ("alertmanager", b'{"a": NaN}', "body is not valid JSON: NaN is not JSON"),
    (
        "alertmanager",
        b"[" * 100_000 + b"]" * 100_000,
        "body is not valid JSON: maximum recursion depth exceeded while decoding a JSON array from a unicode string",
    ),
    (
        "alertmanager",
        [],
        "body: Input should be a valid dictionary or instance of _AlertmanagerPayload",
    ),
    (
        "alertmanager",
        without(fixture("critical-firing"), "groupKey"),
        "groupKey: required field is missing",
    ),
    (
        "alertmanager",
        without(fixture("critical-firing"), "alerts", 0, "fingerprint"),
        "alerts[0].fingerprint: required field is missing",
    ),
    (
        "alertmanager",
        replaced(fixture("critical-firing"), [], "alerts"),
        "alerts: List should have at least 1 item after validation, not 0",
    ),
    (
        "alertmanager",
        replaced(fixture("critical-firing"), ["a"], "alerts", 0, "labels"),
        "alerts[0].labels: Input should be a valid dictionary",
    ),
    (
        "alertmanager",
        replaced(fixture("critical-firing"), 5, "alerts", 0, "labels", "severity"),
        "alerts[0].labels.severity: Input should be a valid string",
    ),
    (
        "alertmanager",
        replaced(fixture("critical-firing"), "burning", "alerts", 0, "status"),
        "alerts[0].status: Input should be 'firing' or 'resolved'",
    ),
    (
        "alertmanager",
        replaced(fixture("critical-firing"), "yesterday", "alerts", 0, "startsAt"),
        "alerts[0].startsAt: Input should be a valid datetime or date, input is too short",
    ),
    (
        "alertmanager",
        replaced(fixture("critical-firing"), "2026-11-27T03:09:04", "alerts", 0, "startsAt"),
        "alerts[0].startsAt: Input should have timezone info",
    ),
    (
        "alertmanager",
        replaced(fixture("critical-firing"), "", "alerts", 0, "fingerprint"),
        "alerts[0].fingerprint: String should have at least 1 character",
    ),
    (
        "alertmanager",
        replaced(fixture("critical-firing"), "a\x00b", "alerts", 0, "labels", "job"),
        "alerts[0].labels.job: must not contain NUL characters",
    ),
    ("grafana", replaced(dict(GRAFANA), 7, "groupKey"), "groupKey: Input should be a valid string"),
    ("generic", {"title": "X", "dedup_key": "x"}, "severity: required field is missing"),
    (
        "generic",
        {"title": "X", "dedup_key": "x", "severity": "warning", "dedupkey": "y"},
        "dedupkey: unknown field",
    ),
    (
        "generic",
        {"title": "X", "dedup_key": "x", "severity": "warning", "labels": {"a": 1}},
        "labels.a: Input should be a valid string",
    ),
]


def test_bad_input_gets_400_naming_the_field_and_stores_nothing(alarms: Alarms) -> None:
    grafana = {"Authorization": "Basic " + base64.b64encode(b"grafana:g-pass").decode()}
    for source, body, reason in BAD_BODIES:
        response = alarms.send(source, body, headers=grafana if source == "grafana" else None)
        assert (response.status_code, response.get_json()) == (400, {"reason": reason}), (
            source,
            body,
        )
    assert alarms.count(AlarmGroup) == alarms.count(AlarmAlert) == 0
    assert alarms.take() == []


def test_a_lone_surrogate_is_refused_not_stored(alarms: Alarms) -> None:
    body = json.dumps({"title": "X", "dedup_key": "x", "severity": "warning", "summary": "\ud800"})
    response = alarms.send("generic", body)
    assert (response.status_code, response.get_json()) == (
        400,
        {
            "reason": "summary: Input should be a valid string, unable to parse raw data as a unicode string"
        },
    )


def test_too_large_unknown_route_and_wrong_method(alarms: Alarms) -> None:
    big = {"title": "X", "dedup_key": "x", "severity": "warning", "summary": "x" * (1024 * 1024)}
    response = alarms.send("generic", big)
    assert (response.status_code, response.get_json()) == (
        413,
        {"reason": "body larger than 1048576 bytes"},
    )
    response = alarms.send("nagios", {})
    assert (response.status_code, response.get_json()) == (
        404,
        {"reason": "no route for POST /alerts/nagios"},
    )
    response = alarms.client.get("/alerts/alertmanager")
    assert (response.status_code, response.get_json()) == (
        405,
        {"reason": "GET not allowed; use POST"},
    )
    assert alarms.count(AlarmGroup) == 0


def test_duplicate_fingerprints_in_one_payload_are_one_alert(alarms: Alarms) -> None:
    payload = fixture("critical-firing")
    payload["alerts"].append(dict(payload["alerts"][0]))
    assert alarms.am(payload).get_json() == {"stored": 2, "alarms": [1]}
    assert alarms.count(AlarmAlert) == 1


def test_overlong_text_from_alertmanager_is_clipped_not_refused(alarms: Alarms) -> None:
    """Alertmanager retries only a 5xx: a 400 for one long description would drop all 50
    alerts of the notification. Text is clipped to its limit with an ellipsis; a link too long
    to store is left out (cut short it would lead nowhere)."""
    payload = storm(50)
    long_one = payload["alerts"][7]
    long_one["annotations"]["description"] = "d" * 30000
    long_one["labels"]["query"] = "q" * 3000
    long_one["generatorURL"] = "http://prometheus:9090/graph?g0.expr=" + "x" * 3000
    long_one["annotations"]["runbook_url"] = "https://runbooks.example.org/?q=" + "r" * 5000
    long_one["labels"]["alertname"] = "A" * 1500  # the title: 1,000 at most
    payload["groupKey"] = '{}:{alertname="' + "A" * 1500 + '"}'  # long group_by values
    assert alarms.am(payload).get_json() == {"stored": 50, "alarms": [1]}
    assert alarms.count(AlarmAlert) == 50
    with alarms.runtime.db.session() as session:
        stored = session.scalars(
            select(AlarmAlert).where(AlarmAlert.dedup_key == long_one["fingerprint"])
        ).one()
        assert stored.description == "d" * 19999 + "…"
        assert stored.labels["query"] == "q" * 1999 + "…"
        assert stored.url == stored.runbook_url == ""  # a link cut short would lead nowhere
        assert stored.title == "A" * 999 + "…"
    generic = {"title": "Backup", "severity": "warning", "dedup_key": "b", "summary": "s" * 20001}
    refused = alarms.send("generic", generic)
    assert (refused.status_code, refused.get_json()) == (
        400,
        {"reason": "summary: String should have at most 20000 characters"},
    )


# --- durability --------------------------------------------------------------------------------


def test_database_failure_mid_notification_is_503_then_the_retry_stores_once(
    alarms: Alarms,
) -> None:
    """The alerts table vanishes (renamed) after the alarm row was written: nothing may remain."""
    engine = alarms.runtime.db.engine
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE alarm_alerts RENAME TO alarm_alerts_away"))
    response = alarms.send("alertmanager", fixture("critical-firing"))
    assert (response.status_code, response.get_json()) == (
        503,
        {"reason": "could not store the alerts (database unavailable); retry later"},
    )
    assert alarms.count(AlarmGroup) == alarms.count(AlarmEvent) == 0
    assert alarms.take() == [] and alarms.pages() == []
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE alarm_alerts_away RENAME TO alarm_alerts"))
    alarms.am("critical-firing")
    alarms.am("critical-firing")  # Alertmanager may deliver the retried notification twice
    assert alarms.count(AlarmGroup) == alarms.count(AlarmAlert) == 1
    assert [p.thread for p in alarms.take()] == [None, "m1"]
    with alarms.runtime.db.session() as session:
        alarm_id = session.scalars(
            select(AlarmGroup.id)
        ).one()  # PostgreSQL spent id 1 on the failure
    assert alarms.pages() == [("oncall", f"alarm-{alarm_id}-1")]


def test_a_failure_after_the_commit_does_not_fail_the_notification(
    alarms: Alarms, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The alerts are stored: an error answer would make Alertmanager send them again."""

    def unreachable(*_args: Any, **_kwargs: Any) -> int:
        raise OperationalError("SELECT chat_posts", {}, Exception("connection refused"))

    monkeypatch.setattr(alarms.runtime.chat, "flush", unreachable)
    assert alarms.am("critical-firing").get_json() == {"stored": 1, "alarms": [1]}
    assert "delivering the alarm posts failed; the outbox will retry" in caplog.text
    monkeypatch.undo()
    alarms.runtime.chat.flush(everything=True)  # the scheduler's tick, with the database back
    posted = [p.text.split(" (")[0] for p in alarms.take()]
    assert posted == ["[FIRING:1] #1 NginxIngressDown", "Paged oncall"]
    assert alarms.pages() == [("oncall", "alarm-1-1")]  # the page went out regardless


def test_database_file_that_cannot_be_opened_is_503_until_it_is_back(
    make_alarms: Callable[..., Alarms], database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a database file is SQLite's")
    alarms = make_alarms()
    path = Path(database_url.removeprefix("sqlite:///"))
    alarms.runtime.db.dispose()
    path.rename(path.with_suffix(".away"))
    path.mkdir()  # where the database was, now something SQLite cannot open
    try:
        response = alarms.send("alertmanager", fixture("critical-firing"))
        assert response.status_code == 503
    finally:
        path.rmdir()
        path.with_suffix(".away").rename(path)
    alarms.am("critical-firing")
    assert alarms.count(AlarmAlert) == 1
    assert alarms.take()[0] == Post(HIGH, CRITICAL_POST)


def test_alerts_are_received_while_chat_is_disconnected(alarms: Alarms) -> None:
    alarms.runtime.chat.detach()
    alarms.am("critical-firing")
    assert alarms.runtime.chat.pending() == 2
    assert alarms.pages() == [("oncall", "alarm-1-1")]
    alarms.runtime.chat.attach(alarms.deliver)
    assert alarms.take() == [
        Post(HIGH, CRITICAL_POST),
        Post(HIGH, "Paged oncall (on-call hours).", "m1"),
    ]


def test_over_a_real_port_as_alertmanager_sends_it(make_alarms: Callable[..., Alarms]) -> None:
    alarms = make_alarms(http_enabled=True, http_port=0)
    port = alarms.runtime.receiver.port
    response = requests.post(
        f"http://127.0.0.1:{port}/alerts/alertmanager",
        data=(FIXTURES / "critical-firing.json").read_bytes(),
        headers={
            "Authorization": f"Bearer {AM_TOKEN}",
            "Content-Type": "application/json",
            "User-Agent": "Alertmanager/0.25.0",
        },
        timeout=5,
    )
    assert (response.status_code, response.json()) == (200, {"stored": 1, "alarms": [1]})
    refused = requests.post(f"http://127.0.0.1:{port}/alerts/alertmanager", data=b"{}", timeout=5)
    assert (refused.status_code, refused.json()) == (
        401,
        {"reason": "missing or wrong credentials"},
    )
    assert alarms.take()[0] == Post(HIGH, CRITICAL_POST)


# --- alerts other tools post in the alarm channels ---------------------------------------------


def message(text_: str, channel: str = "alarms_high") -> InboundMessage:
    address = {"alarms_high": HIGH, "alarms_low": LOW, "team": "#cloud-platform"}[channel]
    return InboundMessage(
        text=text_, sender="@alertmanager", person=None, channel=address, channel_name=channel
    )


def test_alertmanager_slack_messages_in_alarm_channels_are_recorded(
    alarms: Alarms, clock: FakeClock
) -> None:
    firing = "[FIRING:1] NginxIngressDown ingress-nginx (live ingress-controllers critical)\n*Summary:* Nginx is down"
    assert alarms.runtime.handle_message(message(firing)) == [
        "Recorded as alarm #1 (high). Triage: !alarm ack 1"
    ]
    assert alarms.runtime.handle_message(message(firing)) == []
    assert (
        alarms.take() == [] and alarms.pages() == []
    )  # already in the channel; the old integration pages
    assert alarms.run("alarms") == (
        "Open alarms (1):\n- #1 NginxIngressDown (high): Summary: Nginx is down — 1 alert firing since 2026-11-30 08:00"
    )
    clock.advance(minutes=3)
    alarms.runtime.handle_message(
        message("[RESOLVED] NginxIngressDown ingress-nginx (live ingress-controllers critical)")
    )
    assert alarms.group(1).status == "resolved"
    low = "[FIRING:2] CPU-High node-exporter (live warning)"
    assert alarms.runtime.handle_message(message(low, "alarms_low")) == [
        "Recorded as alarm #2 (low). Triage: !alarm ack 2"
    ]


def test_other_messages_and_other_channels_are_ignored(alarms: Alarms) -> None:
    assert alarms.runtime.handle_message(message("anyone looking at the ingress?")) == []
    assert alarms.runtime.handle_message(message("[FIRING:1] NginxIngressDown", "team")) == []
    assert alarms.count(AlarmGroup) == 0
