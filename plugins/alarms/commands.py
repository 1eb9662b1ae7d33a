"""Triage from chat: list alarms, acknowledge, assign, silence, give feedback, escalate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core.commands import Command, CommandContext, CommandError, Permission, UsageError
from core.durations import format_duration, parse_duration
from plugins.alarms import render, silences
from plugins.alarms.models import DECLARING, FIRING, AlarmAlert, AlarmGroup
from plugins.alarms.settings import section_of
from plugins.alarms.view import AlarmView

if TYPE_CHECKING:
    from core.runtime import Runtime

FEATURE = "Alarms"
LISTED = 20
TRIAGE = Permission(
    "alarms.triage",
    "acknowledge, assign and give feedback on alarms, and declare incidents from them",
)
SILENCE = Permission("alarms.silence", "silence alarms in chat for a while, and lift silences")


def list_alarms(ctx: CommandContext) -> str:
    words = ctx.words()
    section = section_of(ctx.runtime)
    if len(words) > 1 or (words and words[0] != "open" and words[0] not in section.priorities):
        raise UsageError(
            f"Show open alarms, or those of one priority ({', '.join(section.priorities)})."
        )
    priority = words[0] if words and words[0] != "open" else None
    with ctx.runtime.db.session() as session:
        query = select(AlarmGroup).where(AlarmGroup.status == FIRING)
        if priority:
            query = query.where(AlarmGroup.priority == priority)
        groups = session.scalars(query).all()
    what = f"open {priority} alarms" if priority else "open alarms"
    if not groups:
        return f"No {what}."
    groups = sorted(
        groups, key=lambda g: (section.rank(g.priority), -g.fired_at.timestamp(), -g.id)
    )
    lines = [f"{what.capitalize()} ({len(groups)}):"]
    lines += [f"- {render.list_line(ctx.runtime, g)}" for g in groups[:LISTED]]
    if len(groups) > LISTED:
        lines.append(f"- … and {len(groups) - LISTED} more")
    return "\n".join(lines)


def show(ctx: CommandContext) -> str:
    alarm_id = _one_id(ctx)
    runtime = ctx.runtime
    with runtime.db.session() as session:
        group = _group(session, alarm_id)
        alerts = session.scalars(
            select(AlarmAlert)
            .where(AlarmAlert.group_id == group.id)
            .order_by(AlarmAlert.status, AlarmAlert.id)
        ).all()
    lines = [
        render.list_line(runtime, group),
        f"Source: {group.source}; {render.plural(group.notifications, 'notification')}, "
        f"first {render.when(runtime, group.first_seen_at)}, last {render.when(runtime, group.last_notified_at)}; "
        f"fired {render.plural(group.episode, 'time')}"
        + (f"; paged {group.page_target}" if group.page_target else ""),
    ]
    if group.feedback:
        lines.append(f"Feedback: {group.feedback}")
    for alert in alerts[: render.LISTED_ALERTS]:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
        lines.append(
            f"- {alert.status}: {alert.title} {{{labels}}}"
            + (f" {alert.summary}" if alert.summary else "")
        )
    if len(alerts) > render.LISTED_ALERTS:
        lines.append(f"- … and {len(alerts) - render.LISTED_ALERTS} more")
    return "\n".join(lines)


def ack(ctx: CommandContext) -> str:
    alarm_id = _one_id(ctx)
    person = ctx.require_person()

    def change(session: Session, group: AlarmGroup, now: datetime) -> str:
        if group.status != FIRING:
            raise CommandError(
                f"Alarm #{group.id} {group.title} is resolved; there is nothing to acknowledge."
            )
        if group.acked_by:
            raise CommandError(
                f"Alarm #{group.id} was already acknowledged by {group.acked_by} at "
                f"{render.when(ctx.runtime, group.acked_at or now)}."
            )
        group.acked_by, group.acked_at = person.id, now
        _note(ctx, session, group, f"Acknowledged by {person.name}.")
        return f"Acknowledged alarm #{group.id} {group.title}; it will not page."

    return _update(ctx, alarm_id, "alarm ack", change)


def assign(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 2:
        raise UsageError("Give the alarm number and the person.")
    alarm_id = _parse_id(words[0])
    assignee = ctx.person_arg(words[1])
    actor = ctx.require_person()

    def change(session: Session, group: AlarmGroup, _now: datetime) -> str:
        group.assignee = assignee.id
        _note(ctx, session, group, f"Assigned to {assignee.name} by {actor.name}.")
        return f"Alarm #{group.id} {group.title} is assigned to {assignee.name}."

    return _update(ctx, alarm_id, "alarm assign", change, assignee.id)


def silence(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) < 3:
        raise UsageError("Give the alarm number, how long, and why.")
    alarm_id = _parse_id(words[0])
    section = section_of(ctx.runtime)
    try:
        length = parse_duration(words[1])
    except ValueError as exc:
        raise UsageError(f"{exc}.") from None
    if length > section.max_silence:
        raise UsageError(f"A silence lasts at most {format_duration(section.max_silence)}.")
    reason = " ".join(words[2:])
    person = ctx.require_person()

    def change(session: Session, group: AlarmGroup, now: datetime) -> str:
        until = now + length
        group.silenced_until, group.silenced_by, group.silence_reason = until, person.id, reason
        group.silences += 1
        ctx.runtime.chat.post(
            group.channel,
            f"{person.name} silenced alarm #{group.id} {group.title} for {format_duration(length)} "
            f"(until {render.when(ctx.runtime, until)}): {reason}. No posts or pages for it until then.",
            key=f"alarm-{group.id}-silence-{group.silences}",
            session=session,
        )
        return f"Silenced alarm #{group.id} until {render.when(ctx.runtime, until)}."

    return _update(ctx, alarm_id, "alarm silence", change, f"{format_duration(length)}: {reason}")


def unsilence(ctx: CommandContext) -> str:
    alarm_id = _one_id(ctx)
    person = ctx.require_person()

    def change(session: Session, group: AlarmGroup, now: datetime) -> str:
        if group.silenced_until is None or group.silenced_until <= now:
            raise CommandError(f"Alarm #{group.id} is not silenced.")
        group.silenced_until = group.silenced_by = group.silence_reason = None
        ctx.runtime.chat.post(
            group.channel,
            f"{person.name} lifted the silence on alarm #{group.id} {group.title}; {state(group)}.",
            key=f"alarm-{group.id}-silence-{group.silences}-lifted",
            session=session,
        )
        silences.catch_up(ctx.runtime, session, group, now)
        return f"Lifted the silence on alarm #{group.id}."

    return _update(ctx, alarm_id, "alarm unsilence", change)


def feedback(kind: str) -> Callable[[CommandContext], str]:
    """``noise`` or ``actionable``: how useful the alarm was, for the alarm metrics."""

    def handler(ctx: CommandContext) -> str:
        alarm_id = _one_id(ctx)
        ctx.require_person()

        def change(_session: Session, group: AlarmGroup, now: datetime) -> str:
            group.feedback, group.feedback_at = kind, now
            return f"Thanks: alarm #{group.id} {group.title} is marked {kind} (counted in the alarm metrics)."

        return _update(ctx, alarm_id, f"alarm {kind}", change)

    return handler


CLAIM_LASTS = timedelta(minutes=5)
"""A claim left older than this (the bot died while declaring) no longer holds."""


def incident(ctx: CommandContext) -> str:
    alarm_id = _one_id(ctx)
    person = ctx.require_person()
    runtime = ctx.runtime
    view = _claim_incident(runtime, alarm_id, runtime.clock.now())
    try:
        reference = runtime.hook.dutybot_alarm_escalated(runtime=runtime, alarm=view, by=person.id)
    except Exception:
        _release_incident(runtime, alarm_id)
        raise
    if reference is None:
        _release_incident(runtime, alarm_id)
        raise CommandError(
            f"No incident plugin is installed, so I cannot declare an incident from alarm #{alarm_id}. "
            'Declare it in the team channel: "I am declaring an incident because [reason]. '
            'The impact is that [impact]."'
        )

    def change(session: Session, group: AlarmGroup, _now: datetime) -> str:
        group.incident_ref = str(reference)
        _note(ctx, session, group, f"{person.name} declared incident {reference} from this alarm.")
        return f"Declared incident {reference} from alarm #{group.id} {group.title}."

    return _update(ctx, alarm_id, "alarm incident", change, str(reference))


def _claim_incident(runtime: Runtime, alarm_id: int, now: datetime) -> AlarmView:
    """Mark the alarm as having its incident declared; its view as it was. CommandError if it
    has an incident, or is having one declared by someone else right now.

    The incident plugin declares in its own transactions (a channel, a thread, a page), so no
    lock can be held across it; without the claim, two people running ``!alarm incident`` at
    once declared two incidents.
    """
    stale = f"{DECLARING}{_stamp(now - CLAIM_LASTS)})"
    free = or_(
        AlarmGroup.incident_ref.is_(None),
        and_(AlarmGroup.incident_ref.startswith(DECLARING), AlarmGroup.incident_ref < stale),
    )
    with runtime.db.session() as session:
        group = _group(session, alarm_id)
        view = AlarmView.of(group)
        claimed = session.execute(
            update(AlarmGroup)
            .where(AlarmGroup.id == alarm_id, free)
            .values(incident_ref=f"{DECLARING}{_stamp(now)})")
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            return view
        session.refresh(group)
        if (group.incident_ref or "").startswith(DECLARING):
            raise CommandError(
                f"An incident is being declared from alarm #{group.id} right now; see the "
                "team channel."
            )
        raise CommandError(f"Alarm #{group.id} is already linked to incident {group.incident_ref}.")


def _release_incident(runtime: Runtime, alarm_id: int) -> None:
    """Give up a claim whose declaration did not happen."""
    with runtime.db.session() as session:
        session.execute(
            update(AlarmGroup)
            .where(AlarmGroup.id == alarm_id, AlarmGroup.incident_ref.startswith(DECLARING))
            .values(incident_ref=None)
            .execution_options(synchronize_session=False)
        )


def _stamp(at: datetime) -> str:
    """A UTC time whose text sorts as the time does (claims are compared as text)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state(group: AlarmGroup) -> str:
    if group.status == FIRING:
        return f"it is still firing ({render.plural(group.alerts_firing, 'alert')})"
    return "it is resolved"


