"""What the pager adds to the metrics' ``oncall`` section, and its health gauges.

When a page *landed* is decided once, at its first call (a page raised at 02:00 and queued
until paging hours open lands at 07:00), and stored on the page as its band:

* ``working_hours``: support hours are open ([hours.support]);
* ``night``: none of the paging-hours windows ([pager] ``hours``) is open;
* ``weekend_holiday``: otherwise, on a local date when support hours never open (weekends,
  bank holidays, closures);
* ``oncall_evening``: otherwise (on-call hours around a working day: 07:00-10:00 and
  17:00-22:00 by default).

Pages count for the period they were first called in; a person is counted once per page they
were called for (any call of it). Time to acknowledge is stored at the first acknowledgement
(wall clock minutes from the first call; acknowledging a re-page does not change it).
Escalations are calls that moved a page on to its next step for want of an acknowledgement
(re-pages of the acknowledger are not).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from core.aggregates import median_p90, rounded
from plugins.pager.models import UNANSWERED, UNDELIVERED, Delivery, Page

if TYPE_CHECKING:
    from core.runtime import Runtime
    from plugins.pager.settings import PagerSection

SECTION = "oncall"
WORKING, EVENING, WEEKEND, NIGHT = "working_hours", "oncall_evening", "weekend_holiday", "night"
BANDS = (WORKING, EVENING, WEEKEND, NIGHT)


def band(runtime: Runtime, settings: PagerSection, at: datetime) -> str:
    """Which part of the week ``at`` is in, for counting out-of-hours disruption."""
    calendars = runtime.calendars
    if calendars.support.is_open(at):
        return WORKING
    if not any(calendars[window].is_open(at) for window in settings.hours):
        return NIGHT
    if not calendars.support.opens_on(calendars.local(at).date()):
        return WEEKEND
    return EVENING


def store_ack(page: Page, at: datetime) -> None:
    """Record the time to acknowledge (a page acknowledged before any call has none).

    Only the first acknowledgement counts: a page left open is re-paged to its acknowledger
    (``repage_minutes``), and acknowledging that again must not turn 4 minutes into 90.
    """
    if page.first_called_at is not None and page.ack_minutes is None:
        page.ack_minutes = max((at - page.first_called_at).total_seconds(), 0.0) / 60


def figures(runtime: Runtime, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Pages per person and band, time to acknowledge, escalations (pages have no priority)."""
    landed = [Page.first_called_at >= start, Page.first_called_at < end]
    with runtime.db.session() as session:
        by_band = dict(
            session.execute(
                select(Page.band, func.count()).where(*landed).group_by(Page.band)
            ).all()
        )
        per_person = session.execute(
            select(Delivery.person, Page.band, func.count(func.distinct(Page.id)))
            .join(Page, Page.id == Delivery.page_id)
            .where(*landed, Delivery.method == 0)
            .group_by(Delivery.person, Page.band)
        ).all()
        escalations, escalated, unanswered = session.execute(
            select(
                func.coalesce(func.sum(Page.escalations), 0),
                func.count().filter(Page.escalations > 0),
                func.count().filter(Page.state == UNANSWERED),
            ).where(*landed)
        ).one()
        median, p90 = median_p90(session, Page.ack_minutes, landed)
    people: dict[str, dict[str, int]] = {b: {} for b in BANDS}
    totals: dict[str, int] = defaultdict(int)
    for person, where, count in sorted(per_person):
        people[where][person] = count
        totals[person] += count
    return {
        SECTION: {
            "pages": sum(by_band.values()),
            "pages_by_band": {b: by_band.get(b, 0) for b in BANDS},
            "pages_per_person": dict(totals),
            **{f"pages_per_person_{b}": people[b] for b in BANDS},
            "acknowledge_median_minutes": rounded(median),
            "acknowledge_p90_minutes": rounded(p90),
            "escalations": int(escalations),
            "pages_escalated": escalated,
            "pages_unanswered": unanswered,
        }
    }


def gauges(runtime: Runtime) -> dict[str, float]:
    """The outbox's depth and the age of its oldest undelivered notification (0 when empty)."""
    with runtime.db.session() as session:
        depth, oldest = session.execute(
            select(func.count(), func.min(Delivery.created_at)).where(
                Delivery.state.in_(UNDELIVERED)
            )
        ).one()
    age = 0.0 if oldest is None else max((runtime.clock.now() - oldest).total_seconds(), 0.0)
    return {"pager_outbox_depth": float(depth), "pager_oldest_undelivered_age_seconds": age}
