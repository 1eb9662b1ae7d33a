"""The incident log on disk: one Markdown file per incident and a quarterly ``README.md`` index.

Each quarter (of the day the incident was declared, in the team's timezone) shows how many
incidents there were, how many were high priority (urgent), and the mean times to repair and to
resolve, counted the way the team counts them (support hours or wall clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from statistics import fmean

from core.runtime import Runtime
from plugins.postmortem.models import Postmortem
from plugins.postmortem.report import counting, span, time_to_repair, time_to_resolve

INDEX = "README.md"


def file_name(runtime: Runtime, postmortem: Postmortem) -> str:
    day = runtime.calendars.local(postmortem.declared_at).date()
    return f"{day.isoformat()}-incident-{postmortem.incident_ref}.md"


def quarter(runtime: Runtime, postmortem: Postmortem) -> str:
    day = runtime.calendars.local(postmortem.declared_at).date()
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def write_report(runtime: Runtime, directory: Path, postmortem: Postmortem, markdown: str) -> Path:
    """Write one report (overwriting an earlier publication of it); returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(runtime, postmortem)
    path.write_text(markdown, encoding="utf-8")
    return path


def index(runtime: Runtime, reports: Sequence[Postmortem]) -> str:
    """The index as Markdown: newest quarter first, each with its figures and its reports."""
    lines = ["# Incident log", "", f"Times to repair and resolve are in {counting(runtime)}."]
    ordered = sorted(reports, key=lambda p: (p.declared_at, p.id))
    by_quarter = groupby(ordered, key=lambda p: quarter(runtime, p))
    for name, group in reversed([(name, list(group)) for name, group in by_quarter]):
        repair = fmean(time_to_repair(runtime, p) for p in group)
        resolve = fmean(time_to_resolve(runtime, p) for p in group)
        lines += [
            "",
            f"## {name}",
            "",
            f"- Incidents: {len(group)}",
            f"- High priority: {sum(p.urgent for p in group)}",
            f"- Mean time to repair: {span(repair)}",
            f"- Mean time to resolve: {span(resolve)}",
            "",
            *(f"- [{p.title}]({file_name(runtime, p)})" for p in group),
        ]
    return "\n".join(lines) + "\n"


def write_index(runtime: Runtime, directory: Path, reports: Sequence[Postmortem]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / INDEX
    path.write_text(index(runtime, reports), encoding="utf-8")
    return path
