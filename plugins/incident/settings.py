"""The ``[incident]`` section of the process file.

Every default here is the one in the process reference (and in core/default_process.toml,
which documents each key); the team changes them in its process file, never in code.
"""

from __future__ import annotations

import re
from string import Formatter
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_validator

from core.process import Hours, StrictModel
from plugins.incident.durations import ALWAYS, Duration
from plugins.incident.phrases import PLACEHOLDER

SECTION = "incident"
WINDOWS = frozenset(Hours.model_fields) | {ALWAYS}
_LEVEL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _duration(value: Any) -> Any:
    return Duration.parse(value) if isinstance(value, str) else value


DurationText = Annotated[Duration, BeforeValidator(_duration)]
"""A duration written ``20m``, ``2h``, ``1h30m`` or ``2d``."""


def _window(value: str) -> str:
    """A calendar window of [hours], or ``always`` for wall-clock time."""
    if value not in WINDOWS:
        raise ValueError(f"{value!r}: unknown hours (use one of {', '.join(sorted(WINDOWS))})")
    return value


class Level(StrictModel):
    """One priority: what makes an incident this urgent, and the targets that follow from it.

    ``urgent`` levels are the team's "high priority": worked out of support hours (the on-call
    engineer is paged within on-call hours), checked in on, and handed over at 18:00.
    """

    label: str = Field(min_length=1)
    criteria: list[str] = Field(default_factory=list)
    urgent: bool = False
    response: DurationText | None = None
    response_hours: str = ALWAYS
    update_every: DurationText | None = None
    update_hours: str = ALWAYS
    checkin_every: DurationText | None = None

    @field_validator("response_hours", "update_hours")
    @classmethod
    def _known_window(cls, value: str) -> str:
        return _window(value)


class Scheme(StrictModel):
    """A priority scheme: its levels, most urgent first, and which one applies when none is given."""

    default: str
    levels: dict[str, Level]
    from_alarms: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        if not self.levels:
            raise ValueError("levels: give at least one priority")
        for name in self.levels:
            if not _LEVEL_NAME.match(name):
                raise ValueError(
                    f"levels: {name!r} is not a usable priority name (letters, digits, - and _)"
                )
        folded = [name.lower() for name in self.levels]
        if len(set(folded)) != len(folded):
            raise ValueError("levels: two priorities differ only in case")
        if self.default not in self.levels:
            raise ValueError(
                f"default: {self.default!r} is not one of the levels ({', '.join(self.levels)})"
            )
        for alarm, level in self.from_alarms.items():
            if level not in self.levels:
                raise ValueError(
                    f"from_alarms.{alarm}: {level!r} is not one of the levels ({', '.join(self.levels)})"
                )
        return self

    def find(self, name: str) -> str | None:
        """The level called ``name``, whatever its case (``p2`` is ``P2``)."""
        return next((level for level in self.levels if level.lower() == name.strip().lower()), None)

    @property
    def urgent(self) -> list[str]:
        return [name for name, level in self.levels.items() if level.urgent]


HIGH_CRITERIA = [
    "an outage of a user-facing service",
    "a slowdown or degradation of a user-facing service",
    "a failure that stops one or more teams from working",
    "a failure that creates a major vulnerability in the platform",
]


def _default_schemes() -> dict[str, Scheme]:
    """The process reference's two schemes: the team's "high priority", and the P1-P4 table."""
    return {
        "high": Scheme(
            default="normal",
            from_alarms={"high": "high"},
            levels={
                "high": Level(
                    label="high priority",
                    criteria=HIGH_CRITERIA,
                    urgent=True,
                    update_every=Duration(minutes=30),
                    checkin_every=Duration(minutes=60),
                ),
                "normal": Level(label="normal priority", criteria=["anything else"]),
            },
        ),
        "p1-p4": Scheme(
            default="P4",
            from_alarms={"high": "P2"},
            levels={
                "P1": Level(
                    label="P1 critical",
                    criteria=["a complete outage", "ongoing unauthorised access"],
                    urgent=True,
                    response=Duration(minutes=20),
                    update_every=Duration(minutes=60),
                    checkin_every=Duration(minutes=60),
                ),
                "P2": Level(
                    label="P2 major",
                    criteria=["substantial degradation"],
                    urgent=True,
                    response=Duration(minutes=60),
                    update_every=Duration(minutes=120),
                    checkin_every=Duration(minutes=60),
                ),
                "P3": Level(
                    label="P3 significant",
                    criteria=["intermittent or degraded service"],
                    response=Duration(minutes=120),
                    response_hours="support",
                    update_every=Duration(days=2),
                    update_hours="support",
                ),
                "P4": Level(
                    label="P4 minor",
                    criteria=["a component failure with no immediate impact"],
                    response=Duration(days=1),
                    response_hours="support",
                    update_every=Duration(days=5),
                    update_hours="support",
                ),
            },
        ),
    }