def _update(
    ctx: CommandContext,
    alarm_id: int,
    action: str,
    change: Callable[[Session, AlarmGroup, datetime], str],
    detail: str = "",
) -> str:
    """Apply ``change`` to one alarm and record it in the audit log, in one transaction."""
    runtime = ctx.runtime
    with runtime.db.session() as session:
        group = _group(session, alarm_id, lock=True)
        reply = change(session, group, runtime.clock.now())
        actor = ctx.person.id if ctx.person else ctx.sender
        runtime.audit(session, actor, action, f"alarm #{group.id} {group.title}", detail)
    return reply


def _note(ctx: CommandContext, session: Session, group: AlarmGroup, text: str) -> None:
    """A line in the alarm's thread, so the channel sees who is on it."""
    if group.post_key:
        ctx.runtime.chat.post(group.channel, text, thread_ref=group.post_key, session=session)


def _group(session: Session, alarm_id: int, lock: bool = False) -> AlarmGroup:
    query = select(AlarmGroup).where(AlarmGroup.id == alarm_id)
    group = session.scalars(query.with_for_update() if lock else query).first()
    if group is None:
        raise CommandError(f"There is no alarm #{alarm_id}.")
    return group


def _one_id(ctx: CommandContext) -> int:
    words = ctx.words()
    if len(words) != 1:
        raise UsageError("Give one alarm number.")
    return _parse_id(words[0])


