"""What the bot says about incidents: pure functions from data to text.

Times are shown in the team's timezone as ``YYYY-MM-DD HH:MM``; people by their names. Posts to
user channels use chat markdown (``**bold**`` titles), which every Errbot backend renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from plugins.incident.durations import span
from plugins.incident.models import COMMS, LEAD, REQUIRED, SCRIBE
from plugins.incident.phrases import Phrase

if TYPE_CHECKING:
    from core.runtime import Runtime
    from plugins.incident.models import Incident
    from plugins.incident.settings import IncidentSection
    from plugins.incident.view import IncidentView

ROLE_LABELS = {LEAD: "incident lead", SCRIBE: "scribe", COMMS: "communications lead"}
NOBODY = "nobody"


def fmt(runtime: Runtime, t: datetime) -> str:
    return runtime.calendars.format(t)


def name(runtime: Runtime, person: str | None) -> str:
    """A person's name from the process file (their id if they have left it)."""
    if person is None:
        return NOBODY
    found = runtime.process.person(person)
    return found.name if found else person


def names(runtime: Runtime, people: Iterable[str]) -> str:
    return ", ".join(name(runtime, p) for p in people) or NOBODY


def title_of(reason: str) -> str:
    """An incident's title from the declared reason: capitalised, without closing punctuation."""
    text = " ".join(reason.split()).rstrip(" .;:,!")
    return text[:1].upper() + text[1:300]


