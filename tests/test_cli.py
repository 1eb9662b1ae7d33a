"""The dutybot console command, run as a user runs it (a real subprocess where it matters)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from core.cli import main
from core.plugin_manager import DEFAULT_PLUGINS
from tests.conftest import ROOT

DUTYBOT = [sys.executable, "-m", "core.cli"]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUTYBOT_")}
    return {**env, "DUTYBOT_DATA_DIR": str(tmp_path / "data"), "DUTYBOT_HTTP_PORT": "0", **extra}


def run_dutybot(
    tmp_path: Path, *args: str, typed: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """``dutybot run …`` as a user starts it, with ``typed`` at the console (else no input)."""
    return subprocess.run(
        [*DUTYBOT, "run", *args],
        cwd=ROOT,
        env=env_for(tmp_path, **env),
        input=typed,
        stdin=subprocess.DEVNULL if typed is None else None,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_plugins_lists_every_builtin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DUTYBOT_DATA_DIR", str(tmp_path))
    assert main(["plugins"]) == 0
    listed = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert {name: "built-in" for name in DEFAULT_PLUGINS}.items() <= listed.items()


def test_db_upgrade_creates_the_schema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DUTYBOT_DATA_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == "database is up to date\n"
    tables = inspect(create_engine(f"sqlite:///{tmp_path / 'dutybot.sqlite3'}")).get_table_names()
    assert {"chat_posts", "job_runs", "audit_log"} <= set(tables)


def test_run_refuses_a_broken_process_file_before_touching_chat(tmp_path: Path) -> None:
    process = tmp_path / "process.toml"
    process.write_text('[team]\ntimezone = "Mars/Olympus"\n')
    result = run_dutybot(tmp_path, DUTYBOT_PROCESS_FILE=str(process))
    assert result.returncode == 2
    assert result.stderr.endswith(
        f"dutybot: cannot start:\n{process}: team.timezone: unknown timezone 'Mars/Olympus'\n"
    )


def test_run_on_a_port_in_use_says_so_and_how_to_choose_another(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_dutybot(tmp_path, DUTYBOT_HTTP_PORT=str(port))
    assert result.returncode == 2
    problem = result.stderr.removeprefix("dutybot: cannot start:\n")
    assert problem.startswith(f"the webhook receiver cannot listen on 127.0.0.1:{port}: ")
    assert "Address already in use" in problem
    assert problem.endswith("(DUTYBOT_HTTP_HOST and DUTYBOT_HTTP_PORT choose another address)\n")
    assert "Traceback" not in result.stderr


def test_run_fails_loudly_when_errbot_cannot_load_a_plugin(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "broken.plug").write_text(
        "[Core]\nName = Broken\nModule = broken\n\n[Python]\nVersion = 3\n"
    )
    (broken / "broken.py").write_text("from errbot import BotPlugin\nthis is not python\n")
    config = tmp_path / "config.py"
    config.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        f"exec(open({str(ROOT / 'config.py')!r}).read())\n"
        f"BOT_EXTRA_PLUGIN_DIR = [BOT_EXTRA_PLUGIN_DIR, {str(broken)!r}]\n"
    )
    result = run_dutybot(tmp_path, "-c", str(config))
    assert result.returncode == 2
    assert "dutybot: cannot start:\nErrbot could not load a plugin:" in result.stderr
    assert "broken" in result.stderr


def test_run_starts_the_console_bot_and_answers(tmp_path: Path) -> None:
    result = run_dutybot(tmp_path, typed="!whoami\n")
    assert result.returncode == 0, result.stderr
    assert "ready: sqlite:///" in result.stdout
    assert "You are Alice Archer (alice), chat @alice." in result.stdout


def test_plugins_contribute_subcommands(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DUTYBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DUTYBOT_DATABASE_URL", raising=False)
    assert main(["incident-log", "build"]) == 0
    assert (
        capsys.readouterr().out == "Rebuilt the incident log: 0 published reports and the index.\n"
    )
    assert (tmp_path / "incident-log" / "README.md").exists()
    assert main(["help"]) == 0
    assert "dutybot incident-log build" in capsys.readouterr().out
    assert main(["incident-log", "burn"]) == 2
    assert capsys.readouterr().err.startswith("dutybot incident-log burn: no such command.\n")
