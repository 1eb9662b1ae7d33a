"""Posts to chat: stored first, delivered in order, idempotent, threaded, kept on failure."""

from __future__ import annotations

from sqlalchemy import select

from core.clock import FakeClock
from core.models import ChatPost
from core.runtime import Runtime


class Sink:
    """A chat backend that records what it was asked to send and answers with message ids."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.fail_on = fail_on
        self.attempts = 0

    def __call__(self, address: str, text: str, parent_ref: str | None) -> str:
        self.attempts += 1
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


def test_a_failed_delivery_stays_queued_and_order_is_kept(
    runtime: Runtime, clock: FakeClock
) -> None:
    sink = Sink(fail_on="second")
    runtime.chat.attach(sink)
    runtime.chat.post("team", "first")
    runtime.chat.post("team", "second")
    runtime.chat.post("team", "third")
    assert [t for _, t, _ in sink.sent] == ["first"]
    assert runtime.chat.pending() == 2
    sink.fail_on = None
    assert runtime.chat.flush(everything=True) == 0  # the address waits 10 s before a retry
    clock.advance(seconds=10)
    assert runtime.chat.flush() == 2
    assert [t for _, t, _ in sink.sent] == ["first", "second", "third"]


def test_an_address_that_keeps_failing_is_tried_less_and_less_often(
    runtime: Runtime, clock: FakeClock
) -> None:
    sink = Sink(fail_on="refused")
    runtime.chat.attach(sink)
    runtime.chat.post("team", "refused")
    tries = []
    for _ in range(40):  # 20 minutes, one flush every 30 s as the scheduler's tick would
        clock.advance(seconds=30)
        before = sink.attempts
        runtime.chat.flush(everything=True)
        tries.append(sink.attempts - before)
    # waits of 10 s, 20 s, 40 s, 80 s, 160 s, then 5 minutes: tries at 30 s, 1, 2, 3.5, 6.5,
    # 11.5 and 16.5 minutes, not 40 times
    assert [i for i, tried in enumerate(tries, start=1) if tried] == [1, 2, 4, 7, 13, 23, 33]
    assert runtime.chat.pending() == 1
    before = sink.attempts
    runtime.chat.attach(sink)  # a reconnection tries at once
    assert sink.attempts == before + 1


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
