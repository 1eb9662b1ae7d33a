"""Mass mentions and broken formatting from user or alert text never reach chat: the one
sanitiser (core/mentions.py) on its own, then on the real paths — an alert webhook over HTTP, an
incident declared by command and one in the team's words with a note, a command's usage error,
and a support request listed back, in a Slack-shaped channel."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests
from sqlalchemy import select

from core import hookimpl
from core.mentions import ZERO_WIDTH_SPACE as ZW
from core.mentions import handle_key, neutralise
from core.models import ChatPost
from core.plugin_manager import DEFAULT_PLUGINS
from core.receiver import Credential
from core.runtime import Runtime
from tests.conftest import ChatBot
from tests.test_slack_harness import PROCESS, SUPPORT_ID, Workspace, serve

TOKEN = "generic-token-for-mentions"
LOUD = "@channel <!here> @Everyone <!subteam^S0123ABC|@oncall> @all"
QUIET = f"@{ZW}channel @{ZW}here @{ZW}Everyone @{ZW}oncall @{ZW}all"
RINGING = ("@channel", "@here", "@everyone", "@all", "<!", "@oncall")


def silent(text: str) -> bool:
    """No mass mention left in ``text`` (case-insensitively)."""
    return not any(loud in text.lower() for loud in RINGING)


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        (LOUD, QUIET),
        ("<!channel> and <!everyone>", f"@{ZW}channel and @{ZW}everyone"),
        ("<!subteam^S0123ABC>", f"@{ZW}subteam"),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        ("mail ops@here.example.org or @alice", "mail ops@here.example.org or @alice"),
        ("@channels and @herebefore", "@channels and @herebefore"),
        ("see ```python\nrm -rf /", "see ```python\nrm -rf /\n```"),
        ("balanced ```x``` stays", "balanced ```x``` stays"),
        ("", ""),
    ],
)
def test_neutralise(text: str, safe: str) -> None:
    assert neutralise(text) == safe
    assert neutralise(safe) == safe  # idempotent: posts and replies may pass twice


def test_chat_handles_compare_in_every_form() -> None:
    assert {handle_key(h) for h in ("<@U0123ABC>", "<@U0123ABC|alice>", "U0123ABC")} == {"U0123ABC"}
    assert handle_key("@alice") == handle_key("alice") == "alice"


# --- an alert webhook ---------------------------------------------------------------------------


@pytest.fixture
def alarms_runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(
        disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team", "alarms"},
        http_enabled=True,
        http_port=0,
        credentials={"generic": Credential(token=TOKEN)},
    )


def test_an_alert_summary_cannot_mention_the_channel(alarms_runtime: Runtime) -> None:
    bot = ChatBot(alarms_runtime)
    try:
        response = requests.post(
            f"http://127.0.0.1:{alarms_runtime.receiver.port}/alerts/generic",
            json={
                "title": "DiskFull <!here>",
                "severity": "warning",
                "dedup_key": "disk-db1",
                "summary": f"{LOUD} look: ```",
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        received = bot.pop()
        bot.assert_quiet()
    finally:
        bot.stop()
    with alarms_runtime.db.session() as session:
        (post,) = session.scalars(select(ChatPost.text)).all()
    assert post.startswith(f"[FIRING:1] #1 DiskFull @{ZW}here (low): {QUIET} look: ```")
    assert post.endswith("\n```") and post.count("```") == 2
    assert silent(post) and silent(received)
    assert f"@{ZW}channel" in received


# --- incidents, by command and in the team's words ---------------------------------------------


@pytest.fixture
def incident_runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(
        process=PROCESS,
        disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team", "incident"},
    )


@pytest.fixture
def slack(incident_runtime: Runtime) -> Iterator[Workspace]:
    for bot in serve(incident_runtime):
        yield Workspace(bot)


def test_an_incident_declared_by_command_echoes_its_title_quietly(
    slack: Workspace, incident_runtime: Runtime
) -> None:
    said = slack.say(
        "alice",
        "!incident declare <!channel> the site is down --impact @everyone cannot log in",
        ts="1764496800.000100",
    )
    assert said and all(silent(text) for text in said)
    assert said[-1].startswith(f"Incident 1 declared: @{ZW}channel the site is down")
    with incident_runtime.db.session() as session:
        posts = session.scalars(select(ChatPost.text).where(ChatPost.ref.is_(None))).all()
    assert posts and all(silent(text) for text in posts)


def test_an_incident_declared_in_the_teams_words_replies_quietly(slack: Workspace) -> None:
    root = "1764496800.000100"
    said = slack.say(
        "alice",
        "I am declaring an incident because @here everything is down. "
        "The impact is that <!everyone> cannot work.",
        ts=root,
    )
    assert len(said) == 1 and silent(said[0])
    assert slack.say("bob", "note: told <!channel> and @everyone", "1764496860.2", root) == [
        "Noted on incident 1's timeline."
    ]
    summary = slack.say("bob", "!incident 1", ts="1764496920.000300")
    assert len(summary) == 1 and silent(summary[0])
    assert f"Bob Example: told @{ZW}channel and @{ZW}everyone" in summary[0]


def test_a_command_reply_echoing_the_arguments_is_quiet(slack: Workspace) -> None:
    """Usage errors quote what was typed: through the bridge the quote cannot ring anyone."""
    said = slack.say("alice", "!whoami @here", ts="1764496800.000100")
    assert said == [
        f"I don't know anyone called '@{ZW}here'. People in this team: alice, bob, carol, dave.\n"
        "Usage: !whoami [@person]"
    ]


# --- a support request -----------------------------------------------------------------------------


class SupportRota:
    """Bob is on support: the triage feature assigns requests to him."""

    @hookimpl
    def dutybot_role_holders(self, role: str) -> list[str] | None:
        return {"support": ["bob"]}.get(role)


def test_a_request_text_listed_back_is_quiet(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(
        process=PROCESS,
        plugins=(SupportRota(),),
        disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team", "triage"},
    )
    for bot in serve(runtime):
        slack = Workspace(bot)
        opened = slack.say(
            "carol",
            "!request new @here <!channel> my deploy fails",
            "1764496800.1",
            channel=SUPPORT_ID,
        )
        assert len(opened) == 1 and opened[0].startswith("Thanks")
        (listed,) = slack.say("bob", "!requests", "1764496860.2", channel=SUPPORT_ID)
        assert f"@{ZW}here @{ZW}channel my deploy fails" in listed and silent(listed)
