"""Out-of-hours incidents become on-call work: counted for pay, and followed by rest.

The incident plugin says when an incident is resolved (``dutybot_incident_resolved``); the
out-of-hours part of it is recorded as work of whoever was primary on call when it was
declared, exactly as if they had typed ``!oncall worked``, so it appears in ``!oncall hours``
and starts their rest period.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core.commands import CommandError
from plugins.oncall.changes import Changes
from plugins.oncall.hours import out_of_hours_seconds
from plugins.oncall.periods import Period, fmt_hours
from plugins.oncall.settings import OncallSection
from plugins.oncall.timeline import holder_at

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)
ACTOR = "dutybot"


def record_incident_work(runtime: Runtime, section: OncallSection, incident: Any) -> str | None:
    """Record the incident's out-of-hours time for the primary on call; returns who, or None."""
    period = Period(incident.declared_at, incident.resolved_at or runtime.clock.now())
    outside = out_of_hours_seconds(runtime.calendars, period.start, period.end)
    if outside <= 0:
        return None
    with runtime.db.session() as session:
        segment = holder_at(session, "primary", period.start)
        if segment is None or not segment.person:
            return None
        note = f"incident {incident.ref}: {incident.title}"
        try:
            Changes(runtime, session, section, ACTOR).worked(segment.person, period, note)
        except CommandError as exc:  # already recorded by hand, overlapping
            log.info("incident %s work not recorded for %s: %s", incident.ref, segment.person, exc)
            return None
        rest = runtime.calendars.format(period.end + timedelta(hours=section.rest_hours))
        runtime.chat.post(
            segment.person,
            f"Incident {incident.ref} is resolved. {fmt_hours(outside / 3600)} h of it were out of "
            f"hours and are recorded as your on-call work (see !oncall hours). "
            f"Rest until {rest}: you will not be picked as secondary or cover before then.",
            key=f"oncall:incident-work:{incident.id}",
            session=session,
        )
        return segment.person
