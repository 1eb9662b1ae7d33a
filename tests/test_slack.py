"""Slack's specifics in the bridge, through Errbot's test backend dressed as Slack: Slack ids for
people and channels, mention forms, edited messages, thread replies, reactions, and keeping the
per-message work free of backend look-ups."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import yaml
from errbot.backends.base import REACTION_REMOVED, Message
from errbot.backends.test import TestOccupant, TestRoom
from sqlalchemy import event, select

from core import hookimpl
from core.chat import ChatReaction, InboundMessage
from core.commands import Command, CommandContext
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from plugins.alarms.models import AlarmGroup
from plugins.bridge.adapter import backend_address, channel_address, channel_name, emoji_name
from tests.conftest import ROOT, ChatBot
from tests.test_slack_harness import PROCESS, SUPPORT_ID, TEAM_ID, USERS, Workspace, serve

OTHERS = frozenset(DEFAULT_PLUGINS) - {"system", "team"}
T1, T2, T3 = "1764496800.000100", "1764496860.000200", "1764496920.000300"


class Recorder:
    """A plugin that counts its command's runs and records the messages and reactions it gets."""

    def __init__(self) -> None:
        self.runs = 0
        self.messages: list[InboundMessage] = []
        self.reactions: list[ChatReaction] = []

    @hookimpl
    def dutybot_commands(self) -> list[Command]:
        return [Command("count", "test", "Count the runs.", "count", self._count)]

    def _count(self, _ctx: CommandContext) -> str:
        self.runs += 1
        return f"run {self.runs}"

    @hookimpl
    def dutybot_chat_message(self, message: InboundMessage) -> str | None:
        self.messages.append(message)
        return f"seen: {message.text}" if message.text.startswith("echo") else None

    @hookimpl
    def dutybot_chat_reaction(self, reaction: ChatReaction) -> None:
        self.reactions.append(reaction)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], recorder: Recorder) -> Runtime:
    return make_runtime(process=PROCESS, plugins=(recorder,), disabled_plugins=OTHERS)


@pytest.fixture
def chat(runtime: Runtime) -> Iterator[ChatBot]:
    yield from serve(runtime)


@pytest.fixture
def slack(chat: ChatBot) -> Workspace:
    return Workspace(chat)


# --- people and channels by Slack id ----------------------------------------------------------


def test_people_are_known_by_slack_id_and_by_every_mention_form(slack: Workspace) -> None:
    assert slack.say("alice", "!whoami", ts=T1)[0].splitlines()[0] == (
        "You are Alice Example (alice), chat <@U0ALICE001>."
    )
    for mention in ("<@U0BOB00001>", "<@U0BOB00001|bob>", "U0BOB00001", "@U0BOB00001"):
        reply = slack.say("carol", f"!whoami {mention}", ts=T2)
        assert reply[0].splitlines()[0] == "That is Bob Example (bob), chat <@U0BOB00001>."


def test_channel_messages_arrive_with_slack_ids_and_the_process_file_names(
    slack: Workspace, recorder: Recorder
) -> None:
    assert slack.say("bob", "hello", ts=T2, thread_ts=T1, channel=SUPPORT_ID) == []
    assert slack.say("dave", "hi team", ts=T3) == []
    support, team = recorder.messages
    assert (support.person.id, support.sender, support.channel, support.channel_name) == (
        "bob",
        "U0BOB00001",
        "<#C0SUPP0001>",
        "support",
    )
    assert (support.message_id, support.thread_id) == (T2, T1)
    assert (team.channel, team.channel_name, team.message_id, team.thread_id) == (
        "<#C0TEAM0001>",
        "team",
        T3,
        None,
    )


def test_channels_may_be_listed_by_slack_name(make_runtime: Callable[..., Runtime]) -> None:
    """``#name`` in the process file also matches Slack's ``<#C…|name>`` (ids survive renames)."""
    named = make_runtime(
        process=PROCESS.replace(f'support = "{SUPPORT_ID}"', 'support = "#ask-cloud-platform"'),
        disabled_plugins=OTHERS,
    )
    assert channel_name(named, f"<#{SUPPORT_ID}|ask-cloud-platform>") == "support"
    assert channel_name(named, f"<#{TEAM_ID}|cloud-platform>") == "team"
    assert channel_name(named, "<#C0OTHER001|ask-cloud-platform-old>") is None
    assert channel_name(named, "#ask-cloud-platform") == "support"


def test_slack_channel_and_user_forms_are_one_address() -> None:
    for form in ("<#C0TEAM0001|cloud-platform>", "<#C0TEAM0001>", "C0TEAM0001"):
        assert channel_address(form) == "<#C0TEAM0001>"
    for other in ("#cloud-platform", "ops@conference.example.org", "-100123456", "CHANGES"):
        assert channel_address(other) == other

    class SlackBot:
        mode = "slackv3"

    class IrcBot:
        mode = "irc"

    assert backend_address(SlackBot(), "U0ALICE001") == "<@U0ALICE001>"
    assert backend_address(SlackBot(), "C0SUPP0001") == "<#C0SUPP0001>"
    assert backend_address(SlackBot(), "<#C0TEAM0001>") == "<#C0TEAM0001>"
    assert backend_address(IrcBot(), "C0SUPP0001") == "C0SUPP0001"


