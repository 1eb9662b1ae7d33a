"""The ACL matrix, command by command: every command that changes state or reads something
sensitive names a permission; without it a person gets a clear refusal and nothing changes; with
it the command works.

The commands are enumerated from the plugins themselves (``dutybot_commands``), so a new command
fails ``test_every_command_is_guarded_or_known_to_be_open`` until it is given a permission or
listed in ``OPEN`` with the reason it needs none. Each case runs on the built-in process with
every permission given to the group ``granted`` (alice and dave): erin (in the team, in no group)
and mallory (not in the team) are refused; alice succeeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import MetaData, select
from werkzeug.test import Client

from core.clock import FakeClock
from core.commands import Command
from core.plugin_manager import build_plugin_manager
from core.process import DEFAULT_PROCESS
from core.receiver import Credential
from core.runtime import Runtime
from plugins.pager import worker
from tests.conftest import advance

TOKEN = "acl-matrix-generic-token"
COMMANDS: dict[str, Command] = {
    c.name: c
    for found in build_plugin_manager(frozenset(), ()).hook.dutybot_commands()
    for c in found or []
}
PERMISSIONS = sorted({c.permission.name for c in COMMANDS.values() if c.permission})


def process_text() -> str:
    """The built-in process, with every permission held by the group ``granted`` only."""
    text = DEFAULT_PROCESS.read_text(encoding="utf-8")
    text = text.replace("[groups]\n", '[groups]\ngranted = ["alice", "dave"]\n', 1)
    acl = "".join(f'"{name}" = ["granted"]\n' for name in PERMISSIONS)
    text, replaced = re.subn(
        r'\[acl\]\n(?:#.*\n)*"dutybot\.audit" = \["admins"\]\n', "[acl]\n" + acl, text
    )
    assert replaced == 1
    return text


# --- what each command needs to succeed ------------------------------------------------------------

Setup = Callable[[Runtime, FakeClock], None]


def run(line: str, as_user: str = "@alice") -> Setup:
    """A setup step: ``line`` run as someone allowed to, which must change something."""

    def step(runtime: Runtime, _clock: FakeClock) -> None:
        before = snapshot(runtime)
        reply = ask(runtime, line, as_user)
        assert snapshot(runtime) != before, f"setup {line!r} did nothing: {reply}"

    return step


def alarm(runtime: Runtime, _clock: FakeClock) -> None:
    alert = {"title": "DiskFull", "dedup_key": "disk-1", "severity": "warning"}
    response = Client(runtime.receiver).post(
        "/alerts/generic", json=alert, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.json


def morning(runtime: Runtime, clock: FakeClock) -> None:
    """Live to 09:01 on Monday: the support checklist is posted."""
    advance(runtime, clock, datetime(2026, 11, 30, 9, 1, tzinfo=UTC))


DECLARE = run("incident declare Database down --impact nobody can log in")
HIGH = run("incident declare Database down --impact nobody can log in --priority high")
POSTMORTEM = (HIGH, run("incident resolve 1 restarted the database"))
PAGE = run("page @bob the database is down")
REQUEST = run("request new The deploy pipeline is broken --service ci --env production", "@zoe")


@dataclass(frozen=True)
class Case:
    args: str
    setup: tuple[Setup, ...] = ()
    reads: str | None = None  # a read-only command: its reply contains this


CASES: dict[str, Case] = {
    "ack": Case("1", (PAGE,)),
    "resolve": Case("1", (PAGE,)),
    "page": Case("@bob the database is down"),
    "action add": Case("1 Add an index --owner @bob --due 2026-12-10", POSTMORTEM),
    "action done": Case(
        "1", (*POSTMORTEM, run("action add 1 Add an index --owner @alice --due 2026-12-10"))
    ),
    "alarm ack": Case("1", (alarm,)),
    "alarm actionable": Case("1", (alarm,)),
    "alarm assign": Case("1 @bob", (alarm,)),
    "alarm incident": Case("1", (alarm,)),
    "alarm noise": Case("1", (alarm,)),
    "alarm silence": Case("1 2h deploying the fix", (alarm,)),
    "alarm unsilence": Case("1", (alarm, run("alarm silence 1 2h deploying the fix"))),
    "checklist claim": Case("", (morning,)),
    "checklist done": Case("1", (morning,)),
    "cover": Case("2026-12-07 10:00-12:00 @bob"),
    "dutybot audit": Case("", (PAGE,), reads="Audit log, newest first:"),
    "handover add": Case("the certificate renewal is half done"),
    "incident cancel": Case("1 false alarm", (DECLARE,)),
    "incident comms": Case("1 @bob", (DECLARE,)),
    "incident declare": Case("Database down --impact nobody can log in"),
    "incident detected": Case("1 2026-11-30 07:50", (DECLARE,)),
    "incident handover": Case("1 lead @dave", (DECLARE,)),
    "incident lead": Case("1 @dave", (DECLARE,)),
    "incident link": Case("1 1", (alarm, DECLARE)),
    "incident note": Case("1 the primary is back", (DECLARE,)),
    "incident priority": Case("1 high", (DECLARE,)),
    "incident repaired": Case("1", (DECLARE,)),
    "incident resolve": Case("1 restarted the database", (DECLARE,)),
    "incident scribe": Case("1 @bob", (DECLARE,)),
    "incident update": Case("1 restarting the primary --next 30m", (DECLARE,)),
    "leave add": Case("2026-12-14"),
    "leave remove": Case("1", (run("leave add 2026-12-14"),)),
    "oncall accept": Case("1", (run("oncall cover 2026-12-02..2026-12-03", "@dave"),)),
    "oncall cover": Case("2026-12-02..2026-12-03"),
    "oncall hours": Case("2026-11", reads="On-call hours"),
    "oncall override": Case("@bob 2026-12-01..2026-12-02"),
    "oncall swap": Case("@bob @carol 2026-12-01..2026-12-02"),
    "oncall unavailable": Case("2026-12-20..2026-12-21"),
    "oncall undo": Case("1", (run("oncall unavailable 2026-12-20..2026-12-21"),)),
    "oncall worked": Case("2026-11-29 20:00-21:00 restarted the database"),
    "postmortem edit": Case("1 impact nobody could log in for an hour", POSTMORTEM),
    "postmortem owner": Case("1 @bob", POSTMORTEM),
    "postmortem publish": Case("1", POSTMORTEM),
    "postmortem rebuild-log": Case("", POSTMORTEM),
    "postmortem review": Case("1 2026-12-02 14:00", POSTMORTEM),
    "request assign": Case("1 @bob", (REQUEST,)),
    "request priority": Case("1 high", (REQUEST,)),
    "request start": Case("1", (REQUEST,)),
    "request ticket": Case("1", (REQUEST,)),
    "request wait": Case("1 waiting for the user", (REQUEST,)),
    "rota accept": Case("1", (run("rota cover 2026-12-21", "@dave"),)),
    "rota cover": Case("2026-12-07"),
    "rota override": Case("@bob 2026-12-01"),
    "rota swap": Case("@alice @dave 2026-12-07"),
    "rota undo": Case("1", (run("rota cover 2026-12-07"),)),
    "ticket label": Case("1 +urgent", (REQUEST, run("request ticket 1"))),
    "ticket move": Case("1 done", (REQUEST, run("request ticket 1"))),
}

OPEN: dict[str, str] = {
    # read-only views of the team's shared state (nothing in them is secret)
    "actions": "lists postmortem actions",
    "alarm show": "shows an alarm",
    "alarms": "lists alarms",
    "board": "shows the ticket board",
    "checklist": "shows today's checklist",
    "contacts": "shows contact methods with their secrets masked",
    "dutybot plugins": "lists plugins",
    "dutybot status": "shows versions and health, with the database password masked",
    "handover": "shows the handover notes",
    "incident": "shows an incident",
    "incidents": "lists incidents",
    "leave list": "lists leave",
    "oncall": "shows who is on call",
    "oncall changes": "lists on-call changes",
    "oncall ledger": "shows on-call hours per person (not pay)",
    "oncall next": "shows the coming shifts",
    "pages": "lists open pages",
    "postmortem": "shows a postmortem",
    "postmortems": "lists postmortems",
    "request show": "shows a request",
    "requests": "lists requests",
    "rota": "shows the support rota",
    "rota changes": "lists support-rota changes",
    "rota fairness": "shows the support-rota fairness figures",
    "support": "shows who is on support",
    "team": "lists the team",
    "whoami": "shows a person's permissions",
    "stats": "shows the team's figures (counts and times, nobody's pay)",
    "stats chart": "draws the team's figures",
    # deliberately open: users outside the team ask for help and follow their own requests
    "request new": "anyone may ask for help",
    "request set": "the requester fills in their own request's fields",
    "request reopen": "the requester reopens their own request",
    "request resolve": "the requester closes their own request",
    "rate": "the requester rates their own resolved request",
    "oncall feed": "sends the sender's own feed link to the sender, by direct message",
}


# --- helpers --------------------------------------------------------------------------------------


def ask(runtime: Runtime, line: str, as_user: str) -> str:
    """Run ``line`` (a command name of one or more words, then its arguments) as ``as_user``."""
    words = line.split(" ")
    for size in range(len(words), 0, -1):
        name = " ".join(words[:size])
        if name in runtime.commands:
            reply = runtime.run_command(name, " ".join(words[size:]), as_user)
            pager = worker.running(runtime)
            assert pager is None or pager.wait_idle(10)
            return reply
    raise AssertionError(f"no command in {line!r}")


def snapshot(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what "nothing changed" is checked against."""
    metadata = MetaData()
    metadata.reflect(runtime.db.engine)
    with runtime.db.engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for name, table in metadata.tables.items()
        }


