"""Which priority an alert gets: the process file's routes (first match wins), then the hook."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.runtime import Runtime
    from plugins.alarms.settings import AlarmsSection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Routed:
    """A priority and the channel its alarm is posted to (a [channels] name or an address)."""

    priority: str
    channel: str


def route(
    runtime: Runtime, section: AlarmsSection, labels: dict[str, str], base: str | None = None
) -> Routed:
    """Match ``labels`` against the routes like Alertmanager; a plugin may override the priority.

    ``base`` skips the routes (alerts read from an alarm channel already have the channel's
    priority). A route's own ``channel`` belongs to the priority it sets: when a plugin
    overrides the priority, the alarm goes to that priority's channel.
    """
    priority, channel = base or section.default_priority, None
    for candidate in section.routes if base is None else ():
        if all(matcher.matches(labels) for matcher in candidate.matchers):
            priority, channel = candidate.priority, candidate.channel
            break
    override = runtime.hook.dutybot_alert_priority(
        runtime=runtime, labels=labels, priority=priority
    )
    if override is not None and override != priority:
        if override in section.priorities:
            priority, channel = override, None
        else:
            log.warning(
                "ignoring unknown alarm priority %r from a plugin (known: %s)",
                override,
                ", ".join(section.priorities),
            )
    return Routed(priority, channel or section.priorities[priority].channel)


def channel_priority(section: AlarmsSection, channel_name: str | None) -> str | None:
    """The priority whose alarms are posted to a [channels] name, if any."""
    return next((name for name, p in section.priorities.items() if p.channel == channel_name), None)
