"""The ``[pager]`` section of the process file: contacts, paging hours, escalation, delivery.

Every default here is the default process's (docs/paging.md lists them); a team changes them in
its process file, never in code.
"""

from __future__ import annotations

from typing import Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator

from core.process import PersonRef, StrictModel
from plugins.pager.contacts import ContactRef, HeartbeatRef


class Escalation(StrictModel):
    """Who is paged in turn for ``oncall`` pages, and how long each step has to acknowledge."""

    steps: list[str] = Field(
        default_factory=lambda: ["oncall.primary", "oncall.secondary", "team"], min_length=1
    )
    support_first: bool = True
    ack_minutes: int = Field(default=15, ge=1)
    repeat: int = Field(default=2, ge=0)
    repage_minutes: int = Field(default=60, ge=0)


class Delivery(StrictModel):
    """How notifications leave the outbox: concurrency, retries with backoff, timeouts."""

    workers: int = Field(default=32, ge=1, le=512)
    attempts: int = Field(default=3, ge=1)
    backoff_seconds: int = Field(default=30, ge=1)
    backoff_max_seconds: int = Field(default=300, ge=1)
    timeout_seconds: float = Field(default=10, gt=0, le=300)

    def backoff(self, attempts: int) -> int:
        """Seconds to wait after the ``attempts``-th failure: doubling, capped."""
        return min(self.backoff_seconds * 2 ** (attempts - 1), self.backoff_max_seconds)

    @property
    def lease_seconds(self) -> float:
        """How long a claim lasts: past it, a crashed worker's row is sent by another."""
        return 2 * self.timeout_seconds + 30


class Heartbeat(StrictModel):
    """The dead man's switch: a URL pinged on a schedule only while the pager is healthy."""

    url: HeartbeatRef | None = None
    method: Literal["GET", "POST"] = "GET"
    cron: str = "*/5 * * * *"

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a crontab expression: {exc}") from None
        return value


class PagerSection(StrictModel):
    hours: list[Literal["support", "working", "oncall"]] = Field(
        default_factory=lambda: ["oncall", "support"], min_length=1
    )
    when_closed: Literal["queue", "handover", "page"] = "queue"
    dedup_minutes: int = Field(default=720, ge=1)
    rate_limit: int = Field(default=5, ge=1)
    rate_limit_minutes: int = Field(default=60, ge=1)
    stuck_minutes: int = Field(default=10, ge=1)
    escalation: Escalation = Field(default_factory=Escalation)
    delivery: Delivery = Field(default_factory=Delivery)
    heartbeat: Heartbeat = Field(default_factory=Heartbeat)
    contacts: dict[PersonRef, list[ContactRef]] = Field(default_factory=dict)
