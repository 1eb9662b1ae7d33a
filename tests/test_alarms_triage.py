"""Triage from chat, silences that expire, and what alarms add to the checklist, handover,
status and metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core import hookimpl
from core.clock import FakeClock
from core.models import AuditEntry
from core.runtime import Runtime
from plugins.alarms.models import AlarmGroup
from tests.conftest import ChatBot, advance
from tests.test_alarms import HIGH, LOW, Alarms, Post, alarms_factory, fixture, local, message


@pytest.fixture
def make_alarms(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Callable[..., Alarms]:
    return alarms_factory(make_runtime, clock)


@pytest.fixture
def alarms(make_alarms: Callable[..., Alarms]) -> Alarms:
    return make_alarms()


LIST_LINE = "- #1 NginxIngressDown (high): Nginx ingress controller is down — 1 alert firing since 2026-11-27 03:09"


def fired(alarms: Alarms, name: str = "critical-firing") -> None:
    alarms.am(name)
    alarms.take(), alarms.pages()


def audit(alarms: Alarms) -> list[tuple[str, str, str, str]]:
    with alarms.runtime.db.session() as session:
        return [
            (e.actor, e.action, e.subject, e.detail)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


# --- listing -----------------------------------------------------------------------------------


def test_list_open_alarms_by_priority(alarms: Alarms, clock: FakeClock) -> None:
    assert alarms.run("alarms") == "No open alarms."
    fired(alarms)
    clock.advance(minutes=1)
    fired(alarms, "warning-two-alerts-firing")
    assert alarms.run("alarms") == (
        "Open alarms (2):\n"
        f"{LIST_LINE}\n"
        "- #2 CPU-High (low): CPU usage above 80% for 5m — 2 alerts firing since 2026-11-27 03:09"
    )
    assert alarms.run("alarms", "high") == f"Open high alarms (1):\n{LIST_LINE}"
    assert alarms.run("alarms", "open") == alarms.run("alarms")
    assert alarms.run("alarms", "info") == "No open info alarms."
    assert alarms.run("alarms", "urgent") == (
        "Show open alarms, or those of one priority (high, low, info).\nUsage: !alarms [open|high|low|PRIORITY]"
    )


def test_alarms_command_through_errbot(alarms: Alarms) -> None:
    fired(alarms)
    bot = ChatBot(alarms.runtime)
    try:
        assert bot.ask("!alarms high", as_user="@bob") == f"Open high alarms (1):\n{LIST_LINE}"
        # the thread note goes out as the command finishes, just before its reply
        assert bot.ask("!alarm ack 1", as_user="@bob") == "Acknowledged by Bob Baker."
        assert bot.pop() == "Acknowledged alarm #1 NginxIngressDown; it will not page."
        bot.assert_quiet()
    finally:
        bot.stop()


def test_show_an_alarm(alarms: Alarms) -> None:
    fired(alarms, "warning-two-alerts-firing")
    assert alarms.run("alarm show", "#1") == (
        "#1 CPU-High (low): CPU usage above 80% for 5m — 2 alerts firing since 2026-11-27 03:09\n"
        "Source: alertmanager; 1 notification, first 2026-11-30 08:00, last 2026-11-30 08:00; fired 1 time\n"
        "- firing: CPU-High {alertname=CPU-High, cluster=live, instance=10.0.1.17:9100, job=node-exporter, "
        "severity=warning} CPU usage above 80% for 5m\n"
        "- firing: CPU-High {alertname=CPU-High, cluster=live, instance=10.0.1.18:9100, job=node-exporter, "
        "severity=warning} CPU usage above 80% for 5m"
    )


# --- acknowledge and assign --------------------------------------------------------------------


def test_acknowledge_notes_it_in_the_thread_and_is_audited(alarms: Alarms) -> None:
    fired(alarms)
    assert (
        alarms.run("alarm ack", "1", "@bob")
        == "Acknowledged alarm #1 NginxIngressDown; it will not page."
    )
    assert alarms.take() == [Post(HIGH, "Acknowledged by Bob Baker.", "m1")]
    assert (
        alarms.run("alarm ack", "1")
        == "Alarm #1 was already acknowledged by bob at 2026-11-30 08:00."
    )
    assert alarms.run("alarms") == f"Open alarms (1):\n{LIST_LINE}; acked by bob"
    assert audit(alarms) == [("bob", "alarm ack", "alarm #1 NginxIngressDown", "")]


def test_acknowledged_alarm_does_not_page_when_hours_begin(
    alarms: Alarms, clock: FakeClock
) -> None:
    clock.set(local(30, 23))
    fired(alarms)
    alarms.run("alarm ack", "1", "@dave")
    advance(alarms.runtime, clock, local(1, 7, 30), step=timedelta(minutes=30))
    assert alarms.pages() == []


def test_acknowledge_errors(alarms: Alarms, clock: FakeClock) -> None:
    fired(alarms)
    assert alarms.run("alarm ack", "") == "Give one alarm number.\nUsage: !alarm ack ID"
    assert alarms.run("alarm ack", "x") == (
        "'x' is not an alarm number (the #number in its post, e.g. 12).\nUsage: !alarm ack ID"
    )
    assert alarms.run("alarm ack", "99") == "There is no alarm #99."
    assert alarms.run("alarm ack", "1", "@mallory") == (
        "Sorry @mallory, `!alarm ack` needs the permission 'alarms.triage' "
        "(acknowledge, assign and give feedback on alarms, and declare incidents from them)."
    )
    clock.advance(minutes=5)
    alarms.am("critical-resolved")
    assert (
        alarms.run("alarm ack", "1")
        == "Alarm #1 NginxIngressDown is resolved; there is nothing to acknowledge."
    )
    assert audit(alarms) == []


def test_a_new_firing_episode_needs_a_new_acknowledgement(alarms: Alarms, clock: FakeClock) -> None:
    fired(alarms)
    alarms.run("alarm ack", "1")
    clock.advance(hours=2)
    alarms.am("critical-resolved")
    clock.advance(hours=2)
    alarms.am("critical-firing")
    assert alarms.group(1).acked_by is None
    assert alarms.pages() == [("support", "alarm-1-2")]  # 12:00: support hours


def test_assign(alarms: Alarms) -> None:
    fired(alarms)
    assert (
        alarms.run("alarm assign", "1 @carol")
        == "Alarm #1 NginxIngressDown is assigned to Carol Chen."
    )
    assert alarms.take() == [Post(HIGH, "Assigned to Carol Chen by Alice Archer.", "m1")]
    assert alarms.run("alarms").endswith("; assigned to carol")
    assert alarms.run("alarm assign", "1 @zed") == (
        "I don't know anyone called '@zed'. People in this team: "
        "alice, bob, carol, dave, erin, frank, grace, heidi, ivan.\nUsage: !alarm assign ID @person"
    )
    assert (
        alarms.run("alarm assign", "1")
        == "Give the alarm number and the person.\nUsage: !alarm assign ID @person"
    )
    assert audit(alarms) == [("alice", "alarm assign", "alarm #1 NginxIngressDown", "carol")]


# --- silences ----------------------------------------------------------------------------------


def test_silence_is_announced_suppresses_updates_and_its_end_is_announced(
    alarms: Alarms, clock: FakeClock
) -> None:
    fired(alarms)
    assert (
        alarms.run("alarm silence", "1 2h deploying the fix")
        == "Silenced alarm #1 until 2026-11-30 10:00."
    )
    assert alarms.take() == [
        Post(
            HIGH,
            "Alice Archer silenced alarm #1 NginxIngressDown for 2h (until 2026-11-30 10:00): "
            "deploying the fix. No posts or pages for it until then.",
        )
    ]
    advance(alarms.runtime, clock, local(30, 9))
    alarms.am("critical-firing")  # a repeat well past the update interval
    assert alarms.take() == []
    assert alarms.run("alarms") == f"Open alarms (1):\n{LIST_LINE}; silenced until 2026-11-30 10:00"
    advance(alarms.runtime, clock, local(30, 10, 1))
    assert alarms.take() == [
        Post(
            HIGH,
            "The silence on alarm #1 NginxIngressDown has ended; it is still firing (1 alert).",
        )
    ]
    advance(alarms.runtime, clock, local(30, 10, 5))
    assert alarms.take() == []
    assert audit(alarms) == [
        ("alice", "alarm silence", "alarm #1 NginxIngressDown", "2h: deploying the fix"),
        ("dutybot", "alarm silence ended", "alarm #1 NginxIngressDown", ""),
    ]


def test_a_silenced_alarm_pages_when_its_silence_ends(alarms: Alarms, clock: FakeClock) -> None:
    clock.set(local(30, 23))
    fired(alarms)
    alarms.run("alarm silence", "1 9h known overnight maintenance")
    advance(alarms.runtime, clock, local(1, 7, 59), step=timedelta(minutes=20))
    assert alarms.pages() == []
    advance(alarms.runtime, clock, local(1, 8, 1))
    assert alarms.pages() == [("oncall", "alarm-1-1")]


def test_unsilence(alarms: Alarms) -> None:
    fired(alarms)
    assert alarms.run("alarm unsilence", "1") == "Alarm #1 is not silenced."
    alarms.run("alarm silence", "1 30m checking")
    alarms.take()
    assert alarms.run("alarm unsilence", "1") == "Lifted the silence on alarm #1."
    assert alarms.take() == [
        Post(
            HIGH,
            "Alice Archer lifted the silence on alarm #1 NginxIngressDown; it is still firing (1 alert).",
        )
    ]


def test_an_episode_that_began_while_silenced_is_posted_when_the_silence_ends(
    alarms: Alarms, clock: FakeClock
) -> None:
    """Its page and updates must hang off its own post, not the last episode's."""
    fired(alarms)
    clock.advance(minutes=10)
    alarms.am("critical-resolved")
    alarms.run("alarm silence", "1 30m noisy while we deploy")
    clock.advance(minutes=10)
    alarms.am("critical-firing")  # episode 2, silenced: no post, no page
    alarms.take()
    assert alarms.pages() == []
    advance(alarms.runtime, clock, clock.now() + timedelta(minutes=25))
    ended, post, paged = alarms.take()
    assert ended == Post(
        HIGH, "The silence on alarm #1 NginxIngressDown has ended; it is still firing (1 alert)."
    )
    assert (post.address, post.thread) == (HIGH, None)
    assert post.text.startswith("[FIRING:1] #1 NginxIngressDown (high)")
    assert (paged.text, paged.thread) == ("Paged oncall (on-call hours).", post.ref)
    assert alarms.pages() == [("oncall", "alarm-1-2")]
    assert alarms.group(1).post_key == "alarm-1-2"


