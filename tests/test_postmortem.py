"""Postmortems: the draft an incident's resolution creates, its fields, and the incident log.

Who is on support comes from a tiny test plugin (``World``) that also stands in for the pager;
every other feature but the incident plugin is disabled, so replies and posts depend on these two.
The golden reports and index (tests/golden/postmortem/) cover incidents in three quarters, over
the spring DST change and over Easter's bank holidays, counted in support hours and wall clock;
the figures in them are worked out by hand in ``GOLDEN_FIGURES`` below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core import hookimpl
from core.clock import FakeClock
from core.models import ChatPost
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from plugins.postmortem.models import Postmortem

GOLDEN = Path(__file__).parent / "golden" / "postmortem"
PROCESS = """
[team]
name = "Test team"
timezone = "Europe/London"

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
id = "dave"
name = "Dave Dhillon"
chat = "@dave"
"""
OTHER_FEATURES = frozenset(DEFAULT_PLUGINS) - {"incident", "postmortem", "system", "team"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    id: int


class World:
    """Stands in for the rotas and the pager, and records what publish listeners hear."""

    def __init__(self) -> None:
        self.published: list[tuple[Any, str]] = []
        self.resolved: list[Any] = []

    @hookimpl
    def dutybot_incident_resolved(self, incident: Any) -> None:
        self.resolved.append(incident)

    @hookimpl
    def dutybot_role_holders(self, role: str) -> list[str] | None:
        return {"support": ["alice", "bob"], "oncall.primary": ["dave"]}.get(role)

    @hookimpl
    def dutybot_page(self) -> Page:
        return Page(1)

    @hookimpl
    def dutybot_postmortem_published(self, postmortem: Any, markdown: str) -> None:
        self.published.append((postmortem, markdown))


@dataclass(frozen=True)
class Item:
    at: datetime
    kind: str
    author: str
    text: str


@dataclass(frozen=True)
class Snapshot:
    """Shaped like the incident plugin's read-only snapshot (the fields a postmortem reads)."""

    id: int
    title: str
    impact: str
    declared_at: datetime
    detected_at: datetime | None
    repaired_at: datetime | None
    resolved_at: datetime
    priority: str = "high"
    priority_label: str = "high priority"
    urgent: bool = True
    resolution: str | None = "rolled back"
    roles: dict[str, str] = field(default_factory=lambda: {"lead": "alice", "scribe": "bob"})
    timeline: tuple[Item, ...] = ()

    @property
    def ref(self) -> str:
        return str(self.id)


@pytest.fixture
def world() -> World:
    return World()


def start(make_runtime: Callable[..., Runtime], world: World, postmortem: str = "") -> Runtime:
    process = PROCESS + ("\n[postmortem]\n" + postmortem if postmortem else "")
    return make_runtime(process=process, plugins=(world,), disabled_plugins=OTHER_FEATURES)


def team_posts(runtime: Runtime) -> list[str]:
    """The postmortem notes posted in the team channel, in order."""
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(ChatPost.text)
                .where(ChatPost.address == "#cloud-platform", ChatPost.text.like("Postmortem%"))
                .order_by(ChatPost.id)
            )
        )


def test_a_resolved_high_priority_incident_gets_a_draft_end_to_end(
    make_runtime: Callable[..., Runtime], world: World, clock: FakeClock
) -> None:
    runtime = start(make_runtime, world)
    clock.set(utc(2026, 11, 30, 10, 30))
    declared = runtime.run_command(
        "incident declare",
        "the deploy pipeline is failing --impact teams cannot deploy to production --priority high",
        "@alice",
    )
    assert declared.startswith("Incident 1 declared")
    runtime.run_command("incident lead", "1", "@alice")
    runtime.run_command("incident detected", "1 2026-11-30 10:10", "@alice")
    clock.set(utc(2026, 11, 30, 11, 45))
    runtime.run_command("incident repaired", "1", "@alice")
    clock.set(utc(2026, 11, 30, 11, 50))
    runtime.run_command("incident resolve", "1 rolled back the runner upgrade", "@alice")

    assert team_posts(runtime) == [
        "Postmortem 1 drafted for incident 1 (The deploy pipeline is failing), owner Alice Archer. "
        "Read it with !postmortem 1; fill it in with !postmortem edit 1 FIELD <text>. "
        # The next working day at the review time; Alice (lead and owner) is not on leave.
        "Proposed review: 2026-12-01 14:00 with Alice Archer; "
        "change it with !postmortem review 1 YYYY-MM-DD HH:MM."
    ]
    report = runtime.run_command("postmortem", "1", "@bob")
    # Support hours: declared 10:30, repaired 11:45 -> 1h 15m; detected 10:10, resolved 11:50
    # -> 1h 40m (all inside Monday's 10:00-17:00).
    assert report.startswith(
        "# Incident on 2026-11-30 – The deploy pipeline is failing\n\n"
        "Incident 1 (high priority), postmortem owner: Alice Archer. "
        "Draft: blameless, to be reviewed by the team.\n"
    )
    assert "| First detected | 2026-11-30 10:10 |" in report
    assert "| Repaired | 2026-11-30 11:45 |" in report
    assert "- Time to repair: 1h 15m (support hours)" in report
    assert "- Time to resolve: 1h 40m (support hours)" in report
    assert "## Impact\n\nteams cannot deploy to production\n" in report
    assert "## Resolution\n\nrolled back the runner upgrade\n" in report
    assert (
        "| 2026-11-30 11:50 | Alice Archer | Alice Archer declared the incident resolved" in report
    )

    # The hook heard again (a retried listener) never drafts twice.
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=world.resolved[0])
    assert len(team_posts(runtime)) == 1
    assert runtime.run_command("postmortems", "", "@bob") == (
        "1: Incident on 2026-11-30 – The deploy pipeline is failing (draft)"
    )


