"""Gathering every feature's figures for a period into one ``{section: {figure: value}}``.

Features contribute through ``dutybot_metrics`` (docs/plugins.md); this merges their sections,
keeping the documented order, and builds the ``availability`` section from the downtime plugins
report through ``dutybot_availability``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)

SECTIONS = ("requests", "incidents", "oncall", "alarms", "availability")
"""The standard sections, in the order every view shows them; plugins may add more after."""

Figures = dict[str, dict[str, Any]]


def collect(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None = None
) -> Figures:
    """Every plugin's figures for ``[start, end)``, merged by section.

    A figure two plugins both report is a bug in one of them: the first value is kept and the
    clash logged, rather than one silently overwriting the other.
    """
    merged: dict[str, dict[str, Any]] = {}
    with runtime.db.reads():  # seconds of reading must not hold SQLite's write lock
        contributions = runtime.hook.dutybot_metrics(
            runtime=runtime, start=start, end=end, priority=priority
        )
    for contribution in contributions:
        for section, figures in (contribution or {}).items():
            if not isinstance(figures, dict):
                log.warning("metrics: %r is not a section of figures; ignored", section)
                continue
            into = merged.setdefault(section, {})
            for name, value in figures.items():
                if name in into:
                    log.warning(
                        "metrics: two plugins report %s.%s; keeping the first", section, name
                    )
                    continue
                into[name] = value
    order = {name: i for i, name in enumerate(SECTIONS)}
    return dict(sorted(merged.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def availability(runtime: Runtime, start: datetime, end: datetime) -> dict[str, Any]:
    """The ``availability`` section: per service, downtime minutes and the percentage up."""
    period = (end - start).total_seconds() / 60
    downtime: dict[str, float] = defaultdict(float)
    with runtime.db.reads():
        reported = runtime.hook.dutybot_availability(runtime=runtime, start=start, end=end)
    for entries in reported:
        for entry in entries or []:
            downtime[str(entry["service"])] += float(entry["downtime_minutes"])
    capped = {service: min(minutes, period) for service, minutes in sorted(downtime.items())}
    percent = {
        service: round(100 * (1 - minutes / period), 3) if period > 0 else None
        for service, minutes in capped.items()
    }
    return {"available_percent": percent, "downtime_minutes": capped}
