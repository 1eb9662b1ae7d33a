"""Text that reaches chat from users and alerts, made safe; chat handles, made comparable.

Alert summaries, incident titles and request texts are echoed into posts. Typed by anyone (or
sent by any webhook caller), they must not page a whole channel: Slack turns ``@channel`` (the
Slack backend posts with ``link_names``), ``<!here>`` and ``<!subteam^ID>`` into notifications for
everyone, Mattermost and Rocket.Chat do the same with ``@all``. They must not break the post's
formatting either: an unclosed code fence swallows the rest of a message in Markdown chats.

``neutralise`` is applied at the chat boundary (every post of the outbox as it is stored, and
every message the bridge sends, Errbot's own replies included), so no feature has to remember
it; dutybot itself never mass-mentions.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
MASS_MENTIONS = frozenset({"channel", "here", "everyone", "all", "group"})
FENCE = "```"

_AT_MASS = re.compile(r"(?<![\w@])@(" + "|".join(sorted(MASS_MENTIONS)) + r")\b", re.IGNORECASE)
_SLACK_SPECIAL = re.compile(r"<!([^>|]*)(?:\|([^>]*))?>")
_SLACK_USER = re.compile(r"^<@([UWB][A-Z0-9]+)(?:\|[^>]*)?>$")


def _special(match: re.Match[str]) -> str:
    """A Slack control sequence as inert text: ``<!here>`` reads ``@here`` but pings no one."""
    command, label = match.group(1), match.group(2)
    head = command.split("^", 1)[0].lower()
    if head in MASS_MENTIONS or head == "subteam":
        shown = (label or head).lstrip("@") or head
        return f"@{ZERO_WIDTH_SPACE}{shown}"
    return label if label is not None else head  # ``<!date^…|fallback>``: its fallback text


def neutralise(text: str) -> str:
    """``text`` with mass mentions defused and code fences balanced; idempotent.

    Unwrapping a control sequence can leave another behind (``<!date^0|<!here>>`` from an
    alert's raw text unwraps to ``<!here>``), so any ``<!`` left after the one pass is broken
    up too: in one more linear pass, not by unwrapping again, which nested input could make
    quadratic.
    """
    text = _SLACK_SPECIAL.sub(_special, text).replace("<!", f"<{ZERO_WIDTH_SPACE}!")
    text = _AT_MASS.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(1)}", text)
    if text.count(FENCE) % 2:
        text += f"\n{FENCE}"
    return text


_AT_HANDLE = re.compile(r"(?<![\w<])@(?=\w)")


def defuse_handles(text: str) -> str:
    """Every ``@word`` in ``text`` as inert text, for Slack.

    The Slack backend posts with ``link_names``, which turns ``@handle`` into a mention of the
    user group of that handle (``@sre-oncall``: everyone in it) and no longer links people by
    name; dutybot names people by id (``<@U0123ABC>``, left alone here), so on Slack a bare
    ``@word`` in a post is only ever someone's text reaching a whole group. Idempotent.
    """
    return _AT_HANDLE.sub(f"@{ZERO_WIDTH_SPACE}", text)


def handle_key(handle: str) -> str:
    """A chat handle as the process file's ``chat`` values are compared.

    ``@alice`` and ``alice`` are the same person (the console drops the ``@``, the test backend
    keeps it), and so are Slack's ``U0123ABC``, the mention ``<@U0123ABC>`` Slack puts in
    message text, and its older ``<@U0123ABC|alice>`` form.
    """
    handle = handle.strip()
    slack = _SLACK_USER.match(handle)
    return slack.group(1) if slack else handle.removeprefix("@")
