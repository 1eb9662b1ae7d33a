"""Errbot's settings for dutybot. Secrets and locations come from the environment.

``dutybot run`` (and ``make run``) use this file. The defaults start a console chat (Errbot's
Text backend) with you as ``@alice`` from the demo team. docs/configuration.md lists every
variable; docs/deploy-slack.md shows the Slack settings, docs/backends.md the other backends.
"""

import logging
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("DUTYBOT_DATA_DIR") or ROOT / "data")

BACKEND = os.environ.get("DUTYBOT_BACKEND", "Text")
BOT_DATA_DIR = str(DATA_DIR / "errbot")
BOT_EXTRA_PLUGIN_DIR = str(ROOT / "plugins" / "bridge")  # only the bridge: never the repo root
BOT_LOG_FILE = str(DATA_DIR / "errbot.log")
BOT_LOG_LEVEL = getattr(
    logging, os.environ.get("DUTYBOT_LOG_LEVEL", "WARNING").upper(), logging.INFO
)
BOT_PREFIX = os.environ.get("DUTYBOT_PREFIX", "!")
BOT_ADMINS = tuple(
    a.strip() for a in os.environ.get("DUTYBOT_ADMINS", "@alice").split(",") if a.strip()
)

# Install nothing at start-up, never install repositories from chat, never call home.
AUTOINSTALL_DEPS = False
CORE_PLUGINS = ("ACLs", "ChatRoom", "CommandNotFoundFilter", "Health", "Help", "TextCmds", "Utils")


def _words(name: str) -> tuple[str, ...]:
    """A comma-separated variable as a tuple (channels, rooms)."""
    return tuple(w.strip() for w in os.environ.get(name, "").split(",") if w.strip())


# One block per backend; docs/backends.md gives each one's variables (tests/test_bridge_backends.py
# loads this file with them and checks what Errbot will read).
if BACKEND == "SlackV3":
    BOT_IDENTITY = {
        "token": os.environ.get("DUTYBOT_SLACK_BOT_TOKEN", ""),
        "app_token": os.environ.get("DUTYBOT_SLACK_APP_TOKEN", ""),
    }
    CHATROOM_PRESENCE = tuple(
        c.strip() for c in os.environ.get("DUTYBOT_SLACK_CHANNELS", "").split(",") if c.strip()
    )
    DIVERT_TO_THREAD = ("ALL_COMMANDS",)  # a command's answer goes into the command's thread
elif BACKEND == "IRC":
    BOT_IDENTITY = {
        "server": os.environ.get("DUTYBOT_IRC_SERVER", ""),
        "port": int(os.environ.get("DUTYBOT_IRC_PORT") or 6697),
        "ssl": os.environ.get("DUTYBOT_IRC_SSL", "on").lower() not in ("0", "off", "false", "no"),
        "nickname": os.environ.get("DUTYBOT_IRC_NICKNAME", "dutybot"),
        "password": os.environ.get("DUTYBOT_IRC_PASSWORD") or None,  # the server's, if any
        "nickserv_password": os.environ.get("DUTYBOT_IRC_NICKSERV_PASSWORD") or None,
    }
    CHATROOM_PRESENCE = _words("DUTYBOT_IRC_CHANNELS")
    IRC_CHANNEL_RATE = 1  # seconds between lines to a channel: servers kick floods
    IRC_PRIVATE_RATE = 1
elif BACKEND == "Telegram":
    BOT_IDENTITY = {"token": os.environ.get("DUTYBOT_TELEGRAM_TOKEN", "")}
    CHATROOM_PRESENCE = ()  # a Telegram bot cannot join groups itself: add it to them
elif BACKEND == "XMPP":
    BOT_IDENTITY = {
        "username": os.environ.get("DUTYBOT_XMPP_JID", ""),
        "password": os.environ.get("DUTYBOT_XMPP_PASSWORD", ""),
    }
    CHATROOM_PRESENCE = _words("DUTYBOT_XMPP_ROOMS")
    CHATROOM_FN = os.environ.get("DUTYBOT_XMPP_NICK", "dutybot")
else:
    BOT_IDENTITY = {}
    CHATROOM_PRESENCE = ()

# Errbot's ACLs by command name, on top of dutybot's own [acl] in the process file.
ACCESS_CONTROLS_DEFAULT = {}
ACCESS_CONTROLS = {}
