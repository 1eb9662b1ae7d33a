"""Storing alerts: deduplicate, group, track firing/resolved/flapping and post, atomically.

One notification (a webhook body, or a message read in an alarm channel) is one transaction:
the alerts, their alarm's new state, its events and its chat posts commit together or not at
all, so a failure leaves nothing half-stored and the sender's retry starts clean. Notifications
from one source take turns (``Database.take_turns``; SQLite's writers always do): a sender that
regroups alerts moves them out of alarms other notifications are changing, and counts kept from
reads made beside those changes went wrong (PostgreSQL: deadlocks, and an alarm left counting an
alert it no longer had). Each alarm's first statement is an UPDATE of its row, which also makes
commands changing that alarm wait for the notification.
Paging and listeners run after the commit (see ``follow_up``): they must never undo a stored
alert, and the pager de-duplicates a repeated request by its key.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from core.durations import format_duration
from plugins.alarms import paging, render
from plugins.alarms.models import FIRING, RESOLVED, AlarmAlert, AlarmEvent, AlarmGroup
from plugins.alarms.render import AlertLike
from plugins.alarms.routing import Routed, route
from plugins.alarms.settings import section_of
from plugins.alarms.sources import Alert
from plugins.alarms.state import COLUMNS, GroupRow
from plugins.alarms.view import AlarmView

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.runtime import Runtime
    from plugins.alarms.render import Alarm
    from plugins.alarms.settings import AlarmsSection

log = logging.getLogger(__name__)

FIRED, ESCALATED, REPEATED = "fired", "escalated", "repeated"
ATTEMPTS = 3
KEY_CHUNK = 500
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


_ALERTS = AlarmAlert.__table__
_GROUPS = AlarmGroup.__table__
_EVENTS = AlarmEvent.__table__
# Statements of the hot path, built once: building and cache-keying them per notification
# cost more than running them. They run on the session's connection as plain Core statements.
_BUMP_GROUP = (  # the notification's first statement: it takes the lock on the alarm's row
    update(_GROUPS)
    .where(_GROUPS.c.source == bindparam("b_source"), _GROUPS.c.key_hash == bindparam("b_key_hash"))
    .values(notifications=_GROUPS.c.notifications + 1, last_notified_at=bindparam("b_now"))
    .returning(*(_GROUPS.c[name] for name in COLUMNS))
)
_INSERT_GROUP = insert(_GROUPS).returning(_GROUPS.c.id)
_SAVE_GROUP = update(_GROUPS).where(_GROUPS.c.id == bindparam("g_id"))  # SET: the parameters
_INSERT_EVENT = insert(_EVENTS)
_FIRED_SINCE = (
    select(func.count())
    .select_from(_EVENTS)
    .where(
        _EVENTS.c.group_id == bindparam("group_id"),
        _EVENTS.c.kind == FIRED,
        _EVENTS.c.at > bindparam("since"),
    )
)
_COUNT_FIRING = (
    select(func.count())
    .select_from(_ALERTS)
    .where(_ALERTS.c.group_id == bindparam("group_id"), _ALERTS.c.status == FIRING)
)
_RECOUNT_GROUP = (
    update(_GROUPS)
    .where(_GROUPS.c.id == bindparam("g_id"))
    .values(alerts_firing=bindparam("firing"))
    .returning(_GROUPS.c.status, _GROUPS.c.priority)
)
KNOWN_ALERTS = select(
    _ALERTS.c.key_hash, _ALERTS.c.id, _ALERTS.c.group_id, _ALERTS.c.status, _ALERTS.c.content_hash
).where(
    _ALERTS.c.source == bindparam("source"),
    _ALERTS.c.key_hash.in_(bindparam("hashes", expanding=True)),
)
_INSERT_ALERTS = insert(_ALERTS)
_UPDATE_ALERTS = (  # the SET clause also takes every column named in the parameters
    update(_ALERTS)
    .where(_ALERTS.c.id == bindparam("row_id"))
    .values(notifications=_ALERTS.c.notifications + 1)
)
_TOUCH_ALERTS = (  # repeats that say nothing new: one statement for all of them
    update(_ALERTS)
    .where(_ALERTS.c.id.in_(bindparam("row_ids", expanding=True)))
    .values(notifications=_ALERTS.c.notifications + 1, last_seen_at=bindparam("now"))
)
_FIRING_ALERTS = (  # what a post shows, as plain rows (AlertLike) rather than ORM objects
    select(
        _ALERTS.c.labels,
        _ALERTS.c.title,
        _ALERTS.c.summary,
        _ALERTS.c.description,
        _ALERTS.c.runbook_url,
    )
    .where(_ALERTS.c.group_id == bindparam("group_id"), _ALERTS.c.status == FIRING)
    .order_by(_ALERTS.c.id)
)


def key_hash(value: str) -> str:
    """Keys of any length, unique-indexable on every database."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    """What one notification did to one alarm: ``fired``, ``escalated``, ``repeated``, ``resolved``."""

    alarm: AlarmView
    kind: str


@dataclass(frozen=True)
class _Batch:
    runtime: Runtime
    section: AlarmsSection
    source: str
    now: datetime
    priority: str | None
    post: bool
    overridable: bool  # a plugin implements dutybot_alert_priority
    routed: dict[tuple[str, ...], Routed] = field(default_factory=dict)

    def route(self, alert: Alert) -> Routed:
        """Route an alert; alerts alike in every label the routes read share one routing.

        Only while no plugin overrides priorities: the override hook sees all the labels.
        """
        labels = alert.routing_labels()
        if self.overridable:
            return route(self.runtime, self.section, labels, self.priority)
        key = tuple(labels.get(name, "") for name in self.section.routed_labels)
        found = self.routed.get(key)
        if found is None:
            found = self.routed[key] = route(self.runtime, self.section, labels, self.priority)
        return found


def ingest(
    runtime: Runtime,
    source: str,
    alerts: Sequence[Alert],
    *,
    priority: str | None = None,
    post: bool = True,
) -> list[Change]:
    """Store one notification's alerts; raises SQLAlchemyError when the database cannot.

    ``priority`` fixes the priority instead of routing; ``post=False`` records without posting
    (the alerts were read from chat, where they already are). Within a notification the last
    alert with a given dedup key wins.
    """
    groups: dict[str, dict[str, Alert]] = {}
    for alert in alerts:
        groups.setdefault(alert.group_key or alert.dedup_key, {})[alert.dedup_key] = alert
    ordered = sorted(groups.items(), key=lambda item: key_hash(item[0]))  # one lock order
    overridable = bool(runtime.hook.dutybot_alert_priority.get_hookimpls())
    batch = _Batch(
        runtime, section_of(runtime), source, runtime.clock.now(), priority, post, overridable
    )
    attempt = 1
    while True:
        try:
            with runtime.db.session() as session:
                runtime.db.take_turns(session.connection(), f"alarms:{source}")
                return [_store(batch, session, key, list(items.values())) for key, items in ordered]
        except (IntegrityError, OperationalError) as exc:
            if attempt >= ATTEMPTS or not _retryable(exc):
                raise
            log.info("retrying a notification from %s after %s", source, type(exc).__name__)
            attempt += 1


def follow_up(runtime: Runtime, changes: Iterable[Change]) -> None:
    """After the commit: deliver posts, page for new paging alarms, tell listeners.

    Nothing here may fail the notification: its alerts are stored, and an error answered to
    the sender would have it send them again. Whatever did not happen is done later (the
    outbox and the paging sweep retry) or is logged.
    """
    try:
        runtime.chat.flush()
    except Exception:
        log.exception("delivering the alarm posts failed; the outbox will retry")
    priorities = section_of(runtime).priorities
    for change in changes:
        paging_priority = (
            change.alarm.priority in priorities and priorities[change.alarm.priority].page
        )
        if change.kind in (FIRED, ESCALATED) and paging_priority:
            try:
                paging.page_if_due(runtime, change.alarm.id, announce=True)
            except Exception:
                log.exception("paging for alarm #%s failed; the sweep will retry", change.alarm.id)
        try:
            runtime.hook.dutybot_alert_received(
                runtime=runtime, alarm=change.alarm, change=change.kind
            )
        except Exception:
            log.exception("a plugin failed handling alarm #%s (%s)", change.alarm.id, change.kind)


def _retryable(exc: IntegrityError | OperationalError) -> bool:
    if isinstance(exc, IntegrityError):
        return True  # two notifications created the same alarm or alert at once
    return (
        "database is locked" in str(exc.orig)
        or getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES
    )


def _store(batch: _Batch, session: Session, group_key: str, alerts: list[Alert]) -> Change:
    """Store one group's alerts; the session is used for its connection and the chat outbox."""
    connection = session.connection()
    digest = key_hash(group_key)
    bumped = connection.execute(
        _BUMP_GROUP, {"b_source": batch.source, "b_key_hash": digest, "b_now": batch.now}
    ).first()
    routed = [(alert, batch.route(alert)) for alert in alerts]
    if bumped is None:
        group, saved = _new_group(batch, connection, group_key, digest, routed)
    else:
        group, saved = GroupRow.loaded(dict(bumped._mapping))
    before, was_firing = group.alerts_firing, group.status == FIRING
    delta, all_new = _upsert_alerts(batch, connection, group, routed)
    group.alerts_firing += delta
    kind = _transition(batch, connection, group, routed, was_firing)
    if batch.post and not _silenced(group, batch.now):
        # A new alarm whose alerts are all new holds exactly this notification's alerts, in
        # the order they were inserted: no need to read them back to post them.
        new = bumped is None and all_new
        known = [_as_stored(a) for a in alerts if a.status == FIRING] if new else None
        _post(batch, session, group, kind, before, known)
    changed = group.changed(saved)
    if changed:
        connection.execute(_SAVE_GROUP, {**changed, "g_id": group.id})
    shown = [a for a in alerts if a.status == FIRING] or alerts
    common = dict(set.intersection(*(set(a.labels.items()) for a in shown)))
    runbook = next((a.runbook_url for a in shown if a.runbook_url), "")
    return Change(AlarmView.of(group, common, runbook), kind)


