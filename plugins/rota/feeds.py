"""iCalendar feeds of the support rota, served by the webhook receiver.

``GET /calendar/support.ics?token=…`` is the whole rota, one all-day event per working day;
``GET /calendar/support/<person>.ics?token=…`` is one person's shifts. Calendar apps cannot send
headers, so the token travels in the query string and is compared in constant time with
``DUTYBOT_WEBHOOK_TOKEN_CALENDAR`` (the receiver's usual per-source credential); without that
variable the feeds refuse every request. The feeds cover the last four weeks (from the rota's
start at the earliest) and the next 13.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from core.ical import CONTENT_TYPE, CalendarEvent, render
from core.receiver import HttpError, Route
from plugins.rota.schedule import RotaDay
from plugins.rota.service import rota_of

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from core.runtime import Runtime

CREDENTIAL = "calendar"
PAST = timedelta(weeks=4)
AHEAD = timedelta(weeks=13)


def routes(runtime: Runtime) -> list[Route]:
    def whole(request: Request, _args: Mapping[str, Any]) -> Response:
        _check_token(runtime, request)
        events = [_day_event(d) for d in _days(runtime) if d.working]
        return _feed(runtime, events, f"{runtime.process.core.team.name}: support rota")

    def personal(request: Request, args: Mapping[str, Any]) -> Response:
        _check_token(runtime, request)
        person = runtime.process.person(args["person"])
        if person is None:
            raise HttpError(404, f"no person {args['person']!r} in the team")
        events = [
            _shift_event(d, index, person.id)
            for d in _days(runtime)
            for index, shift in enumerate(d.shifts)
            if shift.person == person.id
        ]
        return _feed(
            runtime, events, f"{runtime.process.core.team.name}: support shifts of {person.name}"
        )

    return [
        Route("GET", "/calendar/support.ics", whole),
        Route("GET", "/calendar/support/<person>.ics", personal),
    ]


def _check_token(runtime: Runtime, request: Request) -> None:
    credential = runtime.settings.credentials.get(CREDENTIAL)
    if credential is None or not credential.token:
        raise HttpError(401, "calendar feeds are off: set DUTYBOT_WEBHOOK_TOKEN_CALENDAR")
    given = request.args.get("token", "")
    if not hmac.compare_digest(given.encode(), credential.token.encode()):
        raise HttpError(401, "missing or wrong token")


def _days(runtime: Runtime) -> list[RotaDay]:
    rota = rota_of(runtime)
    today = rota.today()
    first, last = max(today - PAST, rota.settings.start), today + AHEAD
    return rota.days(first, last) if first <= last else []


def _day_event(day: RotaDay) -> CalendarEvent:
    people = ", ".join(day.people) or "nobody"
    notes = [f"Lead: {day.lead}"] if day.lead else []
    notes += [f"{s.person}: {s.note}" for s in day.shifts if s.note]
    notes += [f"{p}: on leave, not replaced" for p in day.short]
    return CalendarEvent(
        uid=f"support-{day.day:%Y%m%d}@dutybot",
        summary=f"Support: {people}",
        start=day.day,
        end=day.day + timedelta(days=1),
        description="\n".join(notes),
    )


def _shift_event(day: RotaDay, index: int, person: str) -> CalendarEvent:
    shift = day.shifts[index]
    others = [p for p in day.people if p != person]
    notes = [f"With: {', '.join(others)}" if others else "Alone on support"]
    if shift.note:
        notes.append(f"Why: {shift.note}")
    return CalendarEvent(
        uid=f"support-{person}-{day.day:%Y%m%d}@dutybot",
        summary="Support (lead)" if index == 0 else "Support",
        start=day.day,
        end=day.day + timedelta(days=1),
        description="\n".join(notes),
    )


def _feed(runtime: Runtime, events: list[CalendarEvent], name: str) -> Response:
    body = render(events, name=name, stamp=runtime.clock.now())
    return Response(
        body, status=200, content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"}
    )
