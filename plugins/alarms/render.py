"""What alarms look like in chat: the one post per alarm, its thread updates, and list lines.

Everything shown is built from stored rows, so a post made after a restart or by another
replica reads the same. Times are in the team's timezone as ``YYYY-MM-DD HH:MM``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from core.durations import format_duration
from plugins.alarms.models import FIRING
from plugins.alarms.view import linked_incident

if TYPE_CHECKING:
    from core.runtime import Runtime
    from plugins.alarms.models import AlarmGroup
    from plugins.alarms.state import GroupRow

    Alarm = AlarmGroup | GroupRow
    """A stored alarm: the ORM row (commands, jobs) or the plain row (ingest)."""

LISTED_ALERTS = 5
"""A post lists this many of a group's alerts and counts the rest, so a storm stays one post."""

WINDOW_NAMES = {"support": "support hours", "working": "working hours", "oncall": "on-call hours"}
_UNSHOWN = ("alertname", "severity")


class AlertLike(Protocol):
    labels: Mapping[str, str]
    title: str
    summary: str
    description: str
    runbook_url: str


@dataclass(frozen=True)
class Digest:
    """What a group's alerts have in common, and a line for each that differs."""

    summary: str = ""
    description: str = ""
    runbook_url: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    lines: tuple[str, ...] = ()
    more: int = 0


def prefix() -> str:
    """The chat command prefix, read where Errbot's settings read it (config.py)."""
    return os.environ.get("DUTYBOT_PREFIX", "!")


def when(runtime: Runtime, instant: datetime) -> str:
    return runtime.calendars.local(instant).strftime("%Y-%m-%d %H:%M")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def digest(alerts: Sequence[AlertLike], show_labels: Sequence[str]) -> Digest:
    """Common summary, description, runbook and shown labels; per-alert lines for the rest."""
    if not alerts:
        return Digest()
    summary = _common([a.summary for a in alerts])
    description = _common([a.description for a in alerts])
    runbook = _common([a.runbook_url for a in alerts]) or next(
        (a.runbook_url for a in alerts if a.runbook_url), ""
    )
    common: dict[str, str] = {}
    differing: list[str] = []
    for name in show_labels:
        values = {a.labels.get(name) for a in alerts}
        if len(values) == 1 and None not in values:
            common[name] = values.pop()  # type: ignore[assignment]
        elif values - {None}:
            differing.append(name)
    if len(alerts) == 1:
        return Digest(summary, description, runbook, common)
    if not differing:
        names = {k for a in alerts for k in a.labels} - set(common) - set(_UNSHOWN)
        differing = sorted(k for k in names if len({a.labels.get(k) for a in alerts}) > 1)
    lines = tuple(_alert_line(a, differing, summary, description) for a in alerts[:LISTED_ALERTS])
    return Digest(summary, description, runbook, common, lines, max(0, len(alerts) - LISTED_ALERTS))


def _common(values: Sequence[str]) -> str:
    first = values[0]
    return first if all(v == first for v in values) else ""


def _alert_line(alert: AlertLike, differing: Sequence[str], summary: str, description: str) -> str:
    labels = ", ".join(f"{k}={alert.labels[k]}" for k in differing if k in alert.labels)
    if alert.description != description:
        text = alert.description
    else:
        text = alert.summary if alert.summary != summary else ""
    if labels and text:
        return f"{labels}: {text}"
    return labels or text or alert.title


def fired_post(runtime: Runtime, group: Alarm, facts: Digest) -> str:
    """The alarm's one top-level post for a firing episode."""
    head = f"[FIRING:{group.alerts_firing}] #{group.id} {group.title} ({group.priority})"
    lines = [f"{head}: {facts.summary}" if facts.summary else head]
    if facts.description and facts.description != facts.summary:
        lines.append(facts.description)
    if facts.labels:
        lines.append("Labels: " + ", ".join(f"{k}={v}" for k, v in facts.labels.items()))
    lines.extend(f"- {line}" for line in facts.lines)
    if facts.more:
        lines.append(f"- … and {facts.more} more")
    if facts.runbook_url:
        lines.append(f"Runbook: {facts.runbook_url}")
    since = group.starts_at or group.fired_at
    lines.append(
        f"Since {when(runtime, since)}, {plural(group.notifications, 'notification')}. "
        f"Triage: {prefix()}alarm ack {group.id}"
    )
    return "\n".join(lines)


def still_firing(group: Alarm, before: int) -> str:
    change = f" (was {before})" if before != group.alerts_firing else ""
    return (
        f"Still firing: {plural(group.alerts_firing, 'alert')}{change}, "
        f"{plural(group.notifications, 'notification')}."
    )


def flapping(group: Alarm, fired: int, window: str) -> str:
    return (
        f"[FIRING:{group.alerts_firing}] again: flapping (fired {fired} times in {window}), "
        "so no new post and no page until it settles."
    )


def resolved(runtime: Runtime, group: Alarm) -> str:
    took = format_duration(runtime.clock.now() - group.fired_at)
    return (
        f"[RESOLVED] #{group.id} {group.title} after {took}, "
        f"{plural(group.notifications, 'notification')}."
    )


def list_line(runtime: Runtime, group: AlarmGroup) -> str:
    """One line of ``!alarms``: what, how bad, since when, and who is on it."""
    head = f"#{group.id} {group.title} ({group.priority})"
    if group.summary:
        head += f": {group.summary}"
    since = group.starts_at or group.fired_at
    state = (
        f"{plural(group.alerts_firing, 'alert')} firing since {when(runtime, since)}"
        if group.status == FIRING
        else f"resolved {when(runtime, group.resolved_at or group.fired_at)}"
    )
    notes = [state]
    if group.flapping:
        notes.append("flapping")
    if group.acked_by:
        notes.append(f"acked by {group.acked_by}")
    if group.assignee:
        notes.append(f"assigned to {group.assignee}")
    if group.silenced_until and group.silenced_until > runtime.clock.now():
        notes.append(f"silenced until {when(runtime, group.silenced_until)}")
    if group.incident_ref:
        linked = linked_incident(group.incident_ref)
        notes.append(f"incident {linked}" if linked else "incident being declared")
    return f"{head} — {'; '.join(notes)}"
