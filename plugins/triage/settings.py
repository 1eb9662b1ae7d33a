"""The ``[triage]`` section of the process file: intake, priorities, SLA targets and the board.

Two priority schemes are built in: the team's own ``high-normal`` (the default) and the
government ``p1-p4`` table. ``scheme`` picks one; a team may redefine either, or add its own, under
``[triage.schemes.<name>]`` (a scheme given in the file replaces the built-in one of that name
whole). Targets are minutes of the priority's ``clock``: ``support`` (support hours, the
default), ``working``, ``oncall`` or ``wall`` (every minute counts, "in and out of hours").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from core.process import StrictModel

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "triage"
FIELDS = ("service", "environment", "impact", "description", "contact")
"""The template fields of a support request, in the order the bot asks for them."""

ClockName = Literal["support", "working", "oncall", "wall"]


class Priority(StrictModel):
    """The SLA targets of one priority, in minutes of its ``clock``."""

    response_minutes: float = Field(gt=0)
    resolve_minutes: float = Field(gt=0)
    update_minutes: float = Field(default=0, ge=0)
    """Remind the assignee when a request has had no update from the team for this long (0: never)."""
    clock: ClockName = "support"
    description: str = ""


class Rule(StrictModel):
    """A keyword rule of the built-in classifier: any keyword in the text suggests these."""

    keywords: list[str] = Field(min_length=1)
    priority: str | None = None
    category: str | None = None

    @model_validator(mode="after")
    def _suggests_something(self) -> Rule:
        if self.priority is None and self.category is None:
            raise ValueError("a rule needs a priority, a category or both")
        if any(not k.strip() for k in self.keywords):
            raise ValueError("keywords must not be empty")
        return self


class Scheme(StrictModel):
    """A priority scheme: priorities most urgent first, the default one, and keyword rules."""

    default: str
    priorities: dict[str, Priority] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_known(self) -> Scheme:
        known = ", ".join(self.priorities)
        if self.default not in self.priorities:
            raise ValueError(f"default: {self.default!r} is not one of its priorities ({known})")
        for index, rule in enumerate(self.rules):
            if rule.priority is not None and rule.priority not in self.priorities:
                raise ValueError(
                    f"rules[{index}]: unknown priority {rule.priority!r} (known: {known})"
                )
        return self

    def priority(self, name: str) -> str | None:
        """The priority called ``name``, ignoring case (``p1`` is ``P1``), else None."""
        return next((p for p in self.priorities if p.lower() == name.strip().lower()), None)


HIGH_NORMAL: dict[str, Any] = {
    "default": "normal",
    "priorities": {
        "high": {
            "response_minutes": 60,
            "resolve_minutes": 420,
            "description": "an outage, slowdown or degradation of a user-facing service, a failure "
            "that stops teams from working, or a major vulnerability",
        },
        "normal": {
            "response_minutes": 120,
            "resolve_minutes": 2100,
            "description": "everything else",
        },
    },
    "rules": [
        {
            "keywords": ["outage", "down", "unavailable", "not responding"],
            "priority": "high",
            "category": "outage",
        },
        {
            "keywords": ["slow", "slowdown", "degraded", "degradation", "timeouts"],
            "priority": "high",
            "category": "degradation",
        },
        {
            "keywords": ["blocked", "cannot deploy", "can't deploy", "can not deploy"],
            "priority": "high",
            "category": "blocked",
        },
        {
            "keywords": [
                "vulnerability",
                "cve",
                "exposed",
                "unauthorised access",
                "unauthorized access",
            ],
            "priority": "high",
            "category": "security",
        },
    ],
}

P1_P4: dict[str, Any] = {
    "default": "P3",
    "priorities": {
        "P1": {
            "response_minutes": 20,
            "update_minutes": 60,
            "resolve_minutes": 240,
            "clock": "wall",
            "description": "critical: complete outage, ongoing unauthorised access",
        },
        "P2": {
            "response_minutes": 60,
            "update_minutes": 120,
            "resolve_minutes": 480,
            "clock": "wall",
            "description": "major: substantial degradation",
        },
        "P3": {
            "response_minutes": 120,
            "update_minutes": 840,
            "resolve_minutes": 2100,
            "description": "significant: intermittent or degraded service",
        },
        "P4": {
            "response_minutes": 420,
            "update_minutes": 2100,
            "resolve_minutes": 4200,
            "description": "minor: component failure with no immediate impact",
        },
    },
    "rules": [
        {
            "keywords": [
                "outage",
                "down",
                "unavailable",
                "unauthorised access",
                "unauthorized access",
            ],
            "priority": "P1",
        },
        {"keywords": ["degraded", "degradation", "slowdown"], "priority": "P2"},
        {"keywords": ["intermittent", "flaky", "sometimes fails"], "priority": "P3"},
    ],
}

BUILT_IN_SCHEMES: dict[str, dict[str, Any]] = {"high-normal": HIGH_NORMAL, "p1-p4": P1_P4}


class Board(StrictModel):
    """The built-in board: its columns, where tickets go as their request moves, new labels."""

    columns: list[str] = Field(
        default_factory=lambda: ["to do", "in progress", "done"], min_length=1
    )
    new_column: str = "to do"
    progress_column: str = "in progress"
    done_column: str = "done"
    labels: list[str] = Field(default_factory=lambda: ["support-request", "needs-triage"])

    @model_validator(mode="after")
    def _columns_known(self) -> Board:
        lowered = [c.lower() for c in self.columns]
        if len(set(lowered)) != len(lowered):
            raise ValueError("columns: a column is listed twice")
        for key in ("new_column", "progress_column", "done_column"):
            if getattr(self, key).lower() not in lowered:
                raise ValueError(f"{key}: {getattr(self, key)!r} is not one of the columns")
        return self

    def column(self, name: str) -> str | None:
        """The column called ``name``, ignoring case, else None."""
        return next((c for c in self.columns if c.lower() == name.strip().lower()), None)


class TriageSection(StrictModel):
    """Support requests: who opens them, what they record, their SLA and the board."""

    scheme: str = "high-normal"
    schemes: dict[str, Scheme] = Field(
        default_factory=lambda: {
            name: Scheme.model_validate(raw) for name, raw in BUILT_IN_SCHEMES.items()
        }
    )
    fields: list[Literal["service", "environment", "impact", "description", "contact"]] = Field(
        default_factory=lambda: list(FIELDS)
    )
    """The template fields a request should have; the bot asks in the thread for missing ones."""
    environments: list[str] = Field(
        default_factory=lambda: ["development", "staging", "production", "other"], min_length=1
    )
    open_from_team: bool = False
    """Whether top-level messages of team members (announcements) in the support channel open requests."""
    ticket_after_minutes: float = Field(default=15, gt=0)
    nudge_percent: float = Field(default=80, gt=0, lt=100)
    breach_channel: str = "team"
    sweep_cron: str = "* * * * *"
    list_limit: int = Field(default=20, ge=1, le=200)
    summary_length: int = Field(default=80, ge=20, le=200)
    board: Board = Field(default_factory=Board)

    @field_validator("schemes", mode="before")
    @classmethod
    def _over_built_ins(cls, value: Any) -> Any:
        """A scheme written in the file replaces the built-in of that name; the others remain."""
        return {**BUILT_IN_SCHEMES, **value} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _scheme_known(self) -> TriageSection:
        if self.scheme not in self.schemes:
            raise ValueError(
                f"scheme: unknown scheme {self.scheme!r} (known: {', '.join(self.schemes)})"
            )
        if len({e.lower() for e in self.environments}) != len(self.environments):
            raise ValueError("environments: an environment is listed twice")
        return self

    @property
    def active(self) -> Scheme:
        return self.schemes[self.scheme]


def section(runtime: Runtime) -> TriageSection:
    return runtime.process.section(SECTION)  # type: ignore[return-value]
