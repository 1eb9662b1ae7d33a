"""Chat without a chat backend: inbound messages as data, outbound posts through a durable outbox.

Features post with ``runtime.chat.post("team", text)``; the post is stored first and delivered
by whichever chat connection is attached (the Errbot bridge attaches one when it activates).
While chat is disconnected posts wait in the table and go out, in order, on reconnection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import ChatPost

if TYPE_CHECKING:
    from core.clock import Clock
    from core.db import Database
    from core.process import Person, Process

log = logging.getLogger(__name__)

Sink = Callable[[str, str, str | None], str | None]
"""Delivers ``text`` to a channel or person ``address``, in the thread of the backend message
``parent_ref`` if given; returns the backend's id of the sent message where it has one."""


@dataclass(frozen=True)
class InboundMessage:
    """A channel message that is not a command, as plugins see it."""

    text: str
    sender: str
    person: Person | None
    channel: str | None
    channel_name: str | None
    message_id: str | None = None
    thread_id: str | None = None


class ChatOutbox:
    """Stores posts and delivers them through the attached sink, oldest first."""

    def __init__(self, db: Database, clock: Clock, process: Process) -> None:
        self._db = db
        self._clock = clock
        self._process = process
        self._sink: Sink | None = None
        self._lock = threading.Lock()
        self._maybe_pending = True

    def address(self, channel: str) -> str:
        """A [channels] name (``team``), a person id (``alice``), or a literal address."""
        channels = self._process.core.channels
        if channel in type(channels).model_fields:
            return str(getattr(channels, channel))
        person = self._process.person(channel)
        return person.chat if person else channel

    def post(
        self,
        channel: str,
        text: str,
        *,
        key: str | None = None,
        thread_ref: str | None = None,
        session: Session | None = None,
    ) -> bool:
        """Queue a post and, without a caller's session, deliver it now; False if ``key`` was used.

        ``thread_ref`` is the key of an earlier post: this one is replied in its thread where the
        backend has threads (and posted plainly where it has not).

        With ``session`` the post commits with the caller's own changes and goes out on the next
        ``flush()`` (the runtime flushes after every command and job).
        """
        if session is None:
            with self._db.session() as own:
                added = self._add(own, channel, text, key, thread_ref)
            self.flush()
            return added
        return self._add(session, channel, text, key, thread_ref)

    def _add(
        self, session: Session, channel: str, text: str, key: str | None, thread_ref: str | None
    ) -> bool:
        row = ChatPost(
            key=key,
            channel=channel,
            address=self.address(channel),
            text=text,
            thread_ref=thread_ref,
            created_at=self._clock.now(),
        )
        if not _insert_once(session, row):
            log.info("post %r already made; not posting again", key)
            return False
        self._maybe_pending = True
        return True

    def anchor(self, session: Session, key: str, address: str, ref: str, text: str = "") -> bool:
        """Let later posts reply in the thread of someone else's message (``thread_ref=key``).

        Threads hang off backend message ids (a Slack ``ts``); a post's own id is recorded when it
        is delivered, and a user's message (the one that opened a request, or declared an
        incident) is recorded here, as already delivered. False if ``key`` is taken.
        """
        now = self._clock.now()
        row = ChatPost(
            key=key,
            channel=address,
            address=address,
            text=text,
            ref=ref,
            created_at=now,
            delivered_at=now,
        )
        return _insert_once(session, row)

    def _parent_ref(self, key: str | None) -> str | None:
        if key is None:
            return None
        with self._db.session() as session:
            return session.scalar(select(ChatPost.ref).where(ChatPost.key == key))

    def attach(self, sink: Sink) -> int:
        """Connect a chat backend and deliver what waited; returns how many posts went out."""
        self._sink = sink
        return self.flush(everything=True)

    def detach(self) -> None:
        self._sink = None

    @property
    def attached(self) -> bool:
        return self._sink is not None

    def pending(self) -> int:
        with self._db.session() as session:
            query = (
                select(func.count()).select_from(ChatPost).where(ChatPost.delivered_at.is_(None))
            )
            return session.scalar(query) or 0

    def flush(self, everything: bool = False) -> int:
        """Deliver every undelivered post through the sink; a failed send stays queued.

        Commands and jobs call this after every run, so it skips the database unless this process
        queued something since the last flush; ``everything=True`` also picks up posts queued by
        other processes or left by a failed delivery (the scheduler's tick does that).
        """
        sink = self._sink
        if sink is None or not (self._maybe_pending or everything):
            return 0
        sent = 0
        with self._lock:
            self._maybe_pending = False
            with self._db.session() as session:
                posts = session.scalars(
                    select(ChatPost).where(ChatPost.delivered_at.is_(None)).order_by(ChatPost.id)
                ).all()
            for post in posts:
                try:
                    ref = sink(post.address, post.text, self._parent_ref(post.thread_ref))
                except Exception:
                    log.exception("chat delivery of post %s failed; it stays queued", post.id)
                    self._maybe_pending = True
                    break
                with self._db.session() as session:
                    row = session.get(ChatPost, post.id)
                    row.delivered_at, row.ref = self._clock.now(), ref
                sent += 1
        return sent


def _insert_once(session: Session, row: ChatPost) -> bool:
    """Add ``row`` in a savepoint; False (and the caller's transaction intact) if its key exists."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