class Phrases(StrictModel):
    """The team's fixed wording; ``{reason}``, ``{impact}`` and ``{resolution}`` are read from it."""

    declare: str = "I am declaring an incident because {reason}. The impact is that {impact}."
    resolve: str = "I am declaring this incident resolved because {resolution}."
    lead: str = "I am the incident lead"
    scribe: str = "I am the scribe"
    comms: str = "I am the communications lead"
    note_marker: str = Field(default="note:", min_length=1)

    @model_validator(mode="after")
    def _placeholders(self) -> Phrases:
        wanted = {
            "declare": {"reason", "impact"},
            "resolve": {"resolution"},
            "lead": set(),
            "scribe": set(),
            "comms": set(),
        }
        for key, names in wanted.items():
            text = getattr(self, key)
            found = PLACEHOLDER.findall(text)
            if sorted(found) != sorted(names):
                need = ", ".join(f"{{{n}}}" for n in sorted(names)) or "no placeholders"
                raise ValueError(f"{key}: {text!r} must contain {need}, each once")
            if not re.search(r"\w", PLACEHOLDER.sub("", text)):
                raise ValueError(f"{key}: {text!r} needs words besides the placeholders")
        return self


TEXT_PLACEHOLDERS = {
    "apology": frozenset(),
    "no_user_action": frozenset(),
    "one_hour_rule": frozenset({"id", "title", "minutes", "reopens"}),
}


class Texts(StrictModel):
    """What the bot says that is the team's to word; placeholders as in TEXT_PLACEHOLDERS."""

    apology: str = "We are sorry for the disruption this is causing."
    no_user_action: str = "Nothing for now."
    one_hour_rule: str = (
        "One-hour rule: incident {id} ({title}) has been worked out of hours for {minutes} "
        "minutes. If it is not fixed, inform the affected team and plan the fix for working "
        "hours (support hours resume {reopens})."
    )

    @model_validator(mode="after")
    def _placeholders(self) -> Texts:
        for key, allowed in TEXT_PLACEHOLDERS.items():
            text = getattr(self, key)
            try:
                used = {name for _, name, _, _ in Formatter().parse(text) if name is not None}
            except ValueError as exc:
                raise ValueError(
                    f"{key}: {text!r}: {exc} (write {{{{ and }}}} for literal braces)"
                ) from None
            unknown = sorted(name or "{}" for name in used - allowed)
            if unknown:
                known = ", ".join(sorted(allowed)) or "none"
                raise ValueError(
                    f"{key}: unknown placeholder {', '.join(unknown)} (known: {known})"
                )
        return self


class IncidentSection(StrictModel):
    """Everything the incident process reads from the process file."""

    scheme: str = "high"
    schemes: dict[str, Scheme] = Field(default_factory=_default_schemes)
    nudge_minutes: int = Field(default=5, ge=1)
    remind_before_minutes: int = Field(default=5, ge=0)
    out_of_hours_minutes: int = Field(default=60, ge=1)
    announce_to: list[str] = Field(default_factory=list)
    update_to: list[str] = Field(default_factory=lambda: ["support"])
    recent_days: int = Field(default=7, ge=1, le=366)
    timeline_reactions: frozenset[str] = frozenset({"memo", "📝"})
    phrases: Phrases = Field(default_factory=Phrases)
    texts: Texts = Field(default_factory=Texts)

    @field_validator("timeline_reactions", mode="before")
    @classmethod
    def _emoji_names(cls, value: Any) -> Any:
        """``:memo:`` and ``memo`` are the same reaction; the names are compared without colons."""
        if isinstance(value, list | tuple | set | frozenset):
            return frozenset(str(name).strip().strip(":") for name in value)
        return value

    @model_validator(mode="after")
    def _scheme_known(self) -> IncidentSection:
        if self.scheme not in self.schemes:
            raise ValueError(
                f"scheme: {self.scheme!r} is not one of [incident.schemes] ({', '.join(self.schemes)})"
            )
        return self

    @property
    def levels(self) -> dict[str, Level]:
        return self.schemes[self.scheme].levels

    @property
    def active(self) -> Scheme:
        return self.schemes[self.scheme]

    def level(self, name: str) -> Level:
        """The level an incident has; one dropped from the file since reads as the default."""
        return self.levels.get(name) or self.levels[self.active.default]
