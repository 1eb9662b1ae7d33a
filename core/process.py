"""The team's process file: one TOML file that makes the written process executable.

The core validates its own sections (team, holidays, hours, channels, people, groups, acl,
limits, plugins); each feature plugin declares its section as a pydantic model through the
``dutybot_process_sections`` hook. Every problem is reported at once as ``file: key: problem``
so ``dutybot check`` can list them all.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.calendars import WeeklySchedule
from core.mentions import handle_key
from core.ratelimit import Limits

M = TypeVar("M", bound=BaseModel)

DEFAULT_PROCESS = Path(__file__).parent / "default_process.toml"
EVERYONE = "team"


class ProcessError(Exception):
    """The process file is unusable; ``problems`` lists every ``file: key: problem``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class StrictModel(BaseModel):
    """Base of every process-file section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _known_person(value: str, info: ValidationInfo) -> str:
    people = (info.context or {}).get("people")
    if people is not None and value not in people:
        raise ValueError(f"unknown person {value!r} (not in [[people]])")
    return value


PersonRef = Annotated[str, AfterValidator(_known_person)]
"""A person id that must be listed in [[people]]; plugins use it in their own sections."""


def _parse_schedule(value: Any) -> WeeklySchedule:
    if isinstance(value, WeeklySchedule):
        return value
    return WeeklySchedule.parse(value)


Schedule = Annotated[WeeklySchedule, BeforeValidator(_parse_schedule)]


class Team(StrictModel):
    name: str = "My team"
    timezone: str = "Europe/London"

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value


class Holidays(StrictModel):
    country: str | None = "GB"
    subdivision: str | None = "ENG"
    closures: list[date] = Field(default_factory=list)

    @field_validator("country", "subdivision", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        """TOML has no null: an empty string switches public holidays (or the region) off."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _country_known(self) -> Holidays:
        if self.country is None:
            return self
        try:
            holidays_lib.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError as exc:
            raise ValueError(f"unknown holiday country {self.country!r}") from exc
        return self


class Hours(StrictModel):
    support: Schedule = Field(
        default_factory=lambda: WeeklySchedule.parse({"mon-fri": ["10:00-17:00"]})
    )
    working: Schedule = Field(
        default_factory=lambda: WeeklySchedule.parse({"mon-fri": ["09:00-18:00"]})
    )
    oncall: Schedule = Field(
        default_factory=lambda: WeeklySchedule.parse(
            {
                "mon-fri": ["07:00-10:00", "17:00-22:00"],
                "sat-sun": ["07:00-22:00"],
                "holiday": ["07:00-22:00"],
            }
        )
    )


class Channels(StrictModel):
    team: str = "#team"
    support: str = "#support"
    alarms_high: str = "#high-priority-alarms"
    alarms_low: str = "#lower-priority-alarms"
    notify: str = "#notify"


class Person(StrictModel):
    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    name: str
    chat: str = Field(min_length=1)
    email: str | None = None


class Plugins(StrictModel):
    disabled: list[str] = Field(default_factory=list)


class CoreProcess(StrictModel):
    team: Team = Field(default_factory=Team)
    holidays: Holidays = Field(default_factory=Holidays)
    hours: Hours = Field(default_factory=Hours)
    channels: Channels = Field(default_factory=Channels)
    groups: dict[str, list[PersonRef]] = Field(default_factory=dict)
    acl: dict[str, list[str]] = Field(default_factory=dict)
    limits: Limits = Field(default_factory=Limits)
    plugins: Plugins = Field(default_factory=Plugins)

    @field_validator("groups")
    @classmethod
    def _group_names_free(
        cls, value: dict[str, list[str]], info: ValidationInfo
    ) -> dict[str, list[str]]:
        people = (info.context or {}).get("people", set())
        for group in value:
            if group in people or group == EVERYONE:
                raise ValueError(f"group {group!r} has the name of a person or of {EVERYONE!r}")
        return value

    @field_validator("acl")
    @classmethod
    def _acl_names_resolve(
        cls, value: dict[str, list[str]], info: ValidationInfo
    ) -> dict[str, list[str]]:
        if "groups" not in info.data:  # the groups are wrong: that error says enough
            return value
        people = (info.context or {}).get("people", set())
        for permission, names in value.items():
            for name in names:
                if name != EVERYONE and name not in info.data["groups"] and name not in people:
                    raise ValueError(
                        f"{permission}: {name!r} is neither a person, a group nor {EVERYONE!r}"
                    )
        return value


CORE_KEYS = frozenset(CoreProcess.model_fields) | {"people"}


