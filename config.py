"""Errbot's settings for dutybot. Secrets and locations come from the environment.

``dutybot run`` (and ``make run``) use this file. The defaults start a console chat (Errbot's
Text backend) with you as ``@alice`` from the demo team. docs/configuration.md lists every
variable; docs/deploy-slack.md shows the Slack settings.
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

if BACKEND == "SlackV3":
    BOT_IDENTITY = {
        "token": os.environ.get("DUTYBOT_SLACK_BOT_TOKEN", ""),
        "app_token": os.environ.get("DUTYBOT_SLACK_APP_TOKEN", ""),
    }
    CHATROOM_PRESENCE = tuple(
        c.strip() for c in os.environ.get("DUTYBOT_SLACK_CHANNELS", "").split(",") if c.strip()
    )
else:
    BOT_IDENTITY = {}
    CHATROOM_PRESENCE = ()

# Errbot's ACLs by command name, on top of dutybot's own [acl] in the process file.
ACCESS_CONTROLS_DEFAULT = {}
ACCESS_CONTROLS = {}
