"""The support day plugin's hook implementations."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from core import hookimpl
from plugins.supportday import commands, hours, jobs, notes
from plugins.supportday.settings import SECTION, SupportDaySection, section

if TYPE_CHECKING:
    from core.chat import InboundMessage
    from core.commands import Command
    from core.runtime import Runtime
    from core.scheduler import Job

MIGRATIONS = str(Path(__file__).parent / "migrations")


@hookimpl
def dutybot_process_sections() -> dict[str, type[BaseModel]]:
    return {SECTION: SupportDaySection}


@hookimpl
def dutybot_migrations() -> list[str]:
    return [MIGRATIONS]


@hookimpl
def dutybot_commands() -> list[Command]:
    return commands.commands()


@hookimpl
def dutybot_scheduled_jobs(runtime: Runtime) -> list[Job]:
    return jobs.jobs(runtime)


@hookimpl
def dutybot_chat_message(runtime: Runtime, message: InboundMessage) -> str | None:
    if not section(runtime).auto_reply:
        return None
    return hours.auto_reply(runtime, message)


@hookimpl(tryfirst=True)
def dutybot_checklist_items(runtime: Runtime, day: date) -> list[str]:
    """The on-call engineer's notes from the night, ahead of the other plugins' lines."""
    return notes.checklist_lines(runtime, day)
