"""The configuration snippets of docs/backends.md, tested: each ``sh`` block is loaded into the
environment, config.py is run the way Errbot runs it, and the values Errbot reads are checked.
The people and channels the docs say each backend reports are checked against the bridge's
handle and room rules with identifiers shaped like those backends'."""

from __future__ import annotations

import os
import re
import runpy
from pathlib import Path
from typing import Any

import errbot
import pytest

from plugins.bridge.adapter import channel_address, sender_handle
from tests.conftest import ROOT

DOC = ROOT / "docs" / "backends.md"
SNIPPET = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)


def snippets() -> dict[str, dict[str, str]]:
    """Each ``sh`` block of docs/backends.md as variables, keyed by its ``DUTYBOT_BACKEND``."""
    found = {}
    for block in SNIPPET.findall(DOC.read_text(encoding="utf-8")):
        variables = dict(
            line.split("=", 1) for line in block.splitlines() if line and not line.startswith("#")
        )
        found[variables["DUTYBOT_BACKEND"]] = variables
    return found


def load_config(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> dict[str, Any]:
    """config.py's settings with exactly ``variables`` set among the DUTYBOT_* ones."""
    for name in [n for n in os.environ if n.startswith("DUTYBOT_")]:
        monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config.py"))


EXPECTED: dict[str, dict[str, Any]] = {
    "SlackV3": {
        "BOT_IDENTITY": {
            "token": "xoxb-0000-fake-bot-token",
            "app_token": "xapp-1-fake-app-token",
        },
        "CHATROOM_PRESENCE": ("C0TEAM0001", "C0SUPP0001"),
        "BOT_ADMINS": ("U0ALICE001",),
        "DIVERT_TO_THREAD": ("ALL_COMMANDS",),
    },
    "IRC": {
        "BOT_IDENTITY": {
            "server": "irc.libera.chat",
            "port": 6697,
            "ssl": True,
            "nickname": "cp-dutybot",
            "password": None,
            "nickserv_password": "fake-nickserv-password",
        },
        "CHATROOM_PRESENCE": ("#cloud-platform", "#ask-cloud-platform"),
        "BOT_ADMINS": ("alice",),
        "IRC_CHANNEL_RATE": 1,
    },
    "Telegram": {
        "BOT_IDENTITY": {"token": "123456:fake-telegram-token"},
        "CHATROOM_PRESENCE": (),
        "BOT_ADMINS": ("123456789",),
    },
    "XMPP": {
        "BOT_IDENTITY": {"username": "dutybot@example.org", "password": "fake-xmpp-password"},
        "CHATROOM_PRESENCE": ("ops@conference.example.org", "support@conference.example.org"),
        "CHATROOM_FN": "dutybot",
        "BOT_ADMINS": ("alice@example.org",),
    },
}


def test_the_docs_give_a_snippet_for_slack_and_three_other_backends() -> None:
    assert sorted(snippets()) == sorted(EXPECTED)


@pytest.mark.parametrize("backend", sorted(EXPECTED))
def test_a_snippet_configures_what_errbot_reads(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(monkeypatch, snippets()[backend])
    assert config["BACKEND"] == backend
    for name, value in EXPECTED[backend].items():
        assert config[name] == value, name
    assert config["BOT_EXTRA_PLUGIN_DIR"] == str(ROOT / "plugins" / "bridge")
    assert config["AUTOINSTALL_DEPS"] is False


def test_every_backend_but_slack_ships_with_errbot() -> None:
    """Errbot finds a backend by the ``Name`` in a ``.plug`` file; Slack's comes from its package."""
    plugs = Path(errbot.__file__).parent / "backends"
    names = {
        re.search(r"^Name = (\S+)", plug.read_text(), re.M).group(1)
        for plug in plugs.glob("*.plug")
    }
    assert set(EXPECTED) - {"SlackV3"} <= names


def test_the_console_stays_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(monkeypatch, {})
    assert (config["BACKEND"], config["BOT_IDENTITY"], config["CHATROOM_PRESENCE"]) == (
        "Text",
        {},
        (),
    )


class Occupant:
    """A room occupant as each backend builds one: only the attributes it really has."""

    def __init__(self, room: str, **attributes: Any) -> None:
        self.room = room
        for name, value in attributes.items():
            setattr(self, name, value)


class AnonymousRoomOccupant:
    """XMPP in an anonymous room: asking for the real JID fails."""

    person = "ops@conference.example.org/alice"

    @property
    def real_jid(self) -> str:
        raise KeyError("jid")


@pytest.mark.parametrize(
    ("occupant", "handle", "room"),
    [
        (
            Occupant("<#C0TEAM0001|cloud-platform>", userid="U0ALICE001", person="U0ALICE001"),
            "U0ALICE001",
            "<#C0TEAM0001>",
        ),
        (Occupant("#cloud-platform", person="alice"), "alice", "#cloud-platform"),
        (Occupant("-1001234567890", person=123456789), "123456789", "-1001234567890"),
        (
            Occupant(
                "ops@conference.example.org",
                real_jid="alice@example.org",
                person="ops@conference.example.org/alice",
            ),
            "alice@example.org",
            "ops@conference.example.org",
        ),
    ],
    ids=["slack", "irc", "telegram", "xmpp"],
)
def test_each_backend_reports_people_and_rooms_as_the_docs_say(
    occupant: Occupant, handle: str, room: str
) -> None:
    assert sender_handle(occupant) == handle
    assert channel_address(str(occupant.room)) == room


def test_an_xmpp_occupant_without_a_real_jid_is_known_by_room_and_nick() -> None:
    assert sender_handle(AnonymousRoomOccupant()) == "ops@conference.example.org/alice"
