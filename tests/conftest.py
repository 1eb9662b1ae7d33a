"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when configured),
a runtime on a fake clock, and an Errbot test bot wired to that runtime.

Set ``DUTYBOT_TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to
run every database test on PostgreSQL as well; each test gets its own schema there.
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from errbot.backends.test import TestBot
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core import runtime as runtime_module
from core.clock import FakeClock
from core.runtime import Runtime
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BRIDGE_DIR = str(ROOT / "plugins" / "bridge")
PG_URL = os.environ.get("DUTYBOT_TEST_DATABASE_URL")
# A Monday in term time, 08:00 London (GMT): nothing special about the day.
DEFAULT_START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="set DUTYBOT_TEST_DATABASE_URL to run on PostgreSQL")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dutybot.sqlite3'}"
        return
    assert PG_URL is not None
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DEFAULT_START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        http_enabled=False,
        scheduler_enabled=False,
    )


@pytest.fixture
def make_runtime(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> Iterator[Callable[..., Runtime]]:
    """Build and start runtimes; ``process`` is TOML text for the process file (default: built-in)."""
    made: list[Runtime] = []

    def make(
        process: str | None = None, plugins: tuple[object, ...] = (), **overrides: Any
    ) -> Runtime:
        chosen = replace(settings, **overrides)
        if process is not None:
            path = tmp_path / f"process-{len(made)}.toml"
            path.write_text(process, encoding="utf-8")
            chosen = replace(chosen, process_file=path)
        runtime = Runtime(chosen, clock=clock, plugins=plugins).start()
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.stop()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    """A started runtime on the built-in process, a fresh database and a fake clock."""
    return make_runtime()


@contextmanager
def pip_installed(example: str, module: str, workdir: Path) -> Iterator[Path]:
    """pip-install ``examples/<example>`` into a private target, the path a user's pip takes.

    A copy is built, so the checkout gets no build/ or egg-info; the target goes on sys.path
    (where dutybot's entry-point discovery finds it) for the duration.
    """
    source = workdir / "src" / example
    shutil.copytree(
        ROOT / "examples" / example, source, ignore=shutil.ignore_patterns("build", "*.egg-info")
    )
    target = workdir / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        sys.modules.pop(module, None)
        importlib.invalidate_caches()


class ChatBot:
    """An Errbot test bot whose bridge is attached to a given runtime."""

    def __init__(self, runtime: Runtime, **extra_config: Any) -> None:
        self.runtime = runtime
        runtime_module.install(runtime)
        self.testbot = TestBot(
            extra_plugin_dir=BRIDGE_DIR,
            loglevel=logging.WARNING,
            extra_config={
                "BOT_ADMINS": ("@alice",),
                "CORE_PLUGINS": ("ACLs", "CommandNotFoundFilter", "Help", "Utils"),
                "AUTOINSTALL_DEPS": False,
                **extra_config,
            },
        )
        self.testbot.start()
        self.backend = self.testbot.bot

    def ask(self, command: str, as_user: str | None = None, timeout: float = 5) -> str:
        """Send ``command`` (as ``as_user``, default the admin @alice) and return the reply."""
        self.backend.sender = self.backend.build_identifier(as_user or "@alice")
        return self.testbot.exec_command(command, timeout=timeout)

    def pop(self, timeout: float = 1) -> str:
        return self.testbot.pop_message(timeout=timeout)

    def assert_quiet(self) -> None:
        """Nothing else was said: no unexpected message is waiting."""
        assert self.backend.outgoing_message_queue.empty(), (
            self.backend.outgoing_message_queue.get()
        )

    def stop(self) -> None:
        self.testbot.stop()
        runtime_module.install(None)


@pytest.fixture
def chat(runtime: Runtime) -> Iterator[ChatBot]:
    bot = ChatBot(runtime)
    try:
        yield bot
        bot.assert_quiet()
    finally:
        bot.stop()


def advance(
    runtime: Runtime, clock: FakeClock, until: datetime, step: timedelta = timedelta(minutes=1)
) -> list[tuple[str, datetime]]:
    """Fast-forward the fake clock to ``until`` in ``step``s, running due jobs at every step.

    This is how tests live through whole days without sleeping; returns the (job, fire time)
    pairs that ran.
    """
    ran: list[tuple[str, datetime]] = []
    while clock.now() < until:
        clock.set(min(clock.now() + step, until))
        ran.extend(runtime.scheduler.run_due())
    return ran
