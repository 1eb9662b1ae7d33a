"""A Slack workspace as far as the bridge can tell, over Errbot's own test backend.

The test backend carries whatever ``extras`` a message is pushed with, so messages arrive with
the event the Slack backend would attach (``ts``, ``thread_ts``, ``subtype``), from room
occupants whose room prints as Slack's ``<#C…|name>`` and whose person is a Slack user id. The
process file lists people and channels by Slack ids, as docs/deploy-slack.md says to. Reactions
are handed to Errbot's ``callback_reaction`` as the Slack backend builds them (errbot's own
``Reaction`` with ``reacted_to={"type": "message", "channel": "C…", "ts": "…"}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from errbot.backends.base import REACTION_ADDED, Reaction
from errbot.backends.test import TestOccupant, TestRoom

from core.runtime import Runtime
from tests.conftest import ChatBot

TEAM_ID, SUPPORT_ID = "C0TEAM0001", "C0SUPP0001"
USERS = {"alice": "U0ALICE001", "bob": "U0BOB00001", "carol": "U0CAROL001", "dave": "U0DAVE0001"}
PROCESS = f"""
[team]
name = "Slack team"

[channels]
team = "<#{TEAM_ID}>"
support = "{SUPPORT_ID}"

[groups]
admins = ["alice"]
""" + "".join(
    f'\n[[people]]\nid = "{person}"\nname = "{person.title()} Example"\nchat = "<@{user}>"\n'
    for person, user in USERS.items()
)
SYNC = "!echo --sync--"


def serve(runtime: Runtime) -> Iterator[ChatBot]:
    """The body of a ``chat`` fixture for ``Workspace``: Errbot runs commands on one worker
    thread, so they answer in the order they were sent."""
    bot = ChatBot(runtime, BOT_ASYNC_POOLSIZE=1)
    try:
        yield bot
        bot.assert_quiet()
    finally:
        bot.stop()


class Workspace:
    """Say things in Slack channels as people, react to messages, and read what the bot said."""

    def __init__(self, bot: ChatBot) -> None:
        self.bot = bot
        self.backend = bot.backend
        self.rooms = {
            TEAM_ID: TestRoom(f"<#{TEAM_ID}|cloud-platform>", bot=self.backend),
            SUPPORT_ID: TestRoom(f"<#{SUPPORT_ID}|ask-cloud-platform>", bot=self.backend),
        }

    def say(
        self,
        person: str,
        text: str,
        ts: str,
        thread_ts: str | None = None,
        channel: str = TEAM_ID,
        subtype: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> list[str]:
        """Post ``text`` as ``person``; returns everything the bot said in answer, in order.

        ``attachments`` go where the Slack backend puts an event's: in the event and in the
        message's ``extras``.

        Errbot handles pushed messages one at a time on its own thread, so a final ``!echo``
        from the same person marks where the answers to this message end (the sender is read
        when a message is handled, so it must not change before then).
        """
        event: dict[str, Any] = {"type": "message", "channel": channel, "ts": ts}
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        if subtype is not None:
            event["subtype"] = subtype
        extras: dict[str, Any] = {"slack_event": event}
        if attachments is not None:
            event["attachments"] = extras["attachments"] = attachments
        self.backend.sender = TestOccupant(USERS[person], self.rooms[channel])
        self.backend.push_message(text, extras)
        self.backend.push_message(SYNC)
        said = []
        while (reply := self.bot.pop(timeout=5)) != "--sync--":
            said.append(reply)
        return said

    def react(
        self, person: str, emoji: str, ts: str, channel: str = TEAM_ID, action: str = REACTION_ADDED
    ) -> list[str]:
        """React to message ``ts`` as the Slack backend reports it; returns what the bot posted."""
        reaction = Reaction(
            reactor=TestOccupant(USERS[person], self.rooms[channel]),
            action=action,
            timestamp="1764500000.000900",
            reaction_name=emoji,
            reacted_to={"type": "message", "channel": channel, "ts": ts},
        )
        self.backend.callback_reaction(reaction)
        said = []
        while not self.backend.outgoing_message_queue.empty():
            said.append(self.bot.pop())
        return said
