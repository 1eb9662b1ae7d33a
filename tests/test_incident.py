"""The incident process, lived through with a fake clock and Errbot's test backend.

Who is on support and on call comes from a tiny test plugin (``World``) that also stands in for
the pager and records what listeners hear; every other feature plugin is disabled, so the exact
replies, posts and pages asserted here depend on the incident plugin alone. Channel messages
reach the runtime as the bridge hands them over (``runtime.handle_message``), with Slack-style
message and thread ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from errbot.rendering import text as plain_renderer
from sqlalchemy import func, select

from core import hookimpl
from core.chat import InboundMessage
from core.clock import FakeClock
from core.models import AuditEntry, ChatPost
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from plugins.incident.models import Incident
from tests.conftest import ChatBot, advance

PROCESS = """
[team]
name = "Test team"

[channels]
team = "#cloud-platform"
support = "#ask-cloud-platform"

[[people]]
id = "alice"
name = "Alice Archer"
chat = "@alice"

[[people]]
id = "bob"
name = "Bob Baker"
chat = "@bob"

[[people]]
id = "carol"
name = "Carol Chen"
chat = "@carol"

[[people]]
id = "dave"
name = "Dave Dhillon"
chat = "@dave"

[[people]]
id = "erin"
name = "Erin Evans"
chat = "@erin"