def _new_group(
    batch: _Batch,
    connection: Connection,
    group_key: str,
    digest: str,
    routed: list[tuple[Alert, Routed]],
) -> tuple[GroupRow, dict[str, Any]]:
    """Insert the alarm's row as it stands before its first episode; the row and its values."""
    titles = list(dict.fromkeys(alert.title for alert, _ in routed))
    title = titles[0] if len(titles) == 1 else f"{titles[0]} (+{len(titles) - 1} more)"
    best = _best(batch.section, routed)
    values: dict[str, Any] = dict.fromkeys(COLUMNS)
    values.update(
        source=batch.source,
        key_hash=digest,
        group_key=group_key,
        title=title,
        summary=_summary(routed),
        priority=best.priority,
        channel=best.channel,
        status=RESOLVED,
        episode=0,
        notifications=1,
        alerts_firing=0,
        flapping=False,
        first_seen_at=batch.now,
        fired_at=batch.now,
        last_notified_at=batch.now,
        paged_episode=0,
        silences=0,
    )
    del values["id"]
    values["id"] = connection.execute(_INSERT_GROUP, values).scalar_one()
    return GroupRow.loaded(values)


def _best(section: AlarmsSection, routed: list[tuple[Alert, Routed]]) -> Routed:
    """The most urgent routing among the firing alerts (among all, when none fires)."""
    candidates = [r for alert, r in routed if alert.status == FIRING] or [r for _, r in routed]
    return min(candidates, key=lambda r: section.rank(r.priority))


