"""The ``[supportday]`` section of the process file: every time and text of the support day.

Texts are ``str.format`` templates. Each may use the team's channel names (``{team}``,
``{support}``, ``{alarms_high}``, ``{alarms_low}``, ``{notify}``: the addresses from
[channels]) plus the placeholders listed for it in ``PLACEHOLDERS``; a misspelt placeholder is
a process-file error at start-up, not a crash at 09:00.
"""

from __future__ import annotations

from datetime import time
from string import Formatter
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from core.process import Channels, StrictModel

if TYPE_CHECKING:
    from core.runtime import Runtime

CHANNEL_PLACEHOLDERS = frozenset(Channels.model_fields)
"""Every text may name a channel of [channels] by its key; it renders as the channel's address."""

PLACEHOLDERS: dict[str, frozenset[str]] = {
    "checklist_header": frozenset({"day", "engineers"}),
    "checklist_footer": frozenset(),
    "nudge": frozenset({"day", "engineers"}),
    "handover_prompt": frozenset({"day", "engineers", "handover_at", "notes"}),
    "handover_header": frozenset({"day", "oncall"}),
    "support_open": frozenset({"closes"}),
    "support_closed": frozenset({"reopens", "escalation"}),
    "auto_reply": frozenset({"user", "reopens", "escalation"}),
    "escalation": frozenset(),
    "checklist_note": frozenset({"author", "added", "note"}),
    "handover_note": frozenset({"author", "added", "note"}),
    "handover_empty": frozenset(),
    "plugin_failed": frozenset(),
    "nobody": frozenset(),
}
"""The placeholders each text may use besides the channel names."""


def _whole_minute(value: time) -> time:
    if value.second or value.microsecond:
        raise ValueError(f"{value.isoformat()}: give a time of day as HH:MM (whole minutes)")
    return value


ClockTime = Annotated[time, AfterValidator(_whole_minute)]
"""A local time of day, written "HH:MM" in the process file."""


def check_template(text: str, allowed: frozenset[str]) -> None:
    """Raise ValueError naming any placeholder of ``text`` that will not be filled in."""
    try:
        fields = {name for _, name, _, _ in Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc} (write {{{{ and }}}} for literal braces)") from None
    known = allowed | CHANNEL_PLACEHOLDERS
    unknown = sorted(name or "{}" for name in fields if name not in known)
    if unknown:
        raise ValueError(
            f"{text!r}: unknown placeholder {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )


class Texts(StrictModel):
    """What the bot says; see PLACEHOLDERS for what each text may contain."""

    checklist_header: str = (
        "Good morning! Support checklist for {day}. On support today: {engineers}."
    )
    checklist_footer: str = "Claim it with `!checklist claim`; tick items with `!checklist done N`."
    nudge: str = (
        "Nobody has claimed or ticked today's checklist yet. On support today: {engineers}. "
        "Please claim it with `!checklist claim`."
    )
    handover_prompt: str = (
        "The handover to on-call is at {handover_at}. On support today: {engineers}. Add what "
        "the on-call engineer should know with `!handover add <text>` (so far: {notes})."
    )
    handover_header: str = "Handover to on-call for {day}. On call: {oncall}."
    support_open: str = "Support is open until {closes}. Ask your questions here."
    support_closed: str = "Support is closed until {reopens}. {escalation}"
    auto_reply: str = (
        "Hi {user}, support is closed right now and reopens at {reopens}; we will answer "
        "then. {escalation}"
    )
    escalation: str = (
        "For a service-affecting critical incident (never routine help), page the on-call "
        "engineer with `!page oncall <what is broken>`; out of hours this is best-endeavours."
    )
    checklist_note: str = "Handover note from {author} at {added}: {note}"
    handover_note: str = "{author} at {added}: {note}"
    handover_empty: str = "Nothing to hand over."
    plugin_failed: str = "(a plugin failed to add its lines here; the details are in the bot's log)"
    nobody: str = "nobody"

    @field_validator(*PLACEHOLDERS)
    @classmethod
    def _placeholders_known(cls, value: str, info: ValidationInfo) -> str:
        check_template(value, PLACEHOLDERS[str(info.field_name)])
        return value


DEFAULT_CHECKLIST = (
    "Check the high- and low-priority alarm channels ({alarms_high}, {alarms_low})",
    "Check the board for requests not yet assigned",
    "Get the handover from the on-call engineer about anything out of hours",
    "Read the support channel ({support})",
)


class SupportDaySection(StrictModel):
    """Times are local to the team's timezone; the day's jobs run on working days only."""

    checklist_at: ClockTime = time(9, 0)
    nudge_at: ClockTime = time(9, 30)
    handover_prompt_at: ClockTime = time(17, 30)
    handover_at: ClockTime = time(18, 0)
    support_notices: bool = False
    auto_reply: bool = True
    checklist: list[str] = Field(default_factory=lambda: list(DEFAULT_CHECKLIST))
    texts: Texts = Field(default_factory=Texts)

    @model_validator(mode="after")
    def _consistent(self) -> SupportDaySection:
        if not self.checklist_at < self.nudge_at:
            raise ValueError("nudge_at must be after checklist_at")
        if not self.checklist_at < self.handover_prompt_at < self.handover_at:
            raise ValueError("need checklist_at < handover_prompt_at < handover_at")
        return self

    @field_validator("checklist")
    @classmethod
    def _items_use_channel_names_only(cls, items: list[str]) -> list[str]:
        for item in items:
            check_template(item, frozenset())
        return items


SECTION = "supportday"


def section(runtime: Runtime) -> SupportDaySection:
    """This runtime's ``[supportday]`` settings."""
    value = runtime.process.section(SECTION)
    assert isinstance(value, SupportDaySection)
    return value
