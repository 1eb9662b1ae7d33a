"""Posts to chat: stored first, delivered in order, idempotent, threaded, kept on failure."""

from __future__ import annotations

from sqlalchemy import select

from core.models import ChatPost
from core.runtime import Runtime


class Sink:
    """A chat backend that records what it was asked to send and answers with message ids."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.fail_on = fail_on

    def __call__(self, address: str, text: str, parent_ref: str | None) -> str:
        if text == self.fail_on:
            raise ConnectionError("chat is down")
        self.sent.append((address, text, parent_ref))
        return f"ts-{len(self.sent)}"


def test_channel_names_people_and_literal_addresses(runtime: Runtime) -> None:
    sink = Sink()
    runtime.chat.attach(sink)
    runtime.chat.post("team", "to the team channel")
    runtime.chat.post("bob", "to bob directly")
    runtime.chat.post("#elsewhere", "to a literal room")
    assert [(a, t) for a, t, _ in sink.sent] == [
        ("#cloud-platform", "to the team channel"),
        ("@bob", "to bob directly"),
        ("#elsewhere", "to a literal room"),
    ]


def test_a_reply_goes_in_the_thread_of_the_post_it_names(runtime: Runtime) -> None:
    sink = Sink()
    runtime.chat.attach(sink)
    runtime.chat.post("alarms_high", "FIRING: ingress down", key="alarm:1")
    runtime.chat.post("alarms_high", "resolved", key="alarm:1:resolved", thread_ref="alarm:1")
    assert sink.sent == [
        ("#high-priority-alarms", "FIRING: ingress down", None),
        ("#high-priority-alarms", "resolved", "ts-1"),
    ]


def test_a_failed_delivery_stays_queued_and_order_is_kept(runtime: Runtime) -> None:
    sink = Sink(fail_on="second")
    runtime.chat.attach(sink)
    runtime.chat.post("team", "first")
    runtime.chat.post("team", "second")
    runtime.chat.post("team", "third")
    assert [t for _, t, _ in sink.sent] == ["first"]
    assert runtime.chat.pending() == 2
    sink.fail_on = None
    assert runtime.chat.flush() == 2
    assert [t for _, t, _ in sink.sent] == ["first", "second", "third"]


def test_a_post_in_the_callers_transaction_is_rolled_back_with_it(runtime: Runtime) -> None:
    try:
        with runtime.db.session() as session:
            runtime.chat.post("team", "never", session=session)
            raise RuntimeError("the job failed after posting")
    except RuntimeError:
        pass
    with runtime.db.session() as session:
        assert session.scalars(select(ChatPost)).all() == []


def test_a_key_posts_once_even_inside_a_callers_transaction(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        assert runtime.chat.post("team", "once", key="k", session=session) is True
        assert runtime.chat.post("team", "twice", key="k", session=session) is False
    with runtime.db.session() as session:
        assert session.scalars(select(ChatPost.text)).all() == ["once"]


def test_a_post_can_reply_in_the_thread_of_a_users_message(runtime: Runtime) -> None:
    sink = Sink()
    runtime.chat.attach(sink)
    with runtime.db.session() as session:
        assert (
            runtime.chat.anchor(
                session, "request:7", "#ask-cloud-platform", "1700000000.000100", "help!"
            )
            is True
        )
        assert (
            runtime.chat.anchor(session, "request:7", "#ask-cloud-platform", "1700000000.000999")
            is False
        )
    runtime.chat.post("support", "R-7 is now in progress", thread_ref="request:7")
    assert sink.sent == [("#ask-cloud-platform", "R-7 is now in progress", "1700000000.000100")]
