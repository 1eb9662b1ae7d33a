"""Watching the pager itself: the dead man's switch, the auditor's verdict, status lines.

The heartbeat URL (a healthchecks-style service) is pinged only while the pager is healthy, so a
pager that stopped, or whose outbox stopped moving, goes quiet and the outside service alerts.
"""

from __future__ import annotations

import logging
import urllib.request
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import apprise

from plugins.pager import contacts, outbox, service
from plugins.pager.contacts import ContactError
from plugins.pager.models import ACKNOWLEDGED, HANDOVER, PAGING, UNANSWERED, WAITING
from plugins.pager.worker import Pager

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)


def health(runtime: Runtime, pager: Pager | None, now: datetime) -> str | None:
    """None while healthy, else why not: the pager is down or a notification is overdue."""
    if pager is None:
        return "the pager is not running"
    settings = service.section(runtime)
    _, oldest = outbox.backlog(runtime.db)
    if oldest is not None and now - oldest >= timedelta(minutes=settings.stuck_minutes):
        return f"a notification has been due since {runtime.calendars.format(oldest)}"
    return None


def beat(runtime: Runtime, pager: Pager | None, now: datetime) -> None:
    """Ping the heartbeat URL if the pager is healthy; remember the outcome for the status."""
    settings = service.section(runtime)
    problem = health(runtime, pager, now)
    if problem is None:
        outcome = _ping(
            settings.heartbeat.url or "",
            settings.heartbeat.method,
            settings.delivery.timeout_seconds,
        )
    else:
        log.warning("heartbeat withheld: %s", problem)
        outcome = f"withheld: {problem}"
    if pager is not None:
        pager.heartbeat = (now, outcome)


def _ping(ref: str, method: str, timeout: float) -> str:
    try:
        url = contacts.resolve(ref)
        if contacts.is_plain_http(url):
            request = urllib.request.Request(
                url, method=method, data=b"" if method == "POST" else None
            )
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return f"sent (HTTP {response.status})"
        notifier = apprise.Apprise(asset=contacts.ASSET)
        notifier.add(contacts.service(ref, timeout))
        result = notifier.notify(title="dutybot heartbeat", body="The dutybot pager is healthy.")
        return "sent" if result else f"failed ({result.status.name})"
    except ContactError as exc:
        return f"failed ({exc})"
    except OSError as exc:  # urllib's errors; the URL stays out of the message
        return f"failed ({type(exc).__name__})"


def status_lines(runtime: Runtime, pager: Pager | None) -> list[str]:
    now = runtime.clock.now()
    count, oldest = outbox.backlog(runtime.db)
    workers = f"running, {pager.workers} workers" if pager else "not running"
    queue = f"{count} undelivered"
    if oldest is not None:
        queue += f", oldest due {max(0, int((now - oldest).total_seconds() // 60))} min ago"
    states = service.counts_by_state(runtime)
    lines = [
        f"Pager: {workers}; outbox: {queue}",
        f"Pages: {states.get(PAGING, 0)} paging, {states.get(ACKNOWLEDGED, 0)} acknowledged, "
        f"{states.get(WAITING, 0)} queued for paging hours, {states.get(HANDOVER, 0)} held for handover, "
        f"{states.get(UNANSWERED, 0)} unanswered",
    ]
    if service.section(runtime).heartbeat.url:
        last = pager.heartbeat if pager else None
        lines.append(
            f"Pager heartbeat at {runtime.calendars.format(last[0])}: {last[1]}"
            if last
            else "Pager heartbeat: not sent yet"
        )
    return lines
