"""The contract of the framework: every hook a dutybot plugin may implement.

Built-in features implement these exactly as a pip-installed plugin would. Each hook has a
one-line docstring here and a section with an example in docs/plugins.md (a test enforces it).
Arguments are passed by name, so an implementation may accept any subset of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from core import PROJECT

if TYPE_CHECKING:
    from datetime import date, datetime

    from pydantic import BaseModel

    from core.chat import ChatReaction, InboundMessage
    from core.cli import CliCommand
    from core.commands import Command
    from core.receiver import Route
    from core.runtime import Runtime
    from core.scheduler import Job

hookspec = pluggy.HookspecMarker(PROJECT)


# --- framework --------------------------------------------------------------------------------


@hookspec
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    """Declare the process-file sections this plugin reads, as pydantic models keyed by section."""


@hookspec
def dutybot_migrations() -> list[str]:
    """Return directories of Alembic revisions for this plugin's own tables."""


@hookspec
def dutybot_startup(runtime: Runtime) -> None:
    """Called once when the runtime has started its services (database, scheduler, receiver)."""


@hookspec
def dutybot_shutdown(runtime: Runtime) -> None:
    """Called once when the runtime stops, before its services are closed."""


@hookspec
def dutybot_commands() -> list[Command]:
    """Contribute chat commands; the Errbot bridge exposes them grouped by feature."""


@hookspec
def dutybot_chat_message(runtime: Runtime, message: InboundMessage) -> str | None:
    """Handle a channel message that is not a command; a returned string is replied in its thread."""


@hookspec
def dutybot_chat_reaction(runtime: Runtime, reaction: ChatReaction) -> None:
    """An emoji reaction was added to or removed from a chat message (backends with reactions only)."""


@hookspec
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    """Contribute scheduled jobs (cron-like, in the team's timezone, run once per fire time)."""


@hookspec
def dutybot_webhook_routes(runtime: Runtime) -> list[Route]:
    """Contribute HTTP routes to the runtime's webhook receiver."""


@hookspec
def dutybot_cli_commands() -> list[CliCommand]:
    """Contribute subcommands of the ``dutybot`` console command (``dutybot incident-log build``)."""


@hookspec
def dutybot_status(runtime: Runtime) -> list[str]:
    """Contribute lines to ``!dutybot status`` about this plugin's health."""


# --- the support day --------------------------------------------------------------------------


@hookspec
def dutybot_checklist_items(runtime: Runtime, day: date) -> list[str]:
    """Contribute lines to the 09:00 start-of-day checklist for the given local date."""


@hookspec
def dutybot_handover_items(runtime: Runtime, day: date) -> list[str]:
    """Contribute lines to the 18:00 handover to the on-call engineer for the given local date."""


# --- rota -------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def dutybot_role_holders(runtime: Runtime, role: str, at: datetime) -> list[str] | None:
    """Answer who holds a role (e.g. ``support``, ``oncall.primary``) at an instant, as person ids."""


@hookspec
def dutybot_person_roles(runtime: Runtime, person: str) -> list[str]:
    """Describe the rotas and roles a person belongs to, for ``!whoami``."""


@hookspec
def dutybot_rota_strategies() -> dict[str, Any]:
    """Contribute support-rota strategies: a name mapped to a factory ``(settings, calendars)``."""


# --- triage (support requests) ----------------------------------------------------------------


@hookspec(firstresult=True)
def dutybot_classify_request(runtime: Runtime, text: str) -> dict[str, Any] | None:
    """Suggest a priority and category for a support request from its text."""


@hookspec
def dutybot_request_created(runtime: Runtime, request: Any) -> None:
    """A support request was opened; ``request`` is a read-only snapshot."""


@hookspec
def dutybot_request_updated(runtime: Runtime, request: Any, change: str) -> None:
    """A support request changed (``change``: state, priority, assignee, fields or ticket)."""


@hookspec
def dutybot_ticket_created(runtime: Runtime, ticket: Any) -> dict[str, str] | None:
    """A board ticket was created (a read-only snapshot); return ``{name: url}`` links to keep with it."""