# --- what a message says ----------------------------------------------------------------------

ALARM_ID = "C0ALRM0001"
# What Alertmanager's Slack integration posts with its default templates: no text, one attachment.
ALERTMANAGER_POST = {
    "color": "danger",
    "title": "[FIRING:1] NginxIngressDown ingress-nginx (live ingress-controllers critical)",
    "title_link": "http://alertmanager.example.org/#/alerts?receiver=slack",
    "text": "*Summary:* Nginx ingress &amp; its backends are down (&lt;50% ready)",
    "fallback": "[FIRING:1] NginxIngressDown ingress-nginx | http://alertmanager.example.org/",
}


def test_slack_escapes_are_undone_and_attachments_are_read(
    slack: Workspace, recorder: Recorder
) -> None:
    """Slack sends ``&``, ``<`` and ``>`` as entities, and tools post in attachments (but a
    shared message or a link's preview is not the sender's to say)."""
    slack.say("bob", "500s on a &lt;b&gt; page &amp; &amp;lt; is literal", ts=T1)
    slack.say("dave", "", ts=T2, attachments=[ALERTMANAGER_POST])
    shared = {"is_share": True, "is_msg_unfurl": True, "text": "incident: the database is down"}
    preview = {"from_url": "https://status.example.org", "title": "All systems go"}
    attachments = [{"fallback": "only a fallback"}, {}, shared, preview]
    slack.say("dave", "see:", ts=T3, attachments=attachments)
    assert [m.text for m in recorder.messages] == [
        "500s on a <b> page & &lt; is literal",
        "[FIRING:1] NginxIngressDown ingress-nginx (live ingress-controllers critical)\n"
        "*Summary:* Nginx ingress & its backends are down (<50% ready)",
        "see:\nonly a fallback",
    ]


def test_alertmanager_posts_in_a_slack_alarm_channel_are_recorded(
    make_runtime: Callable[..., Runtime],
) -> None:
    """The post as Alertmanager's Slack integration makes it, through the bridge to an alarm."""
    process = PROCESS.replace("[channels]\n", f'[channels]\nalarms_high = "<#{ALARM_ID}>"\n')
    runtime = make_runtime(process=process, disabled_plugins=OTHERS - {"alarms"})
    with contextmanager(serve)(runtime) as bot:
        slack = Workspace(bot)
        slack.rooms[ALARM_ID] = TestRoom(f"<#{ALARM_ID}|high-priority-alarms>", bot=slack.backend)
        said = slack.say("dave", "", ts=T1, channel=ALARM_ID, attachments=[ALERTMANAGER_POST])
    assert said == ["Recorded as alarm #1 (high). Triage: !alarm ack 1"]
    with runtime.db.session() as session:
        alarm = session.scalars(select(AlarmGroup)).one()
        assert (alarm.title, alarm.summary, alarm.priority) == (
            "NginxIngressDown",
            "Summary: Nginx ingress & its backends are down (<50% ready)",
            "high",
        )


# --- edited messages --------------------------------------------------------------------------


def test_an_edited_command_never_runs_again(slack: Workspace, recorder: Recorder) -> None:
    assert slack.say("bob", "!count", ts=T1) == ["run 1"]
    assert slack.say("bob", "!count", ts=T2, subtype="message_changed") == []
    assert recorder.runs == 1
    assert slack.say("bob", "!count", ts=T3) == ["run 2"]


def test_an_edited_message_is_not_handed_to_the_plugins_again(
    slack: Workspace, recorder: Recorder
) -> None:
    assert slack.say("bob", "echo please help", ts=T1) == ["seen: echo please help"]
    assert slack.say("bob", "echo please help!", ts=T2, subtype="message_changed") == []
    assert [m.text for m in recorder.messages] == ["echo please help"]


# --- replies in threads -----------------------------------------------------------------------


@pytest.fixture
def sent(chat: ChatBot, monkeypatch: pytest.MonkeyPatch) -> list[Message]:
    """Every message the bot sends, as the backend receives it (with its ``parent``)."""
    messages: list[Message] = []
    send = chat.backend.send_message

    def record(message: Message) -> None:
        messages.append(message)
        send(message)

    monkeypatch.setattr(chat.backend, "send_message", record)
    return messages


def test_a_reply_to_a_top_level_message_starts_its_thread(
    slack: Workspace, sent: list[Message]
) -> None:
    assert slack.say("bob", "echo top", ts=T1) == ["seen: echo top"]
    reply = next(m for m in sent if m.body == "seen: echo top")
    assert reply.parent.extras["slack_event"]["ts"] == T1
    assert str(reply.to) == f"<#{TEAM_ID}|cloud-platform>"


def test_a_reply_in_a_thread_names_the_threads_first_message(
    slack: Workspace, sent: list[Message]
) -> None:
    assert slack.say("bob", "echo inside", ts=T3, thread_ts=T1) == ["seen: echo inside"]
    reply = next(m for m in sent if m.body == "seen: echo inside")
    assert reply.parent.extras["slack_event"]["ts"] == T1


