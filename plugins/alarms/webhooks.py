"""The HTTP side: one ``POST /alerts/<source>`` route per alert source.

The receiver (core) has already checked credentials and the body size. Here a body becomes
alerts or a 400 naming what is wrong; stored alerts are committed before the 2xx; a database
that cannot store them gets a 503, which Alertmanager and Grafana retry.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from core.receiver import HttpError, Route
from plugins.alarms.ingest import follow_up, ingest
from plugins.alarms.paging import CHAT_SOURCE
from plugins.alarms.sources import Parser, describe_errors, validate_alerts

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from core.runtime import Runtime

log = logging.getLogger(__name__)

SOURCE_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")


def collect_sources(runtime: Runtime) -> dict[str, Parser]:
    """Every plugin's sources; a bad or duplicate name stops start-up with a clear error."""
    sources: dict[str, Parser] = {}
    for contribution in runtime.hook.dutybot_alert_sources():
        for name, parser in (contribution or {}).items():
            if not SOURCE_NAME.fullmatch(name) or name == CHAT_SOURCE:
                raise ValueError(
                    f"alert source {name!r}: names are [a-z][a-z0-9_]* and not {CHAT_SOURCE!r}"
                )
            if name in sources:
                raise ValueError(f"two plugins contribute the alert source {name!r}")
            sources[name] = parser
    return sources


def routes(runtime: Runtime) -> list[Route]:
    return [
        Route("POST", f"/alerts/{name}", _handler(runtime, name, parser), auth=name)
        for name, parser in sorted(collect_sources(runtime).items())
    ]


def _handler(runtime: Runtime, source: str, parse: Parser) -> Any:
    def handle(request: Request, _args: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        alerts = _alerts(parse, decode(request.get_data(cache=False)))
        try:
            changes = ingest(runtime, source, alerts)
        except SQLAlchemyError:
            log.exception("could not store %d alerts from %s", len(alerts), source)
            raise HttpError(
                503, "could not store the alerts (database unavailable); retry later"
            ) from None
        follow_up(runtime, changes)
        return 200, {"stored": len(alerts), "alarms": sorted({c.alarm.id for c in changes})}

    return handle


def decode(body: bytes) -> Any:
    """Strict JSON: no NaN or Infinity, no nesting deep enough to exhaust the stack."""
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise HttpError(400, f"body is not valid JSON: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _alerts(parse: Parser, payload: Any) -> list[Any]:
    try:
        return validate_alerts(parse(payload))
    except ValidationError as exc:
        raise HttpError(400, describe_errors(exc)) from None
    except (ValueError, TypeError, KeyError) as exc:  # an extra plugin's parser refusing the body
        raise HttpError(400, str(exc) or type(exc).__name__) from None
