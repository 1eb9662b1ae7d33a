"""The process file: defaults, and precise messages for every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cli import main
from core.plugin_manager import build_plugin_manager
from core.process import ProcessError, load, read_raw, validate
from core.runtime import _merge


def sections() -> dict:
    return _merge(build_plugin_manager().hook.dutybot_process_sections())


def test_the_embedded_default_is_the_reference_process() -> None:
    process = load(None, sections())
    core = process.core
    assert core.team.timezone == "Europe/London"
    assert (core.holidays.country, core.holidays.subdivision) == ("GB", "ENG")
    assert [p.id for p in process.people] == [
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "grace",
        "heidi",
        "ivan",
    ]
    assert core.channels.support == "#ask-cloud-platform"
    assert core.hours.support.ranges_for(0, holiday=False) == core.hours.support.ranges_for(
        4, holiday=False
    )
    assert process.section("rota").support.cohort_size == 3


BAD = """
[team]
name = "Platform"
timezone = "Europe/Londn"
colour = "blue"

[hours.support]
"mon-fri" = ["10:00-13:00", "12:00-17:00"]

[[people]]
id = "alice"
name = "Alice"
chat = "@alice"

[[people]]
id = "alice"
name = "Alice again"
chat = "@alice2"

[[people]]
id = "Bob"
chat = "@bob"

[groups]
leads = ["alice", "zed"]

[acl]
"dutybot.audit" = ["nobody"]

[rota.support]
members = ["alice", "yan"]
cohort_size = "three"

[weather]
rain = true
"""


def test_every_problem_is_listed_with_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "process.toml"
    path.write_text(BAD)
    with pytest.raises(ProcessError) as caught:
        load(path, sections())
    assert caught.value.problems == [
        f"{path}: people[1].id: duplicate person id 'alice'",
        f"{path}: people[2].id: String should match pattern '^[a-z][a-z0-9_.-]*$'",
        f"{path}: people[2].name: required key is missing",
        f"{path}: team.timezone: unknown timezone 'Europe/Londn'",
        f"{path}: team.colour: unknown key",
        f"{path}: hours.support: mon-fri: ranges '10:00-13:00' and '12:00-17:00' overlap",
        f"{path}: groups.leads[1]: unknown person 'zed' (not in [[people]])",
        f"{path}: rota.support.members[1]: unknown person 'yan' (not in [[people]])",
        f"{path}: rota.support.cohort_size: Input should be a valid integer, unable to parse string as an integer",
        f"{path}: weather: unknown key (no loaded plugin reads this section)",
    ]


def test_acl_names_must_be_people_groups_or_team(tmp_path: Path) -> None:
    raw, source = read_raw(None)
    raw["acl"] = {"dutybot.audit": ["nobody"]}
    with pytest.raises(ProcessError) as caught:
        validate(raw, source, sections())
    assert caught.value.problems == [
        "<default process>: acl: dutybot.audit: 'nobody' is neither a person, a group nor 'team'"
    ]


def test_invalid_toml_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[team\nname = 1")
    with pytest.raises(ProcessError) as caught:
        load(path, sections())
    assert caught.value.problems[0].startswith(f"{path}: invalid TOML: ")


def test_a_disabled_plugins_section_is_ignored_not_an_error(tmp_path: Path) -> None:
    raw, source = read_raw(None)
    others = {name: model for name, model in sections().items() if name != "rota"}
    process = validate(raw, source, others, ignored=frozenset({"rota"}))
    assert "rota" not in process.sections


def test_dutybot_check_exits_non_zero_listing_every_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "process.toml"
    path.write_text(BAD)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 10 and all(line.startswith(f"{path}: ") for line in err)


def test_dutybot_check_accepts_the_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DUTYBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DUTYBOT_PROCESS_FILE", raising=False)
    assert main(["check"]) == 0
    assert capsys.readouterr().out.startswith("<default process>: ok (9 people, ")
    assert not (tmp_path / "dutybot.sqlite3").exists(), "check must not create a database"


def test_a_chat_handle_matches_with_or_without_the_at_sign() -> None:
    process = load(None, sections())
    assert process.person_by_chat("@alice").id == "alice"  # test backend
    assert process.person_by_chat("alice").id == "alice"  # console (Text) backend
    assert process.person_by_chat("@mallory") is None
