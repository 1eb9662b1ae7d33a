"""Who is on support, asked through ``dutybot_role_holders`` (the rota, or any plugin answering).

Outside support hours the people who matter are those on support when it next opens: a request
sent at 20:00 is theirs in the morning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugins.triage.models import OPEN_STATES, Request

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OnSupport:
    lead: str | None
    people: tuple[str, ...]
    """Everyone on support, the lead first."""


def on_support(runtime: Runtime, now: datetime) -> OnSupport:
    """The support engineers now, or when support next opens if it is closed."""
    at = runtime.calendars.support.next_opening(now) or now
    lead = _holders(runtime, "support.lead", at)
    people = _holders(runtime, "support", at)
    first = lead[0] if lead else None
    ordered = ([first] if first else []) + [p for p in people if p != first]
    return OnSupport(first, tuple(ordered))


def default_assignee(session: Session, support: OnSupport) -> str | None:
    """The lead if the rota names one, else whoever on support has the fewest open requests."""
    if support.lead or not support.people:
        return support.lead
    load = dict(
        session.execute(
            select(Request.assignee, func.count())
            .where(Request.assignee.in_(support.people), Request.state.in_(OPEN_STATES))
            .group_by(Request.assignee)
        ).all()
    )
    return min(support.people, key=lambda person: load.get(person, 0))


def _holders(runtime: Runtime, role: str, at: datetime) -> list[str]:
    try:
        return list(runtime.hook.dutybot_role_holders(runtime=runtime, role=role, at=at) or [])
    except Exception:
        log.exception("a plugin failed answering who holds %s", role)
        return []
