"""The ``[rota]`` section of the process file."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from core.process import PersonRef, StrictModel


class SupportRota(StrictModel):
    """The in-hours support rota: by default cohorts of ~3, each serving 2 weeks in every 6."""

    strategy: Literal["cohorts"] = "cohorts"
    members: list[PersonRef] = Field(default_factory=list)
    cohort_size: int = Field(default=3, ge=1)
    weeks: int = Field(default=2, ge=1)
    start: date = date(2026, 1, 5)

    @model_validator(mode="after")
    def _consistent(self) -> SupportRota:
        if self.start.weekday() != 0:
            raise ValueError(f"start: {self.start} is not a Monday")
        duplicates = sorted({m for m in self.members if self.members.count(m) > 1})
        if duplicates:
            raise ValueError(f"members: listed twice: {', '.join(duplicates)}")
        return self


class RotaSection(StrictModel):
    support: SupportRota = Field(default_factory=SupportRota)
