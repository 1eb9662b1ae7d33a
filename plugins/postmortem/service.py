"""Postmortem changes: the draft made when an incident resolves, edits, owner, publishing.

Incidents are known only through the snapshot ``dutybot_incident_resolved`` hands over; the
draft copies what the report needs from it, so later edits never touch the incident.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.commands import CommandError
from core.runtime import Runtime
from plugins.postmortem import incident_log, review
from plugins.postmortem.models import Postmortem
from plugins.postmortem.report import report_of, section


def wants_postmortem(runtime: Runtime, incident: Any) -> bool:
    """Whether a resolved incident of this priority gets a draft (the team's ``priorities``)."""
    return incident.priority in section(runtime).priorities


def create_draft(runtime: Runtime, incident: Any) -> Postmortem | None:
    """Draft a postmortem from a resolved incident's snapshot and tell the team; once per incident."""
    with runtime.db.session() as session:
        if session.scalar(select(Postmortem.id).where(Postmortem.incident_id == incident.id)):
            return None
        day = runtime.calendars.local(incident.detected_at or incident.declared_at).date()
        postmortem = Postmortem(
            incident_id=incident.id,
            incident_ref=incident.ref,
            description=incident.title,
            priority=incident.priority,
            priority_label=incident.priority_label,
            urgent=incident.urgent,
            detected_at=incident.detected_at,
            declared_at=incident.declared_at,
            repaired_at=incident.repaired_at,
            resolved_at=incident.resolved_at,
            roles=dict(incident.roles),
            timeline=[
                {"at": item.at.isoformat(), "author": item.author, "text": item.text}
                for item in incident.timeline
            ],
            title=f"Incident on {day.isoformat()} – {incident.title}",
            impact=incident.impact,
            resolution=incident.resolution or "",
            owner=incident.roles.get("lead"),
            created_at=runtime.clock.now(),
        )
        session.add(postmortem)
        session.flush()
        postmortem.review_at = review.propose(runtime, postmortem)
        runtime.audit(
            session,
            "dutybot",
            "postmortem.draft",
            f"postmortem {postmortem.id}",
            f"incident {incident.ref}",
        )
        owner = (
            f", owner {review.person_name(runtime, postmortem.owner)}" if postmortem.owner else ""
        )
        runtime.chat.post(
            "team",
            f"Postmortem {postmortem.id} drafted for incident {incident.ref} ({incident.title})"
            f"{owner}. Read it with !postmortem {postmortem.id}; fill it in with "
            f"!postmortem edit {postmortem.id} FIELD <text>. "
            + review.proposal_text(runtime, postmortem),
            key=f"postmortem:{postmortem.id}:draft",
            session=session,
        )
        return postmortem


def set_review(runtime: Runtime, ref: str, at: datetime, by: str) -> str:
    """Fix the review meeting (inside working hours, in the future) and announce it to the team."""
    fmt = runtime.calendars.format
    if at <= runtime.clock.now():
        raise CommandError(f"{fmt(at)} has passed; choose a time to come.")
    if not runtime.calendars.working.is_open(at):
        raise CommandError(f"{fmt(at)} is outside working hours; choose a time inside them.")
    with runtime.db.session() as session:
        postmortem = find(session, ref)
        postmortem.review_at = at
        runtime.audit(session, by, "postmortem.review", f"postmortem {postmortem.id}", fmt(at))
        names = ", ".join(review.person_name(runtime, p) for p in review.participants(postmortem))
        runtime.chat.post(
            "team",
            f"The review of postmortem {postmortem.id} ({postmortem.title}) is on {fmt(at)}, "
            f"with {names}.",
            key=f"postmortem:{postmortem.id}:review:{at.isoformat()}",
            session=session,
        )
    return f"The review of postmortem {ref} is set for {fmt(at)}; I told the team channel."


def find(session: Session, ref: str) -> Postmortem:
    """The postmortem numbered ``ref``, or a clear error."""
    if not ref.isdigit():
        raise CommandError(f"{ref!r} is not a postmortem number.")
    postmortem = session.get(Postmortem, int(ref))
    if postmortem is None:
        raise CommandError(f"There is no postmortem {ref}. See the list with !postmortems.")
    return postmortem


def render(runtime: Runtime, postmortem: Postmortem) -> str:
    """The report as Markdown, from the first template plugin that answers."""
    return runtime.hook.dutybot_postmortem_template(
        runtime=runtime, incident=report_of(runtime, postmortem)
    )


def log_directory(runtime: Runtime) -> Path:
    """Where the incident log is written: the team's ``directory``, else ``<data dir>/incident-log``."""
    configured = section(runtime).directory
    return Path(configured) if configured else runtime.settings.data_dir / "incident-log"


def publish(runtime: Runtime, ref: str, by: str) -> str:
    """Write the report and a fresh index to the incident log, then tell publish listeners."""
    with runtime.db.session() as session:
        postmortem = find(session, ref)
        first = postmortem.published_at is None
        if first:  # republishing corrects the report; it was published when it first was
            postmortem.published_at = runtime.clock.now()
        markdown = render(runtime, postmortem)
        directory = log_directory(runtime)
        path = incident_log.write_report(runtime, directory, postmortem, markdown)
        incident_log.write_index(runtime, directory, published(session))
        runtime.audit(session, by, "postmortem.publish", f"postmortem {postmortem.id}", path.name)
        report = report_of(runtime, postmortem)
    runtime.hook.dutybot_postmortem_published(runtime=runtime, postmortem=report, markdown=markdown)
    verb = "Published" if first else "Republished"
    return f"{verb} postmortem {ref} to the incident log as {path.name}."


def published(session: Session) -> list[Postmortem]:
    return list(
        session.scalars(
            select(Postmortem)
            .where(Postmortem.published_at.is_not(None))
            .order_by(Postmortem.declared_at, Postmortem.id)
        )
    )


def rebuild_log(runtime: Runtime, by: str) -> str:
    """Regenerate every published report and the index from the database."""
    with runtime.db.session() as session:
        reports = published(session)
        directory = log_directory(runtime)
        for postmortem in reports:
            incident_log.write_report(runtime, directory, postmortem, render(runtime, postmortem))
        incident_log.write_index(runtime, directory, reports)
        runtime.audit(session, by, "postmortem.rebuild", "incident log", str(len(reports)))
    return f"Rebuilt the incident log: {len(reports)} published reports and the index."