def test_a_priority_raised_while_silenced_is_posted_in_its_channel_when_lifted(
    alarms: Alarms, clock: FakeClock
) -> None:
    warning = {"title": "DiskFull", "severity": "warning", "dedup_key": "a", "group_key": "g"}
    alarms.send("generic", warning)
    [low_post] = alarms.take()
    alarms.run("alarm silence", "1 30m looking")
    alarms.send("generic", {**warning, "severity": "critical", "dedup_key": "b"})
    alarms.take()
    assert alarms.pages() == []
    alarms.run("alarm unsilence", "1")
    lifted, post = alarms.take()
    assert (lifted.address, post.address, post.thread) == (HIGH, HIGH, None)
    assert post.text.startswith("[FIRING:2] #1 DiskFull (high)")
    assert alarms.group(1).post_key == "alarm-1-1-high"
    clock.advance(minutes=10)
    alarms.send(
        "generic", {**warning, "severity": "critical", "dedup_key": "b", "status": "resolved"}
    )
    alarms.send("generic", {**warning, "status": "resolved"})
    later = alarms.take()  # "Still firing: 1 alert (was 2)", then "[RESOLVED] …"
    assert [(p.address, p.thread) for p in later] == [(HIGH, post.ref)] * 2
    assert low_post.address == LOW


