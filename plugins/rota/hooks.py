"""The rota plugin's hook implementations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from core import hookimpl
from plugins.rota.cohorts import cohorts, next_turn_of, turn_on
from plugins.rota.settings import RotaSection

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "rota"


def _rota(runtime: Runtime) -> RotaSection:
    section = runtime.process.section(SECTION)
    assert isinstance(section, RotaSection)
    return section


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: RotaSection}


@hookimpl
def dutybot_role_holders(runtime: Runtime, role: str, at: datetime) -> list[str] | None:
    if role != "support":
        return None
    turn = turn_on(_rota(runtime).support, runtime.calendars.local(at).date())
    return list(turn.members) if turn else []


@hookimpl
def dutybot_person_roles(runtime: Runtime, person: str) -> list[str]:
    rota = _rota(runtime).support
    today = runtime.calendars.local(runtime.clock.now()).date()
    turn = next_turn_of(rota, person, today)
    if turn is None:
        return []
    total = len(cohorts(rota))
    when = "on support now" if turn.first_day <= today else "next on support"
    return [
        f"support rota: cohort {turn.cohort + 1} of {total} ({', '.join(turn.members)}), "
        f"{rota.weeks} weeks in every {rota.weeks * total}; {when} "
        f"{turn.first_day:%Y-%m-%d} to {turn.last_day:%Y-%m-%d}"
    ]
