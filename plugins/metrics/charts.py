"""Charts as PNG bytes, drawn headless with matplotlib's Agg backend.

One image per section, always ``WIDTH`` × ``HEIGHT`` pixels (chat clients lay them out alike):
a bar chart for each figure that is a breakdown (a dict by priority/person/band, stacked when
its values are dicts themselves, or a top-N list), at most ``MAX_PANELS`` per image in the order
the feature reported them. Scalar figures are in the text beside the image, not charted.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after choosing the headless backend)

from plugins.metrics.render import label, title  # noqa: E402

WIDTH, HEIGHT, DPI = 800, 450, 100
MAX_PANELS = 4


def chartable(figures: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The breakdown figures of a section with something to draw, as (name, {bar: value})."""
    found = []
    for name, figure in figures.items():
        bars = (
            dict((str(item[0]), item[1]) for item in figure) if isinstance(figure, list) else figure
        )
        if isinstance(bars, dict) and any(_total(v) for v in bars.values()):
            found.append((name, bars))
    return found[:MAX_PANELS]


def section_png(section: str, figures: dict[str, Any], heading: str) -> bytes | None:
    """The section's chart, or None when it has no breakdown with any non-zero value."""
    panels = chartable(figures)
    if not panels:
        return None
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    columns = 1 if len(panels) == 1 else 2
    rows = (len(panels) + columns - 1) // columns
    axes = figure.subplots(rows, columns, squeeze=False).flatten()
    for ax, (name, bars) in zip(axes, panels, strict=False):
        _bars(ax, bars)
        ax.set_title(label(name), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    figure.suptitle(f"{title(section)} — {heading}", fontsize=11)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _bars(ax: Any, bars: dict[str, Any]) -> None:
    names = list(bars)
    if any(isinstance(v, dict) for v in bars.values()):
        kinds = sorted({k for v in bars.values() if isinstance(v, dict) for k in v})
        bottom = [0.0] * len(names)
        for kind in kinds:
            heights = [
                _number((bars[n] or {}).get(kind) if isinstance(bars[n], dict) else 0)
                for n in names
            ]
            ax.bar(names, heights, bottom=bottom, label=kind)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        ax.legend(fontsize=6)
    else:
        ax.bar(names, [_number(bars[n]) for n in names])


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _total(value: Any) -> float:
    if isinstance(value, dict):
        return sum(_number(v) for v in value.values())
    return _number(value)