def test_a_silence_over_nothing_new_posts_nothing_more(alarms: Alarms) -> None:
    fired(alarms)
    alarms.run("alarm silence", "1 30m checking")
    alarms.take()
    alarms.run("alarm unsilence", "1")
    assert len(alarms.take()) == 1  # the lifting, and no second post of the same episode


def test_an_escalation_caught_up_after_a_silence_is_not_posted_again_after_the_next(
    alarms: Alarms, clock: FakeClock
) -> None:
    warning = {"title": "DiskFull", "severity": "warning", "dedup_key": "a", "group_key": "g"}
    alarms.send("generic", {**warning, "status": "resolved"})  # alarm #1, never fired
    alarms.run("alarm silence", "1 30m deploying")
    alarms.send("generic", warning)  # episode 1 begins, silenced
    alarms.send("generic", {**warning, "severity": "critical", "dedup_key": "b"})  # escalates
    alarms.run("alarm unsilence", "1")
    alarms.run("alarm silence", "1 30m again")
    alarms.run("alarm unsilence", "1")
    fired = [p for p in alarms.take() if p.text.startswith("[FIRING")]
    assert [(p.address, p.thread) for p in fired] == [(HIGH, None)]  # once
    assert alarms.group(1).post_key == "alarm-1-1-high"


