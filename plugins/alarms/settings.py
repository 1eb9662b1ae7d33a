"""The ``[alarms]`` section of the process file.

Every default here is the default process (docs/process-reference): critical alerts are high
priority, posted to the high-priority channel and paged within on-call hours; warnings go to the
lower-priority channel and never page; ``info-*`` severities go to the notify channel with no
"resolved" message. Alertmanager groups by alertname and job with a 5-minute group interval,
which is also how often dutybot adds an update to an alarm's thread.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from core.durations import parse_duration
from core.process import StrictModel
from plugins.alarms.matchers import Matcher

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "alarms"


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


def _matcher(value: Any) -> Any:
    return Matcher.parse(value) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
MatcherField = Annotated[Matcher, BeforeValidator(_matcher)]


class Priority(StrictModel):
    """What an alarm of one priority does: where it is posted and whether it pages."""

    channel: str
    page: bool = False
    send_resolved: bool = True


class AlarmRoute(StrictModel):
    """Alerts whose labels match every matcher get ``priority`` (and ``channel``, if given)."""

    matchers: list[MatcherField] = Field(default_factory=list)
    priority: str
    channel: str | None = None


class Responder(StrictModel):
    """Who is paged for a paging alarm while a calendar window is open."""

    window: Literal["support", "working", "oncall"]
    target: str


class ChatMessages(StrictModel):
    """Alerts other tools post in the alarm channels (before Alertmanager is re-pointed)."""

    parse: bool = True
    page: bool = False


def _default_priorities() -> dict[str, Priority]:
    return {
        "high": Priority(channel="alarms_high", page=True),
        "low": Priority(channel="alarms_low"),
        "info": Priority(channel="notify", send_resolved=False),
    }


def _default_routes() -> list[AlarmRoute]:
    return [
        AlarmRoute(matchers=[Matcher.parse('severity="critical"')], priority="high"),
        AlarmRoute(matchers=[Matcher.parse('severity="warning"')], priority="low"),
        AlarmRoute(matchers=[Matcher.parse('severity=~"info-.*"')], priority="info"),
    ]


def _default_responders() -> list[Responder]:
    return [
        Responder(window="support", target="support"),
        Responder(window="oncall", target="oncall"),
    ]


class AlarmsSection(StrictModel):
    """Routing, paging and chat behaviour of alarms."""

    priorities: dict[str, Priority] = Field(default_factory=_default_priorities, min_length=1)
    routes: list[AlarmRoute] = Field(default_factory=_default_routes)
    default_priority: str = "low"
    responders: list[Responder] = Field(default_factory=_default_responders)
    show_labels: list[str] = Field(
        default_factory=lambda: ["cluster", "namespace", "job", "service", "instance"]
    )
    update_interval: Duration = timedelta(minutes=5)
    flap_count: int = Field(default=3, ge=2)
    flap_window: Duration = timedelta(hours=1)
    max_silence: Duration = timedelta(days=7)
    chat: ChatMessages = Field(default_factory=ChatMessages)

    @model_validator(mode="after")
    def _priorities_exist(self) -> AlarmsSection:
        known = ", ".join(self.priorities)
        if self.default_priority not in self.priorities:
            raise ValueError(
                f"default_priority: {self.default_priority!r} is not in priorities ({known})"
            )
        for index, route in enumerate(self.routes):
            if route.priority not in self.priorities:
                raise ValueError(
                    f"routes[{index}].priority: {route.priority!r} is not in priorities ({known})"
                )
        return self

    @cached_property
    def routed_labels(self) -> tuple[str, ...]:
        """Every label some route reads: alerts equal in these are routed alike."""
        return tuple(sorted({m.label for route in self.routes for m in route.matchers}))

    def rank(self, priority: str) -> int:
        """0 for the most urgent priority (the first in the file); unknown ones sort last."""
        order = list(self.priorities)
        return order.index(priority) if priority in order else len(order)


def section_of(runtime: Runtime) -> AlarmsSection:
    """The validated ``[alarms]`` section of the runtime's process file."""
    section = runtime.process.section(SECTION)
    assert isinstance(section, AlarmsSection)
    return section