[groups]
admins = ["erin"]
"""
OTHER_FEATURES = frozenset(DEFAULT_PLUGINS) - {"incident", "system", "team"}
TEAM = "#cloud-platform"
THREAD = "1764498600.000100"  # the Slack ts of the declaring message
DECLARATION = (
    "I am declaring an incident because the deploy pipeline is failing. "
    "The impact is that teams cannot deploy to production."
)
PRIORITY_HELP = (
    "Priority: normal priority. It is high priority if it is any of: an outage of a user-facing "
    "service; a slowdown or degradation of a user-facing service; a failure that stops one or more "
    "teams from working; a failure that creates a major vulnerability in the platform. If so, say "
    "!incident priority 1 high."
)
ROLES_AND_UPDATES = (
    'Next: it needs an incident lead and a scribe (a communications lead is optional). Say "I am the '
    'incident lead" or "I am the scribe" in this thread, or use !incident lead 1 and !incident scribe 1; '
    "I will post a reminder in this thread every 5 minutes until both are taken.\n"
    "Updates: !incident update 1 <what we are doing>{every} posts one to #ask-cloud-platform. Notes: "
    'start a message in this thread with "note:". To close it, the lead says "I am declaring this '
    'incident resolved because <resolution or plan>".'
)
NUDGE_BOTH = (
    'Incident 1 still needs an incident lead and a scribe. Say "I am the incident lead" or "I am the '
    'scribe" here, or use !incident lead 1 and !incident scribe 1.'
)


FIVE = timedelta(
    minutes=5
)  # a step for quiet stretches; reminders are checked to the minute around them


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    id: int


class World:
    """Stands in for the rotas and the pager, and records what listeners hear."""

    def __init__(self, **holders: list[str]) -> None:
        self.holders = {role.replace("_", "."): people for role, people in holders.items()}
        self.pages: list[tuple[str, str, str | None, str]] = []
        self.events: list[tuple[str, int, str | None]] = []
        self.resolved: list[Any] = []

    @hookimpl
    def dutybot_role_holders(self, role: str) -> list[str] | None:
        return self.holders.get(role)

    @hookimpl
    def dutybot_page(self, target: str, message: str, dedup_key: str | None, source: str) -> Page:
        self.pages.append((target, message, dedup_key, source))
        return Page(len(self.pages))

    @hookimpl
    def dutybot_incident_declared(self, incident: Any) -> None:
        self.events.append(("declared", incident.id, None))

    @hookimpl
    def dutybot_incident_updated(self, incident: Any, change: str) -> None:
        self.events.append(("updated", incident.id, change))

    @hookimpl
    def dutybot_incident_resolved(self, incident: Any) -> None:
        self.events.append(("resolved", incident.id, None))
        self.resolved.append(incident)


@pytest.fixture
def world() -> World:
    return World(support=["alice", "bob"], oncall_primary=["dave"])


@pytest.fixture
def process() -> str:
    return PROCESS


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], world: World, process: str) -> Runtime:
    """The runtime the ``chat`` fixture attaches to: the incident feature alone, on the test team."""
    return make_runtime(process=process, plugins=(world,), disabled_plugins=OTHER_FEATURES)


class Desk:
    """The team's view of chat: commands through Errbot's test backend, and the bot's posts.

    A command that posts (into an incident's thread) has its posts delivered before Errbot sends
    its reply, so ``ask`` sets those aside for ``posts()``, which returns every post since the last
    look from the outbox as (address, thread, markdown text), each checked against what the test
    backend received, in order.
    """

    def __init__(self, chat: ChatBot) -> None:
        self.chat = chat
        self.runtime = chat.runtime
        self.seen = 0
        self.received: list[str] = []
        self.renderer = plain_renderer()

    def ask(self, command: str, as_user: str = "@alice") -> str:
        before = len(self._rows())
        first = self.chat.ask(command, as_user=as_user)
        new = len(self._rows()) - before
        if not new:
            return first
        self.received += [first] + [self.chat.pop() for _ in range(new - 1)]
        return self.chat.pop()

    def _rows(self) -> list[tuple[str, str | None, str]]:
        with self.runtime.db.session() as session:
            rows = session.scalars(
                select(ChatPost)
                .where(ChatPost.id > self.seen, ChatPost.ref.is_(None))
                .order_by(ChatPost.id)
            ).all()
            return [(row.address, row.thread_ref, row.text) for row in rows]

    def posts(self) -> list[tuple[str, str | None, str]]:
        posts = self._rows()
        with self.runtime.db.session() as session:
            self.seen = session.scalar(select(func.max(ChatPost.id))) or 0
        for address, _thread, text in posts:
            got = self.received.pop(0) if self.received else self.chat.pop()
            assert got == self.renderer.convert(text), address
        assert not self.received
        self.chat.assert_quiet()
        return posts


@pytest.fixture
def desk(chat: ChatBot) -> Desk:
    return Desk(chat)


def say(
    runtime: Runtime,
    who: str,
    text: str,
    message_id: str | None = None,
    thread_id: str | None = None,
    channel: str = TEAM,
    channel_name: str | None = "team",
) -> list[str]:
    """A message in a channel, as the bridge hands it over; returns the replies for its thread."""
    person = runtime.process.person_by_chat(who)
    return runtime.handle_message(
        InboundMessage(text, who, person, channel, channel_name, message_id, thread_id)
    )


def incident_count(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(Incident)) or 0


# --- declaring by phrase, roles by phrase -----------------------------------------------------


def test_declare_by_phrase_in_support_hours_then_fill_the_roles_by_phrase(
    desk: Desk, world: World, clock: FakeClock
) -> None:
    runtime = desk.runtime
    clock.set(utc(2026, 11, 30, 10, 30))  # Monday, support hours
    assert say(runtime, "@alice", DECLARATION, message_id=THREAD) == [
        "Incident 1 declared: The deploy pipeline is failing (normal priority).\n"
        + PRIORITY_HELP
        + "\n"
        "It is support hours: the support engineers on duty (Alice Archer, Bob Baker) run the incident process.\n"
        + ROLES_AND_UPDATES.format(every=" --next 30m")
    ]
    assert desk.posts() == [] and world.pages == []
    assert world.events == [("declared", 1, None)]

    advance(runtime, clock, utc(2026, 11, 30, 10, 35))
    assert desk.posts() == [(TEAM, "incident:1:thread", NUDGE_BOTH)]

    assert say(runtime, "@bob", "i'm the Incident Lead!", thread_id=THREAD) == [
        "Bob Baker is the incident lead of incident 1."
    ]
    advance(runtime, clock, utc(2026, 11, 30, 10, 40))
    assert desk.posts() == [
        (
            TEAM,
            "incident:1:thread",
            'Incident 1 still needs a scribe. Say "I am the scribe" here, or use !incident scribe 1.',
        )
    ]
    assert say(runtime, "@carol", "I am the scribe.", thread_id=THREAD) == [
        "Carol Chen is the scribe of incident 1. Incident 1 now has its incident lead and scribe."
    ]
    assert say(runtime, "@carol", "Note: rolled back the runner image", thread_id=THREAD) == [
        "Noted on incident 1's timeline."
    ]
    assert say(runtime, "@dave", "looks better from here", thread_id=THREAD) == []
    advance(runtime, clock, utc(2026, 11, 30, 12, 0), step=FIVE)
    assert desk.posts() == []  # roles filled: no more nudges; normal priority: no check-ins

    # Slack re-delivers an edited message: it declares nothing twice.
    assert say(runtime, "@alice", DECLARATION, message_id=THREAD) == []
    assert incident_count(runtime) == 1
    assert desk.ask("!incident 1", as_user="@dave") == (
        "Incident 1: The deploy pipeline is failing (normal priority, open for 1h 30m)\n"
        "Impact: teams cannot deploy to production\n"
        "Declared 2026-11-30 10:30 by Alice Archer in chat.\n"
        "Lead: Bob Baker; scribe: Carol Chen; communications: nobody.\n"
        "Key times: first detected not set; declared 2026-11-30 10:30; repaired not set; resolved not set\n"
        "Updates: none yet.\n"
        "Timeline:\n"
        "- 2026-11-30 10:30 Alice Archer declared the incident (normal priority): The deploy pipeline is "
        "failing. Impact: teams cannot deploy to production\n"
        "- 2026-11-30 10:35 Bob Baker became the incident lead.\n"
        "- 2026-11-30 10:40 Carol Chen became the scribe.\n"
        "- 2026-11-30 10:40 Carol Chen: rolled back the runner image"
    )
    assert world.events == [
        ("declared", 1, None),
        ("updated", 1, "role"),
        ("updated", 1, "role"),
        ("updated", 1, "note"),
    ]
    assert world.pages == []


@pytest.mark.parametrize(
    "text",
    [
        "i'm declaring an incident, because the deploy pipeline is failing - the impact is that teams cannot deploy to production!",
        "*I AM DECLARING AN INCIDENT BECAUSE* the deploy pipeline is failing\nThe impact is that: teams cannot deploy to production",
        "I\u2019m declaring an incident because the deploy pipeline is failing; the impact is that teams cannot deploy to production.",
    ],
)
def test_the_declaration_is_read_whatever_its_case_and_punctuation(
    runtime: Runtime, text: str
) -> None:
    replies = say(runtime, "@alice", text, message_id=THREAD)
    assert replies[0].startswith(
        "Incident 1 declared: The deploy pipeline is failing (normal priority).\n"
    )
    with runtime.db.session() as session:
        incident = session.scalars(select(Incident)).one()
        assert (incident.title, incident.impact) == (
            "The deploy pipeline is failing",
            "teams cannot deploy to production",
        )


def test_a_near_miss_gets_help_and_other_messages_are_left_alone(
    runtime: Runtime, world: World
) -> None:
    help_text = (
        "That looks like an incident declaration, but I could not find the {missing}. Say it in the team's "
        'words: "I am declaring an incident because <reason>. The impact is that <impact>." (or use '
        "!incident declare <reason> --impact <impact>)."
    )
    assert say(
        runtime, "@alice", "I am declaring an incident because the API is down", message_id="1"
    ) == [help_text.format(missing="impact")]
    assert say(runtime, "@alice", "I am declaring an incident.", message_id="2") == [
        help_text.format(missing="reason")
    ]
    assert (
        say(
            runtime, "@alice", "Should we be declaring an incident because of this?", message_id="3"
        )
        == []
    )
    assert (
        say(runtime, "@alice", DECLARATION, channel="#ask-cloud-platform", channel_name="support")
        == []
    )
    assert say(runtime, "@mallory", DECLARATION, message_id="4") == [
        "I can't let you declare an incident: you (@mallory) are not in the team's process file."
    ]
    assert say(runtime, "@bob", "I am the incident lead", message_id="5") == [
        'There is no open incident. To declare one: "I am declaring an incident because <reason>. The impact is '
        'that <impact>."'
    ]
    assert say(
        runtime, "@bob", "I am declaring this incident resolved because it is fine", message_id="6"
    ) == ["There is no open incident."]
    assert incident_count(runtime) == 0
    assert world.events == [] and world.pages == []


# --- updates and a missed promise -------------------------------------------------------------


def test_updates_with_a_missed_promise(desk: Desk, world: World, clock: FakeClock) -> None:
    runtime = desk.runtime
    clock.set(utc(2026, 11, 30, 11, 0))
    assert desk.ask(
        "!incident declare the deploy pipeline is failing --impact teams can't deploy --priority HIGH",
        as_user="@alice",
    ) == (
        "Incident 1 declared: The deploy pipeline is failing (high priority). It is support hours: the support "
        "engineers on duty (Alice Archer, Bob Baker) run the incident process. What happens next is in its "
        "thread in #cloud-platform."
    )
    assert desk.posts() == [
        (
            TEAM,
            None,
            "**Incident 1 declared** by Alice Archer: The deploy pipeline is failing (high priority). "
            "Impact: teams can't deploy",
        ),
        (
            TEAM,
            "incident:1:thread",
            "Incident 1 declared: The deploy pipeline is failing (high priority).\n"
            "It is support hours: the support engineers on duty (Alice Archer, Bob Baker) run the incident process.\n"
            + ROLES_AND_UPDATES.format(every=" --next 30m"),
        ),
    ]
    assert (
        desk.ask("!incident lead 1", as_user="@alice")
        == "Alice Archer is the incident lead of incident 1."
    )
    assert desk.ask("!incident scribe 1 @bob", as_user="@alice") == (
        "Bob Baker is the scribe of incident 1. Incident 1 now has its incident lead and scribe."
    )
    assert (
        desk.ask("!incident comms 1 @carol", as_user="@alice")
        == "Carol Chen is the communications lead of incident 1."
    )
    assert [text for _, _, text in desk.posts()] == [
        "Alice Archer is the incident lead of incident 1.",
        "Bob Baker is the scribe of incident 1. Incident 1 now has its incident lead and scribe.",
        "Carol Chen is the communications lead of incident 1.",
    ]

    clock.set(utc(2026, 11, 30, 11, 5))
    assert desk.ask(
        "!incident update 1 rolling back the runner upgrade --next 30m --users retry failed deploys after 12:00",
        as_user="@carol",
    ) == (
        "Posted update 1 on incident 1 to #ask-cloud-platform and the incident's thread; "
        "the next update is promised by 2026-11-30 11:35."
    )
    update = (
        "**Incident 1: The deploy pipeline is failing** (high priority, update 1)\n"
        "Impact: teams can't deploy\n"
        "What we are doing: rolling back the runner upgrade\n"
        "Next update: by 2026-11-30 11:35\n"
        "What you need to do: retry failed deploys after 12:00\n"
        "We are sorry for the disruption this is causing."
    )
    assert desk.posts() == [
        ("#ask-cloud-platform", None, update),
        (TEAM, "incident:1:thread", update),
    ]

    advance(runtime, clock, utc(2026, 11, 30, 11, 29), step=FIVE)
    assert desk.posts() == []
    advance(runtime, clock, utc(2026, 11, 30, 11, 30))
    assert desk.posts() == [
        (
            TEAM,
            "incident:1:thread",
            "@carol: the next update on incident 1 is promised by 2026-11-30 11:35. "
            "Post it with !incident update 1 <what we are doing> --next 30m",
        )
    ]
    advance(runtime, clock, utc(2026, 11, 30, 11, 35))
    assert desk.posts() == [
        (
            TEAM,
            "incident:1:thread",
            "@carol: the update on incident 1 promised by 2026-11-30 11:35 is overdue. Post one now, "
            "even if there is no news: !incident update 1 <what we are doing> --next 30m",
        )
    ]
    advance(runtime, clock, utc(2026, 11, 30, 11, 59), step=FIVE)
    assert desk.posts() == []  # told once; the hourly check-in comes next
    advance(runtime, clock, utc(2026, 11, 30, 12, 0))
    assert desk.posts() == [
        (
            TEAM,
            "incident:1:thread",
            "Check-in on incident 1 (high priority), 1h in: what has changed, and what is next? "
            "Lead: Alice Archer; scribe: Bob Baker; communications: Carol Chen. Last update to "
            "users: 2026-11-30 11:05; next promised by 2026-11-30 11:35.",
        )
    ]

    assert desk.ask(
        "!incident update 1 the fix is deployed, we are watching --impact deploys are slow",
        as_user="@carol",
    ) == (
        "Posted update 2 on incident 1 to #ask-cloud-platform and the incident's thread; "
        "the next update is promised by 2026-11-30 12:30."
    )
    second = desk.posts()
    assert [(address, thread) for address, thread, _ in second] == [
        ("#ask-cloud-platform", None),
        (TEAM, "incident:1:thread"),
    ]
    assert second[0][2].splitlines()[1:5] == [
        "Impact: deploys are slow",
        "What we are doing: the fix is deployed, we are watching",
        "Next update: by 2026-11-30 12:30",
        "What you need to do: Nothing for now.",
    ]
    timeline = desk.ask("!incident 1").split("Timeline:\n", 1)[1].splitlines()
    assert (
        "- 2026-11-30 11:35 The update promised by 2026-11-30 11:35 was not posted on time."
        in timeline
    )
    assert world.events[-3:] == [
        ("updated", 1, "update"),
        ("updated", 1, "missed-update"),
        ("updated", 1, "update"),
    ]
    assert world.pages == []


# --- out of hours: paging on-call, the one-hour rule, resolving --------------------------------


@pytest.mark.parametrize("process", [PROCESS + '\n[incident]\nannounce_to = ["support"]\n'])
def test_out_of_hours_high_priority_pages_on_call_and_hits_the_one_hour_rule(
    desk: Desk, world: World, clock: FakeClock
) -> None:
    runtime = desk.runtime
    clock.set(utc(2026, 11, 30, 18, 30))  # Monday evening: support closed, on-call open
    replies = say(runtime, "@alice", DECLARATION, message_id=THREAD)
    assert replies == [
        "Incident 1 declared: The deploy pipeline is failing (normal priority).\n"
        + PRIORITY_HELP
        + "\n"
        "It is outside support hours: this incident is not urgent, so it waits for support hours (2026-12-01 10:00).\n"
        + ROLES_AND_UPDATES.format(every=" --next 30m")
    ]
    assert world.pages == [] and desk.posts() == []

    assert desk.ask("!incident priority 1 high", as_user="@alice") == (
        "Incident 1 is now high priority (was normal priority). I told #ask-cloud-platform. "
        "It is outside support hours: I paged the on-call engineer (Dave Dhillon)."
    )
    assert world.pages == [
        (
            "oncall",
            "Incident 1 (high priority): The deploy pipeline is failing. Impact: teams cannot deploy to production. "
            "Declared by Alice Archer in #cloud-platform.",
            "incident:1",
            "incident",
        )
    ]
    assert desk.posts() == [
        (
            "#ask-cloud-platform",
            None,
            "**Incident 1: The deploy pipeline is failing** (high priority)\nImpact: teams cannot deploy to production\n"
            "We are working on it.",
        ),
        (
            TEAM,
            "incident:1:thread",
            "Incident 1 is now high priority (was normal priority). I told #ask-cloud-platform. "
            "It is outside support hours: I paged the on-call engineer (Dave Dhillon).",
        ),
    ]

    advance(runtime, clock, utc(2026, 11, 30, 18, 35))
    assert desk.posts() == [(TEAM, "incident:1:thread", NUDGE_BOTH)]
    assert say(runtime, "@dave", "I am the incident lead", thread_id=THREAD) == [
        "Dave Dhillon is the incident lead of incident 1."
    ]
    assert say(runtime, "@bob", "I am the scribe", thread_id=THREAD) == [
        "Bob Baker is the scribe of incident 1. Incident 1 now has its incident lead and scribe."
    ]
    advance(runtime, clock, utc(2026, 11, 30, 19, 29), step=FIVE)
    assert desk.posts() == [] and len(world.pages) == 1

    advance(runtime, clock, utc(2026, 11, 30, 19, 30))
    one_hour = (
        "One-hour rule: incident 1 (The deploy pipeline is failing) has been worked out of hours for 60 minutes. "
        "If it is not fixed, inform the affected team and plan the fix for working hours (support hours resume "
        "2026-12-01 10:00)."
    )
    assert desk.posts() == [
        (
            TEAM,
            "incident:1:thread",
            "Check-in on incident 1 (high priority), 1h in: what has changed, and what is next? Lead: Dave Dhillon; "
            "scribe: Bob Baker; communications: nobody. No update has gone to users yet.",
        ),
        ("@dave", None, one_hour),
        (TEAM, "incident:1:thread", f"@dave: {one_hour}"),
    ]
    advance(runtime, clock, utc(2026, 11, 30, 19, 45), step=FIVE)
    assert desk.posts() == [] and len(world.pages) == 1

    resolution = "I am declaring this incident resolved because we rolled back the runner upgrade"
    assert say(runtime, "@bob", resolution, thread_id=THREAD) == [
        "Only the incident lead (Dave Dhillon) can declare incident 1 resolved; someone with the "
        "incident.override permission can too."
    ]
    assert world.resolved == []
    closing = (
        "**Resolved: incident 1: The deploy pipeline is failing** (high priority)\n"
        "The incident is over: we rolled back the runner upgrade\n"
        "Declared 2026-11-30 18:30, resolved 2026-11-30 19:45 (1h 15m)."
    )
    assert say(runtime, "@dave", resolution + ".", thread_id=THREAD) == [
        closing + "\nAlso told: #ask-cloud-platform."
    ]
    assert desk.posts() == [("#ask-cloud-platform", None, closing)]
    advance(runtime, clock, utc(2026, 11, 30, 21, 0), step=FIVE)
    assert desk.posts() == [] and len(world.pages) == 1

    [view] = world.resolved
    assert (view.status, view.roles, view.resolved_by) == (
        "resolved",
        {"lead": "dave", "scribe": "bob"},
        "dave",
    )
    assert [(item.kind, item.text) for item in view.timeline] == [
        (
            "declared",
            "Alice Archer declared the incident (normal priority): The deploy pipeline is failing. "
            "Impact: teams cannot deploy to production",
        ),
        ("priority", "Alice Archer changed the priority from normal priority to high priority."),
        ("page", "Paged the on-call engineer (Dave Dhillon): page 1."),
        ("role", "Dave Dhillon became the incident lead."),
        ("role", "Bob Baker became the scribe."),
        ("one-hour", "One-hour rule reminder sent to Dave Dhillon."),
        (
            "resolved",
            "Dave Dhillon declared the incident resolved: we rolled back the runner upgrade",
        ),
    ]
    assert world.events == [
        ("declared", 1, None),
        ("updated", 1, "priority"),
        ("updated", 1, "role"),
        ("updated", 1, "role"),
        ("resolved", 1, None),
    ]
    with runtime.db.session() as session:
        audit = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert audit == [
        "incident.declare",
        "incident.priority",
        "incident.role",
        "incident.role",
        "incident.resolve",
    ]


def test_declared_outside_on_call_hours_it_pages_when_they_begin(
    desk: Desk, world: World, clock: FakeClock
) -> None:
    runtime = desk.runtime
    clock.set(utc(2026, 11, 30, 23, 0))  # nobody is on call 22:00-07:00
    assert desk.ask(
        "!incident declare the api is down --impact nobody can log in --priority high",
        as_user="@alice",
    ) == (
        "Incident 1 declared: The api is down (high priority). It is outside support and on-call hours: nobody is "
        "paged now. If it is still open when on-call hours begin (2026-12-01 07:00), I will page the on-call "
        "engineer. What happens next is in its thread in #cloud-platform."
    )
    assert len(desk.posts()) == 2 and world.pages == []
    advance(runtime, clock, utc(2026, 12, 1, 6, 59), step=timedelta(minutes=15))
    assert desk.posts() == [] and world.pages == []  # no nudges or check-ins while nobody works it
    advance(runtime, clock, utc(2026, 12, 1, 7, 0))
    assert world.pages == [
        (
            "oncall",
            "Incident 1 (high priority): The api is down. Impact: nobody can log in. Declared by Alice "
            "Archer in #cloud-platform.",
            "incident:1",
            "incident",
        )
    ]
    assert desk.posts() == [
        (
            TEAM,
            "incident:1:thread",
            "Incident 1: I paged the on-call engineer (Dave Dhillon).",
        ),
        (TEAM, "incident:1:thread", NUDGE_BOTH),
        (
            TEAM,
            "incident:1:thread",
            "Check-in on incident 1 (high priority), 8h in: what has changed, and what is next? Lead: nobody; "
            "scribe: nobody; communications: nobody. No update has gone to users yet.",
        ),
    ]
    # The one-hour rule counts on-call time: an hour after on-call began, not after declaration.
    assert say(runtime, "@dave", "I am the incident lead") == [
        "Dave Dhillon is the incident lead of incident 1."
    ]
    assert say(runtime, "@dave", "I'm the scribe") == [
        "Dave Dhillon is the scribe of incident 1. Dave Dhillon now holds both required roles, which the "
        "process discourages: could someone else take one?"
    ]
    assert [text for _, _, text in desk.posts()] == [
        "Dave Dhillon is the incident lead of incident 1.",
        "Dave Dhillon is the scribe of incident 1. Dave Dhillon now holds both required roles, which the process "
        "discourages: could someone else take one?",
    ]
    advance(runtime, clock, utc(2026, 12, 1, 7, 59), step=FIVE)
    assert desk.posts() == []
    advance(runtime, clock, utc(2026, 12, 1, 8, 0))
    assert [address for address, _, _ in desk.posts()] == [
        TEAM,
        "@dave",
        TEAM,
    ]  # check-in and the one-hour rule
    assert len(world.pages) == 1


# --- resolving: the lead, others, and overrides ------------------------------------------------


def test_only_the_lead_resolves_unless_overridden(
    desk: Desk, world: World, clock: FakeClock
) -> None:
    runtime = desk.runtime
    clock.set(utc(2026, 11, 30, 11, 0))
    say(runtime, "@alice", DECLARATION, message_id=THREAD)
    assert desk.ask("!incident resolve 1 rolled back", as_user="@bob") == (
        "Only the incident lead can declare incident 1 resolved, and it has none: take the lead with "
        "!incident lead 1 first (or ask someone with the incident.override permission)."
    )
    desk.ask("!incident lead 1 @alice", as_user="@bob")
    assert desk.ask("!incident resolve 1 rolled back", as_user="@bob") == (
        "Only the incident lead (Alice Archer) can declare incident 1 resolved; someone with the "
        "incident.override permission can too."
    )
    assert desk.ask("!incident cancel 1 mistake", as_user="@bob") == (
        "Sorry bob, !incident cancel needs the permission 'incident.override' (resolve or hand over an "
        "incident's roles without being its lead, and cancel incidents)."
    )
    desk.posts()
    clock.set(utc(2026, 11, 30, 11, 20))
    assert desk.ask("!incident resolve 1 rolled back the runner upgrade", as_user="@erin") == (
        "**Resolved: incident 1: The deploy pipeline is failing** (normal priority)\n"
        "The incident is over: rolled back the runner upgrade\n"
        "Declared 2026-11-30 11:00, resolved 2026-11-30 11:20 (20m).\n"
        "Also told: the incident's thread."
    ).replace("**", "")
    assert desk.posts()[0][1] == "incident:1:thread"
    assert world.resolved[0].timeline[-1].text == (
        "Erin Evans declared the incident resolved (override): rolled back the runner upgrade"
    )
    assert desk.ask("!incident resolve 1 again", as_user="@alice") == "Incident 1 is resolved."
    assert (
        desk.ask("!incident note 1 postmortem booked for Thursday", as_user="@alice")
        == "Noted on incident 1's timeline."
    )
    assert desk.ask("!incidents", as_user="@alice") == "No open incidents."
    assert desk.ask("!incidents recent", as_user="@alice") == (
        "Open incidents and those of the last 7 days:\n"
        "- 1 The deploy pipeline is failing (normal priority, resolved 2026-11-30 11:20 after 20m). "
        "Lead: Alice Archer; scribe: nobody; communications: nobody."
    )


def test_cancel_an_incident_declared_in_error(desk: Desk, world: World, clock: FakeClock) -> None:
    clock.set(utc(2026, 11, 30, 11, 0))
    desk.ask("!incident declare the api is down --impact none --priority high", as_user="@alice")
    desk.posts()
    assert desk.ask("!incident cancel 1 it was a test alert", as_user="@erin") == (
        "Cancelled: incident 1: The api is down\nIt was declared in error: it was a test alert\n"
        "Also told: the incident's thread."
    )
    assert desk.posts() == [
        (
            TEAM,
            "incident:1:thread",
            "**Cancelled: incident 1: The api is down**\nIt was declared in error: it was a test alert",
        )
    ]
    assert world.events[-1] == ("updated", 1, "cancelled") and world.resolved == []
    advance(desk.runtime, clock, utc(2026, 11, 30, 13, 0), step=FIVE)
    assert desk.posts() == []


# --- roles by command and handover ------------------------------------------------------------


def test_handover_announces_the_new_holder(desk: Desk, clock: FakeClock) -> None:
    runtime = desk.runtime
    clock.set(utc(2026, 11, 30, 11, 0))
    say(runtime, "@alice", DECLARATION, message_id=THREAD)
    say(runtime, "@alice", "I am the incident lead", thread_id=THREAD)
    say(runtime, "@bob", "I am the scribe", thread_id=THREAD)
    assert desk.ask("!incident handover lead @carol", as_user="@dave") == (
        "You are not the incident lead of any open incident; give the incident's number.\n"
        "Usage: !incident handover [ID] lead|scribe|comms @person"
    )
    assert desk.ask("!incident handover 1 lead @carol", as_user="@dave") == (
        "Only the incident lead of incident 1 (Alice Archer) can hand it over; to take it yourself, use "
        "!incident lead 1."
    )
    assert desk.ask("!incident handover lead @carol", as_user="@alice") == (
        "Handover: Carol Chen is now the incident lead of incident 1, taking over from Alice Archer."
    )
    assert desk.posts() == [
        (
            TEAM,
            "incident:1:thread",
            "Handover: Carol Chen is now the incident lead of incident 1, taking over from Alice Archer.",
        )
    ]
    assert say(runtime, "@carol", "I am the incident lead", thread_id=THREAD) == [
        "Carol Chen is already the incident lead of incident 1."
    ]
    assert say(runtime, "@erin", "I am the scribe", thread_id=THREAD) == [
        "Erin Evans is now the scribe of incident 1, taking over from Bob Baker."
    ]
    assert (
        desk.ask("!incident 1").splitlines()[3]
        == "Lead: Carol Chen; scribe: Erin Evans; communications: nobody."
    )
    assert say(runtime, "@carol", "I am declaring this incident resolved", thread_id=THREAD) == [
        "To declare it resolved, say why, in the team's words: \"I am declaring this incident resolved because "
        '<resolution>."'
    ]


# --- bad input --------------------------------------------------------------------------------


BAD_INPUT = [
    (
        "!incident declare",
        "Say why you are declaring it: the reason comes first.\n"
        "Usage: !incident declare <reason> --impact <impact> [--priority <priority>]",
    ),
    (
        "!incident declare the api is down",
        "Say what the impact is with --impact <impact>.\n"
        "Usage: !incident declare <reason> --impact <impact> [--priority <priority>]",
    ),
    (
        "!incident declare the api is down --impact x --priority P2",
        "'P2' is not a priority here; the priorities are high, normal.\n"
        "Usage: !incident declare <reason> --impact <impact> [--priority <priority>]",
    ),
    (
        "!incident declare the api is down --impact x --urgency now",
        "Unknown option --urgency (known: --impact, --priority).\n"
        "Usage: !incident declare <reason> --impact <impact> [--priority <priority>]",
    ),
    (
        "!incident declare down --impact x --impact y",
        "--impact is given twice.\n"
        "Usage: !incident declare <reason> --impact <impact> [--priority <priority>]",
    ),
    ("!incident lead x", "'x' is not an incident number.\nUsage: !incident lead ID [@person]"),
    (
        "!incident lead 1 @nobody",
        "I don't know anyone called '@nobody'. People in this team: alice, bob, "
        "carol, dave, erin.\nUsage: !incident lead ID [@person]",
    ),
    ("!incident 9", "There is no incident 9. Open incidents: none."),
    ("!incident", "Give an incident's number; !incidents lists them.\nUsage: !incident ID"),
    ("!incidents closed", "Say open (the default) or recent.\nUsage: !incidents [open|recent]"),
    (
        "!incident detected 1 2026-13-01 10:00",
        "2026-13-01 10:00 is not a time written YYYY-MM-DD HH:MM.\n"
        "Usage: !incident detected ID YYYY-MM-DD HH:MM",
    ),
    (
        "!incident update 1 --next 30m",
        "Say what is being done: the update's text comes after the incident's "
        "number.\nUsage: !incident update ID <what we are doing> --next 30m|HH:MM "
        "[--impact <impact>] [--users <what users should do>]",
    ),
    (
        "!incident handover 1 boss @bob",
        "'boss' is not an incident role (lead, scribe or comms).\n"
        "Usage: !incident handover [ID] lead|scribe|comms @person",
    ),
]


def test_bad_input_is_explained_and_changes_nothing(desk: Desk) -> None:
    for command, reply in BAD_INPUT:
        assert desk.ask(command, as_user="@alice") == reply, command
    assert incident_count(desk.runtime) == 0
    assert desk.posts() == []


def test_bad_input_on_an_existing_incident(desk: Desk, clock: FakeClock) -> None:
    clock.set(utc(2026, 11, 30, 11, 0))
    say(desk.runtime, "@alice", DECLARATION, message_id=THREAD)
    assert desk.ask("!incident update 1 looking --next soon", as_user="@alice") == (
        "--next: 'soon' is not a duration (write e.g. 30m, 2h, 1h30m or 2d); or give a time of day as HH:MM.\n"
        "Usage: !incident update ID <what we are doing> --next 30m|HH:MM [--impact <impact>] "
        "[--users <what users should do>]"
    )
    assert desk.ask("!incident update 1 looking", as_user="@alice") == (
        "Say when the next update comes with --next (e.g. --next 30m): normal priority has no default.\n"
        "Usage: !incident update ID <what we are doing> --next 30m|HH:MM [--impact <impact>] "
        "[--users <what users should do>]"
    )
    assert desk.ask("!incident detected 1 2026-11-30 12:00", as_user="@alice") == (
        "2026-11-30 12:00 is in the future; first detected must have happened already."
    )
    assert (
        desk.ask("!incident priority 1 normal", as_user="@alice")
        == "Incident 1 is already normal priority."
    )
    assert desk.posts() == []
    with desk.runtime.db.session() as session:
        incident = session.get(Incident, 1)
        assert (incident.updates_sent, incident.detected_at, incident.priority) == (
            0,
            None,
            "normal",
        )


# --- key times, alarms, pages -----------------------------------------------------------------


@dataclass(frozen=True)
class Alarm:
    id: int
    title: str
    summary: str
    priority: str
    fired_at: datetime
    starts_at: datetime | None


def test_declared_from_an_alarm_with_key_times_and_linked_alarms(
    desk: Desk, world: World, clock: FakeClock
) -> None:
    runtime = desk.runtime
    clock.set(utc(2026, 11, 30, 14, 0))
    alarm = Alarm(
        5,
        "HighErrorRate api",
        "5xx above 5% for 10m",
        "high",
        utc(2026, 11, 30, 13, 50),
        utc(2026, 11, 30, 13, 40),
    )
    assert runtime.hook.dutybot_alarm_escalated(runtime=runtime, alarm=alarm, by="alice") == "1"
    announcement, steps = desk.posts()
    assert announcement == (
        TEAM,
        None,
        "**Incident 1 declared** by Alice Archer from alarm #5: HighErrorRate api "
        "(high priority). Impact: not yet assessed (alarm #5: 5xx above 5% for 10m)",
    )
    assert steps[1] == "incident:1:thread" and steps[2].startswith(
        "Incident 1 declared: HighErrorRate api (high priority).\nIt is support hours"
    )

    assert desk.ask("!incident link 1 #7", as_user="@bob") == (
        "Linked alarm #7 to incident 1; its changes now go on the incident's timeline."
    )
    assert (
        desk.ask("!incident link 1 7", as_user="@bob")
        == "Alarm #7 is already linked to incident 1."
    )
    runtime.hook.dutybot_alert_received(
        runtime=runtime, alarm=Alarm(7, "DiskFull", "", "low", clock.now(), None), change="resolved"
    )
    runtime.hook.dutybot_alert_received(
        runtime=runtime, alarm=Alarm(8, "Other", "", "low", clock.now(), None), change="resolved"
    )
    runtime.hook.dutybot_page_acknowledged(
        runtime=runtime, page=type("P", (), {"dedup_key": "incident:1"})(), by="dave"
    )
    clock.set(utc(2026, 11, 30, 14, 30))
    assert desk.ask("!incident repaired 1", as_user="@bob") == (
        "Incident 1 was repaired at 2026-11-30 14:30 (30m after it was declared). Resolve it with "
        "!incident resolve 1 <resolution> once preventive work is done."
    )
    assert desk.ask("!incident detected 1 2026-11-30 13:35", as_user="@bob") == (
        "Incident 1 was first detected at 2026-11-30 13:35."
    )
    lines = desk.ask("!incident 1").splitlines()
    assert lines[2] == "Declared 2026-11-30 14:00 by Alice Archer from alarm #5."
    assert lines[4] == (
        "Key times: first detected 2026-11-30 13:35; declared 2026-11-30 14:00; repaired 2026-11-30 14:30; "
        "resolved not set"
    )
    assert lines[6] == "Alarms: #5, #7"
    assert lines[8:] == [
        "- 2026-11-30 14:00 Alice Archer declared the incident (high priority): HighErrorRate api. Impact: not yet "
        "assessed (alarm #5: 5xx above 5% for 10m)",
        "- 2026-11-30 14:00 Alice Archer linked alarm #5 (HighErrorRate api).",
        "- 2026-11-30 14:00 Bob Baker linked alarm #7.",
        "- 2026-11-30 14:00 Alarm #7 (DiskFull) resolved.",
        "- 2026-11-30 14:00 Dave Dhillon acknowledged the page.",
        "- 2026-11-30 14:30 Bob Baker marked the service repaired at 2026-11-30 14:30.",
        "- 2026-11-30 14:30 Bob Baker set first detected to 2026-11-30 13:35.",
    ]
    assert [p for p in desk.posts() if p[1] is None] == []  # announcements went to the thread only
    assert world.pages == []  # support hours: nobody paged


# --- the P1-P4 scheme -------------------------------------------------------------------------


@pytest.mark.parametrize("process", [PROCESS + '\n[incident]\nscheme = "p1-p4"\nupdate_to = []\n'])
def test_the_p1_p4_scheme_offers_its_levels_and_targets(desk: Desk, clock: FakeClock) -> None:
    runtime = desk.runtime
    clock.set(utc(2026, 11, 30, 10, 30))
    [reply] = say(runtime, "@alice", DECLARATION, message_id=THREAD)
    assert reply.splitlines()[:4] == [
        "Incident 1 declared: The deploy pipeline is failing (P4 minor).",
        "Priority: P4 minor. The others are P1 critical: a complete outage or ongoing unauthorised access; "
        "P2 major: substantial degradation; P3 significant: intermittent or degraded service. Change it with "
        "!incident priority 1 P1|P2|P3.",
        "It is support hours: the support engineers on duty (Alice Archer, Bob Baker) run the incident process.",
        "First response target: 1d (by 2026-12-01 10:30).",
    ]
    assert "--next 5d posts one to the incident's thread." in reply
    assert (
        desk.ask("!incident priority 1 p3", as_user="@alice")
        == "Incident 1 is now P3 significant (was P4 minor)."
    )
    clock.set(utc(2026, 11, 30, 16, 40))
    assert desk.ask("!incident update 1 investigating", as_user="@alice") == (
        "Posted update 1 on incident 1 to the incident's thread; the next update is promised by 2026-12-02 16:40."
    )
    desk.posts()
    assert (
        desk.ask("!incident priority 1 P1", as_user="@alice")
        == "Incident 1 is now P1 critical (was P3 significant)."
    )
    advance(runtime, clock, utc(2026, 11, 30, 16, 41))
    assert desk.posts() == [
        (TEAM, "incident:1:thread", "Incident 1 is now P1 critical (was P3 significant)."),
        (
            TEAM,
            "incident:1:thread",
            'Incident 1 still needs an incident lead and a scribe. Say "I am the incident lead" or "I am the scribe" '
            "here, or use !incident lead 1 and !incident scribe 1. The first-response target (20m) is 2026-11-30 10:50.",
        ),
    ]


# --- a dedicated conversation -----------------------------------------------------------------


class SlackChannels:
    """An extra plugin that opens a channel per incident (the built-in uses the thread)."""

    @hookimpl
    def dutybot_incident_conversation(self, incident: Any) -> str:
        return f"#inc-{incident.ref}"


@pytest.fixture
def with_channels(make_runtime: Callable[..., Runtime], world: World) -> Runtime:
    return make_runtime(
        process=PROCESS, plugins=(world, SlackChannels()), disabled_plugins=OTHER_FEATURES
    )


def test_a_plugin_may_open_a_dedicated_conversation(
    with_channels: Runtime, clock: FakeClock
) -> None:
    runtime = with_channels
    clock.set(utc(2026, 11, 30, 11, 0))
    [reply] = say(runtime, "@alice", DECLARATION, message_id=THREAD)
    assert 'Say "I am the incident lead" or "I am the scribe" in #inc-1,' in reply
    assert say(runtime, "@bob", "I am the incident lead", channel="#inc-1", channel_name=None) == [
        "Bob Baker is the incident lead of incident 1."
    ]
    advance(runtime, clock, utc(2026, 11, 30, 11, 5))
    with runtime.db.session() as session:
        rows = session.execute(
            select(ChatPost.address, ChatPost.thread_ref, ChatPost.text).order_by(ChatPost.id)
        ).all()
    assert [tuple(row) for row in rows[1:]] == [
        (TEAM, "incident:1:thread", "Incident 1 is worked in #inc-1."),
        ("#inc-1", None, reply),
        (
            "#inc-1",
            None,
            'Incident 1 still needs a scribe. Say "I am the scribe" here, or use !incident scribe 1.',
        ),
    ]


# --- the support day's checklist and handover -------------------------------------------------


def test_open_incidents_go_into_the_checklist_and_urgent_ones_into_the_handover(
    runtime: Runtime, clock: FakeClock
) -> None:
    clock.set(utc(2026, 11, 30, 16, 0))
    say(runtime, "@alice", DECLARATION, message_id=THREAD)
    runtime.run_command(
        "incident declare", "the api is down --impact nobody can log in --priority high", "@bob"
    )
    runtime.run_command("incident lead", "2", "@bob")
    day = clock.now().date()
    assert runtime.hook.dutybot_handover_items(runtime=runtime, day=day) == [
        [
            "Open incident 2 (high priority) since 2026-11-30 16:00: The api is down. Lead: Bob Baker; scribe: "
            "nobody; communications: nobody. No update has gone to users yet."
        ]
    ]
    assert runtime.hook.dutybot_checklist_items(runtime=runtime, day=day) == [
        [
            "Open incident 1 (normal priority) since 2026-11-30 16:00: The deploy pipeline is failing. Lead: nobody; "
            "scribe: nobody; communications: nobody. No update has gone to users yet.",
            "Open incident 2 (high priority) since 2026-11-30 16:00: The api is down. Lead: Bob Baker; scribe: "
            "nobody; communications: nobody. No update has gone to users yet.",
        ]
    ]


# --- a broken plugin --------------------------------------------------------------------------


class FlakyPager(World):
    """A pager that fails on its first call, and a listener that always fails."""

    def __init__(self) -> None:
        super().__init__(oncall_primary=["dave"])
        self.failures = 1

    @hookimpl
    def dutybot_page(self, target: str, message: str, dedup_key: str | None, source: str) -> Page:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("pager unreachable")
        return super().dutybot_page(target, message, dedup_key, source)

    @hookimpl
    def dutybot_incident_declared(self, incident: Any) -> None:
        raise RuntimeError("status page unreachable")


def test_a_failing_pager_or_listener_does_not_lose_the_incident(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    flaky = FlakyPager()
    runtime = make_runtime(process=PROCESS, plugins=(flaky,), disabled_plugins=OTHER_FEATURES)
    clock.set(utc(2026, 11, 30, 18, 30))
    assert runtime.run_command(
        "incident declare", "the api is down --impact nobody can log in --priority high", "@alice"
    ) == (
        "Incident 1 declared: The api is down (high priority). It is outside support hours: paging the "
        "on-call engineer failed (the details are in the bot's log); I will keep trying every minute. "
        "What happens next is in its thread in #cloud-platform."
    )
    assert flaky.pages == [] and incident_count(runtime) == 1
    advance(runtime, clock, utc(2026, 11, 30, 18, 31))
    assert [key for _, _, key, _ in flaky.pages] == ["incident:1"]
    with runtime.db.session() as session:
        last = session.scalars(select(ChatPost).order_by(ChatPost.id.desc())).first()
        assert (last.thread_ref, last.text) == (
            "incident:1:thread",
            "Incident 1: I paged the on-call engineer (Dave Dhillon).",
        )
    advance(runtime, clock, utc(2026, 11, 30, 18, 40), step=FIVE)
    assert len(flaky.pages) == 1
