"""Figures as people read them: units come from the figure's name (``_minutes`` → ``1h 20m``).

Used by ``!stats``, the digest and the Markdown report, so a figure reads the same everywhere.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.durations import format_duration

NONE = "–"
_TITLES = {"oncall": "On-call"}


def title(section: str) -> str:
    return _TITLES.get(section, section.replace("_", " ").capitalize())


def label(name: str) -> str:
    """``median_response_minutes`` → ``median response``; the unit shows in the value."""
    for suffix in ("_minutes", "_hours", "_seconds", "_percent"):
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    return name.replace("_", " ")


def number(name: str, value: Any) -> str:
    """One value formatted by the unit its figure's name carries."""
    if value is None:
        return NONE
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if name.endswith("_minutes"):
        return format_duration(timedelta(minutes=value))
    if name.endswith("_seconds"):
        return format_duration(timedelta(seconds=value))
    if name.endswith("_hours"):
        return f"{value:.1f}h"
    if name.endswith("_percent"):
        return f"{value:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return str(int(value))


def value(name: str, figure: Any) -> str:
    """A figure of any shape: a number, a dict (``high 3, normal 9``) or a top-N list."""
    if isinstance(figure, dict):
        if not figure:
            return "none"
        return ", ".join(
            f"{key} ({value(name, inner)})"
            if isinstance(inner, dict)
            else f"{key} {value(name, inner)}"
            for key, inner in figure.items()
        )
    if isinstance(figure, list):
        if not figure:
            return "none"
        return ", ".join(f"{item[0]} ({number('', item[1])})" for item in figure)
    return number(name, figure)


def section_line(section: str, figures: dict[str, Any]) -> str:
    """One compact chat line: ``*Requests*: opened 12 · median response 1h 20m · …``.

    Undefined figures (a median of nothing) and empty breakdowns are left out to keep it short;
    the report and ``/metrics`` carry every figure.
    """
    parts = [
        f"{label(name)} {value(name, figure)}"
        for name, figure in figures.items()
        if figure is not None and figure != {} and figure != []
    ]
    return f"*{title(section)}*: " + (" · ".join(parts) if parts else "nothing to report")


def markdown(heading: str, figures: dict[str, dict[str, Any]]) -> str:
    """A Markdown document: one table per section."""
    lines = [f"# {heading}", ""]
    for section, items in figures.items():
        lines += [f"## {title(section)}", "", "| figure | value |", "| --- | --- |"]
        lines += [f"| {name} | {_cell(value(name, figure))} |" for name, figure in items.items()]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """A table cell: an alarm title's ``|`` or line break must not end the cell or the row."""
    return " ".join(text.split()).replace("|", "\\|")
