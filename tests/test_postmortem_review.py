"""The review meeting: proposed around leave within N working days, set by command, reminded.

The fake clock starts on Monday 2026-11-30 08:00 (London is on GMT). Leave comes from a tiny
test plugin answering ``dutybot_leave``, as the rota plugin would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from core import hookimpl
from core.clock import FakeClock
from core.models import ChatPost
from core.runtime import Runtime
from tests.conftest import advance
from tests.test_postmortem import World, golden_incidents, start


class Leave(World):
    """Bob is away on Tuesday 2026-12-01 and Wednesday 2026-12-02."""

    @hookimpl
    def dutybot_leave(
        self, people: list[str], first: date, last: date
    ) -> list[tuple[str, date, date]]:
        away = ("bob", date(2026, 12, 1), date(2026, 12, 2))
        overlaps = away[0] in people and first <= away[2] and last >= away[1]
        return [away] if overlaps else []


def posts(runtime: Runtime, address: str) -> list[str]:
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(ChatPost.text).where(ChatPost.address == address).order_by(ChatPost.id)
            )
        )


def test_the_review_avoids_leave_is_set_and_the_owner_is_reminded(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = start(make_runtime, Leave())
    # Incident 1: lead Alice (the owner), scribe Bob; Bob is away Tuesday and Wednesday.
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=golden_incidents()[0])
    assert posts(runtime, "#cloud-platform")[-1].endswith(
        "Proposed review: 2026-12-03 14:00 with Alice Archer, Bob Baker; "
        "change it with !postmortem review 1 YYYY-MM-DD HH:MM."
    )

    assert runtime.run_command("postmortem review", "1 2026-12-04 10:30", "@alice") == (
        "The review of postmortem 1 is set for 2026-12-04 10:30; I told the team channel."
    )
    assert posts(runtime, "#cloud-platform")[-1] == (
        "The review of postmortem 1 (Incident on 2026-03-27 – Ingress is down) is on "
        "2026-12-04 10:30, with Alice Archer, Bob Baker."
    )

    advance(runtime, clock, datetime(2026, 12, 4, 8, 0, tzinfo=UTC), step=timedelta(minutes=15))
    assert posts(runtime, "@alice") == [
        "Reminder: the review of postmortem 1 (Incident on 2026-03-27 – Ingress is down) is "
        "tomorrow at 2026-12-04 10:30. Read the draft with !postmortem 1."
    ]


def test_no_slot_within_the_limit_is_said_plainly(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = start(make_runtime, Leave(), "review_within_days = 2\n")
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=golden_incidents()[0])
    assert posts(runtime, "#cloud-platform")[-1].endswith(
        "I found no time for the review within 2 working days when everyone involved is in; "
        "set one with !postmortem review 1 YYYY-MM-DD HH:MM."
    )


def test_bad_review_times_are_refused(make_runtime: Callable[..., Runtime]) -> None:
    runtime = start(make_runtime, Leave())
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=golden_incidents()[0])
    ask = runtime.run_command
    assert ask("postmortem review", "1 2026-12-04", "@alice") == (
        "Give the postmortem's number, a date and a time.\n"
        "Usage: !postmortem review ID YYYY-MM-DD HH:MM"
    )
    assert ask("postmortem review", "1 2026-12-04 25:00", "@alice") == (
        "2026-12-04 25:00 is not a time written YYYY-MM-DD HH:MM.\n"
        "Usage: !postmortem review ID YYYY-MM-DD HH:MM"
    )
    assert ask("postmortem review", "1 2026-11-27 10:00", "@alice") == (
        "2026-11-27 10:00 has passed; choose a time to come."
    )
    assert ask("postmortem review", "1 2026-12-05 10:00", "@alice") == (
        "2026-12-05 10:00 is outside working hours; choose a time inside them."
    )
    assert ask("postmortem review", "4 2026-12-04 10:00", "@alice") == (
        "There is no postmortem 4. See the list with !postmortems."
    )
