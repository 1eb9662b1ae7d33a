"""``!stats`` and ``!stats chart``: this period's figures in chat, compact or as a chart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.commands import Command, CommandContext, UsageError
from plugins.metrics import periods, render
from plugins.metrics.collect import SECTIONS, Figures, collect

FEATURE = "Metrics"
PRIORITY = re.compile(r"[A-Za-z0-9_.-]{1,50}")


@dataclass(frozen=True)
class Query:
    kind: str
    section: str | None
    priority: str | None


def parse(words: list[str]) -> Query:
    """``[week|month|quarter] [section] [--priority X]`` in any order; UsageError says what is wrong."""
    kind, chosen, priority = "week", None, None
    rest = list(words)
    while rest:
        word = rest.pop(0)
        lowered = word.lower()
        if lowered in ("--priority", "-p"):
            if not rest or not PRIORITY.fullmatch(rest[0]):
                raise UsageError("--priority needs a priority name, e.g. --priority high.")
            priority = rest.pop(0)
        elif lowered.startswith("--priority="):
            priority = word.partition("=")[2]
            if not PRIORITY.fullmatch(priority):
                raise UsageError("--priority needs a priority name, e.g. --priority=high.")
        elif lowered in periods.KINDS:
            kind = lowered
        elif lowered in SECTIONS:
            chosen = lowered
        else:
            raise UsageError(
                f"I don't know {word!r}: give a period ({', '.join(periods.KINDS)}), "
                f"a section ({', '.join(SECTIONS)}) and optionally --priority NAME."
            )
    return Query(kind, chosen, priority)


def stats(ctx: CommandContext) -> str:
    query = parse(ctx.words())
    period, figures = _figures(ctx, query)
    heading = f"Figures for {period.label}" + _so_far(ctx, period) + _priority(query)
    return "\n".join([heading, *(f"- {render.section_line(n, f)}" for n, f in figures.items())])


def chart(ctx: CommandContext) -> str:
    from plugins.metrics import charts  # matplotlib costs start-up 0.3 s; load it when drawing

    query = parse(ctx.words())
    period, figures = _figures(ctx, query)
    heading = period.label + _so_far(ctx, period) + _priority(query)
    where = ctx.room or ctx.sender
    posted = []
    for name, items in figures.items():
        png = charts.section_png(name, items, heading)
        if png is not None:
            caption = f"{render.title(name)} — {heading}"
            ctx.runtime.chat.post_file(where, caption, f"{name}-{period.first}.png", png)
            posted.append(render.title(name))
    if not posted:
        return f"Nothing to chart for {heading}: no breakdown has any figures yet."
    return f"Charts for {heading}: {', '.join(posted)}."


def _figures(ctx: CommandContext, query: Query) -> tuple[periods.Period, Figures]:
    now = ctx.runtime.clock.now()
    period = periods.current(query.kind, now, ctx.runtime.calendars.tz)
    figures = collect(ctx.runtime, period.start, period.so_far(now), query.priority)
    if query.section is not None:
        figures = {query.section: figures.get(query.section, {})}
    return period, figures


def _so_far(ctx: CommandContext, period: periods.Period) -> str:
    return " so far" if ctx.runtime.clock.now() < period.end else ""


def _priority(query: Query) -> str:
    return f", priority {query.priority}" if query.priority else ""


def commands() -> list[Command]:
    usage = f"[{'|'.join(periods.KINDS)}] [{'|'.join(SECTIONS[:4])}] [--priority NAME]"
    return [
        Command(
            "stats", FEATURE, "This week's (month's, quarter's) figures.", f"stats {usage}", stats
        ),
        Command(
            "stats chart",
            FEATURE,
            "Chart this period's figures (uploaded where chat can show images).",
            f"stats chart {usage}",
            chart,
        ),
    ]