def _summary(routed: list[tuple[Alert, Routed]]) -> str:
    summaries = {alert.summary for alert, _ in routed if alert.status == FIRING} or {
        alert.summary for alert, _ in routed
    }
    return summaries.pop() if len(summaries) == 1 else ""


def _as_stored(alert: Alert) -> Alert:
    """The alert with the labels that are stored (``severity`` set from its field)."""
    if alert.severity is None or alert.labels.get("severity") == alert.severity:
        return alert
    return alert.model_copy(update={"labels": alert.routing_labels()})


def _upsert_alerts(
    batch: _Batch, connection: Connection, group: GroupRow, routed: list[tuple[Alert, Routed]]
) -> tuple[int, bool]:
    """Insert new alerts and refresh known ones; returns the change in the firing count, and
    whether every alert was new.

    Core statements rather than ORM objects: a notification of 100 alerts is one SELECT of
    their keys, one multi-row INSERT, one UPDATE touching every alert that repeats unchanged
    (the common case: Alertmanager re-sends a group as it stands) and one executemany UPDATE
    for the alerts whose content changed.
    """
    by_hash = {key_hash(alert.dedup_key): (alert, r) for alert, r in routed}
    hashes = list(by_hash)
    existing: dict[str, tuple[int, int, str, str | None]] = {}
    for start in range(0, len(hashes), KEY_CHUNK):
        params = {"source": batch.source, "hashes": hashes[start : start + KEY_CHUNK]}
        existing.update((row[0], row[1:]) for row in connection.execute(KNOWN_ALERTS, params))
    delta = 0
    moved: set[int] = set()
    fresh: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged: list[int] = []
    for digest, (alert, routed_to) in by_hash.items():
        firing = alert.status == FIRING
        fields = _fields(alert, routed_to, group.id)
        content = content_hash(fields)
        row = {**fields, "last_seen_at": batch.now, "content_hash": content}
        known = existing.get(digest)
        if known is None:
            delta += firing
            fresh.append(
                {
                    **row,
                    "source": batch.source,
                    "key_hash": digest,
                    "dedup_key": alert.dedup_key,
                    "first_seen_at": batch.now,
                    "notifications": 1,
                }
            )
            continue
        row_id, group_id, status, stored = known
        if group_id != group.id:
            moved.add(group_id)
            delta += firing
        else:
            delta += firing - (status == FIRING)
        if stored == content:
            unchanged.append(row_id)
        else:
            changed.append({**row, "row_id": row_id})
    if fresh:
        connection.execute(_INSERT_ALERTS, fresh)
    for start in range(0, len(unchanged), KEY_CHUNK):
        params = {"row_ids": unchanged[start : start + KEY_CHUNK], "now": batch.now}
        connection.execute(_TOUCH_ALERTS, params)
    if changed:
        connection.execute(_UPDATE_ALERTS, changed)
    for other in moved:
        _recount(batch, connection, other)
    return delta, not existing


