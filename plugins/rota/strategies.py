"""Support-rota strategies: who is planned on support on a working day, before leave and changes.

A strategy is contributed by name through the ``dutybot_rota_strategies`` hook as a factory
``(settings, calendars) -> strategy``; ``[rota.support] strategy`` picks one. The rota plugin
walks the working days from ``settings.start`` in order, asks the strategy for each day's
roster (lead first), then applies changes (swaps, cover, overrides) and leave itself, so a
strategy is a pure function of the day and stays small. docs/rota.md has a worked example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

from plugins.rota.cohorts import cohorts, next_turn_of, turn_on
from plugins.rota.settings import SupportRota

if TYPE_CHECKING:
    from core.calendars import Calendars


class Strategy(Protocol):
    """What the rota plugin needs from a strategy."""

    def roster(self, day: date, working_day: int) -> Sequence[str]:
        """The person ids planned on support on a working ``day``, the day's lead first.

        ``working_day`` counts the rota's working days: 0 is the first working day on or
        after ``settings.start``. Non-working days are never asked about.
        """
        ...

    def describe(self, person: str, today: date) -> str | None:
        """The person's place in the rota for ``!whoami``; None for the generic description."""
        ...


StrategyFactory = Callable[[SupportRota, "Calendars"], Strategy]


def _no_options(settings: SupportRota) -> None:
    if settings.options:
        keys = ", ".join(sorted(settings.options))
        raise ValueError(f"the {settings.strategy} strategy takes no options (got {keys})")


class CohortStrategy:
    """The team split into cohorts of ``cohort_size`` that take turns of ``weeks`` weeks."""

    def __init__(self, settings: SupportRota, _calendars: Calendars) -> None:
        _no_options(settings)
        self.settings = settings

    def roster(self, day: date, working_day: int) -> Sequence[str]:
        turn = turn_on(self.settings, day)
        return turn.members if turn else ()

    def describe(self, person: str, today: date) -> str | None:
        turn = next_turn_of(self.settings, person, today)
        if turn is None:
            return None
        total = len(cohorts(self.settings))
        weeks = self.settings.weeks
        when = "on support now" if turn.first_day <= today else "next on support"
        return (
            f"support rota: cohort {turn.cohort + 1} of {total} ({', '.join(turn.members)}), "
            f"{weeks} weeks in every {weeks * total}; {when} "
            f"{turn.first_day:%Y-%m-%d} to {turn.last_day:%Y-%m-%d}"
        )


class LeadSecondaryStrategy:
    """Each working day one lead plus a secondary; the secondary leads the next working day.

    Members take turns in their listed order: on working day *i* the lead is member *i* and the
    secondary member *i + 1* (both modulo the number of members).
    """

    def __init__(self, settings: SupportRota, _calendars: Calendars) -> None:
        _no_options(settings)
        self.members = tuple(settings.members)

    def roster(self, day: date, working_day: int) -> Sequence[str]:
        count = len(self.members)
        if count < 2:
            return self.members
        return (self.members[working_day % count], self.members[(working_day + 1) % count])

    def describe(self, person: str, today: date) -> str | None:
        return None


BUILT_IN: dict[str, StrategyFactory] = {
    "cohorts": CohortStrategy,
    "lead-secondary": LeadSecondaryStrategy,
}
