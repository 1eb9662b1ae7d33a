"""Rate limits: token buckets on the runtime's clock, for webhook sources and chat commands.

A limit is written ``COUNT/PERIOD`` (``5/10m``): a burst of COUNT is allowed, and the bucket
refills at COUNT per PERIOD. The buckets read the injected clock, so tests fast-forward a
``FakeClock`` instead of sleeping. They live in memory, per replica: a limit protects the bot
from floods and runaway senders; it is not an accounting of what happened (the audit log is).
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from core.durations import format_duration, parse_duration

if TYPE_CHECKING:
    from core.clock import Clock

MAX_KEYS = 10_000
_RATE = re.compile(r"\s*(\d{1,6})\s*/\s*(\S+)\s*")


@dataclass(frozen=True)
class Rate:
    """A burst of ``count``, then one more every ``period / count`` (refilled at count per period)."""

    count: int
    period: timedelta

    @classmethod
    def parse(cls, text: object) -> Rate:
        """``"5/10m"`` → 5 per 10 minutes; ValueError saying what is accepted otherwise."""
        if isinstance(text, Rate):
            return text
        match = _RATE.fullmatch(text) if isinstance(text, str) else None
        if match is None or int(match.group(1)) < 1:
            raise ValueError(f"{text!r} is not a rate: write COUNT/PERIOD, e.g. 5/10m or 120/1m")
        return cls(int(match.group(1)), parse_duration(match.group(2)))

    def __str__(self) -> str:
        return f"{self.count} per {format_duration(self.period)}"


DEFAULT_WEBHOOK_RATE = Rate.parse("1200/1m")
"""Per webhook source: far above what Alertmanager or Grafana send, far below a flood."""

RateText = Annotated[Rate, BeforeValidator(Rate.parse)]


class Limits(BaseModel):
    """The process file's ``[limits]``: webhook sources and, per sender, chosen chat commands."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    webhook: RateText = Field(default_factory=lambda: DEFAULT_WEBHOOK_RATE)
    commands: dict[str, RateText] = Field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """Whether one more is allowed now; if not, how long until it would be."""

    allowed: bool
    retry_after: timedelta = timedelta(0)


class TokenBucket:
    """One token bucket per key; thread-safe, since the receiver serves requests in threads."""

    def __init__(self, rate: Rate, clock: Clock) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[str, tuple[float, datetime]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> Decision:
        """Take one token for ``key`` if there is one; the decision says whether there was."""
        with self._lock:
            tokens = self._tokens(key)
            decision = self._decide(tokens)
            if decision.allowed:
                self._buckets[key] = (tokens - 1, self._clock.now())
                if len(self._buckets) > MAX_KEYS:
                    self._prune()
            return decision

    def give_back(self, key: str) -> None:
        """Return a token ``take`` handed out for a use that did not happen after all."""
        with self._lock:
            tokens = self._tokens(key) + 1
            if tokens >= self.rate.count:
                self._buckets.pop(key, None)
            else:
                self._buckets[key] = (tokens, self._clock.now())

    def _prune(self) -> None:
        """Forget the buckets that have refilled, so many senders cannot grow memory forever."""
        for key in list(self._buckets):
            self._tokens(key)

    def _tokens(self, key: str) -> float:
        now = self._clock.now()
        tokens, at = self._buckets.get(key, (float(self.rate.count), now))
        refilled = min(
            float(self.rate.count), tokens + (now - at) / self.rate.period * self.rate.count
        )
        if refilled >= self.rate.count:
            self._buckets.pop(key, None)  # a full bucket is the default: memory stays bounded
        else:
            self._buckets[key] = (refilled, now)
        return refilled

    def _decide(self, tokens: float) -> Decision:
        if tokens >= 1:
            return Decision(True)
        seconds = (1 - tokens) * self.rate.period.total_seconds() / self.rate.count
        return Decision(False, timedelta(seconds=math.ceil(seconds)))
