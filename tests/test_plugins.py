"""The plugin system: built-ins, pip-installed extras, disabling, and loud failures."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core import hookimpl
from core.plugin_manager import DEFAULT_PLUGINS, PluginError, build_plugin_manager
from core.runtime import Runtime
from tests.conftest import ChatBot, pip_installed


class Misspelt:
    @hookimpl
    def dutybot_comands(self) -> list:  # sic: the typo check_pending exists to catch
        return []


class WrongArgument:
    @hookimpl
    def dutybot_status(self, runtime, colour) -> list:  # 'colour' is not in the spec
        return []


def test_builtins_are_registered_by_default() -> None:
    pm = build_plugin_manager()
    assert {name for name, _ in pm.list_name_plugin()} == set(DEFAULT_PLUGINS)


def test_a_misspelt_hook_stops_start_up_naming_plugin_and_hook() -> None:
    with pytest.raises(PluginError, match=r"dutybot_comands"):
        build_plugin_manager(extra=[Misspelt()])


def test_an_argument_outside_the_spec_stops_start_up() -> None:
    with pytest.raises(PluginError, match=r"colour"):
        build_plugin_manager(extra=[WrongArgument()])


def test_disable_by_environment(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(disabled_plugins=frozenset({"team"}))
    assert "whoami" not in runtime.commands
    assert "dutybot status" in runtime.commands


def test_disable_by_process_file(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(process='[plugins]\ndisabled = ["rota"]\n[rota.support]\nweeks = 2\n')
    assert (
        runtime.hook.dutybot_role_holders(runtime=runtime, role="support", at=runtime.clock.now())
        is None
    )
    assert "rota" not in runtime.process.sections


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pip_installed(
        "dutybot-hello", "dutybot_hello", tmp_path_factory.mktemp("hello")
    ) as target:
        yield target


def test_an_installed_plugin_is_loaded_from_its_entry_point(installed_example: Path) -> None:
    from core.plugin_manager import describe

    pm = build_plugin_manager()
    assert ("hello", "dutybot-hello 0.1.0") in {(i.name, i.source) for i in describe(pm)}


def test_an_installed_plugin_can_be_disabled_by_name(installed_example: Path) -> None:
    pm = build_plugin_manager(disabled={"hello"})
    assert "hello" not in {name for name, plugin in pm.list_name_plugin() if plugin is not None}


def test_an_installed_plugins_command_is_in_help_and_its_hook_is_called(
    installed_example: Path, runtime_factory_for_example: Runtime
) -> None:
    bot = ChatBot(runtime_factory_for_example)
    try:
        help_text = bot.ask("!help")
        assert (
            " dutybot Hello\n dutybot: Hello\n• !hello - Say hello and who is on support."
            in help_text
        )
        assert bot.ask("!hello @bob") == "Hello, Bob Baker! On support today: grace, heidi, ivan."
        status = bot.ask("!dutybot status")
        assert "hello (dutybot-hello 0.1.0)" in status
        assert any(
            re.fullmatch(r"hello: [1-9]\d* greetings since start", line)
            for line in status.splitlines()
        )
        bot.assert_quiet()
    finally:
        bot.stop()


@pytest.fixture
def runtime_factory_for_example(
    installed_example: Path, make_runtime: Callable[..., Runtime]
) -> Runtime:
    return make_runtime()
