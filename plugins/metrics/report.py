"""``dutybot report``: any span of local dates as CSV, JSON or Markdown, for spreadsheets and wikis."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date
from typing import TYPE_CHECKING, Any

from core.cli import CliCommand, CliUsageError
from plugins.metrics import periods, render
from plugins.metrics.collect import Figures, collect

if TYPE_CHECKING:
    from core.runtime import Runtime

FORMATS = ("csv", "json", "markdown")


def cli_command() -> CliCommand:
    return CliCommand(
        ("report",),
        "figures for a span of dates: --from YYYY-MM-DD --to YYYY-MM-DD --format csv|json|markdown",
        run,
        arguments=arguments,
    )


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", required=True, type=_date, help="first local date")
    parser.add_argument(
        "--to", dest="last", required=True, type=_date, help="last local date, included"
    )
    parser.add_argument("--format", choices=FORMATS, default="markdown")
    parser.add_argument("--priority", default=None, help="only this priority (e.g. high, P1)")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def run(runtime: Runtime, options: argparse.Namespace) -> str:
    if options.last < options.first:
        raise CliUsageError(f"--to {options.last} is before --from {options.first}")
    try:
        period = periods.span(options.first, options.last, runtime.calendars.tz)
    except OverflowError:  # the span's midnights in UTC fall before year 1 or after 9999
        raise CliUsageError(
            f"{options.first}..{options.last} is out of range: "
            "give dates from 0002-01-01 to 9998-12-31"
        ) from None
    figures = collect(runtime, period.start, period.end, options.priority)
    if options.format == "json":
        return as_json(period, options.priority, figures)
    if options.format == "csv":
        return as_csv(figures)
    heading = f"Figures {period.label}" + (
        f", priority {options.priority}" if options.priority else ""
    )
    return render.markdown(heading, figures)


def as_json(period: periods.Period, priority: str | None, figures: Figures) -> str:
    body = {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "priority": priority,
        "figures": figures,
    }
    return json.dumps(body, indent=2)


def as_csv(figures: Figures) -> str:
    """One row per value: ``section,figure,key,value`` (key empty for a plain number)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "figure", "key", "value"])
    for section, items in figures.items():
        for name, figure in items.items():
            for key, value in _flatten(figure):
                writer.writerow([section, name, _text(key), "" if value is None else value])
    return out.getvalue().rstrip("\n")


def _text(key: str) -> str:
    """A key as a spreadsheet shows it, never as a formula: keys are alarm titles and names
    that alert senders and chat users chose, and a cell starting ``=``, ``+``, ``-`` or ``@``
    would be run by Excel or LibreOffice (CSV injection), so it gets a leading ``'``."""
    return f"'{key}" if key[:1] in ("=", "+", "-", "@", "\t", "\r") else key


def _flatten(figure: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(figure, dict):
        return [
            pair
            for key, inner in figure.items()
            for pair in _flatten(
                inner, f"{prefix}{key}/" if isinstance(inner, dict) else f"{prefix}{key}"
            )
        ]
    if isinstance(figure, list):
        return [(f"{prefix}{item[0]}", item[1]) for item in figure]
    return [(prefix.rstrip("/"), figure)]
