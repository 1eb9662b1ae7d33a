"""The support rota of one runtime: its strategy, stored leave and changes, and the days they make.

One ``SupportRotaService`` per runtime (``rota_of(runtime)``), built when the runtime is constructed so a
process file naming an unknown strategy stops start-up and ``dutybot check``. It reads the
database on each question: the rota is a pure function of the process file, the leave and
changes tables and the calendars, and is recomputed rather than stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from sqlalchemy import select

from core.process import ProcessError
from plugins.rota.cover import CoverSpan, Slot, local_minute, plan, support_ranges
from plugins.rota.models import ACTIVE, CoverSlot, Leave, RotaChange
from plugins.rota.schedule import Change, LeaveSpan, Rota, RotaDay, generate
from plugins.rota.settings import RotaSection, SupportRota
from plugins.rota.strategies import Strategy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.calendars import Calendars
    from core.runtime import Runtime

SECTION = "rota"
PLUGIN_NAME = "rota"

_rotas: WeakKeyDictionary[Runtime, SupportRotaService] = WeakKeyDictionary()
_lock = threading.Lock()


def rota_of(runtime: Runtime) -> SupportRotaService:
    """The runtime's support rota, built on first use."""
    with _lock:
        found = _rotas.get(runtime)
        if found is None:
            found = _rotas[runtime] = SupportRotaService(runtime)
        return found


class SupportRotaService:
    """Answers who is on support on which day, and who covers the support channel when."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        section = runtime.process.section(SECTION)
        assert isinstance(section, RotaSection)
        self.settings: SupportRota = section.support
        self.strategy = _build_strategy(runtime, self.settings)
        self._planned: dict[date, Rota] = {}

    @property
    def calendars(self) -> Calendars:
        return self.runtime.calendars

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def today(self) -> date:
        return self.calendars.local(self.now()).date()

    # -- the days ---------------------------------------------------------------------------

    def generate(self, last: date, session: Session | None = None) -> Rota:
        """The rota from its start to ``last`` with the recorded leave and active changes."""
        if session is None:
            with self.runtime.db.session() as own:
                return self.generate(last, own)
        changes = [
            Change(row.id, row.kind, row.person, row.other, row.first_day, row.last_day)
            for row in session.scalars(
                select(RotaChange).where(RotaChange.status == ACTIVE, RotaChange.first_day <= last)
            )
        ]
        people = {*self.settings.members, *(p for c in changes for p in (c.person, c.other) if p)}
        leave = self.leave(session, people, self.settings.start, last)
        return generate(self.settings, self.strategy, self.calendars, leave, changes, last)

    def leave(
        self, session: Session, people: Iterable[str], first: date, last: date
    ) -> list[LeaveSpan]:
        """Leave of ``people`` touching ``[first, last]``: ``!leave`` entries, and what other
        plugins (an HR system) report through ``dutybot_leave``."""
        people = sorted(set(people))
        spans = _recorded_leave(session, people, first, last)
        others = self._other_leave_sources()
        for reported in others(runtime=self.runtime, people=people, first=first, last=last):
            spans.extend(LeaveSpan(*span) for span in reported or [])
        return spans

    def leave_days(self, session: Session, person: str, days: Iterable[date]) -> list[date]:
        """Those of ``days`` on which ``person`` is on leave."""
        wanted = sorted(set(days))
        if not wanted:
            return []
        spans = self.leave(session, [person], wanted[0], wanted[-1])
        return [d for d in wanted if any(s.first_day <= d <= s.last_day for s in spans)]

    def _other_leave_sources(self) -> Any:
        """``dutybot_leave`` without this plugin's own answer (the table is read directly)."""
        mine = self.runtime.pm.get_plugin(PLUGIN_NAME)
        return self.runtime.pm.subset_hook_caller("dutybot_leave", [mine] if mine else [])

    def planned(self, last: date) -> Rota:
        """The rota as the strategy alone plans it: no leave, no changes.

        It depends only on the process file and the calendars, which are fixed for a runtime, so
        each horizon is computed once (``!whoami`` and ``!rota`` ask for it on every call).
        """
        found = self._planned.get(last)
        if found is None:
            found = self._planned.setdefault(
                last, generate(self.settings, self.strategy, self.calendars, (), (), last)
            )
        return found

    def days(self, first: date, last: date, session: Session | None = None) -> list[RotaDay]:
        rota = self.generate(last, session)
        return [
            rota.day(first + timedelta(days=i), self.calendars)
            for i in range((last - first).days + 1)
        ]

    def day(self, day: date, session: Session | None = None) -> RotaDay:
        return self.days(day, day, session)[0]

    def recorded_leave(
        self, people: list[str], first: date, last: date
    ) -> list[tuple[str, date, date]]:
        """``!leave`` entries (not removed) of ``people`` touching ``[first, last]``, for other rotas."""
        with self.runtime.db.session() as session:
            return [
                (s.person, s.first_day, s.last_day)
                for s in _recorded_leave(session, people, first, last)
            ]

    # -- support-channel cover -------------------------------------------------------------

    def slots(self, day: date, session: Session | None = None) -> list[Slot]:
        if session is None:
            with self.runtime.db.session() as own:
                return self.slots(day, own)
        rows = session.scalars(select(CoverSlot).where(CoverSlot.day == day).order_by(CoverSlot.id))
        return [Slot(row.start_minute, row.end_minute, row.person) for row in rows]

    def cover_plan(self, day: date, rota_day: RotaDay | None = None) -> list[CoverSpan]:
        """Who covers the support channel through the day's support hours, gaps included."""
        with self.runtime.db.session() as session:
            rota_day = rota_day or self.day(day, session)
            slots = self.slots(day, session)
        return plan(support_ranges(self.calendars, day), rota_day, slots)

    def cover_at(self, at: datetime) -> CoverSpan | None:
        """The cover span holding instant ``at``; None outside support hours."""
        if not self.calendars.support.is_open(at):
            return None
        day = self.calendars.local(at).date()
        minute = local_minute(self.calendars, at, day)
        return next((s for s in self.cover_plan(day) if s.start <= minute < s.end), None)


def _recorded_leave(
    session: Session, people: list[str], first: date, last: date
) -> list[LeaveSpan]:
    """``!leave`` entries (not removed) of ``people`` touching ``[first, last]``."""
    rows = session.scalars(
        select(Leave).where(
            Leave.removed_at.is_(None),
            Leave.person.in_(people),
            Leave.first_day <= last,
            Leave.last_day >= first,
        )
    )
    return [LeaveSpan(row.person, row.first_day, row.last_day) for row in rows]


def strategies(runtime: Runtime) -> dict[str, Any]:
    """Every contributed strategy factory by name; two plugins may not use one name."""
    found: dict[str, Any] = {}
    for contribution in runtime.hook.dutybot_rota_strategies():
        for name, factory in (contribution or {}).items():
            if name in found:
                raise ProcessError([f"two plugins contribute the rota strategy {name!r}"])
            found[name] = factory
    return found


def _build_strategy(runtime: Runtime, settings: SupportRota) -> Strategy:
    known: Mapping[str, Any] = strategies(runtime)
    where = f"{runtime.process.source}: {SECTION}.support"
    factory = known.get(settings.strategy)
    if factory is None:
        names = ", ".join(sorted(known)) or "none"
        raise ProcessError(
            [f"{where}.strategy: unknown strategy {settings.strategy!r} (known: {names})"]
        )
    try:
        return factory(settings, runtime.calendars)
    except (ValueError, TypeError) as exc:
        raise ProcessError([f"{where}: {exc}"]) from exc
