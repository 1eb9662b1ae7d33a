"""Support hours as users see them: open/closed notices and the out-of-hours reply.

Both read the support window of the calendars, so holidays, closures, DST and a team's own
hours are honoured without a single hard-coded time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.supportday.models import AutoReply
from plugins.supportday.texts import show_when, text

if TYPE_CHECKING:
    from core.chat import InboundMessage
    from core.runtime import Runtime

SWEEP = timedelta(minutes=1)
"""The notices job runs every minute and looks for a change of state in the minute just gone."""


def announce(runtime: Runtime, fire_time: datetime) -> None:
    """Post "support is open/closed" when the support window opened or closed since last minute.

    Posts are keyed by the minute of the change, so the job may run again (a restart, a second
    replica, catching up after downtime) without posting twice.
    """
    window = runtime.calendars.support
    was_open, is_open = window.is_open(fire_time - SWEEP), window.is_open(fire_time)
    if was_open == is_open:
        return
    if is_open:
        closes = window.next_closing(fire_time)
        message = text(
            runtime,
            "support_open",
            closes=show_when(runtime, closes) if closes else "further notice",
        )
    else:
        reopens = window.next_opening(fire_time)
        message = text(
            runtime,
            "support_closed",
            reopens=show_when(runtime, reopens) if reopens else "further notice",
            escalation=text(runtime, "escalation"),
        )
    state = "open" if is_open else "closed"
    runtime.chat.post(
        "support", message, key=f"supportday:support-{state}:{fire_time:%Y-%m-%dT%H:%MZ}"
    )


def auto_reply(runtime: Runtime, message: InboundMessage) -> str | None:
    """Answer a user's first message in the support channel in each closed period.

    Team members (people in the process file) are never answered: they are the ones who help.
    Who was answered is stored, so a restart does not answer anyone twice.
    """
    if message.channel_name != "support" or message.person is not None:
        return None
    now = runtime.clock.now()
    window = runtime.calendars.support
    reopens_at = window.next_opening(now)
    if window.is_open(now) or reopens_at is None:  # a window that never opens has no hours to tell
        return None
    if not _first_in_period(runtime, message.sender, reopens_at, now):
        return None
    return text(
        runtime,
        "auto_reply",
        user=message.sender,
        reopens=show_when(runtime, reopens_at),
        escalation=text(runtime, "escalation"),
    )


def _first_in_period(runtime: Runtime, sender: str, reopens_at: datetime, now: datetime) -> bool:
    """Record that ``sender`` was answered in this closed period; False if they already were.

    A read first, because repeat messages are the common case on a busy channel; the unique key
    settles a race between two replicas.
    """
    answered = select(AutoReply.id).where(
        AutoReply.sender == sender, AutoReply.reopens_at == reopens_at
    )
    try:
        with runtime.db.session() as session:
            if session.scalar(answered) is not None:
                return False
            session.add(AutoReply(sender=sender, reopens_at=reopens_at, replied_at=now))
    except IntegrityError:
        return False
    return True
