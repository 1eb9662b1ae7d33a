"""Reactions on incident threads, end to end: Slack-shaped messages and reactions through
Errbot's test backend and the real bridge, into the incident plugin's timeline.

Only the incident feature is enabled (and a stand-in for the rotas, recording what listeners
hear), so every post seen is the incident plugin's own; nothing may be paged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from errbot.backends.base import REACTION_ADDED, REACTION_REMOVED, Reaction
from sqlalchemy import func, select

from core import hookimpl
from core.models import AuditEntry
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from plugins.incident.models import Incident, ThreadMessage, TimelineEntry
from tests.conftest import ChatBot
from tests.test_slack_harness import PROCESS, SUPPORT_ID, Workspace, serve

OTHERS = frozenset(DEFAULT_PLUGINS) - {"incident", "system", "team"}
ROOT = "1764496800.000100"  # the declaring message: the incident's thread
FAILOVER, GUESS, NOTE, LATER = (f"17644969{n}0.000{n}00" for n in range(1, 5))
DECLARATION = (
    "I am declaring an incident because the database is down. The impact is that nobody can log in."
)
PUT_ON = "Bob Example put Carol Example's message on incident 1's timeline."


class World:
    """Who is on support (for the declaration), what listeners heard, and no pages at all."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str]] = []
        self.pages: list[str] = []

    @hookimpl
    def dutybot_role_holders(self, role: str) -> list[str] | None:
        return {"support": ["alice"]}.get(role)

    @hookimpl
    def dutybot_page(self, target: str) -> None:
        self.pages.append(target)

    @hookimpl
    def dutybot_incident_updated(self, incident: Any, change: str) -> None:
        self.events.append((incident.id, change))


@pytest.fixture
def world() -> Iterator[World]:
    world = World()
    yield world
    assert world.pages == []


@pytest.fixture
def process() -> str:
    return PROCESS


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], world: World, process: str) -> Runtime:
    return make_runtime(process=process, plugins=(world,), disabled_plugins=OTHERS)


@pytest.fixture
def chat(runtime: Runtime) -> Iterator[ChatBot]:
    yield from serve(runtime)


@pytest.fixture
def slack(chat: ChatBot) -> Workspace:
    """A Slack workspace with incident 1 declared in the team channel and two messages in its
    thread: Carol's finding and Dave's guess."""
    slack = Workspace(chat)
    declared = slack.say("alice", DECLARATION, ts=ROOT)
    assert len(declared) == 1 and declared[0].startswith(
        "Incident 1 declared: The database is down"
    )
    assert slack.say("carol", "DB failover started at 10:32", ts=FAILOVER, thread_ts=ROOT) == []
    assert slack.say("dave", "maybe  it is\nDNS?", ts=GUESS, thread_ts=ROOT) == []
    return slack


def notes(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.db.session() as session:
        rows = session.scalars(
            select(TimelineEntry).where(TimelineEntry.kind == "note").order_by(TimelineEntry.id)
        ).all()
        return [(row.author, row.text) for row in rows]


def test_a_memo_reaction_puts_the_message_on_the_timeline_once(
    slack: Workspace, runtime: Runtime, world: World
) -> None:
    assert slack.react("bob", "memo", ts=FAILOVER) == [PUT_ON]
    assert notes(runtime) == [("carol", "DB failover started at 10:32")]
    assert world.events == [(1, "note")]
    summary = slack.say("alice", "!incident 1", ts=LATER)[0]
    assert "Carol Example: DB failover started at 10:32" in summary

    # The same reaction again, from someone else, removed and added back: nothing more.
    assert slack.react("dave", "memo", ts=FAILOVER) == []
    assert slack.react("bob", "memo", ts=FAILOVER, action=REACTION_REMOVED) == []
    assert slack.react("bob", "memo", ts=FAILOVER) == []
    assert notes(runtime) == [("carol", "DB failover started at 10:32")]
    assert world.events == [(1, "note")]
    with runtime.db.session() as session:
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "incident.note")
        ).all()
        assert [(a.actor, a.subject, a.detail) for a in audit] == [
            ("bob", "incident 1", f":memo: on carol's message {FAILOVER}")
        ]


def test_the_emoji_itself_and_the_text_as_written_one_line(
    slack: Workspace, runtime: Runtime
) -> None:
    assert slack.react("carol", "📝", ts=GUESS) == [
        "Carol Example put Dave Example's message on incident 1's timeline."
    ]
    assert notes(runtime) == [("dave", "maybe it is DNS?")]


def test_other_reactions_strangers_and_other_messages_change_nothing(
    slack: Workspace, runtime: Runtime, world: World
) -> None:
    assert slack.react("bob", "thumbsup", ts=FAILOVER) == []
    assert slack.react("bob", "memo", ts=ROOT) == []  # the declaration: on the timeline already
    assert slack.say("bob", "unrelated chat", ts=LATER, channel=SUPPORT_ID) == []
    assert slack.react("bob", "memo", ts=LATER, channel=SUPPORT_ID) == []
    assert slack.react("bob", "memo", ts="1764499999.999999") == []  # never seen
    slack.backend.callback_reaction(
        Reaction(
            reactor=slack.backend.build_identifier("U0MALLORY1"),
            action=REACTION_ADDED,
            reaction_name="memo",
            reacted_to={"type": "message", "channel": "C0TEAM0001", "ts": FAILOVER},
        )
    )
    assert notes(runtime) == [] and world.events == []
    with runtime.db.session() as session:
        kept = session.scalars(select(ThreadMessage.message_ref).order_by(ThreadMessage.id)).all()
    assert kept == [FAILOVER, GUESS]  # only the incident thread's messages are kept


def test_a_note_is_not_added_again_by_a_reaction(slack: Workspace, runtime: Runtime) -> None:
    assert slack.say("carol", "note: rolled back the migration", ts=NOTE, thread_ts=ROOT) == [
        "Noted on incident 1's timeline."
    ]
    assert slack.react("bob", "memo", ts=NOTE) == []
    assert notes(runtime) == [("carol", "rolled back the migration")]


def test_an_edited_declaration_declares_nothing_more(slack: Workspace, runtime: Runtime) -> None:
    assert slack.say("alice", DECLARATION + " Edited.", ts=LATER, subtype="message_changed") == []
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 1


@pytest.mark.parametrize(
    "process", [PROCESS + '\n[incident]\ntimeline_reactions = [":eyes:"]\n'], ids=["eyes"]
)
def test_the_team_chooses_the_reaction(slack: Workspace, runtime: Runtime) -> None:
    assert slack.react("bob", "memo", ts=FAILOVER) == []
    assert slack.react("bob", "eyes", ts=FAILOVER) == [PUT_ON]
    assert notes(runtime) == [("carol", "DB failover started at 10:32")]
