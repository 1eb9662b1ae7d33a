"""What the on-call rota adds to the metrics' ``oncall`` section: the fairness ledger.

* ``hours_on_call``: per person, the credited on-call hours held in the period (a paid role,
  ``[oncall] paid_roles``), counted exactly as for pay: a whole day counts ``[oncall.hours]``
  (8 on a weekday, 15 on a weekend day or bank holiday), shared pro rata by on-call window time;
* ``out_of_hours_worked_hours``: per person, the time recorded with ``!oncall worked`` (and
  from incidents worked out of hours) outside working hours, for records ending in the period.

These read the rota's segments and work records of the period (a few dozen rows a quarter),
not the volume tables, and reuse the pay calculation so the two can never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from plugins.oncall.commands import section_of
from plugins.oncall.hours import hours_on_call, out_of_hours_seconds, worked_entries
from plugins.oncall.periods import Period

if TYPE_CHECKING:
    from core.runtime import Runtime

SECTION = "oncall"


def figures(runtime: Runtime, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    calendars, period = runtime.calendars, Period(start, end)
    with runtime.db.session() as session:
        held = hours_on_call(session, calendars, section_of(runtime), period)
        worked: dict[str, float] = defaultdict(float)
        for entry in worked_entries(session, period):
            worked[entry.person] += out_of_hours_seconds(calendars, entry.starts_at, entry.ends_at)
    return {
        SECTION: {
            "hours_on_call": {p: round(h, 2) for p, h in sorted(held.items())},
            "out_of_hours_worked_hours": {p: round(s / 3600, 2) for p, s in sorted(worked.items())},
        }
    }
