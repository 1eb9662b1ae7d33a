"""Support requests from the support channel, lived through with the fake clock: intake, threads,
edits, SLA clocks in support hours across a bank holiday, pauses, nudges, breaches and the
15-minute rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import FakeClock
from core.models import AuditEntry, ChatPost
from core.runtime import Runtime
from plugins.triage import jobs
from plugins.triage.models import Request
from tests.test_triage_harness import SUPPORT, TEAM, Desk, Post, desk_maker, london

QUESTION = "How do I rotate the database credentials for our app?"
ACK_ASK = (
    "To help us, please reply in this thread with:\n"
    "service: <the name of the service>\n"
    "environment: development, staging, production or other\n"
    "impact: <how this affects your service>"
)
SHORT_TARGETS = """
[triage.schemes.high-normal]
default = "normal"

[triage.schemes.high-normal.priorities.high]
response_minutes = 30
resolve_minutes = 60

[triage.schemes.high-normal.priorities.normal]
response_minutes = 60
resolve_minutes = 100
"""


@pytest.fixture
def make_desk(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Callable[..., Desk]:
    return desk_maker(make_runtime, clock)


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    return make_desk(start=london(2026, 11, 30, 10, 0))


def show_line(desk: Desk, ref: str, prefix: str) -> str:
    """The line of ``!request show`` that starts with ``prefix``."""
    return next(ln for ln in desk.ask(f"request show {ref}").splitlines() if ln.startswith(prefix))


# --- intake ---------------------------------------------------------------------------------


def test_a_users_message_opens_a_request_acknowledged_in_its_thread(desk: Desk) -> None:
    assert desk.say("Our payments API is down since 09:55", message_id="m1") == [
        "Thanks @user1, this is request R-1 (high, outage). We aim to answer by 2026-11-30 11:00.\n"
        "On support: grace, heidi, ivan; grace has it.\n" + ACK_ASK
    ]
    assert desk.listener.take() == [("created", "R-1", "new")]
    assert desk.ask("requests") == (
        "Open requests, most at risk first (1):\n"
        "- R-1 [high] new, grace: Our payments API is down since 09:55 — first response due "
        "2026-11-30 11:00 (0% used)"
    )
    assert desk.take() == []


def test_fields_in_the_message_are_kept_and_only_the_missing_ones_asked_for(desk: Desk) -> None:
    replies = desk.say(
        "Deploys to staging fail with a 403\nservice: billing\nenv: stag", message_id="m1"
    )
    assert replies == [
        "Thanks @user1, this is request R-1 (normal). We aim to answer by 2026-11-30 12:00.\n"
        "On support: grace, heidi, ivan; grace has it.\n"
        "To help us, please reply in this thread with:\nimpact: <how this affects your service>"
    ]
    assert show_line(desk, "R-1", "Service:") == "Service: billing; environment: staging; impact: ?"
    assert (
        show_line(desk, "R-1", "Description:") == "Description: Deploys to staging fail with a 403"
    )


def test_replies_in_the_thread_are_conversation_not_new_requests(desk: Desk) -> None:
    desk.say(QUESTION, message_id="m1")
    desk.at(london(2026, 11, 30, 10, 7))
    assert desk.say("Same question from us", sender="@user2", thread_id="m1") == []
    assert desk.say("Looking now", sender="@grace", thread_id="m1") == []
    assert desk.say("service: orders\nenvironment: prod", sender="@user1", thread_id="m1") == [
        "Thanks, noted for R-1: service orders, environment production.\n"
        "Still needed:\nimpact: <how this affects your service>"
    ]
    assert desk.say("environment: moon", thread_id="m1") == [
        "I don't know the environment 'moon': use development, staging, production or other."
    ]
    assert desk.say("A reply in somebody else's thread", thread_id="unknown") == []
    assert desk.count(Request) == 1
    assert show_line(desk, "R-1", "First response:") == (
        "First response: 2026-11-30 10:07 by grace (7 of 120 support minutes)"
    )
    assert desk.take() == []


def test_an_edited_message_does_not_open_a_second_request(desk: Desk) -> None:
    desk.say("Grafana is unreachable", message_id="m1")
    desk.listener.take()
    assert (
        desk.say(
            "Grafana is unreachable from the office VPN\nimpact: no dashboards", message_id="m1"
        )
        == []
    )
    assert desk.count(Request) == 1
    assert (
        show_line(desk, "R-1", "Description:")
        == "Description: Grafana is unreachable from the office VPN"
    )
    assert show_line(desk, "R-1", "Service:") == "Service: ?; environment: ?; impact: no dashboards"
    assert desk.listener.take() == [("updated", "R-1", "fields"), ("updated", "R-1", "fields")]
    assert (
        desk.say(
            "Grafana is unreachable from the office VPN\nimpact: no dashboards", message_id="m1"
        )
        == []
    )
    assert desk.listener.take() == []


def test_team_members_and_other_channels_do_not_open_requests(desk: Desk) -> None:
    assert desk.say("Support is open: ask away!", sender="@grace", message_id="a1") == []
    assert desk.say("Is anyone around?", channel="team", message_id="t1") == []
    assert desk.say("   ", message_id="blank") == []
    assert desk.count(Request) == 0


def test_team_messages_open_requests_when_the_process_file_says_so(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk("[triage]\nopen_from_team = true\n", start=london(2026, 11, 30, 10, 0))
    assert desk.say("Please check the ingress certificates", sender="@bob")[0].startswith(
        "Thanks @bob, this is request R-1 (normal)."
    )


def test_without_message_ids_the_bot_asks_for_fields_by_command(desk: Desk) -> None:
    """The console and test backends have no threads: the hint is a command instead."""
    assert desk.say(QUESTION) == [
        "Thanks @user1, this is request R-1 (normal). We aim to answer by 2026-11-30 12:00.\n"
        "On support: grace, heidi, ivan; grace has it.\n"
        "To help us, please add: !request set R-1 --service NAME --env ENVIRONMENT --impact TEXT"
    ]


def test_the_lead_gets_new_requests_otherwise_the_least_loaded_engineer(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(start=london(2026, 11, 30, 10, 0))
    owners = []
    for n in range(4):
        desk.say(f"Question number {n}")
        owners.append(desk.ask(f"request show R-{n + 1}").splitlines()[1].rsplit(" ", 1)[1])
    assert owners == ["grace", "heidi", "ivan", "grace"]
    desk.roster.lead = "heidi"
    desk.say("Another question")
    assert (
        desk.ask("request show R-5").splitlines()[1]
        == "State: new; priority normal; assigned to heidi"
    )
    desk.roster.support, desk.roster.lead = (), None
    assert (
        desk.say("And one more")[0].splitlines()[1]
        == "On support: nobody; nobody has picked it up yet."
    )


def test_out_of_hours_the_support_engineers_of_the_next_opening_are_named(
    make_desk: Callable[..., Desk],
) -> None:
    """With the support-day plugin on, a user also gets its "support reopens at" reply; ours does not
    repeat it."""
    others = frozenset({"rota", "oncall", "pager", "alarms", "incident"})
    desk = make_desk(disabled=others, start=london(2026, 12, 4, 19, 30))
    replies = desk.say(QUESTION, message_id="m1")
    ours = (
        "Thanks @user1, this is request R-1 (normal). We aim to answer by 2026-12-07 12:00.\n"
        "On support: grace, heidi, ivan; grace has it.\n" + ACK_ASK
    )
    assert ours in replies and len(replies) == 2
    assert "reopens" not in ours


# --- SLA clocks ------------------------------------------------------------------------------


def test_a_request_before_a_bank_holiday_runs_10_minutes_friday_and_resumes_tuesday(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(
        start=london(2026, 8, 28, 16, 50)
    )  # Friday; Monday 31 August is a bank holiday
    assert desk.say(QUESTION, message_id="m1")[0].startswith(
        "Thanks @user1, this is request R-1 (normal). We aim to answer by 2026-09-01 11:50."
    )
    due = "First response: due 2026-09-01 11:50"
    for instant, used in [
        (london(2026, 8, 28, 17, 0), 10),
        (london(2026, 8, 31, 12, 0), 10),  # the bank holiday
        (london(2026, 9, 1, 10, 0), 10),  # Tuesday: support reopens
        (london(2026, 9, 1, 10, 30), 40),
    ]:
        desk.at(instant)
        assert jobs.sweep(desk.runtime) == 0  # nothing is due while support is closed
        assert show_line(desk, "R-1", "First response:") == f"{due} ({used} of 120 support minutes)"
    assert desk.take() == []

    desk.live_until(london(2026, 9, 1, 11, 30))
    assert desk.take() == [
        Post(
            "2026-09-01 11:26",
            SUPPORT,
            f'@grace R-1 [normal] "{QUESTION}" has used 80% of its first response target '
            "(96 of 120 support minutes); it is due by 2026-09-01 11:50.",
            thread="m1",
        )
    ]
    assert desk.ask("requests") == (
        "Open requests, most at risk first (1):\n"
        f"- R-1 [normal] new, grace: {QUESTION} — first response due 2026-09-01 11:50 (83% used)"
    )
    desk.live_until(london(2026, 9, 1, 11, 51))
    desk.live_until(london(2026, 9, 1, 13, 0), step=timedelta(hours=1))
    assert desk.take() == [
        Post(
            "2026-09-01 11:50",
            TEAM,
            f'R-1 [normal] missed its first response target of 120 support minutes: "{QUESTION}" from '
            "@user1, assigned to grace. On support: @grace, @heidi, @ivan.",
        )
    ]
    assert desk.ask("requests").endswith("first response overdue since 2026-09-01 11:50")
    assert jobs.sweep(desk.runtime) == 0
    desk.live_until(london(2026, 9, 1, 17, 0), step=timedelta(hours=1))
    assert desk.take() == []


def test_the_nudge_and_the_breach_are_sent_once_even_by_two_bots(
    make_desk: Callable[..., Desk], make_runtime: Callable[..., Runtime]
) -> None:
    desk = make_desk(SHORT_TARGETS, start=london(2026, 11, 30, 10, 0))
    desk.say("The cluster is down", message_id="m1")
    desk.at(london(2026, 11, 30, 10, 48))  # past 80% of the 60-minute response target
    second = make_runtime(
        process=desk.runtime.settings.process_file.read_text(),
        plugins=(desk.roster,),
        disabled_plugins=desk.runtime.settings.disabled_plugins,
    )
    assert jobs.sweep(second) == 1
    assert jobs.sweep(desk.runtime) == 0
    desk.at(london(2026, 11, 30, 11, 0))
    assert jobs.sweep(desk.runtime) == 1  # the response breach
    assert jobs.sweep(second) == 0
    desk.at(london(2026, 11, 30, 11, 20))
    assert jobs.sweep(second) == 1  # the resolve nudge, at 80 of 100 minutes
    assert jobs.sweep(desk.runtime) == 0
    with desk.runtime.db.session() as session:
        keys = session.scalars(
            select(ChatPost.key).where(ChatPost.key.like("triage:%")).order_by(ChatPost.id)
        ).all()
    assert keys == [
        "triage:thread:1",
        "triage:response-nudge:1",
        "triage:response-breach:1",
        "triage:resolve-nudge:1",
    ]


def test_a_nudge_overtaken_by_its_breach_is_not_sent(make_desk: Callable[..., Desk]) -> None:
    """The bot was down through the nudge and the breach: only the breach is announced."""
    desk = make_desk(SHORT_TARGETS, start=london(2026, 11, 30, 10, 0))
    desk.say("A question", message_id="m1")
    desk.at(london(2026, 11, 30, 11, 5))
    assert jobs.sweep(desk.runtime) == 2  # the response nudge (10:48) and breach (11:00)
    desk.runtime.chat.flush()
    assert [p.address for p in desk.take()] == [TEAM]


def test_waiting_on_the_user_pauses_the_clocks_and_their_reply_resumes_them(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(SHORT_TARGETS, start=london(2026, 11, 30, 10, 0))
    desk.say("Please add a DNS record for api.example.org", message_id="m1")
    desk.at(london(2026, 11, 30, 10, 5))
    assert desk.ask("request start R-1", as_user="@grace") == "R-1 is in progress with grace."

    desk.live_until(london(2026, 11, 30, 11, 0))
    assert desk.take() == [
        Post(
            "2026-11-30 10:20",
            SUPPORT,
            "@grace R-1 has been in progress for 15 support minutes. By the 15-minute rule it should "
            "become a ticket on the board (the conversation stays here): !request ticket R-1",
            thread="m1",
        )
    ]
    assert desk.ask("request wait R-1 which zone?", as_user="@grace") == (
        "R-1 is waiting on the user: its SLA clocks are paused until they reply in its thread "
        "(or !request start R-1)."
    )
    desk.live_until(london(2026, 11, 30, 13, 0), step=timedelta(hours=1))
    assert desk.take() == []  # without the pause the resolve nudge was due at 11:20
    assert desk.ask("requests") == (
        "Open requests, most at risk first (1):\n"
        "- R-1 [normal] waiting on user, grace: Please add a DNS record for api.example.org — "
        "clocks paused, waiting on the user"
    )
    assert show_line(desk, "R-1", "Resolution:") == "Resolution: paused (60 of 100 support minutes)"

    assert desk.say("It is example.org", thread_id="m1") == []
    assert (
        show_line(desk, "R-1", "State:") == "State: in progress; priority normal; assigned to grace"
    )
    assert (
        show_line(desk, "R-1", "Resolution:")
        == "Resolution: due 2026-11-30 13:40 (60 of 100 support minutes)"
    )
    desk.live_until(london(2026, 11, 30, 13, 41))
    desk.live_until(london(2026, 11, 30, 14, 30), step=timedelta(hours=1))
    assert desk.take() == [
        Post(
            "2026-11-30 13:20",
            SUPPORT,
            '@grace R-1 [normal] "Please add a DNS record for api.example.org" has used 80% of its '
            "resolution target (80 of 100 support minutes); it is due by 2026-11-30 13:40.",
            thread="m1",
        ),
        Post(
            "2026-11-30 13:40",
            TEAM,
            'R-1 [normal] missed its resolution target of 100 support minutes: "Please add a DNS record '
            'for api.example.org" from @user1, assigned to grace. On support: @grace, @heidi, @ivan.',
        ),
    ]
    assert (
        desk.ask("request resolve R-1 record added", as_user="@grace")
        == "R-1 is resolved: record added"
    )
    assert (
        show_line(desk, "R-1", "Resolution:")
        == "Resolution: 2026-11-30 14:30 (150 of 100 support minutes)"
    )
    history = desk.ask("request show R-1").split("History:\n")[1]
    assert history == (
        "- 2026-11-30 10:00 @user1: opened (new): Please add a DNS record for api.example.org\n"
        "- 2026-11-30 10:00 dutybot: assigned: grace (on support)\n"
        "- 2026-11-30 10:05 grace: responded\n"
        "- 2026-11-30 10:05 grace: started (new → in progress)\n"
        "- 2026-11-30 11:00 grace: waiting (in progress → waiting on user): which zone?\n"
        "- 2026-11-30 13:00 @user1: resumed (waiting on user → in progress)\n"
        "- 2026-11-30 14:30 grace: resolved (in progress → resolved): record added"
    )


def test_reopening_pauses_the_clock_for_the_time_it_was_resolved(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(SHORT_TARGETS, start=london(2026, 11, 30, 10, 0))
    desk.say("Our pods restart")
    desk.at(london(2026, 11, 30, 10, 30))
    desk.ask("request resolve R-1 fixed the liveness probe", as_user="@heidi")
    desk.at(london(2026, 11, 30, 15, 0))
    assert desk.ask("request reopen R-1 still restarting", as_user="@user1") == (
        "R-1 is reopened and in progress with grace."
    )
    assert (
        show_line(desk, "R-1", "Resolution:")
        == "Resolution: due 2026-11-30 16:10 (30 of 100 support minutes)"
    )
    assert show_line(desk, "R-1", "First response:") == (
        "First response: 2026-11-30 10:30 by heidi (30 of 60 support minutes)"
    )


def test_p1_is_on_the_wall_clock_with_hourly_update_reminders(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(
        '[triage]\nscheme = "p1-p4"\n', start=london(2026, 12, 5, 20, 0)
    )  # a Saturday evening
    assert desk.say("The public website is down", message_id="m1")[0].startswith(
        "Thanks @user1, this is request R-1 (P1). We aim to answer by 2026-12-05 20:20."
    )
    desk.at(london(2026, 12, 5, 20, 10))
    desk.say("On it", sender="@dave", thread_id="m1")
    desk.live_until(london(2026, 12, 5, 21, 30))
    assert desk.take() == [
        Post(
            "2026-12-05 21:10",
            SUPPORT,
            "@grace R-1 [P1] has had no update for 60 minutes: please post one in its thread.",
            "m1",
        )
    ]
    desk.say("Found the bad deploy, rolling back", sender="@dave", thread_id="m1")
    desk.live_until(london(2026, 12, 5, 22, 29))
    assert desk.take() == []
    desk.live_until(london(2026, 12, 5, 22, 31))
    assert desk.take() == [
        Post(
            "2026-12-05 22:30",
            SUPPORT,
            "@grace R-1 [P1] has had no update for 60 minutes: please post one in its thread.",
            "m1",
        )
    ]


def test_audit_records_who_opened_and_changed_requests(desk: Desk) -> None:
    desk.say("Quota increase please")
    desk.ask("request priority R-1 high", as_user="@bob")
    with desk.runtime.db.session() as session:
        entries = session.execute(
            select(
                AuditEntry.actor, AuditEntry.action, AuditEntry.subject, AuditEntry.detail
            ).order_by(AuditEntry.id)
        ).all()
    assert entries == [
        ("@user1", "request.open", "R-1", "Quota increase please"),
        ("bob", "request.priority", "R-1", "normal → high"),
    ]
