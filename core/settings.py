"""Where things live and which secrets to use: read from the environment, never from git.

The team's *process* is the process file (core/process.py); these are the *deployment* settings:
database URL, process-file path, receiver address, switches, webhook credentials. Secrets are
kept out of ``repr`` so a settings object can be logged safely.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.receiver import Credential

DEFAULT_HTTP_PORT = 8585
DEFAULT_TAKEOVER_SECONDS = 30.0
TAKEOVER_RANGE = (3.0, 600.0)


class SettingsError(ValueError):
    """An environment variable has a value dutybot cannot use."""


@dataclass(frozen=True)
class Settings:
    """The deployment settings of one runtime."""

    database_url: str
    process_file: Path | None = None
    data_dir: Path = Path("data")
    disabled_plugins: frozenset[str] = frozenset()
    http_enabled: bool = True
    http_host: str = "127.0.0.1"
    http_port: int = DEFAULT_HTTP_PORT
    scheduler_enabled: bool = True
    credentials: Mapping[str, Credential] = field(default_factory=dict, repr=False)
    chat_enabled: bool = True
    leader_takeover_seconds: float = DEFAULT_TAKEOVER_SECONDS
    test_clock_file: Path | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, data_dir: Path | None = None
    ) -> Settings:
        """Build settings from ``DUTYBOT_*`` variables; see docs/configuration.md for each."""
        env = os.environ if env is None else env
        data = Path(env.get("DUTYBOT_DATA_DIR") or data_dir or Path.cwd() / "data")
        process_file = env.get("DUTYBOT_PROCESS_FILE")
        return cls(
            database_url=env.get("DUTYBOT_DATABASE_URL") or f"sqlite:///{data / 'dutybot.sqlite3'}",
            process_file=Path(process_file) if process_file else None,
            data_dir=data,
            disabled_plugins=frozenset(
                name.strip()
                for name in env.get("DUTYBOT_DISABLE_PLUGINS", "").split(",")
                if name.strip()
            ),
            http_enabled=_flag(env, "DUTYBOT_HTTP", True),
            http_host=env.get("DUTYBOT_HTTP_HOST", "127.0.0.1"),
            http_port=_port(env.get("DUTYBOT_HTTP_PORT")),
            scheduler_enabled=_flag(env, "DUTYBOT_SCHEDULER", True),
            credentials=_credentials(env),
            chat_enabled=_flag(env, "DUTYBOT_CHAT", True),
            leader_takeover_seconds=_takeover(env.get("DUTYBOT_LEADER_TAKEOVER_SECONDS")),
            test_clock_file=_test_clock(env),
        )


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}: expected on/off (or true/false, 1/0), got {value!r}")


def _port(value: str | None) -> int:
    if not value:
        return DEFAULT_HTTP_PORT
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise SettingsError(f"DUTYBOT_HTTP_PORT: expected a port number 0-65535, got {value!r}")
    return int(value)


def _takeover(value: str | None) -> float:
    if not value:
        return DEFAULT_TAKEOVER_SECONDS
    low, high = TAKEOVER_RANGE
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not low <= seconds <= high:
        raise SettingsError(
            f"DUTYBOT_LEADER_TAKEOVER_SECONDS: expected seconds from {low:g} to {high:g}, got {value!r}"
        )
    return seconds


def _test_clock(env: Mapping[str, str]) -> Path | None:
    """The shared test clock's file, refused unless tests said so: it replaces the real time."""
    value = env.get("DUTYBOT_TEST_CLOCK_FILE")
    if not value:
        return None
    if not _flag(env, "DUTYBOT_ALLOW_TEST_CLOCK", False):
        raise SettingsError(
            "DUTYBOT_TEST_CLOCK_FILE replaces the real clock and is for tests only; "
            "set DUTYBOT_ALLOW_TEST_CLOCK=yes as well to use it"
        )
    path = Path(value)
    if not path.is_file():
        raise SettingsError(f"DUTYBOT_TEST_CLOCK_FILE: {path} is not a file")
    return path


def _credentials(env: Mapping[str, str]) -> dict[str, Credential]:
    """``DUTYBOT_WEBHOOK_TOKEN_<SOURCE>`` (bearer) or ``DUTYBOT_WEBHOOK_BASIC_<SOURCE>=user:pass``."""
    found: dict[str, Credential] = {}
    for key, value in env.items():
        if key.startswith("DUTYBOT_WEBHOOK_TOKEN_") and value:
            found[key.removeprefix("DUTYBOT_WEBHOOK_TOKEN_").lower()] = Credential(token=value)
        elif key.startswith("DUTYBOT_WEBHOOK_BASIC_") and value:
            user, sep, password = value.partition(":")
            source = key.removeprefix("DUTYBOT_WEBHOOK_BASIC_").lower()
            if not sep or not user:
                raise SettingsError(f"{key}: expected user:password")
            found[source] = Credential(username=user, password=password)
    return found
