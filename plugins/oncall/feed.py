"""A personal iCal (RFC 5545) feed of on-call shifts, for Google/Outlook calendar subscriptions.

The feed is rendered by the shared ``core.ical``; this module decides what is in it and who may
read it.

Calendar apps cannot send an Authorization header, so, like their own "secret address", the
token is in the URL. Each person's token is an HMAC of their id under one secret from the
environment (``DUTYBOT_ONCALL_FEED_SECRET``): nothing to store, one person's link reveals no
one else's, and changing the secret revokes every link. Tokens are compared in constant time.
Without the secret the feeds are off.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import timedelta
from typing import TYPE_CHECKING

from core.ical import CalendarEvent, render
from plugins.oncall.timeline import person_segments, planned_until

if TYPE_CHECKING:
    from core.runtime import Runtime

SECRET_VARIABLE = "DUTYBOT_ONCALL_FEED_SECRET"
PUBLIC_URL_VARIABLE = "DUTYBOT_PUBLIC_URL"
HISTORY = timedelta(weeks=4)


def _secret() -> str | None:
    return os.environ.get(SECRET_VARIABLE) or None


def token_for(person: str) -> str | None:
    """The person's feed token, or None when feeds are off."""
    secret = _secret()
    if secret is None:
        return None
    return hmac.new(secret.encode(), f"oncall-feed:{person}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


def token_ok(person: str, token: str) -> bool:
    expected = token_for(person)
    return expected is not None and hmac.compare_digest(token.encode(), expected.encode())


def url_for(runtime: Runtime, person: str) -> str | None:
    """The subscription address: ``DUTYBOT_PUBLIC_URL`` (else the receiver's own address)."""
    token = token_for(person)
    if token is None:
        return None
    settings = runtime.settings
    base = (
        os.environ.get(PUBLIC_URL_VARIABLE) or f"http://{settings.http_host}:{settings.http_port}"
    )
    return f"{base.rstrip('/')}/oncall/{person}.ics?token={token}"


def calendar(runtime: Runtime, person: str) -> bytes:
    """The person's on-call stretches from four weeks ago to the end of the plan."""
    now = runtime.clock.now()
    known = runtime.process.person(person)
    team = runtime.process.core.team.name
    with runtime.db.session() as session:
        end = planned_until(session)
        segments = person_segments(session, person, now - HISTORY, end) if end else []
    events = [
        CalendarEvent(
            uid=f"oncall-{s.role}-{person}-{s.start:%Y%m%dT%H%M%SZ}@dutybot",
            summary=f"On call: {s.role}",
            start=s.start,
            end=s.end,
            description=f"{team}: {person} is the {s.role} on-call engineer.",
        )
        for s in segments
    ]
    return render(events, name=f"On call: {known.name if known else person} ({team})", stamp=now)