def test_a_flapping_alarm_that_settles_while_silenced_is_posted_when_the_silence_ends(
    alarms: Alarms, clock: FakeClock
) -> None:
    for _ in range(2):
        fired(alarms)
        clock.advance(minutes=5)
        alarms.am("critical-resolved")
        clock.advance(minutes=5)
    fired(alarms)  # the third firing in the hour: flapping
    began = clock.now()
    alarms.run("alarm silence", "1 2h known flapping")
    alarms.take()
    advance(alarms.runtime, clock, began + timedelta(minutes=61))
    assert alarms.take() == [] and not alarms.group(1).flapping  # settled, quietly
    advance(alarms.runtime, clock, began + timedelta(minutes=121))
    ended, post, paged = alarms.take()
    assert ended.text.startswith("The silence on alarm #1 NginxIngressDown has ended")
    assert (post.address, post.thread) == (HIGH, None) and post.text.startswith("[FIRING:1] #1")
    assert (paged.text, paged.thread) == ("Paged support (support hours).", post.ref)


def test_an_alarm_read_from_chat_is_not_posted_by_the_bot_when_its_silence_ends(
    alarms: Alarms,
) -> None:
    """Its post is the other tool's message, already in the channel."""
    text = "[FIRING:1] NginxIngressDown ingress-nginx (live ingress-controllers critical)"
    alarms.runtime.handle_message(message(text))
    alarms.run("alarm silence", "1 30m checking")
    alarms.run("alarm unsilence", "1")
    assert not [p for p in alarms.take() if p.text.startswith("[FIRING")]


def test_silence_errors(alarms: Alarms) -> None:
    fired(alarms)
    usage = (
        "\nUsage: !alarm silence ID DURATION REASON (e.g. alarm silence 12 2h deploying the fix)"
    )
    assert (
        alarms.run("alarm silence", "1 2h") == "Give the alarm number, how long, and why." + usage
    )
    assert alarms.run("alarm silence", "1 2x because") == (
        "'2x' is not a duration (write e.g. 30m, 2h, 1h30m or 7d)." + usage
    )
    assert alarms.run("alarm silence", "1 8d because") == "A silence lasts at most 7d." + usage
    assert alarms.run("alarm silence", "2 1h because") == "There is no alarm #2."
    assert alarms.take() == [] and audit(alarms) == []


