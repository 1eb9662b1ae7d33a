"""The request and board commands: the lifecycle by command, bad input, permissions, the board,
the risk-sorted lists, the checklist and metrics, and the commands through Errbot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core import hookimpl
from core.clock import FakeClock
from core.models import AuditEntry
from core.process import ProcessError
from core.runtime import Runtime
from plugins.triage.models import Request, RequestEvent, Ticket
from tests.conftest import ChatBot
from tests.test_triage_harness import BASE, Desk, desk_maker, london

USAGE = {
    "new": "Usage: !request new SUMMARY [--service NAME] [--env ENVIRONMENT] [--impact TEXT] [--contact @person]",
    "assign": "Usage: !request assign ID @person",
    "priority": "Usage: !request priority ID PRIORITY",
    "resolve": "Usage: !request resolve ID NOTE",
    "reopen": "Usage: !request reopen ID [NOTE]",
    "start": "Usage: !request start ID",
    "ticket": "Usage: !request ticket ID",
    "requests": "Usage: !requests [open|unassigned|mine|@person]",
    "show": "Usage: !request show ID",
    "move": "Usage: !ticket move ID COLUMN",
    "label": "Usage: !ticket label ID +LABEL|-LABEL ...",
    "set": "Usage: !request set ID [--service NAME] [--env ENVIRONMENT] [--impact TEXT] [--contact @person] "
    "[--description TEXT] [--category NAME]",
}


@pytest.fixture
def make_desk(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Callable[..., Desk]:
    return desk_maker(make_runtime, clock)


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    return make_desk(start=london(2026, 11, 30, 10, 0))


def state_of(desk: Desk) -> tuple[Any, ...]:
    """Everything a bad command must leave alone."""
    with desk.runtime.db.session() as session:
        requests = session.execute(
            select(
                Request.id,
                Request.state,
                Request.priority,
                Request.assignee,
                Request.service,
                Request.resolved_at,
            )
        ).all()
        counts = [
            session.scalar(select(func.count()).select_from(m))
            for m in (RequestEvent, Ticket, AuditEntry)
        ]
    return tuple(requests), tuple(counts)


# --- the lifecycle by command ------------------------------------------------------------------


def test_a_request_from_new_to_resolved_by_command(desk: Desk) -> None:
    assert desk.ask(
        "request new Need a namespace for the search team --service search --env prod --impact blocks our launch",
        as_user="@carol",
    ) == (
        "Thanks @carol, this is request R-1 (normal). We aim to answer by 2026-11-30 12:00.\n"
        "On support: grace, heidi, ivan; grace has it."
    )
    assert desk.ask("request priority R-1 high", as_user="@grace") == (
        "R-1 now has priority high: first response due 2026-11-30 11:00 (0% used)."
    )
    assert desk.ask("request assign r1 @heidi", as_user="@grace") == "R-1 is now assigned to heidi."
    desk.at(london(2026, 11, 30, 10, 12))
    assert desk.ask("request start #1", as_user="@heidi") == "R-1 is in progress with heidi."
    assert desk.ask("request ticket 1", as_user="@heidi") == (
        "Created T-1 for R-1 in to do [support-request, needs-triage]."
    )
    desk.at(london(2026, 11, 30, 10, 40))
    assert desk.ask("request wait R-1 asked which cluster", as_user="@heidi").startswith(
        "R-1 is waiting on the user"
    )
    assert desk.ask("request start R-1", as_user="@heidi") == "R-1 is in progress with heidi."
    desk.at(london(2026, 11, 30, 11, 0))
    assert desk.ask("request resolve R-1 created search-prod; quota 4 CPUs", as_user="@heidi") == (
        "R-1 is resolved: created search-prod; quota 4 CPUs"
    )
    assert desk.ask("request show R-1") == (
        "R-1: Need a namespace for the search team\n"
        "State: resolved; priority high; assigned to heidi\n"
        "Opened 2026-11-30 10:00 by @carol; contact @carol\n"
        "Service: search; environment: production; impact: blocks our launch\n"
        "Description: Need a namespace for the search team\n"
        "First response: 2026-11-30 10:12 by heidi (12 of 60 support minutes)\n"
        "Resolution: 2026-11-30 11:00 (60 of 420 support minutes)\n"
        "Resolution note: created search-prod; quota 4 CPUs\n"
        "Ticket: T-1 (done)\n"
        "History:\n"
        "- 2026-11-30 10:00 carol: opened (new): Need a namespace for the search team\n"
        "- 2026-11-30 10:00 dutybot: assigned: grace (on support)\n"
        "- 2026-11-30 10:00 grace: priority: normal → high\n"
        "- 2026-11-30 10:00 grace: triaged (new → triaged)\n"
        "- 2026-11-30 10:00 grace: assigned: grace → heidi\n"
        "- 2026-11-30 10:12 heidi: responded\n"
        "- 2026-11-30 10:12 heidi: started (triaged → in progress)\n"
        "- 2026-11-30 10:12 heidi: ticket: T-1\n"
        "- 2026-11-30 10:40 heidi: waiting (in progress → waiting on user): asked which cluster\n"
        "- 2026-11-30 10:40 heidi: started (waiting on user → in progress)\n"
        "- 2026-11-30 11:00 heidi: resolved (in progress → resolved): created search-prod; quota 4 CPUs"
    )
    assert desk.listener.take() == [
        ("created", "R-1", "new"),
        ("updated", "R-1", "priority"),
        ("updated", "R-1", "assignee"),
        ("updated", "R-1", "state"),
        ("ticket created", "T-1", "to do"),
        ("updated", "R-1", "ticket"),
        ("updated", "R-1", "state"),
        ("ticket updated", "T-1", "column: in progress"),
        ("updated", "R-1", "state"),
        ("ticket updated", "T-1", "column: done"),
        ("updated", "R-1", "state"),
    ]


def test_hook_listeners_get_read_only_snapshots(desk: Desk) -> None:
    desk.say("Add me to the on-call rota please")
    snapshot = desk.listener.snapshots[0]
    assert (snapshot.ref, snapshot.requester, snapshot.state, snapshot.assignee) == (
        "R-1",
        "@user1",
        "new",
        "grace",
    )
    with pytest.raises(AttributeError):
        snapshot.state = "resolved"


def test_the_requester_fills_in_resolves_and_reopens_their_own_request(desk: Desk) -> None:
    desk.say("Can we get a bigger disk?", sender="@user1")
    assert desk.ask(
        "request set R-1 --service reports --impact 'nightly jobs fail'", as_user="@user1"
    ) == ("Updated R-1: service reports, impact nightly jobs fail. Still missing: environment.")
    assert (
        desk.ask("request set R-1 --service reports", as_user="@user1")
        == "R-1 already has those values."
    )
    assert desk.ask("request resolve R-1 found old files to delete", as_user="@user1") == (
        "R-1 is resolved: found old files to delete"
    )
    assert (
        desk.ask("request reopen R-1", as_user="@user1")
        == "R-1 is reopened and in progress with grace."
    )
    assert desk.ask("request resolve R-1 done", as_user="@user2") == (
        "Sorry @user2, only the requester or someone with the permission 'triage.work' "
        "(triage and work on support requests and the board) can resolve R-1."
    )
    assert desk.ask("request assign R-1 @bob", as_user="@user1") == (
        "Sorry @user1, `!request assign` needs the permission 'triage.work' "
        "(triage and work on support requests and the board)."
    )


def test_who_may_work_on_requests_is_configurable(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk('[acl]\n"triage.work" = ["leads"]\n', start=london(2026, 11, 30, 10, 0))
    desk.say("Please restart the build agents")
    assert desk.ask("request start R-1", as_user="@bob").startswith(
        "Sorry bob, `!request start` needs the permission"
    )
    assert desk.ask("request start R-1", as_user="@dave") == "R-1 is in progress with grace."


# --- bad input -----------------------------------------------------------------------------------


BAD_INPUT = [
    ("request assign R-9 @bob", "There is no request R-9.\n" + USAGE["assign"]),
    (
        "request assign banana @bob",
        "'banana' is not a request id (they look like R-12).\n" + USAGE["assign"],
    ),
    (
        "request assign R-1 @nobody",
        "I don't know anyone called '@nobody'. People in this team: alice, bob, carol, "
        "dave, erin, frank, grace, heidi, ivan.\n" + USAGE["assign"],
    ),
    ("request assign R-1", "Give the request's id and the person.\n" + USAGE["assign"]),
    (
        "request priority R-1 urgent",
        "There is no priority 'urgent'; the priorities are high, normal.\n" + USAGE["priority"],
    ),
    ("request resolve R-1", "Say how R-1 was resolved.\n" + USAGE["resolve"]),
    ("request resolve", "Give the request's id.\n" + USAGE["resolve"]),
    ("request reopen R-1", "R-1 is not resolved (it is new).\n" + USAGE["reopen"]),
    ("request show", "Give one request id, such as R-12.\n" + USAGE["show"]),
    ("request new", "Say what the request is about.\n" + USAGE["new"]),
    (
        "request new Broken --env moon",
        "I don't know the environment 'moon': use development, staging, "
        "production or other.\n" + USAGE["new"],
    ),
    (
        "request new Broken --colour red",
        "Unknown option --colour (known: --contact, --description, --env, "
        "--environment, --impact, --service).\n" + USAGE["new"],
    ),
    ("request new Broken --service", "--service needs a value.\n" + USAGE["new"]),
    ("request new Broken --service a --service b", "--service is given twice.\n" + USAGE["new"]),
    (
        "request new Broken --contact not a handle",
        "Give the contact as a chat handle such as @alex, not 'not a handle'.\n" + USAGE["new"],
    ),
    ("request set R-1", "Give at least one field to set.\n" + USAGE["set"]),
    (
        "requests everything",
        "Unknown filter 'everything': use open, unassigned, mine or @person.\n" + USAGE["requests"],
    ),
    (
        "requests @zed",
        "I don't know anyone called '@zed'. People in this team: alice, bob, carol, dave, erin, "
        "frank, grace, heidi, ivan.\n" + USAGE["requests"],
    ),
    ("request ticket R-1 R-2", "Give one request id, such as R-12.\n" + USAGE["ticket"]),
    ("ticket move T-1 done", "There is no ticket T-1.\n" + USAGE["move"]),
    ("ticket label", "Give the ticket's id and the labels.\n" + USAGE["label"]),
]
"""Each bad command line and its whole reply."""


def test_bad_input_gets_the_problem_and_the_usage_and_changes_nothing(desk: Desk) -> None:
    desk.say("Something is odd with DNS")
    before = state_of(desk)
    for line, reply in BAD_INPUT:
        assert (line, desk.ask(line, as_user="@grace")) == (line, reply)
        assert state_of(desk) == before, line


def test_wrong_states_are_refused_with_the_usage(desk: Desk) -> None:
    desk.say("Rotate our TLS certificate")
    desk.ask("request start R-1", as_user="@grace")
    assert desk.ask("request start R-1", as_user="@grace") == (
        "R-1 is already in progress (grace).\n" + USAGE["start"]
    )
    desk.ask("request ticket R-1", as_user="@grace")
    assert desk.ask("request ticket R-1", as_user="@grace") == (
        "R-1 already has the ticket T-1 (to do).\n" + USAGE["ticket"]
    )
    desk.ask("request resolve R-1 rotated", as_user="@grace")
    before = state_of(desk)
    assert desk.ask("request resolve R-1 again", as_user="@grace") == (
        "R-1 is already resolved (at 2026-11-30 10:00). To work on it again: !request reopen R-1\n"
        + USAGE["resolve"]
    )
    assert desk.ask("request priority R-1 high", as_user="@grace") == (
        "R-1 is resolved; reopen it first (!request reopen R-1) to change the priority of it.\n"
        + USAGE["priority"]
    )
    assert desk.ask("request assign R-1 @bob", as_user="@grace") == (
        "R-1 is resolved; reopen it first (!request reopen R-1) to assign it.\n" + USAGE["assign"]
    )
    assert state_of(desk) == before


def test_confirming_the_suggested_priority_or_assignee_triages_a_new_request(desk: Desk) -> None:
    desk.say("Please add a dashboard")
    assert desk.ask("request priority R-1 normal", as_user="@grace") == (
        "R-1 now has priority normal: first response due 2026-11-30 12:00 (0% used)."
    )
    assert (
        desk.ask("request show R-1").splitlines()[1]
        == "State: triaged; priority normal; assigned to grace"
    )
    before = state_of(desk)
    assert (
        desk.ask("request priority R-1 normal", as_user="@grace")
        == "R-1 already has priority normal."
    )
    assert (
        desk.ask("request assign R-1 @grace", as_user="@grace")
        == "R-1 is already assigned to grace."
    )
    assert state_of(desk) == before
    desk.say("Please add another dashboard")  # assigned to heidi, who has fewer requests
    desk.listener.take()
    assert (
        desk.ask("request assign R-2 @heidi", as_user="@grace") == "R-2 is now assigned to heidi."
    )
    assert (
        desk.ask("request show R-2").splitlines()[1]
        == "State: triaged; priority normal; assigned to heidi"
    )
    assert desk.listener.take() == [("updated", "R-2", "state")]


def test_mine_needs_someone_the_team_knows(desk: Desk) -> None:
    assert desk.ask("requests mine", as_user="@user1") == (
        "You (@user1) are not in the team's process file, so I don't know who you are."
    )


# --- lists, the checklist, status and metrics ---------------------------------------------------


def test_requests_are_listed_most_at_risk_first_and_filtered(desk: Desk) -> None:
    desk.say("Question about quotas")  # R-1 normal, response due 12:00
    desk.at(london(2026, 11, 30, 10, 20))
    desk.say("The registry is down")  # R-2 high, response due 11:20
    desk.say("Docs question")  # R-3 normal, due 12:20
    desk.ask("request assign R-3 @bob", as_user="@alice")
    desk.ask("request wait R-3 which page?", as_user="@bob")  # paused: last
    desk.say("Need a DNS record", sender="@user2")  # R-4 normal, due 12:20, to ivan (least load)
    desk.ask("request priority R-4 normal", as_user="@grace")
    desk.roster.support = ()
    desk.say("Unowned question")  # nobody on support
    desk.at(london(2026, 11, 30, 11, 0))
    assert desk.ask("requests") == (
        "Open requests, most at risk first (5):\n"
        "- R-2 [high] new, heidi: The registry is down — first response due 2026-11-30 11:20 (66% used)\n"
        "- R-1 [normal] new, grace: Question about quotas — first response due 2026-11-30 12:00 (50% used)\n"
        "- R-4 [normal] triaged, ivan: Need a DNS record — first response due 2026-11-30 12:20 (33% used)\n"
        "- R-5 [normal] new, unassigned: Unowned question — first response due 2026-11-30 12:20 (33% used)\n"
        "- R-3 [normal] waiting on user, bob: Docs question — clocks paused, waiting on the user"
    )
    assert desk.ask("requests unassigned") == (
        "Unassigned requests, most at risk first (1):\n"
        "- R-5 [normal] new, unassigned: Unowned question — first response due 2026-11-30 12:20 (33% used)"
    )
    assert desk.ask("requests mine", as_user="@bob") == (
        "Requests assigned to bob, most at risk first (1):\n"
        "- R-3 [normal] waiting on user, bob: Docs question — clocks paused, waiting on the user"
    )
    assert (
        desk.ask("requests grace").splitlines()[0]
        == "Requests assigned to grace, most at risk first (1):"
    )
    assert desk.ask("requests @heidi").splitlines()[1].startswith("- R-2 [high] new, heidi")
    assert desk.ask("requests @erin") == "No open requests assigned to erin."


def test_long_lists_are_cut_at_the_limit(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk("[triage]\nlist_limit = 2\n", start=london(2026, 11, 30, 10, 0))
    for n in range(4):
        desk.say(f"Question {n}")
    assert desk.ask("requests").splitlines()[0::3] == [
        "Open requests, most at risk first (4):",
        "- … and 2 more",
    ]


def test_checklist_lists_unassigned_and_at_risk_requests(desk: Desk) -> None:
    desk.roster.support = ()
    desk.say("Nobody owns this")  # R-1 unassigned, due 12:00
    desk.roster.support = ("grace",)
    desk.say("The VPN is down")  # R-2 high, due 11:00
    desk.at(london(2026, 11, 30, 10, 50))
    assert desk.runtime.hook.dutybot_checklist_items(
        runtime=desk.runtime, day=desk.clock.now().date()
    ) == [
        [
            "Unassigned support requests (1): R-1. Assign them with !request assign ID @person.",
            "Support requests at risk of missing their SLA (1): R-2 first response due 2026-11-30 11:00 (83% used).",
        ]
    ]
    desk.ask("request assign R-1 @bob", as_user="@grace")
    desk.ask("request start R-2", as_user="@grace")
    assert desk.runtime.hook.dutybot_checklist_items(
        runtime=desk.runtime, day=desk.clock.now().date()
    ) == [[]]


def test_status_and_metrics(desk: Desk) -> None:
    desk.say("One")
    desk.say("Two is down")
    desk.at(london(2026, 11, 30, 10, 30))
    desk.ask("request start R-1", as_user="@grace")
    desk.at(london(2026, 11, 30, 11, 30))
    desk.ask("request resolve R-1 answered", as_user="@grace")
    desk.live_until(london(2026, 11, 30, 12, 0), step=timedelta(minutes=30))
    assert desk.runtime.hook.dutybot_status(runtime=desk.runtime)[-1] == [
        "Requests: 1 open, 0 unassigned, 1 overdue"
    ]
    start, end = london(2026, 11, 30, 0, 0), london(2026, 12, 1, 0, 0)
    metrics = desk.runtime.hook.dutybot_metrics(
        runtime=desk.runtime, start=start, end=end, priority=None
    )
    assert metrics == [
        {
            "requests": {
                "opened": 2,
                "opened_by_priority": {"high": 1, "normal": 1},
                "resolved": 1,
                "first_response_median_support_minutes": 30.0,
                "first_response_p90_support_minutes": 30.0,
                "resolve_median_support_minutes": 90.0,
                "resolve_p90_support_minutes": 90.0,
                "first_response_within_target_percent": {"normal": 100.0},
                "resolve_within_target_percent": {"normal": 100.0},
                "open_at_end": 1,
                "rating_mean": None,
                "ratings": 0,
            }
        }
    ]


# --- classification --------------------------------------------------------------------------------


class Classifier:
    """A plugin that knows better than keywords."""

    @hookimpl
    def dutybot_classify_request(self, text: str) -> dict[str, Any] | None:
        if "dns" in text.lower():
            return {"priority": "HIGH", "category": "dns"}
        if "nonsense" in text.lower():
            return {"priority": "P0"}
        return None


def test_a_classifier_plugin_wins_over_the_keyword_rules(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(plugins=(Classifier(),), start=london(2026, 11, 30, 10, 0))
    assert desk.say("Our DNS zone is missing a record")[0].startswith(
        "Thanks @user1, this is request R-1 (high, dns)."
    )
    assert desk.say("The wiki is down")[0].startswith(
        "Thanks @user1, this is request R-2 (high, outage)."
    )
    assert desk.say("nonsense priority")[0].startswith(
        "Thanks @user1, this is request R-3 (normal)."
    )


def test_keyword_rules_match_whole_words(desk: Desk) -> None:
    assert desk.say("How do I download the logs?")[0].startswith(
        "Thanks @user1, this is request R-1 (normal)."
    )
    assert desk.say("We can\u2019t deploy to production")[0].startswith(
        "Thanks @user1, this is request R-2 (high, blocked)."
    )


# --- the board -----------------------------------------------------------------------------------------


def test_the_board_shows_tickets_by_column_and_follows_their_requests(desk: Desk) -> None:
    assert (
        desk.ask("board")
        == "The board is empty. Turn a request into a ticket with !request ticket ID."
    )
    desk.say("Upgrade our database to v16")
    desk.say("Investigate slow builds")
    desk.ask("request ticket R-1", as_user="@grace")
    desk.ask("request ticket R-2", as_user="@grace")
    desk.ask("request start R-2", as_user="@grace")
    assert desk.ask("ticket label T-1 -needs-triage +database", as_user="@grace") == (
        "T-1 labels: support-request, database."
    )
    assert desk.ask("board") == (
        "Board (2 tickets):\n"
        "to do (1)\n"
        "- T-1 R-1: Upgrade our database to v16 [support-request, database] https://tracker.example/1\n"
        "in progress (1)\n"
        "- T-2 R-2: Investigate slow builds [support-request, needs-triage] https://tracker.example/2\n"
        "done (0)"
    )
    assert desk.ask("ticket move T-1 In Progress", as_user="@grace") == "T-1 moved to in progress."
    assert (
        desk.ask("ticket move T-1 in progress", as_user="@grace")
        == "T-1 is already in in progress."
    )
    assert desk.ask("ticket move T-1 backlog", as_user="@grace") == (
        "There is no column 'backlog'; the columns are to do, in progress, done.\n" + USAGE["move"]
    )
    assert desk.ask("ticket label T-1 -missing", as_user="@grace") == (
        "T-1 has no label 'missing'.\n" + USAGE["label"]
    )
    assert desk.ask("ticket label T-1 +database", as_user="@grace") == (
        "T-1 already has those labels: support-request, database."
    )
    desk.ask("request resolve R-2 caching fixed", as_user="@grace")
    assert desk.ask("board").splitlines()[-2:] == [
        "done (1)",
        "- T-2 R-2: Investigate slow builds [support-request, needs-triage] https://tracker.example/2",
    ]


def test_a_failing_mirror_does_not_undo_the_ticket(make_desk: Callable[..., Desk]) -> None:
    class Broken:
        @hookimpl
        def dutybot_ticket_created(self, ticket: Any) -> None:
            raise ConnectionError("tracker unreachable")

    desk = make_desk(plugins=(Broken(),), start=london(2026, 11, 30, 10, 0))
    desk.say("Please mirror me")
    assert desk.ask("request ticket R-1", as_user="@grace") == (
        "Created T-1 for R-1 in to do [support-request, needs-triage]."
    )
    assert desk.count(Ticket) == 1


def test_board_columns_and_labels_come_from_the_process_file(
    make_desk: Callable[..., Desk],
) -> None:
    board = """
