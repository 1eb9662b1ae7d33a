"""The handover to on-call: the 17:30 prompt to the support engineers and the 18:00 handover."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from plugins.supportday import contributions, notes
from plugins.supportday.models import Handover
from plugins.supportday.settings import section
from plugins.supportday.texts import ONCALL, SUPPORT, holders, local_day, mentions, show_day, text

if TYPE_CHECKING:
    from core.runtime import Runtime


def prompt(runtime: Runtime, fire_time: datetime) -> None:
    """The 17:30 job: ask the day's support engineers for their notes, once."""
    day = local_day(runtime, fire_time)
    with runtime.db.session() as session:
        count = len(notes.waiting(session, fire_time))
        message = text(
            runtime,
            "handover_prompt",
            day=show_day(day),
            engineers=mentions(runtime, holders(runtime, SUPPORT, fire_time)),
            handover_at=f"{section(runtime).handover_at:%H:%M}",
            notes=notes.count_notes(count),
        )
        runtime.chat.post("team", message, key=f"supportday:handover-prompt:{day}", session=session)


def hand_over(runtime: Runtime, fire_time: datetime) -> None:
    """The 18:00 job: store the handover and post it to on-call and the team channel, once.

    With nobody on call (no plugin answers, or the rota has a gap) it still goes to the team
    channel, whose header then says that nobody is on call.
    """
    day = local_day(runtime, fire_time)
    oncall = holders(runtime, ONCALL, fire_time)
    items = contributions.collect(runtime, runtime.hook.dutybot_handover_items, day=day)
    with runtime.db.session() as session:
        if session.scalar(select(Handover).where(Handover.day == day)) is not None:
            return
        carried = notes.waiting(session, fire_time)
        lines = [notes.line(runtime, note, "handover_note") for note in carried] + items
        body = "\n".join(
            [
                text(
                    runtime, "handover_header", day=show_day(day), oncall=mentions(runtime, oncall)
                ),
                *([f"- {line}" for line in lines] or [text(runtime, "handover_empty")]),
            ]
        )
        handover = Handover(day=day, handed_at=runtime.clock.now(), oncall=oncall, text=body)
        session.add(handover)
        session.flush()
        notes.carry_into_handover(session, handover.id, fire_time)
        for person in oncall:
            runtime.chat.post(
                person, body, key=f"supportday:handover:{day}:{person}", session=session
            )
        runtime.chat.post("team", body, key=f"supportday:handover:{day}", session=session)
        runtime.audit(
            session,
            "dutybot",
            "handover",
            str(day),
            f"to {', '.join(oncall) or 'nobody'}; {len(carried)} notes, {len(items)} lines from plugins",
        )