# --- feedback and incidents --------------------------------------------------------------------


def test_noise_and_actionable_feedback_is_counted_in_metrics(
    alarms: Alarms, clock: FakeClock
) -> None:
    fired(alarms)
    fired(alarms, "warning-two-alerts-firing")
    assert (
        alarms.run("alarm noise", "2")
        == "Thanks: alarm #2 CPU-High is marked noise (counted in the alarm metrics)."
    )
    assert alarms.run("alarm actionable", "1") == (
        "Thanks: alarm #1 NginxIngressDown is marked actionable (counted in the alarm metrics)."
    )
    start, end = local(30, 0), local(1, 0)
    figures = alarms.runtime.hook.dutybot_metrics(
        runtime=alarms.runtime, start=start, end=end, priority=None
    )
    assert {
        "alarms": {
            "fired": 2,
            "fired_by_priority": {"high": 1, "low": 1},
            "paged": 1,
            "alarms": 2,
            "noise": 1,
            "actionable": 1,
            "unmarked": 0,
            "noise_percent": 50.0,
            "top_noisy": [["CPU-High", 1]],
            "top_firing": [["CPU-High", 1], ["NginxIngressDown", 1]],
        }
    } in figures


class Incidents:
    """Stands in for the incident plugin."""

    def __init__(self) -> None:
        self.declared: list[tuple[Any, str]] = []

    @hookimpl
    def dutybot_alarm_escalated(self, alarm: Any, by: str) -> str:
        self.declared.append((alarm, by))
        return "INC-7"


def test_incident_without_an_incident_plugin_says_how_to_declare(alarms: Alarms) -> None:
    fired(alarms)
    assert alarms.run("alarm incident", "1") == (
        "No incident plugin is installed, so I cannot declare an incident from alarm #1. Declare it in the "
        'team channel: "I am declaring an incident because [reason]. The impact is that [impact]."'
    )
    assert alarms.group(1).incident_ref is None


def test_incident_is_declared_through_the_hook_and_linked(
    make_alarms: Callable[..., Alarms],
) -> None:
    incidents = Incidents()
    alarms = make_alarms(plugins=(incidents,))
    fired(alarms)
    assert (
        alarms.run("alarm incident", "1", "@dave")
        == "Declared incident INC-7 from alarm #1 NginxIngressDown."
    )
    assert alarms.take() == [
        Post(HIGH, "Dave Dhillon declared incident INC-7 from this alarm.", "m1")
    ]
    ((alarm, by),) = incidents.declared
    assert (alarm.id, alarm.title, alarm.summary, alarm.priority, by) == (
        1,
        "NginxIngressDown",
        "Nginx ingress controller is down",
        "high",
        "dave",
    )
    assert alarms.run("alarm incident", "1") == "Alarm #1 is already linked to incident INC-7."
    assert alarms.run("alarms").endswith("; incident INC-7")


class SecondAttempt:
    """An incident plugin during whose declaration someone else runs ``!alarm incident`` too."""

    def __init__(self) -> None:
        self.alarms: Alarms | None = None
        self.declared: list[str] = []
        self.meanwhile: list[str] = []
        self.fail = False

    @hookimpl
    def dutybot_alarm_escalated(self, alarm: Any, by: str) -> str | None:
        assert self.alarms is not None
        self.meanwhile.append(self.alarms.run("alarm incident", str(alarm.id), "@dave"))
        if self.fail:
            raise RuntimeError("the incident channel could not be created")
        self.declared.append(f"INC-{len(self.declared) + 1}")
        return self.declared[-1]


