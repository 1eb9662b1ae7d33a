"""Review of the chat bridge and incidents (issues 7 and 10's Slack part): defects found by
reading the code, each pinned by a test that failed before its fix."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from core.mentions import ZERO_WIDTH_SPACE as ZW
from core.mentions import defuse_handles, neutralise
from core.models import ChatPost
from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime
from tests.conftest import ChatBot
from tests.test_slack_harness import PROCESS, Workspace, serve

RINGING = ("<!", "@channel", "@here", "@everyone", "@all")


def silent(text: str) -> bool:
    return not any(loud in text.lower() for loud in RINGING)


# --- a Slack control sequence nested in another one ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<!date^1392734382|<!here>>",  # the fallback label was a mention
        "<!<!channel>>",
        "<<!|!>here>",
        "disk full <!date^0^{date}|<!everyone>> now",
    ],
)
def test_a_nested_control_sequence_does_not_come_back_as_a_mention(text: str) -> None:
    """Unwrapping one ``<!…>`` must not leave another one behind (alert text is raw: an
    Alertmanager summary reaches the outbox as typed)."""
    safe = neutralise(text)
    assert silent(safe), safe
    assert neutralise(safe) == safe


def test_an_alert_post_with_a_nested_sequence_is_stored_quiet(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime(
        process=PROCESS, disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team"}
    )
    runtime.chat.post("team", "DiskFull <!date^1|<!channel>> on db1")
    with runtime.db.session() as session:
        (text,) = session.scalars(select(ChatPost.text)).all()
    assert text == f"DiskFull <{ZW}!channel> on db1"


def test_deeply_nested_sequences_are_defused_in_linear_time() -> None:
    """A webhook body may be a megabyte of ``<!<!<!…>>>``: one pass each, not one per level."""
    depth = 300_000
    started = time.perf_counter()
    safe = neutralise("<!" * depth + "here" + ">" * depth)
    assert time.perf_counter() - started < 2
    assert silent(safe)


# --- Errbot's own "command not found" echoes what was typed ------------------------------------


@pytest.fixture
def slack(make_runtime: Callable[..., Runtime]) -> Iterator[Workspace]:
    runtime = make_runtime(
        process=PROCESS, disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team"}
    )
    for bot in serve(runtime):
        yield Workspace(bot)


def test_a_mistyped_command_is_not_echoed_as_a_mass_mention(slack: Workspace) -> None:
    said = slack.say("bob", "!incidnet <!channel> the site is down", ts="1764496800.000100")
    assert said == [f'Command "incidnet" / "incidnet @{ZW}channel" not found.']


def test_errbots_echo_cannot_ring_the_channel(slack: Workspace) -> None:
    """``!echo`` (Errbot's Utils, loaded by config.py) answers with whatever was typed."""
    assert slack.say("carol", "!echo <!here> @everyone", ts="1764496800.000100") == [
        f"@{ZW}here @{ZW}everyone"
    ]


# --- file posts: the caption must go out once -------------------------------------------------


def test_a_failed_upload_does_not_post_the_caption_again(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(
        process=PROCESS, disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team"}
    )
    bot = ChatBot(runtime)
    try:
        bridge = bot.backend.plugin_manager.get_plugin_obj_by_name("Dutybot")

        def refuse(*_args: Any) -> None:
            raise RuntimeError("upload refused")

        monkeypatch.setattr(bot.backend, "send_stream_request", refuse)
        runtime.chat.attach(bridge._deliver, bridge._upload)
        runtime.chat.post_file("team", "Weekly digest", "digest.png", b"\x89PNG")
        runtime.chat.flush(everything=True)
        runtime.chat.flush(everything=True)
        said = []
        while not bot.backend.outgoing_message_queue.empty():
            said.append(bot.pop())
        assert said == ["Weekly digest", "[digest.png] (not attached: the upload failed)"]
        assert runtime.chat.pending() == 0
    finally:
        bot.stop()


# --- Slack's link_names: a bare @handle rings a user group --------------------------------------


def test_on_slack_a_bare_handle_is_defused_and_mentions_by_id_are_kept(
    slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(type(slack.backend), "mode", "slackv3")
    assert slack.say("carol", "!echo @sre-oncall and <@U0BOB00001>", ts="1764496800.000100") == [
        f"@{ZW}sre-oncall and <@U0BOB00001>"
    ]


def test_on_slack_an_entity_is_never_decoded_into_a_mention(
    slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack sends a typed ``<!here>`` as ``&lt;!here&gt;``, and the backend's Markdown
    conversion (the test backend's too) decodes entities: echoed, it went out as a live
    ``<!here>``. What goes out now is the text Slack sent, which it shows as typed."""
    monkeypatch.setattr(type(slack.backend), "mode", "slackv3")
    typed = "!echo &lt;!here&gt; &amp;#60;!channel&amp;#62; AT&amp;T `a&amp;b`"
    [said] = slack.say("carol", typed, ts="1764496800.000100")
    assert "<!" not in said
    assert said == "&lt;!here&gt; &amp;#60;!channel&amp;#62; AT&amp;T a&amp;b"  # code: as sent


def test_on_other_backends_a_handle_is_left_alone(slack: Workspace) -> None:
    assert slack.say("carol", "!echo ask @bob", ts="1764496800.000100") == ["ask @bob"]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("page @sre-oncall now", f"page @{ZW}sre-oncall now"),
        ("@@here", f"@@{ZW}here"),
        ("<@U0ALICE001> ops@example.org", "<@U0ALICE001> ops@example.org"),
        (f"@{ZW}here", f"@{ZW}here"),
    ],
)
def test_defuse_handles(text: str, safe: str) -> None:
    assert defuse_handles(text) == safe
    assert defuse_handles(safe) == safe


# --- one post that cannot go out must not hold every other one ---------------------------------


def test_a_post_to_an_address_that_fails_holds_only_that_address(
    make_runtime: Callable[..., Runtime],
) -> None:
    """A typo in ``announce_to`` or an archived channel: Slack refuses every post to it. The
    posts to other channels go out; those to the failing address wait, in order."""
    runtime = make_runtime(
        process=PROCESS, disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team"}
    )
    sent: list[tuple[str, str]] = []

    def sink(address: str, text: str, _parent: str | None) -> str:
        if address == "#archived":
            raise RuntimeError("is_archived")
        sent.append((address, text))
        return f"ts-{len(sent)}"

    runtime.chat.attach(sink)
    runtime.chat.post("#archived", "the incident is over")
    runtime.chat.post("team", "FIRING: ingress down")
    runtime.chat.post("#archived", "a second one")
    runtime.chat.post("support", "R-7 is now in progress")
    assert sent == [
        ("<#C0TEAM0001>", "FIRING: ingress down"),
        ("C0SUPP0001", "R-7 is now in progress"),
    ]
    assert runtime.chat.pending() == 2
    with runtime.db.session() as session:
        waiting = session.scalars(
            select(ChatPost.text).where(ChatPost.delivered_at.is_(None)).order_by(ChatPost.id)
        ).all()
    assert waiting == ["the incident is over", "a second one"]


# --- Slack's backend logs a refused post and returns as if it had sent it -----------------------


def test_a_post_slack_refused_stays_queued_and_goes_out_later(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(
        process=PROCESS, disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"system", "team"}
    )
    bot = ChatBot(runtime)
    try:
        monkeypatch.setattr(type(bot.backend), "mode", "slackv3")
        up = False
        bodies: list[str] = []

        def slack_send(message: Any) -> Any:
            """As SlackV3's send_message: a failed chat.postMessage is logged, not raised."""
            if up:
                bodies.append(message.body)
                message.extras["ts"] = ["1764496800.000900"]
            return message

        monkeypatch.setattr(bot.backend, "send_message", slack_send)
        runtime.chat.post("team", "Incident 1 is over")
        assert bodies == [] and runtime.chat.pending() == 1
        up = True
        assert runtime.chat.flush(everything=True) == 0  # its address waits before a retry
        runtime.clock.advance(seconds=10)  # type: ignore[attr-defined]
        assert runtime.chat.flush(everything=True) == 1
        assert bodies == ["Incident 1 is over"] and runtime.chat.pending() == 0
        with runtime.db.session() as session:
            assert session.scalars(select(ChatPost.ref)).all() == ["1764496800.000900"]
    finally:
        bot.stop()
