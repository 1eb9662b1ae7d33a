"""What a report says: its figures (times to repair and resolve) and the built-in Markdown.

The template hook receives a :class:`Report`, plain data with every time already formatted in
the team's timezone, so a team's own template needs no access to the database or calendars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, StrictUndefined

from core.runtime import Runtime
from plugins.postmortem.models import Postmortem
from plugins.postmortem.settings import SECTION, SUPPORT, PostmortemSection

TEMPLATE = """\
# {{ r.title }}

Incident {{ r.incident_ref }} ({{ r.priority_label }}){% if r.owner %}, postmortem owner: {{ r.owner }}{% endif %}.
{%- if not r.published %} Draft: blameless, to be reviewed by the team.{% endif %}

## Key events

| Event | Time |
| --- | --- |
| First detected | {{ r.detected or "not recorded" }} |
| Incident declared | {{ r.declared }} |
| Repaired | {{ r.repaired }} |
| Resolved | {{ r.resolved }} |

- Time to repair: {{ r.time_to_repair }} ({{ r.counting }})
- Time to resolve: {{ r.time_to_resolve }} ({{ r.counting }})

## Identified

{{ r.identified or "_To be written._" }}

## Impact

{{ r.impact or "_To be written._" }}

## Context

{{ r.context or "_To be written._" }}

## Resolution

{{ r.resolution or "_To be written._" }}

## Review actions

{% if r.actions %}{{ r.actions }}
{% endif %}{% for a in r.tracked -%}
- [{{ "x" if a.done else " " }}] {{ a.text }} (action {{ a.id }}, {{ a.priority }} priority, owner {{ a.owner }}, due {{ a.due }})
{% endfor %}{% if not r.actions and not r.tracked %}_To be agreed at the review._
{% endif %}
## Timeline

| Time | Who | Note |
| --- | --- | --- |
{% for row in r.timeline -%}
| {{ row.at }} | {{ row.author }} | {{ row.text }} |
{% endfor %}"""

_ENVIRONMENT = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)


@dataclass(frozen=True)
class TimelineRow:
    at: str
    author: str
    text: str


@dataclass(frozen=True)
class TrackedAction:
    id: int
    text: str
    owner: str
    due: str
    priority: str
    done: bool


@dataclass(frozen=True)
class Report:
    """A postmortem as its template sees it: text fields, formatted times and durations."""

    id: int
    incident_ref: str
    title: str
    description: str
    priority_label: str
    urgent: bool
    owner: str | None
    published: bool
    detected: str | None
    declared: str
    repaired: str
    resolved: str
    time_to_repair: str
    time_to_resolve: str
    counting: str
    identified: str
    impact: str
    context: str
    resolution: str
    actions: str
    tracked: tuple[TrackedAction, ...]
    timeline: tuple[TimelineRow, ...]


def section(runtime: Runtime) -> PostmortemSection:
    found = runtime.process.section(SECTION)
    assert isinstance(found, PostmortemSection)
    return found


def span(minutes: float) -> str:
    """Whole minutes as ``2h 05m`` (or ``45m``), the way the report and the index show them."""
    total = round(minutes)
    hours, rest = divmod(total, 60)
    return f"{hours}h {rest:02d}m" if hours else f"{rest}m"


def minutes(runtime: Runtime, start: datetime, end: datetime) -> float:
    """Minutes from ``start`` to ``end``: support hours only, or wall clock, per the team."""
    if section(runtime).durations == SUPPORT:
        return runtime.calendars.support.minutes_between(start, end)
    return (end - start).total_seconds() / 60


def repaired_at(postmortem: Postmortem) -> datetime:
    """When service was restored: as marked, else when the incident was resolved."""
    return postmortem.repaired_at or postmortem.resolved_at


def time_to_repair(runtime: Runtime, postmortem: Postmortem) -> float:
    """Declaration to full restoration."""
    return minutes(runtime, postmortem.declared_at, repaired_at(postmortem))


def time_to_resolve(runtime: Runtime, postmortem: Postmortem) -> float:
    """The fault (first detected, else the declaration) to resolved, preventive work included."""
    start = postmortem.detected_at or postmortem.declared_at
    return minutes(runtime, min(start, postmortem.declared_at), postmortem.resolved_at)


def counting(runtime: Runtime) -> str:
    return "support hours" if section(runtime).durations == SUPPORT else "wall-clock time"


def report_of(runtime: Runtime, postmortem: Postmortem) -> Report:
    """The template's view of ``postmortem``."""
    fmt = runtime.calendars.format
    people = {p.id: p.name for p in runtime.process.people}
    return Report(
        id=postmortem.id,
        incident_ref=postmortem.incident_ref,
        title=postmortem.title,
        description=postmortem.description,
        priority_label=postmortem.priority_label,
        urgent=postmortem.urgent,
        owner=people.get(postmortem.owner, postmortem.owner) if postmortem.owner else None,
        published=postmortem.published_at is not None,
        detected=fmt(postmortem.detected_at) if postmortem.detected_at else None,
        declared=fmt(postmortem.declared_at),
        repaired=fmt(repaired_at(postmortem)),
        resolved=fmt(postmortem.resolved_at),
        time_to_repair=span(time_to_repair(runtime, postmortem)),
        time_to_resolve=span(time_to_resolve(runtime, postmortem)),
        counting=counting(runtime),
        identified=postmortem.identified,
        impact=postmortem.impact,
        context=postmortem.context,
        resolution=postmortem.resolution,
        actions=postmortem.actions,
        tracked=tuple(
            TrackedAction(
                id=action.id,
                text=action.text,
                owner=people.get(action.owner, action.owner),
                due=action.due.isoformat(),
                priority=action.priority,
                done=action.done_at is not None,
            )
            for action in postmortem.tracked
        ),
        timeline=tuple(
            TimelineRow(
                at=fmt(datetime.fromisoformat(row["at"])),
                author=people.get(row["author"], row["author"]),
                text=_cell(row["text"]),
            )
            for row in postmortem.timeline
        ),
    )


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def render(report: Report) -> str:
    """The built-in template: the report as Markdown."""
    return _ENVIRONMENT.from_string(TEMPLATE).render(r=report)
