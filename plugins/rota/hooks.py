"""The rota plugin's hook implementations: the support rota, leave, cover and their feeds.

docs/rota.md describes the behaviour; the pieces live beside this module: ``strategies`` (who
is planned), ``schedule`` (changes, leave, fairness), ``cover`` (the support channel), ``service``
(the database), ``commands`` and ``feeds``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from core import hookimpl
from core.scheduler import Job
from plugins.rota import commands as rota_commands
from plugins.rota import feeds
from plugins.rota.schedule import RotaDay
from plugins.rota.service import SECTION, rota_of
from plugins.rota.settings import RotaSection
from plugins.rota.strategies import BUILT_IN
from plugins.rota.text import long_day, spans_of

if TYPE_CHECKING:
    from core.commands import Command
    from core.receiver import Route
    from core.runtime import Runtime

MIGRATIONS = str(Path(__file__).parent / "migrations")
ROLES = ("support", "support.lead", "support.cover")
WARNING_JOB = "rota.nobody_on_support"


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: RotaSection}


@hookimpl
def dutybot_migrations() -> list[str]:
    return [MIGRATIONS]


@hookimpl
def dutybot_rota_strategies() -> dict[str, Any]:
    return dict(BUILT_IN)


@hookimpl
def dutybot_commands() -> list[Command]:
    return rota_commands.commands()


@hookimpl
def dutybot_webhook_routes(runtime: Runtime) -> list[Route]:
    return feeds.routes(runtime)


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    # Building the rota here, while the runtime is constructed, makes an unknown strategy (or bad
    # options) stop start-up and `dutybot check` with the process file's name and key.
    rota = rota_of(runtime)

    def warn(fire_time: datetime) -> None:
        today = runtime.calendars.local(fire_time).date()
        last = today + timedelta(days=rota.settings.warn_days)
        for day in rota.days(today + timedelta(days=1), last):
            if day.working and not day.shifts:
                runtime.chat.post("team", _nobody_text(day), key=f"{WARNING_JOB}:{day.day}")

    return [Job(WARNING_JOB, "0 9 * * *", warn, days="working")]


def _nobody_text(day: RotaDay) -> str:
    away = f" (on leave: {', '.join(day.short)})" if day.short else ""
    return (
        f"Nobody is on support on {long_day(day.day)}{away}. "
        f"Someone with the rota.override permission can put a person on with "
        f"!rota override @person {day.day}."
    )


@hookimpl(trylast=True)
def dutybot_role_holders(runtime: Runtime, role: str, at: datetime) -> list[str] | None:
    if role not in ROLES:
        return None
    rota = rota_of(runtime)
    if role == "support.cover":
        covering = rota.cover_at(at)
        return [covering.person] if covering is not None and covering.person else []
    day = rota.day(runtime.calendars.local(at).date())
    if role == "support.lead":
        return [day.lead] if day.lead else []
    return list(day.people)


@hookimpl
def dutybot_person_roles(runtime: Runtime, person: str) -> list[str]:
    rota = rota_of(runtime)
    today = rota.today()
    last = today + timedelta(weeks=rota_commands.HORIZON_WEEKS, days=-1)
    shifts = [d.day for d in rota.days(today, last) if person in d.people]
    describe = getattr(rota.strategy, "describe", None)
    line = describe(person, today) if describe else None
    if line is None:
        if not shifts and person not in rota.settings.members:
            return []
        where = spans_of(shifts, rota.calendars) or "none"
        return [f"support rota ({rota.settings.strategy}): next shifts {where}"]
    planned = [d for d in rota.planned(last).days.values() if d.day >= today and person in d.people]
    if [d.day for d in planned] != shifts:
        line += (
            f"; after leave and changes, next shifts: {spans_of(shifts, rota.calendars) or 'none'}"
        )
    return [line]


@hookimpl
def dutybot_leave(
    runtime: Runtime, people: list[str], first: date, last: date
) -> list[tuple[str, date, date]]:
    return rota_of(runtime).recorded_leave(people, first, last)


@hookimpl
def dutybot_checklist_items(runtime: Runtime, day: date) -> list[str]:
    rota = rota_of(runtime)
    rota_day = rota.day(day)
    if not rota_day.working:
        return []
    gaps = [s for s in rota.cover_plan(day, rota_day) if s.problem]
    if not gaps:
        return []
    listed = "; ".join(f"{s.times} ({s.problem})" for s in gaps)
    noun = "a gap" if len(gaps) == 1 else "gaps"
    return [
        f"Support-channel cover has {noun}: {listed}. Arrange cover with !cover HH:MM-HH:MM @person."
    ]
