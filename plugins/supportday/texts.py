"""How the support day shows things: times and days in the team's timezone, people by their
chat handle, and the process file's text templates filled in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from plugins.supportday.settings import CHANNEL_PLACEHOLDERS, section

if TYPE_CHECKING:
    from core.runtime import Runtime


def today(runtime: Runtime) -> date:
    """The team's local date now."""
    return runtime.calendars.local(runtime.clock.now()).date()


def local_day(runtime: Runtime, instant: datetime) -> date:
    return runtime.calendars.local(instant).date()


def instant(runtime: Runtime, day: date, at: time) -> datetime:
    """The UTC instant of a local wall-clock time on a local date."""
    return datetime.combine(day, at, tzinfo=runtime.calendars.tz).astimezone(UTC)


def show_day(day: date) -> str:
    return f"{day:%A %Y-%m-%d}"


def show_when(runtime: Runtime, moment: datetime) -> str:
    """A time with its weekday, for when support opens or closes: ``Monday 2026-12-07 10:00``."""
    return f"{runtime.calendars.local(moment):%A %Y-%m-%d %H:%M}"


SUPPORT = "support"
ONCALL = "oncall.primary"
"""The roles the support day asks ``dutybot_role_holders`` about."""


def holders(runtime: Runtime, role: str, at: datetime) -> list[str]:
    """Who holds ``role`` at ``at``, per whichever plugin answers; nobody when none does."""
    return list(runtime.hook.dutybot_role_holders(runtime=runtime, role=role, at=at) or [])


def mentions(runtime: Runtime, person_ids: Iterable[str]) -> str:
    """People by chat handle (which notifies them), or the process file's word for nobody."""
    handles = []
    for person_id in person_ids:
        person = runtime.process.person(person_id)
        handles.append(person.chat if person else person_id)
    return ", ".join(handles) or section(runtime).texts.nobody


def render(runtime: Runtime, template: str, **values: str) -> str:
    """Fill a process-file text: the channel names, plus ``values``."""
    channels = runtime.process.core.channels
    filled = {name: getattr(channels, name) for name in CHANNEL_PLACEHOLDERS}
    return template.format_map({**filled, **values})


def text(runtime: Runtime, name: str, **values: str) -> str:
    """Render the ``[supportday.texts]`` entry ``name``."""
    return render(runtime, getattr(section(runtime).texts, name), **values)