def test_an_alarm_gets_one_incident_when_two_people_declare_it_at_once(
    make_alarms: Callable[..., Alarms], clock: FakeClock
) -> None:
    plugin = SecondAttempt()
    alarms = plugin.alarms = make_alarms(plugins=(plugin,))
    fired(alarms)
    assert alarms.run("alarm incident", "1") == (
        "Declared incident INC-1 from alarm #1 NginxIngressDown."
    )
    assert plugin.meanwhile == [
        "An incident is being declared from alarm #1 right now; see the team channel."
    ]
    assert plugin.declared == ["INC-1"]
    assert alarms.group(1).incident_ref == "INC-1"


def test_a_declaration_that_failed_or_died_does_not_hold_the_alarm(
    make_alarms: Callable[..., Alarms], clock: FakeClock
) -> None:
    plugin = SecondAttempt()
    alarms = plugin.alarms = make_alarms(plugins=(plugin,))
    fired(alarms)
    plugin.fail = True
    assert alarms.run("alarm incident", "1").startswith("Sorry, `!alarm incident` failed")
    assert alarms.group(1).incident_ref is None  # released: the next attempt may declare
    with alarms.runtime.db.session() as session:  # a bot that died while declaring
        session.get(AlarmGroup, 1).incident_ref = "(being declared since 2026-11-30T08:00:00Z)"
    clock.advance(minutes=4)
    plugin.fail = False
    assert alarms.run("alarm incident", "1").startswith("An incident is being declared")
    clock.advance(minutes=2)
    assert alarms.run("alarm incident", "1").startswith("Declared incident INC-1")


# --- the support day ---------------------------------------------------------------------------


def test_checklist_line_counts_alarms_since_the_last_handover(
    alarms: Alarms, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 27, 17, 0, tzinfo=UTC))  # Friday, before the handover: not counted
    fired(alarms, "info-firing")
    resolved_info = fixture("info-firing")
    resolved_info["alerts"][0]["status"] = "resolved"
    alarms.am(resolved_info)
    clock.set(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # Saturday
    fired(alarms)
    clock.set(datetime(2026, 11, 29, 3, 0, tzinfo=UTC))
    fired(alarms, "warning-two-alerts-firing")
    clock.advance(minutes=30)
    resolved = fixture("warning-two-alerts-firing")
    for alert in resolved["alerts"]:
        alert["status"] = "resolved"
    alarms.am(resolved)
    clock.set(local(30, 9))
    items = alarms.runtime.hook.dutybot_checklist_items(
        runtime=alarms.runtime, day=local(30, 9).date()
    )
    assert items == [
        [
            "Alarms since the last handover (2026-11-27 18:00): "
            "1 high (still open: #2 NginxIngressDown), 1 low (none open)."
        ]
    ]


def test_handover_and_status_lines(alarms: Alarms) -> None:
    runtime = alarms.runtime
    assert runtime.hook.dutybot_handover_items(runtime=runtime, day=local(30, 18).date()) == [
        ["Open alarms: none."]
    ]
    fired(alarms)
    fired(alarms, "info-firing")
    assert runtime.hook.dutybot_handover_items(runtime=runtime, day=local(30, 18).date()) == [
        ["Open alarms: 1 high (open: #1 NginxIngressDown), 1 info (open: #2 KubeNodeCountChanged)."]
    ]
    assert runtime.hook.dutybot_status(runtime=runtime) == [
        [
            "Alarms: 2 open (1 high, 1 info)",
            "Alert sources: /alerts/alertmanager (credentials set), /alerts/generic (credentials set), "
            "/alerts/grafana (credentials set)",
        ]
    ]


def test_low_alarms_list_in_their_channel_order(alarms: Alarms) -> None:
    fired(alarms, "warning-two-alerts-firing")
    assert alarms.run("alarms", "low").startswith("Open low alarms (1):\n- #1 CPU-High (low)")
    assert LOW == "#lower-priority-alarms"
