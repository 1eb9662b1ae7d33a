"""The ``[supportday]`` process-file section: defaults, validation, and custom times and texts."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from core.models import ChatPost
from core.plugin_manager import DEFAULT_PLUGINS
from core.process import DEFAULT_PROCESS, ProcessError, validate
from core.runtime import Runtime
from plugins.supportday.settings import PLACEHOLDERS, SupportDaySection, Texts
from tests.conftest import advance

MINIMAL = '[[people]]\nid = "alice"\nname = "Alice"\nchat = "@alice"\n'


def problems(section: str) -> list[str]:
    raw = tomllib.loads(MINIMAL + section)
    with pytest.raises(ProcessError) as caught:
        validate(raw, "team.toml", {"supportday": SupportDaySection})
    return caught.value.problems


def test_the_default_process_spells_out_every_default() -> None:
    raw = tomllib.loads(DEFAULT_PROCESS.read_text(encoding="utf-8"))
    section = raw["supportday"]
    assert SupportDaySection.model_validate(section) == SupportDaySection()
    assert set(section) == set(SupportDaySection.model_fields)
    assert set(section["texts"]) == set(Texts.model_fields) == set(PLACEHOLDERS)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            '[supportday.texts]\nnudge = "Hi {engineer}"\nauto_reply = "{user"\n',
            [
                "team.toml: supportday.texts.nudge: 'Hi {engineer}': unknown placeholder engineer "
                "(known: alarms_high, alarms_low, day, engineers, notify, support, team)",
                "team.toml: supportday.texts.auto_reply: '{user': expected '}' before end of string "
                "(write {{ and }} for literal braces)",
            ],
        ),
        (
            '[supportday]\nchecklist = ["Look at {team}", "Look at {board}"]\n',
            [
                "team.toml: supportday.checklist: 'Look at {board}': unknown placeholder board "
                "(known: alarms_high, alarms_low, notify, support, team)"
            ],
        ),
        (
            '[supportday]\nnudge_at = "08:59"\n',
            ["team.toml: supportday: nudge_at must be after checklist_at"],
        ),
        (
            '[supportday]\nhandover_prompt_at = "18:30"\n',
            ["team.toml: supportday: need checklist_at < handover_prompt_at < handover_at"],
        ),
        (
            '[supportday]\nhandover_at = "18:00:30"\ncolour = "blue"\n',
            [
                "team.toml: supportday.handover_at: 18:00:30: give a time of day as HH:MM (whole minutes)",
                "team.toml: supportday.colour: unknown key",
            ],
        ),
    ],
    ids=[
        "placeholders",
        "checklist-placeholder",
        "nudge-before-checklist",
        "prompt-after-handover",
        "times",
    ],
)
def test_mistakes_are_reported_with_file_key_and_problem(section: str, expected: list[str]) -> None:
    assert problems(section) == expected


CUSTOM = (
    MINIMAL
    + """
[channels]
team = "#ops"

[supportday]
checklist_at = "08:30"
nudge_at = "08:45"
checklist = ["Water the plants", "Read {notify}"]

[supportday.texts]
checklist_header = "{day}: checklist for {engineers}"
checklist_footer = "Go!"
nudge = "{engineers}?"
nobody = "no one"
"""
)


def test_times_and_texts_come_from_the_process_file(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    others = frozenset(DEFAULT_PLUGINS) - {"supportday", "system", "team"}
    runtime = make_runtime(process=CUSTOM, disabled_plugins=others)
    advance(runtime, clock, datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    with runtime.db.session() as session:
        rows = session.scalars(select(ChatPost).order_by(ChatPost.id)).all()
        assert [(runtime.calendars.format(p.created_at), p.address, p.text) for p in rows] == [
            (
                "2026-11-30 08:30",
                "#ops",
                "Monday 2026-11-30: checklist for no one\n"
                "1. Water the plants\n2. Read #notify\nGo!",
            ),
            ("2026-11-30 08:45", "#ops", "no one?"),
        ]
