"""The Errbot bridge, through Errbot's own test backend: commands, help, errors, ACLs, posts."""

from __future__ import annotations

from datetime import timedelta

from core.plugin_manager import DEFAULT_PLUGINS
from tests.conftest import ChatBot


def test_no_plugin_failed_to_load(chat: ChatBot) -> None:
    assert chat.backend._plugin_errors_during_startup is None
    assert chat.backend.plugin_manager.plugins["Dutybot"].is_activated


def test_whoami_shows_rota_membership_from_the_process_file(chat: ChatBot) -> None:
    lines = chat.ask("!whoami").splitlines()
    assert lines[:2] == ["You are Alice Archer (alice), chat @alice.", "Groups: admins, leads"]
    assert "dutybot.audit" in lines[2].removeprefix("Permissions: ").split(", ")
    assert lines[3] == "Rotas:"
    assert (
        "- support rota: cohort 1 of 3 (alice, bob, carol), 2 weeks in every 6; next on support 2026-12-07 to 2026-12-20"
        in lines[4:]
    )


def test_whoami_of_someone_on_support_now(chat: ChatBot) -> None:
    lines = chat.ask("!whoami @heidi", as_user="@bob").splitlines()
    assert lines[:2] == ["That is Heidi Horvat (heidi), chat @heidi.", "Groups: none"]
    assert lines[2].startswith("Permissions: ") and "dutybot.audit" not in lines[2]
    assert (
        "- support rota: cohort 3 of 3 (grace, heidi, ivan), 2 weeks in every 6; on support now 2026-11-23 to 2026-12-06"
        in lines[4:]
    )


def test_a_stranger_is_told_they_are_unknown(chat: ChatBot) -> None:
    assert chat.ask("!whoami", as_user="@mallory") == (
        "You (@mallory) are not in the team's process file, so I don't know who you are."
    )


def test_bad_arguments_get_the_problem_and_the_usage(chat: ChatBot) -> None:
    assert chat.ask("!whoami @nobody") == (
        "I don't know anyone called '@nobody'. People in this team: "
        "alice, bob, carol, dave, erin, frank, grace, heidi, ivan.\n"
        "Usage: !whoami [@person]"
    )
    assert chat.ask('!whoami "unbalanced') == (
        "Could not read the arguments: No closing quotation.\nUsage: !whoami [@person]"
    )


def test_acl_refuses_a_command_to_someone_without_the_permission(chat: ChatBot) -> None:
    assert chat.ask("!dutybot audit", as_user="@bob") == (
        "Sorry bob, !dutybot audit needs the permission 'dutybot.audit' (read the audit log)."
    )
    with chat.runtime.db.session() as session:
        chat.runtime.audit(session, "carol", "rota.swap", "carol/dave", "2026-12-01..2026-12-02")
    assert chat.ask("!dutybot audit 1") == (
        "Audit log, newest first:\n- 2026-11-30 08:00 carol: rota.swap carol/dave 2026-12-01..2026-12-02"
    )
    assert chat.ask("!dutybot audit 0") == (
        "Give how many entries to show, a number from 1 to 100.\nUsage: !dutybot audit [COUNT]"
    )


def test_help_lists_dutybot_commands_grouped_by_feature(chat: ChatBot) -> None:
    help_text = chat.ask("!help")
    team_section = help_text.split(" dutybot Team\n", 1)[1]
    assert team_section.startswith(
        " dutybot: Team\n• !team - List the people and groups of the team.\n• !whoami - "
    )
    framework_section = help_text.split(" dutybot\n", 1)[1]
    assert (
        "• !dutybot status - Show the version, database, plugins and services." in framework_section
    )
    assert chat.ask("!help dutybot Team").startswith("dutybot Team\n dutybot: Team\n• !team")


def test_status_names_version_database_plugins_and_services(chat: ChatBot) -> None:
    reply = chat.ask("!dutybot status")
    lines = reply.splitlines()
    assert lines[0].startswith("dutybot ")
    assert lines[1].startswith("Database: sqlite:///") or lines[1].startswith(
        "Database: postgresql+psycopg://"
    )
    assert lines[3] == "Plugins: " + ", ".join(
        f"{name} (built-in)" for name in sorted(DEFAULT_PLUGINS)
    )
    assert lines[4] == f"Scheduler: off, {len(chat.runtime.scheduler.jobs)} jobs"
    assert lines[5] == "Webhook receiver: off"
    assert lines[6] == "Chat: connected, 0 posts waiting"


def test_an_unexpected_error_is_a_reply_with_an_error_id_not_a_crash(chat: ChatBot) -> None:
    def broken(_ctx: object) -> str:
        raise RuntimeError("token=SECRET-do-not-show")

    command = chat.runtime.commands["team"]
    chat.runtime.commands["team"] = type(command)(**{**command.__dict__, "handler": broken})
    reply = chat.ask("!team")
    assert reply.startswith("Sorry, !team failed unexpectedly (error id ")
    assert "SECRET" not in reply
    assert chat.ask("!whoami @bob").startswith("That is Bob Baker")


def test_posts_made_while_chat_was_away_are_delivered_on_reconnect(chat: ChatBot, clock) -> None:
    manager = chat.backend.plugin_manager
    manager.deactivate_plugin("Dutybot")  # what Errbot does on a disconnect
    assert chat.runtime.chat.post("team", "queued while chat was down") is True
    assert chat.runtime.chat.pending() == 1
    manager.activate_plugin("Dutybot")  # and on reconnection
    assert chat.pop() == "queued while chat was down"
    assert chat.runtime.chat.pending() == 0
    clock.advance(timedelta(minutes=1))
    assert chat.runtime.chat.post("team", "hello", key="once") is True
    assert chat.pop() == "hello"
    assert chat.runtime.chat.post("team", "hello again", key="once") is False
    assert chat.ask("!whoami @bob").startswith("That is Bob Baker")


def test_errbot_acls_apply_to_dutybot_commands_by_name(runtime) -> None:
    bot = ChatBot(runtime, ACCESS_CONTROLS={"team": {"denyusers": ("@bob",)}})
    try:
        assert (
            bot.ask("!team", as_user="@bob")
            == "You're not allowed to access this command from this user"
        )
        assert bot.ask("!team", as_user="@carol").startswith("Cloud Platform (demo): 9 people")
    finally:
        bot.stop()