def test_normal_priority_gets_no_draft_unless_configured(
    make_runtime: Callable[..., Runtime], world: World
) -> None:
    runtime = start(make_runtime, world)
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=normal_incident())
    assert runtime.run_command("postmortems", "", "@bob") == "There are no postmortems yet."
    assert team_posts(runtime) == []


def normal_incident() -> Snapshot:
    """Wednesday 2026-06-10 (BST), in support hours, never marked repaired."""
    return Snapshot(
        id=3,
        title="Builds are slow",
        impact="builds take twice as long",
        detected_at=utc(2026, 6, 10, 12, 40),  # 13:40 BST
        declared_at=utc(2026, 6, 10, 13, 0),  # 14:00 BST
        repaired_at=None,
        resolved_at=utc(2026, 6, 10, 14, 20),  # 15:20 BST
        priority="normal",
        priority_label="normal priority",
        urgent=False,
        roles={"lead": "bob"},
        timeline=(Item(utc(2026, 6, 10, 13, 0), "declared", "bob", "Declared | slow builds"),),
    )


def golden_incidents() -> list[Snapshot]:
    """Three incidents: over the spring DST change (Q1), over Easter (Q2), and a normal one (Q2)."""
    return [
        Snapshot(
            id=1,
            title="Ingress is down",
            impact="user-facing services are unreachable",
            detected_at=utc(2026, 3, 27, 16, 0),  # Friday 16:00 GMT
            declared_at=utc(2026, 3, 27, 16, 30),  # Friday 16:30 GMT
            repaired_at=utc(2026, 3, 30, 10, 0),  # Monday 11:00 BST (clocks went forward Sunday)
            resolved_at=utc(2026, 3, 30, 11, 0),  # Monday 12:00 BST
            timeline=(
                Item(utc(2026, 3, 27, 16, 30), "declared", "alice", "Alice Archer declared it."),
                Item(utc(2026, 3, 30, 10, 0), "repaired", "bob", "Ingress controller restarted."),
            ),
        ),
        Snapshot(
            id=2,
            title="Deploys fail",
            impact="teams cannot deploy",
            detected_at=None,
            declared_at=utc(2026, 4, 2, 15, 0),  # Thursday 16:00 BST, before Good Friday
            repaired_at=utc(2026, 4, 7, 9, 30),  # Tuesday 10:30 BST, after Easter Monday
            resolved_at=utc(2026, 4, 7, 10, 0),  # Tuesday 11:00 BST
            roles={"lead": "dave"},
        ),
        normal_incident(),
    ]


GOLDEN_FIGURES = {
    # incident: (repair, resolve) per mode, worked by hand.
    # 1 support: repair Fri 16:30-17:00 (30m) + Mon 10:00-11:00 BST (60m) = 1h 30m;
    #            resolve Fri 16:00-17:00 (60m) + Mon 10:00-12:00 (120m) = 3h 00m.
    # 1 wall:    repair Fri 16:30 UTC -> Mon 10:00 UTC = 65h 30m; resolve 16:00 -> 11:00 = 67h 00m.
    # 2 support: Thu 16:00-17:00 (60m), Good Friday, weekend, Easter Monday closed, Tue 10:00-10:30
    #            (30m) = 1h 30m; resolve from the declaration: 60m + 60m = 2h 00m.
    # 2 wall:    Thu 15:00 UTC -> Tue 09:30 UTC = 114h 30m; -> Tue 10:00 UTC = 115h 00m.
    # 3 both:    declared 14:00 -> resolved 15:20 (no repair mark) = 1h 20m; 13:40 -> 15:20 = 1h 40m.
    # Q2 means:  support (90 + 80) / 2 = 1h 25m, (120 + 100) / 2 = 1h 50m;
    #            wall (6870 + 80) / 2 = 57h 55m, (6900 + 100) / 2 = 58h 20m.
    "support": {1: ("1h 30m", "3h 00m"), 2: ("1h 30m", "2h 00m"), 3: ("1h 20m", "1h 40m")},
    "wall": {1: ("65h 30m", "67h 00m"), 2: ("114h 30m", "115h 00m"), 3: ("1h 20m", "1h 40m")},
}
QUARTER_MEANS = {
    "support": {"2026 Q1": ("1h 30m", "3h 00m"), "2026 Q2": ("1h 25m", "1h 50m")},
    "wall": {"2026 Q1": ("65h 30m", "67h 00m"), "2026 Q2": ("57h 55m", "58h 20m")},
}


