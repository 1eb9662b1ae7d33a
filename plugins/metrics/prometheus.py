"""``GET /metrics``: the figures and the bot's health in Prometheus exposition format.

A custom collector on its own registry (never the process-global one, which would mix in other
runtimes in the same process) computes everything at scrape time: this week's and this month's
figures so far as gauges ``dutybot_<section>_<figure>{section, period, key}`` (``key``: a
breakdown's key, or empty),
and every plugin's ``dutybot_gauges`` health values as ``dutybot_<name>``. The route needs the
``metrics`` bearer token: the figures name people, and the receiver also faces webhook senders.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from werkzeug.wrappers import Request, Response

from core.receiver import Route
from plugins.metrics import periods
from plugins.metrics.collect import collect

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)
PERIODS = ("week", "month")
_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(*parts: str) -> str:
    return _UNSAFE.sub("_", "_".join(("dutybot", *parts)))


class FiguresCollector(Collector):
    """Reads the database on every scrape; nothing is cached between scrapes."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def describe(self) -> list[Metric]:
        return []  # no describe-time queries: the database may not be migrated yet

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        now = self._runtime.clock.now()
        for kind in PERIODS:
            period = periods.current(kind, now, self._runtime.calendars.tz)
            figures = collect(self._runtime, period.start, period.so_far(now))
            for section, items in figures.items():
                for figure, value in items.items():
                    name = metric_name(section, figure)
                    for key, number in _samples(value):
                        family = families.get(name)
                        if family is None:
                            family = families[name] = GaugeMetricFamily(
                                name, f"{section} {figure}", labels=["section", "period", "key"]
                            )
                        family.add_metric([section, kind, key], number)
        yield from families.values()
        for contribution in self._runtime.hook.dutybot_gauges(runtime=self._runtime):
            for gauge, value in sorted((contribution or {}).items()):
                yield GaugeMetricFamily(metric_name(gauge), gauge.replace("_", " "), value=value)


def _samples(value: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    """A figure's numbers with the ``key`` label: "" for a number, the key for breakdowns."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _samples(
                inner, f"{prefix}{key}/" if isinstance(inner, dict) else f"{prefix}{key}"
            )
    elif isinstance(value, list):
        for item in value:
            yield from _samples(item[1], f"{prefix}{item[0]}")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield prefix, float(value)


def route(runtime: Runtime) -> Route:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FiguresCollector(runtime))

    def scrape(request: Request, _args: Any) -> Response:
        """Text format, or OpenMetrics when the scraper's Accept header asks for it."""
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(registry), content_type=content_type)

    return Route("GET", "/metrics", scrape, auth="metrics")
