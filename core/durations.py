"""Durations as people and Alertmanager write them (``90m``, ``2h``, ``1h30m``, ``7d``), and
the short form every feature shows them in (``1h 05m``, ``3d 2h``)."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"(?:(\d{1,4})w)?(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?")
_UNITS = ("weeks", "days", "hours", "minutes")


def parse_duration(text: str) -> timedelta:
    """``2h`` → 2 hours; ValueError (saying what is accepted) for anything else or zero."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration (write e.g. 30m, 2h, 1h30m or 7d)")
    value = timedelta(**{unit: int(n) for unit, n in zip(_UNITS, match.groups(), strict=True) if n})
    if value <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return value


def format_duration(value: timedelta) -> str:
    """A short human form rounded down to the minute: ``1h 05m``, ``3d 2h``, ``45m``."""
    minutes = max(0, int(value.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes:02d}m" if minutes else f"{hours}h"
    return f"{minutes}m"
