"""The Errbot plugin that bridges chat to the dutybot runtime.

It attaches to the runtime (starting one if ``errbot`` was launched directly), exposes every
plugin-contributed command as Errbot commands grouped by feature, hands non-command messages
to the plugins, and delivers the runtime's posts. Activation is safe to repeat: Errbot
deactivates every plugin on disconnect and activates them again on reconnect.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from errbot import BotPlugin

from core.runtime import attach_or_start
from plugins.bridge.adapter import dynamic_plugins, inbound, message_ref, outbound


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
        self.runtime.chat.attach(self._deliver)

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

    def callback_message(self, message: Any) -> None:
        if message.body.startswith(self._bot.prefix) or message.frm == self.bot_identifier:
            return
        for reply in self.runtime.handle_message(inbound(self.runtime, message)):
            self.send(
                message.frm.room if hasattr(message.frm, "room") else message.frm,
                reply,
                in_reply_to=message,
            )

    def _deliver(self, address: str, text: str, parent_ref: str | None) -> str | None:
        message = outbound(self._bot, self.build_identifier(address), text, parent_ref)
        self._bot.send_message(message)
        return message_ref(message)
