"""The ``[metrics]`` section of the process file (every key documented in docs/metrics.md)."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from core.process import StrictModel

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "metrics"


class MetricsSection(StrictModel):
    """Where and when the weekly digest goes."""

    digest: bool = True
    channel: str = "team"
    """A ``[channels]`` name (``team``, ``support``) or a literal chat address."""
    digest_time: time = time(9, 0)


def section(runtime: Runtime) -> MetricsSection:
    return runtime.process.section(SECTION)  # type: ignore[return-value]
