"""HTTP routes: each person's iCal feed, and the monthly claim as CSV for payroll.

The feed carries its own token in the URL (see ``feed``); the CSV needs the bearer token of the
credential set ``oncall_pay`` (``DUTYBOT_WEBHOOK_TOKEN_ONCALL_PAY``), checked by the receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from core import ical
from core.commands import UsageError
from core.receiver import HttpError, Route
from plugins.oncall import feed, report
from plugins.oncall.periods import parse_month
from plugins.oncall.settings import OncallSection

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from core.runtime import Runtime

PAY_CREDENTIAL = "oncall_pay"


def routes(runtime: Runtime, section: OncallSection) -> list[Route]:
    def calendar_feed(request: Request, args: Mapping[str, Any]) -> Response:
        person = str(args["person"])
        if feed.token_for(person) is None:
            raise HttpError(403, f"on-call feeds are off: {feed.SECRET_VARIABLE} is not set")
        if not feed.token_ok(person, request.args.get("token", "")):
            raise HttpError(403, "wrong or missing token")
        if runtime.process.person(person) is None:
            raise HttpError(404, f"no person {person!r}")
        return Response(
            feed.calendar(runtime, person),
            content_type=ical.CONTENT_TYPE,
            headers={"Content-Disposition": f'inline; filename="oncall-{person}.ics"'},
        )

    def hours_csv(_request: Request, args: Mapping[str, Any]) -> Response:
        try:
            month, period = parse_month(str(args["month"]), runtime.calendars.tz)
        except UsageError as exc:
            raise HttpError(400, str(exc)) from exc
        found = report.month_claims(runtime, section, period)
        with runtime.db.session() as session:
            runtime.audit(session, f"http:{PAY_CREDENTIAL}", "oncall.pay.read", month, "csv")
        return Response(
            report.as_csv(month, found),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="oncall-hours-{month}.csv"'},
        )

    return [
        Route("GET", "/oncall/<person>.ics", calendar_feed),
        Route("GET", "/oncall/hours/<month>.csv", hours_csv, auth=PAY_CREDENTIAL),
    ]
