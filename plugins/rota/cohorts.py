"""The cohort strategy: the team split into fixed cohorts that take turns of N weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from plugins.rota.settings import SupportRota


@dataclass(frozen=True)
class Turn:
    cohort: int
    members: tuple[str, ...]
    first_day: date
    last_day: date


def cohorts(rota: SupportRota) -> list[tuple[str, ...]]:
    """Members in order, split into cohorts of ``cohort_size`` (the last may be smaller)."""
    size = rota.cohort_size
    return [tuple(rota.members[i : i + size]) for i in range(0, len(rota.members), size)]


def turn_on(rota: SupportRota, day: date) -> Turn | None:
    """The turn that covers ``day`` (None before the rota starts or with no members)."""
    groups = cohorts(rota)
    if not groups or day < rota.start:
        return None
    length = rota.weeks * 7
    index = (day - rota.start).days // length
    first = rota.start + timedelta(days=index * length)
    cohort = index % len(groups)
    return Turn(cohort, groups[cohort], first, first + timedelta(days=length - 1))


def next_turn_of(rota: SupportRota, person: str, day: date) -> Turn | None:
    """The person's current turn if ``day`` falls in it, else their next one."""
    groups = cohorts(rota)
    if person not in rota.members:
        return None
    cohort = next(i for i, members in enumerate(groups) if person in members)
    day = max(day, rota.start)
    length = rota.weeks * 7
    index = (day - rota.start).days // length
    index += (cohort - index) % len(groups)
    first = rota.start + timedelta(days=index * length)
    return Turn(cohort, groups[cohort], first, first + timedelta(days=length - 1))
