"""The ``[rota]`` section of the process file."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, model_validator

from core.process import PersonRef, StrictModel


class SupportRota(StrictModel):
    """The in-hours support rota: which strategy builds it, from whom, and how gaps are handled.

    ``cohort_size`` and ``weeks`` are read by the ``cohorts`` strategy (the default: cohorts of
    ~3, each serving 2 weeks in every 6); a strategy contributed by a plugin reads ``options``.
    """

    strategy: str = Field(default="cohorts", min_length=1)
    members: list[PersonRef] = Field(default_factory=list)
    start: date = date(2026, 1, 5)
    cohort_size: int = Field(default=3, ge=1)
    weeks: int = Field(default=2, ge=1)
    min_staff: int | None = Field(default=None, ge=0)
    """Fill places left by people on leave until a day has this many (default: as planned)."""
    warn_days: int = Field(default=7, ge=1, le=60)
    """How many days ahead the daily check warns of a working day with nobody on support."""
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> SupportRota:
        if self.strategy == "cohorts" and self.start.weekday() != 0:
            raise ValueError(f"start: {self.start} is not a Monday")
        duplicates = sorted({m for m in self.members if self.members.count(m) > 1})
        if duplicates:
            raise ValueError(f"members: listed twice: {', '.join(duplicates)}")
        return self


class RotaSection(StrictModel):
    support: SupportRota = Field(default_factory=SupportRota)
