"""Review actions: added with an owner, a due date and a priority; listed; done; chased when late.

The postmortem they belong to is drafted by calling ``dutybot_incident_resolved`` with a
snapshot-shaped incident (tests/test_postmortem.py drives the real incident commands). The fake
clock starts on Monday 2026-11-30 08:00 (London is on GMT).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from core.clock import FakeClock
from core.runtime import Runtime
from tests.test_postmortem import World, golden_incidents, start

USAGE = "Usage: !action add ID <text> --owner @person --due YYYY-MM-DD [--priority high|normal|low]"


def drafted(make_runtime: Callable[..., Runtime]) -> Runtime:
    runtime = start(make_runtime, World())
    runtime.hook.dutybot_incident_resolved(runtime=runtime, incident=golden_incidents()[0])
    return runtime


def checklist(runtime: Runtime, day: date) -> list[str]:
    return [
        line
        for lines in runtime.hook.dutybot_checklist_items(runtime=runtime, day=day)
        for line in lines
    ]


def test_actions_are_added_listed_done_and_shown_in_the_report(
    make_runtime: Callable[..., Runtime], clock: FakeClock
) -> None:
    runtime = drafted(make_runtime)
    assert runtime.run_command(
        "action add",
        "1 alert on ingress 5xx rate --owner @bob --due 2026-12-04 --priority high",
        "@alice",
    ) == (
        "Action 1 on postmortem 1: alert on ingress 5xx rate "
        "(high priority, owner Bob Baker, due 2026-12-04)."
    )
    assert runtime.run_command(
        "action add", "1 document the restart —owner dave —due 2026-11-27", "@alice"
    ) == (
        "Action 2 on postmortem 1: document the restart "
        "(normal priority, owner Dave Dhillon, due 2026-11-27)."
    )
    assert runtime.run_command("actions", "", "@bob") == (
        "Action 2 (postmortem 1): document the restart (normal priority, owner Dave Dhillon, due 2026-11-27)\n"
        "Action 1 (postmortem 1): alert on ingress 5xx rate (high priority, owner Bob Baker, due 2026-12-04)"
    )
    assert runtime.run_command("actions", "mine", "@bob") == (
        "Action 1 (postmortem 1): alert on ingress 5xx rate (high priority, owner Bob Baker, due 2026-12-04)"
    )
    assert runtime.run_command("actions", "overdue", "@bob") == (
        "Action 2 (postmortem 1): document the restart (normal priority, owner Dave Dhillon, due 2026-11-27)"
    )
    assert checklist(runtime, date(2026, 11, 30)) == [
        "Overdue postmortem action 2 (postmortem 1): document the restart "
        "(normal priority, owner Dave Dhillon, due 2026-11-27)"
    ]

    assert runtime.run_command("action done", "2", "@dave") == "Action 2 done: document the restart"
    assert runtime.run_command("action done", "2", "@dave") == (
        "Action 2 was already done on 2026-11-30 08:00."
    )
    assert runtime.run_command("actions", "overdue", "@bob") == "No overdue actions."
    assert checklist(runtime, date(2026, 11, 30)) == []
    # Action 1 is due on Friday 2026-12-04: overdue from the next day on, not on the day itself.
    assert checklist(runtime, date(2026, 12, 4)) == []
    assert len(checklist(runtime, date(2026, 12, 7))) == 1
    clock.set(clock.now() + timedelta(days=5))
    assert runtime.run_command("actions", "overdue", "@bob").startswith("Action 1 ")

    report = runtime.run_command("postmortem", "1", "@bob")
    assert (
        "## Review actions\n\n"
        "- [ ] alert on ingress 5xx rate (action 1, high priority, owner Bob Baker, due 2026-12-04)\n"
        "- [x] document the restart (action 2, normal priority, owner Dave Dhillon, due 2026-11-27)\n"
        "\n## Timeline\n"
    ) in report


def test_bad_action_input_gets_a_clear_reply_and_changes_nothing(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = drafted(make_runtime)
    ask = runtime.run_command
    assert ask("action add", "1 fix it --due 2026-12-04", "@alice") == (
        f"Every action needs an --owner and a --due date.\n{USAGE}"
    )
    assert ask("action add", "1 fix it --owner @bob --due 04/12/2026", "@alice") == (
        f"'04/12/2026' is not a date written YYYY-MM-DD.\n{USAGE}"
    )
    assert ask(
        "action add", "1 fix it --owner @bob --due 2026-12-04 --priority urgent", "@alice"
    ) == (f"'urgent' is not a priority (high, normal, low).\n{USAGE}")
    assert ask("action add", "1 fix it --owner @bob --due 2026-12-04 --when now", "@alice") == (
        f"Unknown option --when.\n{USAGE}"
    )
    assert ask("action add", "1 --owner @bob --due 2026-12-04", "@alice") == (
        f"Give the postmortem's number and what is to be done.\n{USAGE}"
    )
    assert ask("action add", "7 fix it --owner @bob --due 2026-12-04", "@alice") == (
        "There is no postmortem 7. See the list with !postmortems."
    )
    assert ask("action done", "3", "@alice") == "There is no action 3. See them with !actions."
    assert ask("actions", "everything", "@alice") == (
        "Say which actions: open, mine, overdue.\nUsage: !actions [open|mine|overdue]"
    )
    assert ask("actions", "", "@alice") == "No open actions."