def joined(items: Sequence[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def missing_roles(holders: dict[str, str]) -> list[str]:
    return [role for role in REQUIRED if role not in holders]


def needs(missing: Sequence[str]) -> str:
    """``an incident lead and a scribe``."""
    articles = {LEAD: "an incident lead", SCRIBE: "a scribe"}
    return joined([articles[role] for role in missing])


def priority_help(section: IncidentSection, incident_id: int, current: str) -> str:
    """The criteria of the other priorities, offered when a declaration gave none."""
    level = section.levels[current]
    others = [(key, other) for key, other in section.levels.items() if key != current]
    line = f"Priority: {level.label}."
    if len(others) == 1:
        key, other = others[0]
        criteria = "; ".join(other.criteria)
        return f"{line} It is {other.label} if it is any of: {criteria}. If so, say !incident priority {incident_id} {key}."
    listed = "; ".join(
        f"{other.label}: {' or '.join(other.criteria)}" for _, other in others if other.criteria
    )
    keys = "|".join(key for key, _ in others)
    return (
        f"{line} The others are {listed}. Change it with !incident priority {incident_id} {keys}."
    )


def role_phrases(section: IncidentSection, missing: Sequence[str]) -> str:
    phrases = {LEAD: section.phrases.lead, SCRIBE: section.phrases.scribe}
    return joined([f'"{phrases[role]}"' for role in missing], last="or")


def role_commands(incident_id: int, missing: Sequence[str]) -> str:
    return joined([f"!incident {role} {incident_id}" for role in missing])


def next_steps(
    runtime: Runtime,
    section: IncidentSection,
    incident: Incident,
    situation: str,
    priority_given: bool,
    where: str,
) -> str:
    """The reply to a declaration: the incident's id, and what happens next."""
    level = section.level(incident.priority)
    lines = [f"Incident {incident.id} declared: {incident.title} ({level.label})."]
    if not priority_given:
        lines.append(priority_help(section, incident.id, incident.priority))
    lines.append(situation)
    if level.response is not None:
        due = level.response.due(incident.declared_at, runtime.calendars, level.response_hours)
        lines.append(f"First response target: {level.response} (by {fmt(runtime, due)}).")
    lines.append(
        f"Next: it needs an incident lead and a scribe (a communications lead is optional). "
        f"Say {role_phrases(section, REQUIRED)} {where}, or use {role_commands(incident.id, REQUIRED)}; "
        f"I will post a reminder {where} every {section.nudge_minutes} minutes until both are taken."
    )
    every = f" --next {level.update_every}" if level.update_every else " --next 30m"
    audiences = (
        joined([runtime.chat.address(c) for c in section.update_to]) or "the incident's thread"
    )
    lines.append(
        f"Updates: !incident update {incident.id} <what we are doing>{every} posts one to {audiences}. "
        f'Notes: start a message {where} with "{section.phrases.note_marker}". '
        f'To close it, the lead says "{_resolve_example(section)}".'
    )
    return "\n".join(lines)


def _resolve_example(section: IncidentSection) -> str:
    return Phrase(section.phrases.resolve).example(resolution="<resolution or plan>").rstrip(".")


def announcement(runtime: Runtime, incident: Incident, label: str, origin: str) -> str:
    """The team-channel post that starts the thread of an incident declared by command or alarm."""
    return (
        f"**Incident {incident.id} declared** by {name(runtime, incident.declared_by)}{origin}: "
        f"{incident.title} ({label}). Impact: {incident.impact}"
    )


def notice(incident: Incident, label: str) -> str:
    """What the affected users' channels are told when an urgent incident is declared."""
    return f"**Incident {incident.id}: {incident.title}** ({label})\nImpact: {incident.impact}\nWe are working on it."


def update_body(
    section: IncidentSection,
    incident: Incident,
    label: str,
    action: str,
    next_at: str,
    users: str | None,
) -> str:
    """A user update: bold title, impact, action, next update time, user actions, apology."""
    return "\n".join(
        [
            f"**Incident {incident.id}: {incident.title}** ({label}, update {incident.updates_sent})",
            f"Impact: {incident.impact}",
            f"What we are doing: {action}",
            f"Next update: by {next_at}",
            f"What you need to do: {users or section.texts.no_user_action}",
            section.texts.apology,
        ]
    )


def closing_body(runtime: Runtime, incident: Incident, label: str) -> str:
    """What every audience that was told of the incident is told when it is over."""
    assert incident.resolved_at is not None
    return "\n".join(
        [
            f"**Resolved: incident {incident.id}: {incident.title}** ({label})",
            f"The incident is over: {incident.resolution}",
            f"Declared {fmt(runtime, incident.declared_at)}, resolved {fmt(runtime, incident.resolved_at)} "
            f"({span(incident.declared_at, incident.resolved_at)}).",
        ]
    )


def cancelled_body(incident: Incident, reason: str) -> str:
    return f"**Cancelled: incident {incident.id}: {incident.title}**\nIt was declared in error: {reason}"


def origin(source: str) -> str:
    """How an incident was declared: ``in chat``, ``with !incident declare``, ``from alarm #5``."""
    return {"chat": "in chat", "command": "with !incident declare"}.get(source, f"from {source}")


def roles_line(runtime: Runtime, holders: dict[str, str]) -> str:
    """``Lead: Alice Archer; scribe: nobody; communications: nobody``."""
    return (
        f"Lead: {name(runtime, holders.get(LEAD))}; scribe: {name(runtime, holders.get(SCRIBE))}; "
        f"communications: {name(runtime, holders.get(COMMS))}"
    )


def update_status(runtime: Runtime, incident: Incident) -> str:
    if incident.last_update_at is None:
        return "No update has gone to users yet."
    line = f"Last update to users: {fmt(runtime, incident.last_update_at)}"
    if incident.next_update_at is not None:
        line += f"; next promised by {fmt(runtime, incident.next_update_at)}"
    return line + "."


def summary(runtime: Runtime, view: IncidentView, now: datetime) -> str:
    """``!incident ID``: the incident, its roles and key times, and its whole timeline."""
    end = view.resolved_at or now
    state = {"open": f"open for {span(view.declared_at, end)}"}.get(
        view.status, f"{view.status} after {span(view.declared_at, end)}"
    )
    lines = [
        f"Incident {view.id}: {view.title} ({view.priority_label}, {state})",
        f"Impact: {view.impact}",
        f"Declared {fmt(runtime, view.declared_at)} by {name(runtime, view.declared_by)} {origin(view.source)}.",
        f"{roles_line(runtime, view.roles)}.",
        "Key times: "
        + "; ".join(
            f"{label} {fmt(runtime, t) if t else 'not set'}"
            for label, t in (
                ("first detected", view.detected_at),
                ("declared", view.declared_at),
                ("repaired", view.repaired_at),
                ("resolved", view.resolved_at),
            )
        ),
    ]
    if view.status == "open":
        if view.last_update_at is None:
            lines.append("Updates: none yet.")
        else:
            promise = (
                f"; next promised by {fmt(runtime, view.next_update_at)}"
                if view.next_update_at
                else ""
            )
            lines.append(f"Updates: last {fmt(runtime, view.last_update_at)}{promise}.")
    if view.resolution:
        lines.append(f"Resolution: {view.resolution}")
    if view.alarms:
        lines.append("Alarms: " + ", ".join(f"#{a}" for a in view.alarms))
    if view.conversation:
        lines.append(f"Conversation: {view.conversation}")
    lines.append("Timeline:")
    lines.extend(
        f"- {fmt(runtime, item.at)} {entry_text(runtime, item.kind, item.author, item.text)}"
        for item in view.timeline
    )
    return "\n".join(lines)


def entry_text(runtime: Runtime, kind: str, author: str, text: str) -> str:
    """A timeline line as shown: notes carry their author's name, automatic entries say it all."""
    return f"{name(runtime, author)}: {text}" if kind == "note" else text


def list_line(
    runtime: Runtime, incident: Incident, label: str, holders: dict[str, str], now: datetime
) -> str:
    """One incident in ``!incidents``."""
    if incident.status == "open":
        state = f"open {span(incident.declared_at, now)}"
    else:
        end = incident.resolved_at or now
        state = f"{incident.status} {fmt(runtime, end)} after {span(incident.declared_at, end)}"
    return f"- {incident.id} {incident.title} ({label}, {state}). {roles_line(runtime, holders)}."


def handover_line(runtime: Runtime, incident: Incident, label: str, holders: dict[str, str]) -> str:
    """An open incident in the 18:00 handover to on-call (urgent ones) and the 09:00 checklist."""
    return (
        f"Open incident {incident.id} ({label}) since {fmt(runtime, incident.declared_at)}: {incident.title}. "
        f"{roles_line(runtime, holders)}. {update_status(runtime, incident)}"
    )
