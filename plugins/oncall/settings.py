"""The ``[oncall]`` section of the process file: who is on the rota, when it hands off, pay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import BeforeValidator, Field, field_validator, model_validator

from core.process import PersonRef, StrictModel

ROLES: tuple[str, ...] = ("primary", "secondary")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HANDOFF_RE = re.compile(r"([a-z]{3})\s+(\d{1,2}):(\d\d)")

Role = Literal["primary", "secondary"]


@dataclass(frozen=True)
class Handoff:
    """When one shift hands over to the next: a weekday and a local wall-clock time."""

    weekday: int  # 0 is Monday, as date.weekday()
    at: time

    @classmethod
    def parse(cls, value: Any) -> Handoff:
        if isinstance(value, Handoff):
            return value
        match = _HANDOFF_RE.fullmatch(value.strip().lower()) if isinstance(value, str) else None
        if match is None or match.group(1) not in DAYS:
            raise ValueError(f"{value!r}: expected a weekday and a time, like 'wed 09:30'")
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"{value!r}: no such time {hour:02d}:{minute:02d}")
        return cls(DAYS.index(match.group(1)), time(hour, minute))

    def __str__(self) -> str:
        return f"{DAYS[self.weekday]} {self.at:%H:%M}"


HandoffField = Annotated[Handoff, BeforeValidator(Handoff.parse)]


class CreditedHours(StrictModel):
    """How many on-call hours a whole day counts for (shared pro rata when it changes hands)."""

    weekday: float = Field(default=8, ge=0, le=24)
    weekend: float = Field(default=15, ge=0, le=24)  # also bank holidays and closure days


class PayScheme(StrictModel):
    """Availability pay per hours on call and pay per full hour worked, from a day rate."""

    salary_variable: str = "DUTYBOT_SALARY_{ID}"
    working_days_per_year: Decimal = Field(default=Decimal(230), gt=0)
    availability_percent: Decimal = Field(default=Decimal(15), ge=0)
    availability_hours: Decimal = Field(default=Decimal(8), gt=0)
    worked_hours_per_day: Decimal = Field(default=Decimal(8), gt=0)
    currency: str = "£"

    @field_validator("salary_variable")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(ID="ALICE")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"{value!r}: the only placeholder allowed is {{ID}}") from exc
        return value

    def variable_for(self, person: str) -> str:
        """The environment variable holding this person's salary (``alice`` → ``..._ALICE``)."""
        return self.salary_variable.format(ID=re.sub(r"[^A-Z0-9]", "_", person.upper()))


class OncallSection(StrictModel):
    """The on-call rota: members, handoff, fairness horizon, rest and the pay scheme."""

    members: list[PersonRef] = Field(default_factory=list)
    new_to_oncall: list[PersonRef] = Field(default_factory=list)
    handoff: HandoffField = Field(default_factory=lambda: Handoff.parse("wed 09:30"))
    weeks: int = Field(default=1, ge=1, le=8)
    start: date = date(2026, 1, 7)
    horizon_weeks: int = Field(default=8, ge=1, le=52)
    rest_hours: float = Field(default=11, ge=0, le=48)
    check_cron: str = "0 9 * * *"
    paid_roles: list[Role] = Field(default_factory=lambda: list(ROLES))
    hours: CreditedHours = Field(default_factory=CreditedHours)
    pay: PayScheme = Field(default_factory=PayScheme)

    @field_validator("check_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"{value!r}: not a crontab expression ({exc})") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> OncallSection:
        if self.start.weekday() != self.handoff.weekday:
            raise ValueError(
                f"start: {self.start} is a {DAYS[self.start.weekday()]}, "
                f"but the handoff is on {DAYS[self.handoff.weekday]}"
            )
        duplicates = sorted({m for m in self.members if self.members.count(m) > 1})
        if duplicates:
            raise ValueError(f"members: listed twice: {', '.join(duplicates)}")
        strangers = sorted(set(self.new_to_oncall) - set(self.members))
        if strangers:
            raise ValueError(f"new_to_oncall: not in members: {', '.join(strangers)}")
        return self
