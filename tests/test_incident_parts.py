"""The incident plugin's parts on their own: the phrase reader, durations, the process-file
section and the schema (the migration builds exactly what the models describe)."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest

from core.calendars import Calendars, HolidayCalendar
from core.process import DEFAULT_PROCESS, Hours, ProcessError, validate
from plugins.incident import models  # noqa: F401  (registers the tables on Base.metadata)
from plugins.incident.durations import Duration, parse_when, span
from plugins.incident.phrases import Phrase
from plugins.incident.settings import IncidentSection

DECLARE = Phrase("I am declaring an incident because {reason}. The impact is that {impact}.")
LEAD = Phrase("I am the incident lead")
CALENDARS = Calendars(
    "Europe/London",
    HolidayCalendar("GB", "ENG"),
    {name: getattr(Hours(), name) for name in Hours.model_fields},
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- phrases ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason", "impact"),
    [
        (
            "I am declaring an incident because the DB is down. The impact is that nobody can log in.",
            "the DB is down",
            "nobody can log in",
        ),
        (
            "i am declaring an incident because the DB is down, the impact is that nobody can log in",
            "the DB is down",
            "nobody can log in",
        ),
        (
            "I'm declaring an incident because the DB is down -- the impact is that nobody can log in!!",
            "the DB is down",
            "nobody can log in",
        ),
        (
            "> I am declaring an incident because the DB is down.\n> The impact is that: nobody can log in.",
            "the DB is down",
            "nobody can log in",
        ),
        (
            "I am declaring an incident because: the DB is down. The impact is that, well, nobody can log in",
            "the DB is down",
            "well, nobody can log in",
        ),
    ],
)
def test_the_declaration_is_read_through_case_and_punctuation(
    text: str, reason: str, impact: str
) -> None:
    assert DECLARE.match(text) == {"reason": reason, "impact": impact}


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("I am declaring an incident because the DB is down", "impact"),
        ("I am declaring an incident because the DB is down. The impact is that", "impact"),
        ("I am declaring an incident", "reason"),
        ("I'm declaring an incident: the DB is down", "reason"),
        ("We are declaring an incident because of the DB", None),
        ("the impact is that nobody can log in", None),
    ],
)
def test_a_near_miss_names_what_is_missing(text: str, missing: str | None) -> None:
    assert DECLARE.match(text) is None
    assert DECLARE.near_miss(text) == missing


def test_role_phrases_match_as_whole_words() -> None:
    assert LEAD.match("I am the incident lead") == {}
    assert LEAD.match("i'm the INCIDENT lead, on it") == {}
    assert LEAD.match("I am the incident leader") is None
    assert LEAD.match("I am the incident lead's deputy") is None
    assert LEAD.match("so I am the incident lead") is None


def test_an_example_fills_the_parts() -> None:
    assert (
        DECLARE.example(reason="x")
        == "I am declaring an incident because x. The impact is that <impact>."
    )


# --- durations --------------------------------------------------------------------------------


def test_durations_parse_and_print() -> None:
    assert Duration.parse("1h30m") == Duration(minutes=90)
    assert Duration.parse(" 2D ") == Duration(days=2)
    assert str(Duration(days=1, minutes=125)) == "1d2h5m"
    for bad in ("", "0m", "30", "1.5h", "soon"):
        with pytest.raises(ValueError):
            Duration.parse(bad)


def test_a_target_in_a_window_counts_only_its_open_time() -> None:
    calendars = CALENDARS
    friday_afternoon = utc(2026, 12, 4, 16, 0)  # support hours end at 17:00
    assert Duration(minutes=120).due(friday_afternoon, calendars, "support") == utc(
        2026, 12, 7, 11, 0
    )
    assert Duration(days=1).due(friday_afternoon, calendars, "support") == utc(2026, 12, 7, 16, 0)
    assert Duration(days=1).due(friday_afternoon, calendars) == utc(2026, 12, 5, 16, 0)
    # Two support days after Thursday 19:00 is Monday 19:00, after hours: Tuesday's opening.
    assert Duration(days=2).due(utc(2026, 12, 3, 19, 0), calendars, "support") == utc(
        2026, 12, 8, 10, 0
    )


def test_next_update_times() -> None:
    now = utc(2026, 11, 30, 23, 50)
    assert parse_when("30m", now, CALENDARS) == utc(2026, 12, 1, 0, 20)
    assert parse_when("23:55", now, CALENDARS) == utc(2026, 11, 30, 23, 55)
    assert parse_when("08:00", now, CALENDARS) == utc(2026, 12, 1, 8, 0)
    assert parse_when("10:00", utc(2026, 6, 1, 8, 0), CALENDARS) == utc(2026, 6, 1, 9, 0)  # BST
    assert span(now, utc(2026, 12, 2, 2, 5)) == "1d 2h"
    assert span(now, utc(2026, 12, 1, 1, 5)) == "1h 15m"


# --- the process-file section -----------------------------------------------------------------


def test_the_default_process_file_spells_out_the_built_in_defaults() -> None:
    raw = tomllib.loads(DEFAULT_PROCESS.read_text(encoding="utf-8"))["incident"]
    assert IncidentSection.model_validate(raw) == IncidentSection()


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"scheme": "p9"}, "incident: scheme: 'p9' is not one of [incident.schemes] (high, p1-p4)"),
        (
            {"nudge_minutes": 0},
            "incident.nudge_minutes: Input should be greater than or equal to 1",
        ),
        (
            {"phrases": {"declare": "I am declaring an incident because {reason}."}},
            "incident.phrases: declare: 'I am declaring an incident because {reason}.' must contain {impact}, "
            "{reason}, each once",
        ),
        (
            {"texts": {"one_hour_rule": "Incident {number}"}},
            "incident.texts: one_hour_rule: unknown placeholder number (known: id, minutes, reopens, title)",
        ),
        (
            {
                "scheme": "mine",
                "schemes": {"mine": {"default": "low", "levels": {"high": {"label": "High"}}}},
            },
            "incident.schemes.mine: default: 'low' is not one of the levels (high)",
        ),
        (
            {
                "schemes": {
                    "high": {"default": "a", "levels": {"a": {"label": "A", "update_every": "2x"}}}
                }
            },
            "incident.schemes.high.levels.a.update_every: '2x' is not a duration (write e.g. 30m, 2h, 1h30m or 2d)",
        ),
        (
            {
                "schemes": {
                    "high": {
                        "default": "a",
                        "levels": {"a": {"label": "A", "update_hours": "night"}},
                    }
                }
            },
            "incident.schemes.high.levels.a.update_hours: 'night': unknown hours (use one of always, oncall, "
            "support, working)",
        ),
    ],
)
def test_mistakes_in_the_section_are_reported_with_their_key(section: dict, problem: str) -> None:
    with pytest.raises(ProcessError) as raised:
        validate({"incident": section}, "process.toml", {"incident": IncidentSection})
    assert raised.value.problems == [f"process.toml: {problem}"]


# --- the schema -------------------------------------------------------------------------------
