"""The ``requests`` section of the metrics: what the support desk did in a period.

Every figure is one or two indexed SQL aggregates (see migration triage_0002 for the covering
indexes), never a pass over rows in Python. Durations are read from columns stored when the
event happened: ``response_support_minutes`` / ``resolve_support_minutes`` (support-hours
minutes outside pauses, the same hours for every priority) for the medians and p90s, and
``time_to_response`` / ``time_to_resolve`` (minutes of the priority's own SLA clock) for the
share within target. Which requests count:

* opened / resolved: opened / resolved in the period (a reopened request counts when it is
  resolved again);
* first response figures: requests first answered in the period; resolve figures: requests
  resolved in it;
* open at period end: opened before the end and not resolved before it (by the latest
  resolution: a request resolved before the end and reopened after it counts as open);
* happiness: ratings given in the period (a re-rating moves to when it was given).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.aggregates import bucket, median_p90, percent, rounded
from plugins.triage.models import Rating, Request
from plugins.triage.settings import section

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "requests"


def figures(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    """The requests section; empty when ``priority`` is not one of the active scheme's."""
    scheme = section(runtime).active
    only: list[Any] = []
    if priority is not None:
        name = scheme.priority(priority)
        if name is None:
            return {}
        only = [Request.priority == name]
    response_targets = {name: p.response_minutes for name, p in scheme.priorities.items()}
    resolve_targets = {name: p.resolve_minutes for name, p in scheme.priorities.items()}
    with runtime.db.session() as session:
        opened = dict(
            session.execute(
                select(Request.priority, func.count())
                .where(Request.opened_at >= start, Request.opened_at < end, *only)
                .group_by(Request.priority)
            ).all()
        )
        responded = [Request.first_response_at >= start, Request.first_response_at < end, *only]
        resolved = [Request.resolved_at >= start, Request.resolved_at < end, *only]
        response = _clock(
            session,
            responded,
            Request.response_support_minutes,
            Request.time_to_response,
            response_targets,
        )
        resolve = _clock(
            session,
            resolved,
            Request.resolve_support_minutes,
            Request.time_to_resolve,
            resolve_targets,
        )
        opened_before = session.scalar(
            select(func.count()).select_from(Request).where(Request.opened_at < end, *only)
        )
        resolved_before = session.scalar(
            select(func.count()).select_from(Request).where(Request.resolved_at < end, *only)
        )
        rated = [Rating.rated_at >= start, Rating.rated_at < end]
        if only:
            rated.append(Rating.request_id.in_(select(Request.id).where(*only)))
        ratings, mean_rating = session.execute(
            select(func.count(), func.avg(Rating.rating)).where(*rated)
        ).one()
    return {
        SECTION: {
            "opened": sum(opened.values()),
            "opened_by_priority": dict(sorted(opened.items())),
            "resolved": resolve[0],
            "first_response_median_support_minutes": response[1],
            "first_response_p90_support_minutes": response[2],
            "resolve_median_support_minutes": resolve[1],
            "resolve_p90_support_minutes": resolve[2],
            "first_response_within_target_percent": response[3],
            "resolve_within_target_percent": resolve[3],
            "open_at_end": (opened_before or 0) - (resolved_before or 0),
            "rating_mean": rounded(mean_rating, 2),
            "ratings": ratings,
        }
    }


def _clock(
    session: Session, where: list[Any], support: Any, sla: Any, targets: dict[str, float]
) -> tuple[int, float | None, float | None, dict[str, float | None]]:
    """How many requests match; the median and p90 of their stored support minutes; and per
    priority the percentage that met its target (minutes of the priority's own SLA clock).

    One scan grouped by priority and support-minutes bucket gives all three (the loop runs
    over those groups, at most priorities x buckets, not over requests).
    """
    target = case(*((Request.priority == name, limit) for name, limit in targets.items()))
    rows = session.execute(
        select(
            Request.priority,
            bucket(support),
            func.count(),
            func.count(sla),
            func.count().filter(sla <= target),
        )
        .where(*where)
        .group_by(Request.priority, bucket(support))
    ).all()
    counts: dict[int, int] = defaultdict(int)
    measured: dict[str, int] = defaultdict(int)
    met: dict[str, int] = defaultdict(int)
    for name, key, total, timed, hit in rows:
        if key is not None:
            counts[key] += total
        measured[name] += timed
        met[name] += hit
    median, p90 = median_p90(session, support, where, counts)
    share = {
        name: percent(met[name], n) for name, n in sorted(measured.items()) if name in targets and n
    }
    return sum(row[2] for row in rows), rounded(median), rounded(p90), share