@hookspec
def dutybot_ticket_updated(runtime: Runtime, ticket: Any, change: str) -> dict[str, str] | None:
    """A board ticket changed column or labels (``change``); may return ``{name: url}`` links to keep."""


# --- alarms -----------------------------------------------------------------------------------


@hookspec
def dutybot_alert_sources() -> dict[str, Any]:
    """Contribute alert sources: a name (route ``/alerts/<name>``) mapped to ``parse(json) -> alerts``."""


@hookspec(firstresult=True)
def dutybot_alert_priority(runtime: Runtime, labels: dict[str, str], priority: str) -> str | None:
    """Override the priority (a key of ``[alarms.priorities]``) the routes gave an alert's labels."""


@hookspec
def dutybot_alert_received(runtime: Runtime, alarm: Any, change: str) -> None:
    """An alarm (alert group) fired, repeated, resolved or escalated; ``alarm`` is a read-only snapshot."""


@hookspec(firstresult=True)
def dutybot_parse_alarm_message(
    runtime: Runtime, message: InboundMessage
) -> list[dict[str, Any]] | None:
    """Recognise alerts in a message another tool posted in an alarm channel (generic alert shape)."""


@hookspec(firstresult=True)
def dutybot_alarm_escalated(runtime: Runtime, alarm: Any, by: str) -> str | None:
    """Declare an incident from an alarm (``!alarm incident``); return the incident's reference."""


# --- on-call and paging -----------------------------------------------------------------------


@hookspec(firstresult=True)
def dutybot_page(
    runtime: Runtime, target: str, message: str, dedup_key: str | None, source: str, session: Any
) -> Any:
    """Page a person, group, role or ``oncall`` in ``session``'s transaction (None: its own); returns the page."""


@hookspec
def dutybot_page_acknowledged(runtime: Runtime, page: Any, by: str) -> None:
    """A page was acknowledged by the person ``by``; ``page`` is a read-only snapshot."""


@hookspec
def dutybot_leave(
    runtime: Runtime, people: list[str], first: date, last: date
) -> list[tuple[str, date, date]]:
    """Report the leave of ``people`` touching ``[first, last]`` as (person, first day, last day) spans."""


# --- incidents and postmortems ----------------------------------------------------------------


@hookspec
def dutybot_incident_declared(runtime: Runtime, incident: Any) -> None:
    """An incident was declared; ``incident`` is a read-only snapshot (roles, key times, timeline)."""


@hookspec
def dutybot_incident_updated(runtime: Runtime, incident: Any, change: str) -> None:
    """An incident's roles, priority or timeline changed, or an update was posted (``change`` says which)."""


@hookspec
def dutybot_incident_resolved(runtime: Runtime, incident: Any) -> None:
    """An incident was declared resolved; ``incident`` is a read-only snapshot with its whole timeline."""


@hookspec(firstresult=True)
def dutybot_incident_conversation(runtime: Runtime, incident: Any) -> str | None:
    """Open a dedicated conversation (e.g. a Slack channel) for a new incident; return its address, or None."""


@hookspec(firstresult=True)
def dutybot_postmortem_template(runtime: Runtime, incident: Any) -> str | None:
    """Render a postmortem draft for an incident; the first plugin to answer wins."""


@hookspec
def dutybot_postmortem_published(runtime: Runtime, postmortem: Any, markdown: str) -> None:
    """A postmortem was published to the incident log."""


# --- metrics ----------------------------------------------------------------------------------


@hookspec
def dutybot_metrics(
    runtime: Runtime, start: datetime, end: datetime, priority: str | None
) -> dict[str, dict[str, Any]]:
    """Contribute figures for [start, end) (``priority``: a name or None) as ``{section: {figure: value}}``."""


@hookspec
def dutybot_gauges(runtime: Runtime) -> dict[str, float]:
    """Report instantaneous health values for ``GET /metrics`` as Prometheus-safe name -> number."""


@hookspec
def dutybot_availability(runtime: Runtime, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Report downtime in [start, end) as ``{"service", "downtime_minutes", "source"}`` dicts."""