# --- reactions --------------------------------------------------------------------------------


def test_reactions_reach_plugins_as_chat_reactions(slack: Workspace, recorder: Recorder) -> None:
    assert slack.react("bob", "thumbsup::skin-tone-2", ts=T1) == []
    assert slack.react("carol", "memo", ts=T2, channel=SUPPORT_ID, action=REACTION_REMOVED) == []
    added, removed = recorder.reactions
    assert added == ChatReaction(
        reactor="U0BOB00001",
        person=added.person,
        emoji="thumbsup",
        added=True,
        message_id=T1,
        channel="<#C0TEAM0001>",
        channel_name="team",
    )
    assert added.person is not None and added.person.id == "bob"
    assert (removed.emoji, removed.added, removed.channel_name) == ("memo", False, "support")


def test_reactions_to_files_and_unknown_actions_are_not_passed_on(
    slack: Workspace, recorder: Recorder
) -> None:
    from errbot.backends.base import Reaction

    for reaction in (
        Reaction(
            reactor=TestOccupant(USERS["bob"], slack.rooms[TEAM_ID]),
            action="added",
            reaction_name="memo",
            reacted_to={"type": "file", "file": "F0123"},
        ),
        Reaction(
            reactor=TestOccupant(USERS["bob"], slack.rooms[TEAM_ID]),
            action="bumped",
            reaction_name="memo",
            reacted_to={"type": "message", "channel": TEAM_ID, "ts": T1},
        ),
    ):
        slack.backend.callback_reaction(reaction)
    assert recorder.reactions == []


def test_emoji_names_lose_colons_and_skin_tones() -> None:
    assert emoji_name(":memo:") == "memo"
    assert emoji_name("+1::skin-tone-4") == "+1"
    assert emoji_name("📝") == "📝"


# --- per-message cost -------------------------------------------------------------------------


def test_busy_channel_messages_cost_no_backend_lookups(
    chat: ChatBot, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy channel: every message goes through the bridge without one identifier being built
    (on Slack each is a ``users.info`` or ``conversations.info`` call) and stays cheap."""
    built: list[Any] = []
    build = chat.backend.build_identifier
    monkeypatch.setattr(
        chat.backend, "build_identifier", lambda text: built.append(text) or build(text)
    )
    bridge = chat.backend.plugin_manager.get_plugin_obj_by_name("Dutybot")
    room = Workspace(chat).rooms[SUPPORT_ID]
    count = 500
    started = time.perf_counter()
    for n in range(count):
        message = Message(f"message {n}", extras={"slack_event": {"ts": f"1764500000.{n:06d}"}})
        message.frm = TestOccupant(USERS["dave"], room)
        bridge.callback_message(message)
    per_message_ms = (time.perf_counter() - started) * 1000 / count
    print(f"bridge: {per_message_ms:.3f} ms per channel message ({count} messages)")
    assert built == []
    assert len(recorder.messages) == count
    assert {m.person.id for m in recorder.messages if m.person} == {"dave"}
    assert per_message_ms < 20


def test_a_busy_team_channel_costs_no_database_work_with_every_feature_on(
    make_runtime: Callable[..., Runtime],
) -> None:
    """Chatter in the team channel (not a phrase, not in a thread) with every built-in feature
    loaded: not one SQL statement per message."""
    runtime = make_runtime(process=PROCESS)
    bot = ChatBot(runtime)
    statements: list[str] = []
    event.listen(runtime.db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        bridge = bot.backend.plugin_manager.get_plugin_obj_by_name("Dutybot")
        room = Workspace(bot).rooms[TEAM_ID]
        count = 300
        started = time.perf_counter()
        for n in range(count):
            message = Message(f"chatter {n}", extras={"slack_event": {"ts": f"1764500000.{n:06d}"}})
            message.frm = TestOccupant(USERS["dave"], room)
            bridge.callback_message(message)
        per_message_ms = (time.perf_counter() - started) * 1000 / count
        print(f"all features: {per_message_ms:.3f} ms per team-channel message ({count} messages)")
        bot.assert_quiet()
    finally:
        bot.stop()
    assert statements == []
    assert per_message_ms < 20


# --- the Slack app manifest in docs/deploy-slack.md -------------------------------------------


def test_the_documented_manifest_asks_for_what_the_bridge_uses() -> None:
    text = (ROOT / "docs" / "deploy-slack.md").read_text(encoding="utf-8")
    manifest = yaml.safe_load(re.search(r"^```yaml\n(.*?)^```", text, re.M | re.S).group(1))
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    events = set(settings["event_subscriptions"]["bot_events"])
    assert {"message.channels", "message.groups", "message.im", "reaction_added"} <= events
    assert "reaction_removed" in events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {
        "channels:history",  # channel messages
        "groups:history",
        "im:history",
        "chat:write",  # posts and thread replies
        "channels:join",  # CHATROOM_PRESENCE
        "reactions:read",  # reaction events
        "files:write",  # charts
        "users:read",  # the backend builds the sender of every event
        "team:read",
    }
    assert needed <= scopes