@pytest.mark.parametrize("mode", ["support", "wall"])
def test_reports_and_quarterly_index_match_the_golden_files(
    make_runtime: Callable[..., Runtime], world: World, clock: FakeClock, mode: str, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    runtime = start(
        make_runtime,
        world,
        f'priorities = ["high", "normal"]\ndurations = "{mode}"\ndirectory = "{log}"\n',
    )
    for incident in golden_incidents():
        runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=incident)
    assert runtime.run_command("postmortem edit", "1 identified an alarm, then users", "@bob") == (
        "Postmortem 1: identified updated."
    )
    assert runtime.run_command("postmortem owner", "2 @bob", "@alice") == (
        "Postmortem 2 is owned by Bob Baker."
    )
    for ref in ("1", "2", "3"):
        report = runtime.run_command("postmortem", ref, "@bob")
        repair, resolve = GOLDEN_FIGURES[mode][int(ref)]
        assert f"- Time to repair: {repair} (" in report
        assert f"- Time to resolve: {resolve} (" in report
        assert report == (GOLDEN / mode / f"draft-{ref}.md").read_text(encoding="utf-8")

    assert runtime.run_command("postmortem publish", "1", "@alice") == (
        "Published postmortem 1 to the incident log as 2026-03-27-incident-1.md."
    )
    assert runtime.run_command("postmortem publish", "2", "@alice") == (
        "Published postmortem 2 to the incident log as 2026-04-02-incident-2.md."
    )
    assert runtime.run_command("postmortem publish", "3", "@alice") == (
        "Published postmortem 3 to the incident log as 2026-06-10-incident-3.md."
    )
    index = (log / "README.md").read_text(encoding="utf-8")
    for quarter, (repair, resolve) in QUARTER_MEANS[mode].items():
        assert f"## {quarter}" in index
        assert f"- Mean time to repair: {repair}" in index
        assert f"- Mean time to resolve: {resolve}" in index
    assert index == (GOLDEN / mode / "README.md").read_text(encoding="utf-8")
    published = (log / "2026-03-27-incident-1.md").read_text(encoding="utf-8")
    assert published == (GOLDEN / mode / "incident-1.md").read_text(encoding="utf-8")
    assert [(p.id, md == published) for p, md in world.published[:1]] == [(1, True)]
    assert [p.id for p, _ in world.published] == [1, 2, 3]

    (log / "README.md").unlink()
    assert runtime.run_command("postmortem rebuild-log", "", "@alice") == (
        "Rebuilt the incident log: 3 published reports and the index."
    )
    assert (log / "README.md").read_text(encoding="utf-8") == index


def test_bad_input_gets_a_clear_reply_and_changes_nothing(
    make_runtime: Callable[..., Runtime], world: World
) -> None:
    runtime = start(make_runtime, world)
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=golden_incidents()[0])
    assert runtime.run_command("postmortem", "9", "@bob") == (
        "There is no postmortem 9. See the list with !postmortems."
    )
    assert runtime.run_command("postmortem", "x", "@bob") == "'x' is not a postmortem number."
    assert runtime.run_command("postmortem edit", "1 mood great", "@bob") == (
        "'mood' is not a field (fields: title, identified, impact, context, resolution, actions).\n"
        "Usage: !postmortem edit ID title|identified|impact|context|resolution|actions <text>"
    )
    assert runtime.run_command("postmortem edit", "1 impact", "@bob") == (
        "Some arguments are missing.\n"
        "Usage: !postmortem edit ID title|identified|impact|context|resolution|actions <text>"
    )
    assert runtime.run_command("postmortem owner", "1 @zed", "@bob") == (
        "I don't know anyone called '@zed'. People in this team: alice, bob, dave.\n"
        "Usage: !postmortem owner ID @person"
    )
    assert runtime.run_command("postmortem publish", "", "@bob") == (
        "Give the postmortem's number.\nUsage: !postmortem publish ID"
    )
    assert runtime.run_command("postmortem edit", "1 impact x", "@stranger") == (
        "Sorry @stranger, `!postmortem edit` needs the permission 'postmortem.write' "
        "(edit postmortems and choose their owners)."
    )
    report = runtime.run_command("postmortem", "1", "@bob")
    assert "## Impact\n\nuser-facing services are unreachable\n" in report
    assert "postmortem owner: Alice Archer" in report


def test_republishing_keeps_the_date_it_was_first_published(
    make_runtime: Callable[..., Runtime], world: World, clock: FakeClock
) -> None:
    runtime = start(make_runtime, world)
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=golden_incidents()[0])
    assert runtime.run_command("postmortem publish", "1", "@alice").startswith("Published")
    first = clock.now()
    clock.advance(days=14)
    assert runtime.run_command("postmortem publish", "1", "@alice").startswith("Republished")
    with runtime.db.session() as session:
        assert session.scalar(select(Postmortem.published_at)) == first  # metrics count it once