[triage.board]
columns = ["new", "doing", "review", "done"]
new_column = "new"
progress_column = "doing"
labels = ["support"]
"""
    desk = make_desk(board, start=london(2026, 11, 30, 10, 0))
    desk.say("Please review our alerts")
    assert (
        desk.ask("request ticket R-1", as_user="@grace") == "Created T-1 for R-1 in new [support]."
    )
    desk.ask("request start R-1", as_user="@grace")
    assert desk.ask("board").splitlines()[1:5] == [
        "new (0)",
        "doing (1)",
        "- T-1 R-1: Please review our alerts [support] https://tracker.example/1",
        "review (0)",
    ]


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        (
            '[triage]\nscheme = "p0"\n',
            "triage: scheme: unknown scheme 'p0' (known: high-normal, p1-p4)",
        ),
        (
            '[triage.board]\nnew_column = "inbox"\n',
            "triage.board: new_column: 'inbox' is not one of the columns",
        ),
        (
            '[triage.schemes.mine]\ndefault = "low"\n[triage.schemes.mine.priorities.high]\nresponse_minutes = 5\n'
            "resolve_minutes = 10\n",
            "triage.schemes.mine: default: 'low' is not one of its priorities (high)",
        ),
        ("[triage]\nnudge_percent = 120\n", "triage.nudge_percent: Input should be less than 100"),
    ],
)
def test_a_bad_triage_section_stops_start_up_naming_the_key(
    make_runtime: Callable[..., Runtime], section: str, problem: str
) -> None:
    with pytest.raises(ProcessError) as caught:
        make_runtime(process=BASE + section)
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [problem]


# --- through Errbot ---------------------------------------------------------------------------------


def test_the_commands_work_through_errbot(desk: Desk) -> None:
    bot = ChatBot(desk.runtime)
    try:
        help_text = bot.ask("!help")
        assert " dutybot Requests\n dutybot: Requests\n" in help_text
        assert "• !requests - List open requests, most at risk first." in help_text
        assert bot.ask("!request new Cannot log in to Grafana --env staging", as_user="@user9") == (
            "Thanks @user9, this is request R-1 (normal). We aim to answer by 2026-11-30 12:00.\n"
            "On support: grace, heidi, ivan; grace has it.\n"
            "To help us, please add: !request set R-1 --service NAME --impact TEXT"
        )
        assert bot.ask("!requests", as_user="@bob") == (
            "Open requests, most at risk first (1):\n"
            "- R-1 [normal] new, grace: Cannot log in to Grafana — first response due 2026-11-30 12:00 (0% used)"
        )
        bot.assert_quiet()
    finally:
        bot.stop()