def content_hash(fields: dict[str, Any]) -> str:
    """A digest of an alert's stored ``_fields`` (every column a notification can change).

    Equal digests mean the stored row already says what this notification says, so a repeat
    only bumps its counters; the group is one of the fields, so an alert moved between groups
    is rewritten. The digest is taken over the ``repr`` of plain values (unambiguous: strings
    are quoted), with times as ISO text and labels as sorted pairs: a third cheaper than the
    ``repr`` of datetimes and of lists of lists, and this runs for every alert received. A
    stored digest from another scheme only costs that row one rewrite.
    """
    parts: list[Any] = []
    for value in fields.values():
        if isinstance(value, dict):
            parts.append(tuple(sorted(value.items())))
        elif isinstance(value, datetime):
            parts.append(value.isoformat())
        else:
            parts.append(value)
    return hashlib.sha1(repr(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def _fields(alert: Alert, routed_to: Routed, group_id: int) -> dict[str, Any]:
    """The columns of an alert's row that each notification restates."""
    return {
        "group_id": group_id,
        "title": alert.title,
        "summary": alert.summary,
        "description": alert.description,
        "runbook_url": alert.runbook_url,
        "url": alert.url,
        "labels": alert.routing_labels(),
        "priority": routed_to.priority,
        "status": alert.status,
        "starts_at": alert.starts_at,
    }


def _recount(batch: _Batch, connection: Connection, group_id: int) -> None:
    """An alarm whose alerts moved to another group (the sender regrouped) may now be over."""
    firing = connection.scalar(_COUNT_FIRING, {"group_id": group_id}) or 0
    row = connection.execute(_RECOUNT_GROUP, {"g_id": group_id, "firing": firing}).first()
    if row is None or firing or row.status != FIRING:
        return
    connection.execute(
        _SAVE_GROUP, {"g_id": group_id, "status": RESOLVED, "resolved_at": batch.now}
    )
    _event(
        connection, group_id, row.priority, RESOLVED, batch.now, "its alerts moved to another alarm"
    )


def _transition(
    batch: _Batch,
    connection: Connection,
    group: GroupRow,
    routed: list[tuple[Alert, Routed]],
    was_firing: bool,
) -> str:
    now, section = batch.now, batch.section
    best = _best(section, routed)
    if group.alerts_firing and not was_firing:
        recent = (
            _fired_within(connection, group.id, now - section.flap_window) if group.episode else 0
        )
        group.status, group.episode, group.fired_at, group.resolved_at = (
            FIRING,
            group.episode + 1,
            now,
            None,
        )
        group.acked_by = group.acked_at = None
        group.priority, group.channel, group.summary = best.priority, best.channel, _summary(routed)
        group.starts_at = min(
            (a.starts_at for a, _ in routed if a.status == FIRING and a.starts_at), default=None
        )
        group.flapping = recent + 1 >= section.flap_count
        _event(connection, group.id, group.priority, FIRED, now, f"episode {group.episode}")
        return FIRED
    if group.alerts_firing:
        # Only a firing alert raises the priority (``best`` is the firing alerts' best when
        # there are any): a resolved one says nothing is wrong, whatever its severity.
        firing = any(alert.status == FIRING for alert, _ in routed)
        if firing and section.rank(best.priority) < section.rank(group.priority):
            _event(connection, group.id, group.priority, ESCALATED, now, f"from {group.priority}")
            group.priority, group.channel, group.summary = (
                best.priority,
                best.channel,
                _summary(routed),
            )
            return ESCALATED
        return REPEATED
    if was_firing:
        group.status, group.resolved_at = RESOLVED, now
        _event(connection, group.id, group.priority, RESOLVED, now, f"episode {group.episode}")
        return RESOLVED
    return REPEATED


def _event(
    connection: Connection, group_id: int, priority: str, kind: str, at: datetime, detail: str
) -> None:
    """Record a moment of the alarm's life, with the priority it had at that moment."""
    values = {"group_id": group_id, "at": at, "kind": kind, "priority": priority, "detail": detail}
    connection.execute(_INSERT_EVENT, values)


def _silenced(group: GroupRow, now: datetime) -> bool:
    return group.silenced_until is not None and group.silenced_until > now


def _post(
    batch: _Batch,
    session: Session,
    group: GroupRow,
    kind: str,
    before: int,
    firing_alerts: Sequence[AlertLike] | None,
) -> None:
    """One top-level post per firing episode; everything after it goes to its thread.

    ``firing_alerts`` are the alarm's firing alerts when the caller knows them (a new alarm);
    otherwise they are read from the database.
    """
    runtime, section, now = batch.runtime, batch.section, batch.now
    chat = runtime.chat
    base = f"alarm-{group.id}-{group.episode}"
    if kind == FIRED and group.flapping and group.post_key:
        fired = _fired_within(session.connection(), group.id, now - section.flap_window)
        text = render.flapping(group, fired, format_duration(section.flap_window))
        chat.post(
            group.channel, text, key=f"{base}-flap", thread_ref=group.post_key, session=session
        )
        group.last_posted_at = now
    elif kind in (FIRED, ESCALATED):
        key = base if kind == FIRED else f"{base}-{group.priority}"
        post_episode(runtime, section, session, group, key, now, firing_alerts)
    elif kind == RESOLVED:
        priority = section.priorities.get(group.priority)
        if group.post_key and (priority is None or priority.send_resolved):
            text = render.resolved(runtime, group)
            chat.post(
                group.channel,
                text,
                key=f"{base}-resolved",
                thread_ref=group.post_key,
                session=session,
            )
            group.last_posted_at = now
    elif group.status == FIRING and group.post_key and _due(group.last_posted_at, now, section):
        text = render.still_firing(group, before)
        key = f"alarm-{group.id}-n{group.notifications}"
        chat.post(group.channel, text, key=key, thread_ref=group.post_key, session=session)
        group.last_posted_at = now


def post_episode(
    runtime: Runtime,
    section: AlarmsSection,
    session: Session,
    group: Alarm,
    key: str,
    now: datetime,
    firing: Sequence[AlertLike] | None = None,
) -> None:
    """The alarm's top-level post for its episode, under ``key``; the thread from now on.

    ``key`` is ``alarm-<id>-<episode>``, with ``-<priority>`` once the episode escalated.
    ``firing`` are the alarm's firing alerts when the caller knows them; otherwise they are
    read from the database.
    """
    if firing is None:
        firing = session.connection().execute(_FIRING_ALERTS, {"group_id": group.id}).all()
    text = render.fired_post(runtime, group, render.digest(firing, section.show_labels))
    runtime.chat.post(group.channel, text, key=key, session=session)
    group.post_key, group.last_posted_at = key, now


def _fired_within(connection: Connection, group_id: int, since: datetime) -> int:
    return connection.scalar(_FIRED_SINCE, {"group_id": group_id, "since": since}) or 0


def _due(last: datetime | None, now: datetime, section: AlarmsSection) -> bool:
    return last is None or now - last >= section.update_interval
