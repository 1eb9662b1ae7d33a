"""The ``dutybot`` console command: run the bot, check a process file, migrate, list plugins."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

from core.plugin_manager import PluginError, describe
from core.process import ProcessError
from core.receiver import ListenError
from core.runtime import Runtime, install, uninstall
from core.settings import Settings, SettingsError

BRIDGE_PLUGIN = "Dutybot"
CORE_COMMANDS = {"run", "check", "db", "plugins"}


@dataclass(frozen=True)
class CliCommand:
    """A subcommand contributed by a plugin: ``words`` typed after ``dutybot``, run on a runtime
    that is built (and migrated) but not started; ``run`` returns what to print.

    With ``arguments`` (a function adding options to an argparse parser) the words are followed
    by options, and ``run(runtime, namespace)`` gets them parsed; a ``CliUsageError`` it raises
    is printed with the usage and exits 2, as argparse's own errors do.
    """

    words: tuple[str, ...]
    help: str
    run: Callable[..., str]
    arguments: Callable[[argparse.ArgumentParser], None] | None = None


class CliUsageError(Exception):
    """A plugin subcommand's options are wrong; the message says what and how to fix it."""


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
    except (ProcessError, PluginError, SettingsError, ListenError) as exc:
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
    chosen = next((c for c in commands if _typed(c, argv)), None)
    if chosen is not None and chosen.arguments is not None:
        return _run_with_options(runtime, chosen, argv[len(chosen.words) :])
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


def _typed(command: CliCommand, argv: list[str]) -> bool:
    """The words were typed: exactly, or followed by options for a command that takes them."""
    typed = tuple(argv[: len(command.words)]) if command.arguments else tuple(argv)
    return typed == command.words


def _run_with_options(runtime: Runtime, command: CliCommand, options: list[str]) -> int:
    """Parse a plugin subcommand's options (bad ones: message and exit 2), then run it."""
    assert command.arguments is not None
    parser = argparse.ArgumentParser(
        prog=f"dutybot {' '.join(command.words)}", description=command.help
    )
    command.arguments(parser)
    try:
        namespace = parser.parse_args(options)
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return int(exc.code or 0)
    runtime.db.upgrade()
    try:
        print(command.run(runtime, namespace))
    except CliUsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
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


def _run_without_chat(settings: Settings) -> int:
    """A replica with chat off (``DUTYBOT_CHAT=off``): receiver, pager and scheduler, no Errbot.

    Replicas sharing one PostgreSQL database run this way, all but the one connected to chat
    (docs/deploy.md); it logs to stderr (the journal under systemd) until SIGTERM or Ctrl-C.
    """
    level = os.environ.get("DUTYBOT_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    runtime = install(Runtime(settings).start())
    try:
        print(f"dutybot {runtime.version} ready, chat off: {runtime.db.display_url}", flush=True)
        while not stop.wait(1):
            pass
    finally:
        uninstall()
    return 0


def _run(settings: Settings, config_path: Path) -> int:
    """Start the runtime first (so paging and webhooks never wait on chat), then Errbot."""
    if not settings.chat_enabled:
        return _run_without_chat(settings)
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
