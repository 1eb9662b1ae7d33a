"""Benchmark business-time arithmetic: is an SLA report over 100,000 tickets cheap?

Run from the repository root: ``.venv/bin/python benchmarks/bench_calendars.py``.
Exits non-zero if 100,000 cold-cache ``minutes_between`` calls over spans of up to 90 days
take 2 s or more.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.calendars import Calendars, HolidayCalendar, WeeklySchedule  # noqa: E402

COUNT = 100_000
MAX_SPAN = timedelta(days=90)
TARGET_S = 2.0
SEED = 20260101


def default_calendars() -> Calendars:
    """The default process: Europe/London, England & Wales bank holidays, 10-17 support."""
    return Calendars(
        "Europe/London",
        HolidayCalendar("GB", "ENG"),
        {
            "support": WeeklySchedule.parse({"mon-fri": ["10:00-17:00"]}),
            "working": WeeklySchedule.parse({"mon-fri": ["09:00-18:00"]}),
            "oncall": WeeklySchedule.parse(
                {
                    "mon-fri": ["07:00-10:00", "17:00-22:00"],
                    "sat-sun": ["07:00-22:00"],
                    "holiday": ["07:00-22:00"],
                }
            ),
        },
    )


def random_intervals(rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Starts anywhere in 2026-2027 (to the second), spans up to 90 days."""
    origin = datetime(2026, 1, 1, tzinfo=UTC)
    year2 = int(timedelta(days=730).total_seconds())
    span = int(MAX_SPAN.total_seconds())
    pairs = []
    for _ in range(COUNT):
        start = origin + timedelta(seconds=rng.randrange(year2))
        pairs.append((start, start + timedelta(seconds=rng.randrange(span + 1))))
    return pairs


def timed(label: str, func) -> float:
    began = time.perf_counter()
    func()
    elapsed = time.perf_counter() - began
    print(f"  {label}: {elapsed:.3f} s")
    return elapsed


def main() -> int:
    rng = random.Random(SEED)
    pairs = random_intervals(rng)
    minutes = [rng.uniform(0, 5 * 7 * 60) for _ in range(COUNT)]  # up to a week of support
    support = default_calendars().support  # fresh: the first pass pays for every cache fill

    print(f"{COUNT} intervals, seed {SEED}")
    baseline = timed(
        "baseline (end - start).total_seconds()",
        lambda: [(e - s).total_seconds() for s, e in pairs],
    )
    cold = timed(
        "minutes_between, cold cache", lambda: [support.minutes_between(s, e) for s, e in pairs]
    )
    warm = timed(
        "minutes_between, warm cache", lambda: [support.minutes_between(s, e) for s, e in pairs]
    )
    add = timed(
        "add()", lambda: [support.add(s, m) for (s, _), m in zip(pairs, minutes, strict=True)]
    )

    print(
        f"calendars: {COUNT} intervals (<=90 days) in {cold:.2f} s cold / {warm:.2f} s warm "
        f"(target < {TARGET_S:.0f} s); baseline {baseline:.3f} s, "
        f"warm/baseline ratio {warm / baseline:.0f}x"
    )
    print(f"calendars: {COUNT} add() calls (<= 35 h of support time) in {add:.2f} s")
    if cold >= TARGET_S:
        print(f"FAIL: cold run {cold:.2f} s misses the {TARGET_S:.0f} s target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
