"""The ``dutybot`` console command: run the bot, check a process file, migrate, list plugins."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

from core.plugin_manager import PluginError, describe
from core.process import ProcessError
from core.runtime import Runtime, install, uninstall
from core.settings import Settings, SettingsError

BRIDGE_PLUGIN = "Dutybot"
CORE_COMMANDS = {"run", "check", "db", "plugins"}


@dataclass(frozen=True)
class CliCommand:
    """A subcommand contributed by a plugin: ``words`` typed after ``dutybot``, run on a runtime
    that is built (and migrated) but not started; ``run`` returns what to print."""

    words: tuple[str, ...]
    help: str
    run: Callable[[Runtime], str]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] not in CORE_COMMANDS and not argv[0].startswith("-"):
        return _plugin_command(argv)
    parser = argparse.ArgumentParser(prog="dutybot", description=__doc__, epilog=PLUGIN_EPILOG)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (console chat by default) with its runtime")
    run.add_argument(
        "-c", "--config", default="config.py", help="Errbot settings file (default: ./config.py)"
    )
    check = sub.add_parser("check", help="validate a process file; list every problem")
    check.add_argument(
        "process_file", nargs="?", type=Path, help="default: $DUTYBOT_PROCESS_FILE or the built-in"
    )
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    sub.add_parser("plugins", help="list the loaded plugins and the distribution each came from")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "check":
            return _check(settings, args.process_file)
        if args.command == "db":
            Runtime(settings).db.upgrade()
            print("database is up to date")
            return 0
        if args.command == "plugins":
            for info in describe(Runtime(settings).pm):
                print(f"{info.name}\t{info.source}")
            return 0
        return _run(settings, Path(args.config))
    except (ProcessError, PluginError, SettingsError) as exc:
        print(f"dutybot: cannot start:\n{exc}", file=sys.stderr)
        return 2


PLUGIN_EPILOG = (
    "Plugins add subcommands too (e.g. `dutybot incident-log build`); `dutybot help` lists them."
)


def _plugin_command(argv: list[str]) -> int:
    """Run a subcommand a plugin contributed, or list them all (``dutybot help``)."""
    try:
        runtime = Runtime(Settings.from_env())
    except (ProcessError, PluginError, SettingsError) as exc:
        print(f"dutybot: cannot start:\n{exc}", file=sys.stderr)
        return 2
    commands = [c for found in runtime.hook.dutybot_cli_commands() for c in found or []]
    chosen = next((c for c in commands if tuple(argv) == c.words), None)
    if chosen is None:
        listing = "\n".join(f"  dutybot {' '.join(c.words):<24} {c.help}" for c in commands)
        known = (
            f"dutybot {' '.join(argv)}: no such command."
            if argv != ["help"]
            else "Plugin commands:"
        )
        print(f"{known}\n{listing}", file=sys.stderr if argv != ["help"] else sys.stdout)
        return 0 if argv == ["help"] else 2
    runtime.db.upgrade()
    try:
        print(chosen.run(runtime))
    finally:
        runtime.db.dispose()
    return 0


def _check(settings: Settings, process_file: Path | None) -> int:
    if process_file is not None:
        settings = replace(settings, process_file=process_file)
    try:
        runtime = Runtime(settings)
    except ProcessError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    process = runtime.process
    print(f"{process.source}: ok ({len(process.people)} people, {len(runtime.commands)} commands)")
    return 0


def _load_config(path: Path) -> ModuleType:
    """Import Errbot's settings file as the module ``config``, as Errbot itself does."""
    if not path.exists():
        raise SettingsError(
            f"{path}: Errbot settings file not found (run from the checkout or pass -c)"
        )
    sys.path.insert(0, str(path.resolve().parent))
    spec = importlib.util.spec_from_file_location("config", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["config"] = module
    spec.loader.exec_module(module)
    return module


def _run(settings: Settings, config_path: Path) -> int:
    """Start the runtime first (so paging and webhooks never wait on chat), then Errbot."""
    from errbot.bootstrap import setup_bot

    config = _load_config(config_path)
    Path(config.BOT_DATA_DIR).mkdir(parents=True, exist_ok=True)
    runtime = install(Runtime(settings).start())
    try:
        bot = setup_bot(config.BACKEND, logging.getLogger(""), config)
        if bot._plugin_errors_during_startup:
            raise PluginError(
                f"Errbot could not load a plugin:\n{bot._plugin_errors_during_startup}"
            )
        original = bot.connect_callback

        def connect_then_verify() -> None:
            original()
            plugin = bot.plugin_manager.plugins.get(BRIDGE_PLUGIN)
            if plugin is None or not plugin.is_activated:
                raise PluginError(
                    f"the {BRIDGE_PLUGIN} bridge did not activate; see {config.BOT_LOG_FILE}"
                )

        bot.connect_callback = connect_then_verify
        print(f"dutybot {runtime.version} ready: {runtime.db.display_url}; type !help", flush=True)
        bot.serve_forever()
    finally:
        uninstall()
    return 0


if __name__ == "__main__":
    sys.exit(main())