@dataclass(frozen=True)
class Process:
    """A validated process: the core sections, the people, and each plugin's section."""

    source: str
    core: CoreProcess
    people: tuple[Person, ...]
    sections: Mapping[str, BaseModel] = field(default_factory=dict)

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def person_by_chat(self, handle: str) -> Person | None:
        """The person whose chat handle (``@alice``, or a Slack ``U…`` id) sent a message.

        Backends disagree on the ``@`` (the console reports ``alice``, the test backend
        ``@alice``), so it is not significant; a Slack mention ``<@U0123ABC>`` is its id. Every
        channel message is looked up, so this is one dictionary look-up, not a scan.
        """
        return self._people_by_chat.get(handle_key(handle))

    @cached_property
    def _people_by_chat(self) -> dict[str, Person]:
        return {handle_key(p.chat): p for p in reversed(self.people)}

    def section(self, name: str) -> BaseModel:
        return self.sections[name]

    def resolve(self, names: list[str]) -> set[str]:
        """Person ids named directly, through a group, or by ``team`` (everyone)."""
        resolved: set[str] = set()
        for name in names:
            if name == EVERYONE:
                resolved.update(p.id for p in self.people)
            elif name in self.core.groups:
                resolved.update(self.core.groups[name])
            else:
                resolved.add(name)
        return resolved


def read_raw(path: Path | None) -> tuple[dict[str, Any], str]:
    """Parse the TOML of a process file (the embedded default when ``path`` is None)."""
    target = path or DEFAULT_PROCESS
    source = str(path) if path else "<default process>"
    try:
        return tomllib.loads(target.read_text(encoding="utf-8")), source
    except FileNotFoundError as exc:
        raise ProcessError([f"{source}: file not found"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProcessError([f"{source}: invalid TOML: {exc}"]) from exc


def disabled_plugins(raw: Mapping[str, Any]) -> list[str]:
    """The plugins the file disables, read before plugins load (so their sections are known)."""
    disabled = (
        raw.get("plugins", {}).get("disabled", []) if isinstance(raw.get("plugins"), dict) else []
    )
    return [name for name in disabled if isinstance(name, str)]


def validate(
    raw: Mapping[str, Any],
    source: str,
    sections: Mapping[str, type[BaseModel]],
    ignored: frozenset[str] = frozenset(),
) -> Process:
    """Validate every section; raise ProcessError listing all problems.

    ``ignored`` names sections of disabled plugins: present in the file, validated by nobody.
    """
    problems: list[str] = []
    people = _validate_people(raw.get("people", []), source, problems)
    context = {"people": {p.id for p in people}}
    core = _validate_model(
        CoreProcess,
        {k: v for k, v in raw.items() if k in CORE_KEYS and k != "people"},
        (),
        source,
        problems,
        context,
    )
    parsed: dict[str, BaseModel] = {}
    for name, model in sections.items():
        value = raw.get(name, {})
        result = _validate_model(model, value, (name,), source, problems, context)
        if result is not None:
            parsed[name] = result
    for key in raw:
        if key not in CORE_KEYS and key not in sections and key not in ignored:
            problems.append(f"{source}: {key}: unknown key (no loaded plugin reads this section)")
    if problems or core is None:
        raise ProcessError(problems)
    return Process(source=source, core=core, people=tuple(people), sections=parsed)


def load(
    path: Path | None,
    sections: Mapping[str, type[BaseModel]],
    ignored: frozenset[str] = frozenset(),
) -> Process:
    raw, source = read_raw(path)
    return validate(raw, source, sections, ignored)


def _validate_people(value: Any, source: str, problems: list[str]) -> list[Person]:
    if not isinstance(value, list):
        problems.append(f"{source}: people: must be an array of tables ([[people]])")
        return []
    people: list[Person] = []
    seen_ids: set[str] = set()
    seen_chat: set[str] = set()
    for index, entry in enumerate(value):
        person = _validate_model(Person, entry, ("people", index), source, problems, None)
        if person is None:
            continue
        if person.id in seen_ids:
            problems.append(f"{source}: people[{index}].id: duplicate person id {person.id!r}")
        elif person.chat in seen_chat:
            problems.append(
                f"{source}: people[{index}].chat: chat handle {person.chat!r} used twice"
            )
        else:
            people.append(person)
        seen_ids.add(person.id)
        seen_chat.add(person.chat)
    return people


def _validate_model(
    model: type[M],
    value: Any,
    prefix: tuple[str | int, ...],
    source: str,
    problems: list[str],
    context: dict[str, Any] | None,
) -> M | None:
    try:
        return model.model_validate(value, context=context)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(
                f"{source}: {_format_loc(prefix + tuple(error['loc']))}: {_message(error)}"
            )
        return None


def _format_loc(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