def _parse_id(word: str) -> int:
    digits = word.removeprefix("#")
    if not digits.isdigit() or len(digits) > 9:
        raise UsageError(f"{word!r} is not an alarm number (the #number in its post, e.g. 12).")
    return int(digits)


def commands() -> list[Command]:
    return [
        Command(
            "alarms",
            FEATURE,
            "List the open alarms, or the open ones of one priority.",
            "alarms [open|high|low|PRIORITY]",
            list_alarms,
        ),
        Command(
            "alarm show",
            FEATURE,
            "Show an alarm: its state, history and alerts.",
            "alarm show ID",
            show,
        ),
        Command(
            "alarm ack",
            FEATURE,
            "Acknowledge an alarm: you are on it, so it will not page.",
            "alarm ack ID",
            ack,
            permission=TRIAGE,
        ),
        Command(
            "alarm assign",
            FEATURE,
            "Assign an alarm to someone.",
            "alarm assign ID @person",
            assign,
            permission=TRIAGE,
        ),
        Command(
            "alarm silence",
            FEATURE,
            "Silence an alarm for a while: no posts, no pages.",
            "alarm silence ID DURATION REASON (e.g. alarm silence 12 2h deploying the fix)",
            silence,
            permission=SILENCE,
        ),
        Command(
            "alarm unsilence",
            FEATURE,
            "Lift an alarm's silence.",
            "alarm unsilence ID",
            unsilence,
            permission=SILENCE,
        ),
        Command(
            "alarm noise",
            FEATURE,
            "Say an alarm was noise (counted in the metrics).",
            "alarm noise ID",
            feedback("noise"),
            permission=TRIAGE,
        ),
        Command(
            "alarm actionable",
            FEATURE,
            "Say an alarm was actionable (counted in the metrics).",
            "alarm actionable ID",
            feedback("actionable"),
            permission=TRIAGE,
        ),
        Command(
            "alarm incident",
            FEATURE,
            "Declare an incident from an alarm and link them.",
            "alarm incident ID",
            incident,
            permission=TRIAGE,
        ),
    ]
