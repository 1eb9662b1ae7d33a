"""iCalendar (RFC 5545) feeds, so people can subscribe to rotas from Google or Outlook calendars.

Any feature that publishes a calendar (the support rota, the on-call rota) builds a list of
:class:`CalendarEvent` and calls :func:`render`; serving it (a webhook route with a feed token)
is the feature's business. Events are either all-day (``date`` start and end, the end exclusive
as RFC 5545 wants) or timed (aware ``datetime`` start and end, written in UTC). A stable ``uid``
per event lets calendar apps update an event in place when the feed changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from icalendar import Calendar, Event

PRODID = "-//dutybot//dutybot//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


class CalendarEvent(NamedTuple):
    """One event: a stable ``uid``, a one-line ``summary``, ``[start, end)`` and a description."""

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime
    description: str = ""


def render(
    events: Iterable[CalendarEvent], *, name: str, stamp: datetime, refresh_minutes: int = 60
) -> bytes:
    """The feed as RFC 5545 bytes; ``stamp`` (aware) is every event's DTSTAMP.

    ``refresh_minutes`` is the hint calendar apps read for how often to poll. ValueError for an
    event whose start and end are not both dates or both aware datetimes, or that ends before it
    starts.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add(
        "refresh-interval", timedelta(minutes=refresh_minutes), parameters={"VALUE": "DURATION"}
    )
    calendar.add("x-published-ttl", f"PT{refresh_minutes}M")
    stamp = _utc(stamp)
    for event in events:
        start, end = _checked(event)
        component = Event()
        component.add("uid", event.uid)
        component.add("dtstamp", stamp)
        component.add("dtstart", start)
        component.add("dtend", end)
        component.add("summary", event.summary)
        if event.description:
            component.add("description", event.description)
        component.add("transp", "TRANSPARENT")  # a rota shift does not make you "busy"
        calendar.add_component(component)
    return calendar.to_ical()


def _checked(event: CalendarEvent) -> tuple[date | datetime, date | datetime]:
    start, end = event.start, event.end
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise ValueError(f"event {event.uid}: start and end must both be dates or both datetimes")
    if isinstance(start, datetime) and isinstance(end, datetime):
        start, end = _utc(start), _utc(end)
    if end <= start:  # type: ignore[operator]
        raise ValueError(f"event {event.uid}: ends at {end} before it starts at {start}")
    return start, end


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: pass a timezone-aware datetime")
    return value.astimezone(UTC)
