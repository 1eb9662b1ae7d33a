"""What people change in the rota, as entries: overrides, swaps, cover, unavailability, work.

Each function checks its rules, writes one ``Entry`` (and the ``Override`` segments it puts on
top of the plan) in the caller's session and records it in the audit log. Rota changes apply
from now on: the past is the record hours and pay are computed from, so a period that has
begun is clipped to the present. Wellbeing rules are refusals, not warnings: nobody becomes
secondary or takes cover while resting after out-of-hours work, or on a day they are on leave
or unavailable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.commands import CommandError
from plugins.oncall.availability import Availability, describe_days
from plugins.oncall.hours import out_of_hours_seconds
from plugins.oncall.models import (
    APPLIED,
    COVER,
    OPEN,
    OVERRIDE,
    REVERTED,
    SWAP,
    UNAVAILABLE,
    WORKED,
    Entry,
    Override,
)
from plugins.oncall.periods import Period
from plugins.oncall.settings import ROLES, OncallSection
from plugins.oncall.timeline import Segment, person_segments, timeline

if TYPE_CHECKING:
    from core.runtime import Runtime

MAX_LENGTH = timedelta(days=366)


class Changes:
    """The rota changes one command makes, in one session, as ``actor``."""

    def __init__(
        self, runtime: Runtime, session: Session, section: OncallSection, actor: str
    ) -> None:
        self.runtime = runtime
        self.session = session
        self.section = section
        self.actor = actor
        self.calendars = runtime.calendars
        self.now = runtime.clock.now()

    # -- helpers -------------------------------------------------------------------------------

    def upcoming(self, period: Period) -> Period:
        """``period`` from now on; refuses one that is over or absurdly long."""
        if period.end <= self.now:
            raise CommandError(
                f"That period ended at {self.calendars.format(period.end)}; the past is not changed."
            )
        if period.end - period.start > MAX_LENGTH:
            raise CommandError(
                "That period is longer than a year; change the rota a year at a time."
            )
        return Period(max(period.start, self.now), period.end)

    def _when(self, period: Period) -> str:
        return f"{self.calendars.format(period.start)} to {self.calendars.format(period.end)}"

    def _entry(
        self,
        kind: str,
        state: str,
        person: str,
        period: Period,
        *,
        other: str | None = None,
        role: str | None = None,
        note: str = "",
    ) -> Entry:
        entry = Entry(
            kind=kind,
            state=state,
            person=person,
            other=other,
            role=role,
            note=note,
            starts_at=period.start,
            ends_at=period.end,
            actor=self.actor,
            created_at=self.now,
        )
        self.session.add(entry)
        self.session.flush()
        return entry

    def _audit(self, action: str, entry: Entry, detail: str) -> None:
        self.runtime.audit(
            self.session, self.actor, f"oncall.{action}", f"entry {entry.id}", detail
        )

    def _refuse_unfit(self, person: str, period: Period, duty: str | None) -> None:
        """Refuse ``person`` on leave or unavailable in ``period`` and, for a ``duty`` (being
        secondary, taking cover), while resting after out-of-hours work."""
        availability = Availability(
            self.runtime, self.session, self.section, period.start, period.end
        )
        resting = availability.resting_until(person, period.start, period.end)
        if duty is not None and resting is not None:
            raise CommandError(
                f"{person} is resting after out-of-hours work until {self.calendars.format(resting)}, "
                f"so cannot {duty} then."
            )
        for label, days in (
            ("on leave", availability.leave_days(person, period.start, period.end)),
            (
                "unavailable for on-call",
                availability.unavailable_days(person, period.start, period.end),
            ),
        ):
            if days:
                raise CommandError(f"{person} is {label} on {describe_days(days)}.")

    def _replace(self, entry: Entry, role: str, person: str, segment: Segment) -> None:
        self.session.add(
            Override(
                entry=entry,
                role=role,
                person=person,
                replaced=segment.person,
                starts_at=segment.start,
                ends_at=segment.end,
            )
        )

    # -- rota changes ----------------------------------------------------------------------------

    def override(self, person: str, role: str, period: Period) -> Entry:
        """``person`` holds ``role`` for the whole of ``period``, whoever was planned."""
        period = self.upcoming(period)
        planned = timeline(self.session, role, period.start, period.end)
        if planned and all(s.person == person for s in planned) and _covers(planned, period):
            raise CommandError(f"{person} is already {role} from {self._when(period)}.")
        self._refuse_unfit(person, period, _duty(role))
        entry = self._entry(OVERRIDE, APPLIED, person, period, role=role)
        for segment in _fill(planned, role, period):
            self._replace(entry, role, person, segment)
        replaced = sorted({s.person for s in planned if s.person and s.person != person})
        self._audit(
            "override",
            entry,
            f"{person} {role} {self._when(period)} instead of {', '.join(replaced) or 'nobody'}",
        )
        return entry

    def swap(self, first: str, second: str, period: Period) -> Entry:
        """``first`` and ``second`` exchange whatever roles they hold during ``period``."""
        period = self.upcoming(period)
        trades = [
            (segment, second if segment.person == first else first)
            for role in ROLES
            for segment in timeline(self.session, role, period.start, period.end)
            if segment.person in (first, second)
        ]
        if not trades:
            raise CommandError(
                f"Neither {first} nor {second} is on call from {self._when(period)}, "
                f"so there is nothing to swap."
            )
        for segment, taker in trades:
            self._refuse_unfit(taker, Period(segment.start, segment.end), _duty(segment.role))
        entry = self._entry(SWAP, APPLIED, first, period, other=second)
        for segment, taker in trades:
            self._replace(entry, segment.role, taker, segment)
        self._audit("swap", entry, f"{first} <-> {second} {self._when(period)}")
        return entry

    def request_cover(self, requester: str, period: Period) -> Entry:
        """Ask the team to take over whatever ``requester`` holds during ``period``."""
        period = self.upcoming(period)
        if not person_segments(self.session, requester, period.start, period.end):
            raise CommandError(
                f"You are not on call from {self._when(period)}, so there is nothing to cover."
            )
        entry = self._entry(COVER, OPEN, requester, period)
        self._audit("cover.request", entry, f"{requester} {self._when(period)}")
        return entry

    def accept_cover(self, entry_id: int, taker: str) -> tuple[Entry, list[Segment]]:
        """``taker`` takes over the requester's roles in the request's period (from now on)."""
        entry = self.find(entry_id)
        if entry.kind != COVER:
            raise CommandError(f"Entry {entry_id} is not a cover request.")
        if entry.state != OPEN:
            taken = f"accepted by {entry.other}" if entry.other else "withdrawn"
            raise CommandError(f"Cover request {entry_id} was already {taken}.")
        if taker == entry.person:
            raise CommandError("You cannot cover your own request; someone else has to accept it.")
        if taker not in self.section.members:
            raise CommandError(f"Only members of the on-call rota can cover; {taker} is not one.")
        period = self.upcoming(Period(entry.starts_at, entry.ends_at))
        segments = person_segments(self.session, entry.person, period.start, period.end)
        if not segments:
            raise CommandError(
                f"{entry.person} is no longer on call in that period; nothing to cover."
            )
        for segment in segments:
            self._refuse_clash(taker, segment)
            self._refuse_unfit(taker, Period(segment.start, segment.end), "take cover")
        for segment in segments:
            self._replace(entry, segment.role, taker, segment)
        entry.state, entry.other = APPLIED, taker
        self._audit("cover.accept", entry, f"{taker} covers {entry.person} {self._when(period)}")
        return entry, segments

    def _refuse_clash(self, person: str, segment: Segment) -> None:
        other = "secondary" if segment.role == "primary" else "primary"
        clash = [
            s
            for s in timeline(self.session, other, segment.start, segment.end)
            if s.person == person
        ]
        if clash:
            raise CommandError(
                f"You are {other} from {self._when(Period(clash[0].start, clash[0].end))}, "
                f"so you cannot also be {segment.role} then."
            )

    # -- other entries ---------------------------------------------------------------------------

    def unavailable(self, person: str, period: Period) -> Entry:
        """``person`` cannot be on call on these days (not leave: they may be at work)."""
        if period.end <= self.now:
            raise CommandError(
                f"Those days are over (they ended {self.calendars.format(period.end)})."
            )
        entry = self._entry(UNAVAILABLE, APPLIED, person, period)
        self._audit("unavailable", entry, f"{person} {self._when(period)}")
        return entry

    def worked(self, person: str, period: Period, note: str) -> tuple[Entry, float]:
        """Record out-of-hours work; returns the entry and its out-of-hours seconds."""
        if period.end > self.now:
            raise CommandError(
                f"{self._when(period)} has not finished yet; record work once it is done."
            )
        outside = out_of_hours_seconds(self.runtime.calendars, period.start, period.end)
        if outside <= 0:
            raise CommandError(
                f"{self._when(period)} is inside working hours; "
                "only out-of-hours work is recorded here."
            )
        overlapping = self.session.scalars(
            select(Entry).where(
                Entry.kind == WORKED,
                Entry.state == APPLIED,
                Entry.person == person,
                Entry.starts_at < period.end,
                Entry.ends_at > period.start,
            )
        ).first()
        if overlapping is not None:
            raise CommandError(
                f"That overlaps entry {overlapping.id} "
                f"({self._when(Period(overlapping.starts_at, overlapping.ends_at))})."
            )
        entry = self._entry(WORKED, APPLIED, person, period, note=note)
        self._audit("worked", entry, f"{person} {self._when(period)}: {note}")
        return entry, outside

    def undo(self, entry_id: int, may_undo_others: bool) -> Entry:
        """Revert an entry; a rota change already in progress ends now instead (the past stays).

        Whatever was beneath (the plan, older entries) applies again. Withdrawing an open cover
        request, and correcting recorded work or unavailability, revert them entirely.
        """
        entry = self.find(entry_id)
        if entry.state == REVERTED:
            raise CommandError(f"Entry {entry_id} was already undone by {entry.closed_by}.")
        if self.actor not in (entry.actor, entry.person, entry.other) and not may_undo_others:
            raise CommandError(f"Entry {entry_id} is not yours to undo; ask a lead.")
        in_force = entry.state == APPLIED and entry.kind in (OVERRIDE, SWAP, COVER)
        if in_force and entry.ends_at <= self.now:
            raise CommandError(f"Entry {entry_id} is over; the past is not changed.")
        entry.closed_by, entry.closed_at = self.actor, self.now
        if in_force and entry.starts_at < self.now:
            self._end_now(entry)
        else:
            entry.state = REVERTED
        self._audit("undo", entry, f"{entry.kind} of {entry.person}")
        return entry

    def _end_now(self, entry: Entry) -> None:
        for override in list(entry.overrides):
            if override.starts_at >= self.now:
                self.session.delete(override)
            elif override.ends_at > self.now:
                override.ends_at = self.now
        entry.ends_at = self.now

    def find(self, entry_id: int) -> Entry:
        entry = self.session.get(Entry, entry_id)
        if entry is None:
            raise CommandError(f"There is no on-call entry {entry_id}.")
        return entry


def _duty(role: str) -> str | None:
    """What a role asks that a resting person must not do."""
    return "be secondary" if role == "secondary" else None


def _covers(segments: list[Segment], period: Period) -> bool:
    """Whether the segments leave no gap in ``period``."""
    edge = period.start
    for segment in segments:
        if segment.start > edge:
            return False
        edge = segment.end
    return edge >= period.end


def _fill(planned: list[Segment], role: str, period: Period) -> list[Segment]:
    """The planned segments plus "nobody" segments for the unplanned gaps, covering ``period``."""
    filled: list[Segment] = []
    edge: datetime = period.start
    for segment in planned:
        if segment.start > edge:
            filled.append(Segment(role, None, edge, segment.start))
        filled.append(segment)
        edge = segment.end
    if edge < period.end:
        filled.append(Segment(role, None, edge, period.end))
    return filled