def refusal(command: Command, who: str) -> str:
    assert command.permission is not None
    return (
        f"Sorry {who}, `!{command.name}` needs the permission '{command.permission.name}' "
        f"({command.permission.description})."
    )


@pytest.fixture
def matrix_runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(process=process_text(), credentials={"generic": Credential(token=TOKEN)})


# --- the tests ------------------------------------------------------------------------------------


def test_every_command_is_guarded_or_known_to_be_open() -> None:
    guarded = {name for name, c in COMMANDS.items() if c.permission}
    unguarded = set(COMMANDS) - guarded
    assert unguarded == set(OPEN), (
        "a command without a permission must be listed in OPEN with the reason it needs none: "
        f"{sorted(unguarded - set(OPEN))}; listed but guarded or gone: {sorted(set(OPEN) - unguarded)}"
    )
    assert guarded == set(CASES), (
        f"every guarded command needs a case: missing {sorted(guarded - set(CASES))}, "
        f"stale {sorted(set(CASES) - guarded)}"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_without_the_permission_a_clear_refusal_and_nothing_changes_with_it_success(
    matrix_runtime: Runtime, clock: FakeClock, name: str
) -> None:
    runtime, case, command = matrix_runtime, CASES[name], COMMANDS[name]
    for step in case.setup:
        step(runtime, clock)
    before = snapshot(runtime)
    for who, as_user in (("erin", "@erin"), ("@mallory", "@mallory")):
        assert ask(runtime, f"{name} {case.args}", as_user) == refusal(command, who)
        assert snapshot(runtime) == before, f"!{name} refused to {who} changed something"
    reply = ask(runtime, f"{name} {case.args}", "@alice")
    assert not reply.startswith("Sorry") and "Usage:" not in reply, reply
    if case.reads is not None:  # reading may extend a lazily planned rota: no snapshot check
        assert case.reads in reply
    else:
        assert snapshot(runtime) != before, f"!{name} succeeded but changed nothing: {reply}"


# Rights that depend on the arguments: acting for someone else needs more than acting for yourself.
# On the built-in process erin holds the team's permissions but is neither a lead nor an admin;
# the refusal names the permission she lacks (or, for undo, who may).
ON_BEHALF = {
    "someone else's leave": ("leave add 2026-12-14 @bob", "rota.override", ()),
    "cover on a day you are not on support": (
        "cover 2026-12-07 10:00-12:00 @bob",
        "rota.override",
        (),
    ),
    "someone else's on-call unavailability": (
        "oncall unavailable 2026-12-20..2026-12-21 @bob",
        "oncall.change",
        (),
    ),
    "undoing someone else's on-call entry": (
        "oncall undo 1",
        "Entry 1 is not yours to undo; ask a lead.",
        (run("oncall unavailable 2026-12-20..2026-12-21", "@bob"),),
    ),
    "resolving an incident you do not lead": (
        "incident resolve 1 restarted the database",
        "incident.override",
        (run("incident declare Database down --impact nobody can log in", "@dave"),),
    ),
}


@pytest.mark.parametrize("case", sorted(ON_BEHALF))
def test_acting_for_someone_else_needs_the_stronger_permission(
    make_runtime: Callable[..., Runtime], clock: FakeClock, case: str
) -> None:
    line, refusal_text, setup = ON_BEHALF[case]
    runtime = make_runtime()
    for step in setup:
        step(runtime, clock)
    before = snapshot(runtime)
    refused = ask(runtime, line, "@erin")
    assert refusal_text in refused, refused
    assert snapshot(runtime) == before
    reply = ask(runtime, line, "@alice")
    assert not reply.startswith("Sorry") and "Usage:" not in reply, reply
    assert snapshot(runtime) != before
