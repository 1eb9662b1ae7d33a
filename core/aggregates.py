"""SQL aggregates the metrics hooks share: medians and 90th percentiles on SQLite and PostgreSQL.

SQLite has no ``percentile_cont``, so a percentile is read as the n-th row of the values in
order, found in SQL on both databases (see ``nth_values``) without sending rows to Python.
Definitions (the same everywhere they are shown):

* median: the middle value, or the mean of the two middle values of an even count;
* p90: the nearest-rank 90th percentile, the value at rank ``ceil(0.9 * n)`` (1-based), so at
  least 90% of the values are at or below it.

Both are None for no values. ``epoch_seconds`` turns a stored UTC datetime into POSIX seconds in
SQL for the few figures that need arithmetic on two columns at query time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, and_, cast, func, or_, select
from sqlalchemy.orm import Session


class StaleCounts(ValueError):
    """The bucket counts no longer match the rows: another transaction committed in between."""


def bucket(value: Any) -> ColumnElement[int]:
    """The whole-unit bucket of a value, for ``bucket_counts`` (any monotonic rounding works:
    SQLite truncates, PostgreSQL rounds)."""
    return cast(value, Integer)


def bucket_counts(session: Session, value: Any, where: list[Any]) -> dict[int, int]:
    """How many non-null values matching ``where`` fall in each whole-unit bucket."""
    key = bucket(value)
    rows = session.execute(
        select(key, func.count()).where(value.is_not(None), *where).group_by(key)
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def nth_values(
    session: Session, value: Any, where: list[Any], ranks: list[int], counts: Mapping[int, int]
) -> list[float]:
    """The values at the given 0-based ``ranks`` of the non-null ``value``s matching ``where``,
    in ascending order, given their ``bucket_counts``; every rank must be below their total.
    ``StaleCounts`` when a wanted row is no longer there (the rows changed after counting).

    A plain ``ORDER BY value OFFSET rank`` sorts every matching row once per rank: over a
    quarter of a million-row table that is seconds. Instead the buckets holding the ranks are
    found from the running bucket counts (a loop over a few thousand buckets, not over rows),
    and only those buckets' rows are ordered (``ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY
    value)``) to read the exact values, in one query.
    """
    wanted: dict[int, tuple[int, int]] = {}  # rank -> (bucket, 1-based row within the bucket)
    seen, pending = 0, sorted(set(ranks))
    for key, count in sorted(counts.items()):
        while pending and pending[0] < seen + count:
            rank = pending.pop(0)
            wanted[rank] = (key, rank - seen + 1)
        seen += count
    if pending:
        raise ValueError(f"rank {pending[0]} is past the {seen} values")
    key = bucket(value)
    row = func.row_number().over(partition_by=key, order_by=value)
    inner = (
        select(key.label("b"), row.label("n"), value.label("v"))
        .where(value.is_not(None), *where, key.in_({b for b, _ in wanted.values()}))
        .subquery()
    )
    picked = set(wanted.values())
    found = {
        (b, n): float(v)
        for b, n, v in session.execute(
            select(inner.c.b, inner.c.n, inner.c.v).where(
                or_(*(and_(inner.c.b == b, inner.c.n == n) for b, n in picked))
            )
        ).all()
    }
    if any(place not in found for place in picked):
        raise StaleCounts("a bucket lost rows after it was counted")
    return [found[wanted[rank]] for rank in ranks]


def median_p90(
    session: Session,
    value: Any,
    where: list[Any],
    counts: Mapping[int, int] | None = None,
    p90: bool = True,
) -> tuple[float | None, float | None]:
    """The median and nearest-rank 90th percentile of ``value`` over the rows matching ``where``.

    ``counts`` (their ``bucket_counts``) saves a scan when the caller grouped by ``bucket``
    already; ``p90=False`` skips the percentile (returned as None) where only the median is shown.
    """
    try:
        return _median_p90(session, value, where, counts, p90)
    except StaleCounts:
        # The counts and the rows are two statements; under PostgreSQL's read committed a
        # request reopened in between leaves a bucket short: count again and read again, once.
        return _median_p90(session, value, where, None, p90)


def _median_p90(
    session: Session, value: Any, where: list[Any], counts: Mapping[int, int] | None, p90: bool
) -> tuple[float | None, float | None]:
    if counts is None:
        counts = bucket_counts(session, value, where)
    total = sum(counts.values())
    if not total:
        return None, None
    ranks = [(total - 1) // 2, total // 2]
    if p90:
        ranks.append(math.ceil(0.9 * total) - 1)
    values = nth_values(session, value, where, ranks, counts)
    return (values[0] + values[1]) / 2, values[2] if p90 else None


def epoch_seconds(dialect: str, column: Any) -> ColumnElement[float]:
    """POSIX seconds of a UTC datetime column (or expression), as the database computes them."""
    if dialect == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(func.extract("epoch", column), Float)


def rounded(value: float | None, places: int = 1) -> float | None:
    """Figures are shown to a tenth; None (undefined) stays None."""
    return None if value is None else round(float(value), places)


def percent(part: int | None, whole: int | None) -> float | None:
    """``100 * part / whole`` to a tenth, None when there is nothing to share."""
    return None if not whole else round(100.0 * (part or 0) / whole, 1)
