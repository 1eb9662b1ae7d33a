"""The Errbot plugin that bridges chat to the dutybot runtime.

It attaches to the runtime (starting one if ``errbot`` was launched directly), exposes every
plugin-contributed command as Errbot commands grouped by feature, hands non-command messages
to the plugins, and delivers the runtime's posts. Activation is safe to repeat: Errbot
deactivates every plugin on disconnect and activates them again on reconnect.

Slack's specifics are handled here, for every feature at once: replies go into the message's
thread, an edited message (Slack sends it again) neither re-runs a command nor reaches the
plugins, and reactions are handed on through ``dutybot_chat_reaction``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from errbot import BotPlugin, cmdfilter

from core.mentions import neutralise
from core.runtime import attach_or_start
from plugins.bridge.adapter import (
    SLACK_MODE,
    backend_address,
    dynamic_plugins,
    inbound,
    is_edit,
    message_ref,
    outbound,
    reaction_of,
    reply_parent,
    slack_body,
)


class Dutybot(BotPlugin):
    """dutybot: the support process, run from chat."""

    def activate(self) -> None:
        super().activate()
        self.runtime = attach_or_start()
        self._dynamic: list[str] = []
        plugins = dynamic_plugins(self.runtime, self._bot.prefix)
        self._take_over_names(command.name for _, commands, _ in plugins for command in commands)
        for name, commands, doc in plugins:
            self.create_dynamic_plugin(name, commands, doc)
            self._dynamic.append(name)
        self.runtime.chat.attach(self._deliver, self._upload if _can_upload(self._bot) else None)

    def _take_over_names(self, names: Iterable[str]) -> None:
        """dutybot's commands win over Errbot core commands of the same name (``!whoami``).

        Errbot would otherwise rename ours (``!dutybot team-whoami``) and warn every admin.
        """
        for name in names:
            if self._bot.commands.pop(name, None) is not None:
                self.log.info("dutybot's !%s replaces the Errbot core command of that name", name)

    def deactivate(self) -> None:
        self.runtime.chat.detach()
        for name in self._dynamic:
            self.destroy_dynamic_plugin(name)
        self._dynamic = []
        super().deactivate()

    @cmdfilter
    def edits_never_rerun(self, msg: Any, cmd: Any, args: Any, dry_run: bool) -> tuple:
        """Block the command of an edited message: it ran when the message was first sent."""
        if is_edit(msg):
            self.log.info("not running !%s again for an edited message", cmd)
            return None, None, None
        return msg, cmd, args

    def callback_message(self, message: Any) -> None:
        """A channel message that is not a command, offered to the plugins; replies in its thread.

        Errbot has already dropped the bot's own messages (comparing identifiers again here would
        cost the Slack backend a warning per message).
        """
        if message.body.startswith(self._bot.prefix) or is_edit(message):
            return
        for reply in self.runtime.handle_message(inbound(self.runtime, message)):
            self.send(
                message.frm.room if hasattr(message.frm, "room") else message.frm,
                neutralise(reply),
                in_reply_to=reply_parent(message),
            )

    def callback_botmessage(self, message: Any) -> None:
        """Every message the bot sends, just before the backend sends it (each backend's
        ``send_message`` calls Errbot's, which calls this, first): defused here as well, so
        Errbot's own replies that repeat what was typed (``Command "…" not found``, ``!echo``)
        cannot mention a whole channel either. On Slack a bare ``@handle`` would ring a user
        group (``link_names``), and the backend decodes entities, so ``slack_body`` too."""
        body = neutralise(message.body)
        message.body = slack_body(body) if self._bot.mode == SLACK_MODE else body

    def callback_reaction(self, reaction: Any) -> None:
        """An emoji added or removed (Slack reports them; Errbot's other backends do not)."""
        found = reaction_of(self.runtime, reaction)
        if found is not None:
            self.runtime.handle_reaction(found)

    def _deliver(self, address: str, text: str, parent_ref: str | None) -> str | None:
        """Send one outbox post; raises if it did not go out, so the outbox keeps it.

        The Slack backend logs a refused post (rate limited, Slack unreachable) and returns as
        if it had been sent: only the ``ts`` it records for a sent message tells them apart.
        """
        to = self.build_identifier(backend_address(self._bot, address))
        message = outbound(self._bot, to, text, parent_ref)
        self._bot.send_message(message)
        ref = message_ref(message)
        if ref is None and self._bot.mode == SLACK_MODE:
            raise NotSentError(f"Slack did not take the post to {address}")
        return ref

    def _upload(
        self, address: str, caption: str, name: str, data: bytes, parent_ref: str | None
    ) -> str | None:
        """A file post: the caption as a message, then the file through Errbot's stream API.

        Once the caption is out the post counts as delivered: a failed upload is logged, said
        under the caption, and not retried, since retrying would post the caption again (and
        hold the later posts to that address while the upload keeps failing).
        """
        ref = self._deliver(address, caption, parent_ref)
        try:
            self._bot.send_stream_request(
                self.build_identifier(backend_address(self._bot, address)),
                io.BytesIO(data),
                name,
                len(data),
                "image/png",
            )
        except Exception:
            self.log.exception("uploading %s failed; its caption was posted", name)
            try:
                self._deliver(address, f"[{name}] {UPLOAD_FAILED}", parent_ref or ref)
            except Exception:
                self.log.exception("could not say that %s is missing", name)
        return ref


UPLOAD_FAILED = "(not attached: the upload failed)"


class NotSentError(RuntimeError):
    """The backend did not send a post (the outbox keeps it and tries again)."""


NO_UPLOAD_MODES = frozenset({"text", "test", "null", "irc", "telegram"})
"""Backends whose ``send_stream_request`` shows no file (logs it, or dumps raw bytes as a message),
or cannot send ours to a channel: IRC offers a DCC to a nick (to a room it raises, which would hold
every later post in the outbox); Telegram takes only its own stream types (``photo``), refuses
``image/png`` and only logs it, so the chart would vanish without the "not attached" note."""


def _can_upload(bot: Any) -> bool:
    return callable(getattr(bot, "send_stream_request", None)) and bot.mode not in NO_UPLOAD_MODES
