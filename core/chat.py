"""Chat without a chat backend: inbound messages as data, outbound posts through a durable outbox.

Features post with ``runtime.chat.post("team", text)``; the post is stored first and delivered
by whichever chat connection is attached (the Errbot bridge attaches one when it activates).
While chat is disconnected posts wait in the table and go out, in order, on reconnection.
Every post is stored neutralised (core/mentions.py): text a user or an alert put in it cannot
mention a whole channel.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.mentions import neutralise
from core.models import ChatPost

if TYPE_CHECKING:
    from core.clock import Clock
    from core.db import Database
    from core.process import Person, Process

log = logging.getLogger(__name__)

Sink = Callable[[str, str, str | None], str | None]
"""Delivers ``text`` to a channel or person ``address``, in the thread of the backend message
``parent_ref`` if given; returns the backend's id of the sent message where it has one."""

FileSink = Callable[[str, str, str, bytes, str | None], str | None]
"""Uploads a file ``(address, caption, file name, data, parent_ref)``; returns the backend's id
where it has one. Only backends that can show files attach one (``ChatOutbox.attach``)."""

NO_FILES = "(not attached: this chat backend cannot upload files)"
"""Said instead of a file where the attached backend has no file sink (text, test consoles)."""
RETRY_FIRST, RETRY_MAX = timedelta(seconds=10), timedelta(minutes=5)
"""After a failed send, its address is tried again after 10 s, then 20 s, 40 s… up to 5 min."""
_INSERT_ONCE = {  # per dialect, built once: the columns come from each call's parameters
    name: insert(ChatPost.__table__)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(ChatPost.__table__.c.id)
    for name, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


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


@dataclass(frozen=True)
class ChatReaction:
    """Someone added (``added``) or removed an emoji reaction on a message, as plugins see it.

    ``emoji`` is the backend's name without colons or skin tone (Slack: ``memo``; a backend that
    reports the character gives ``📝``). ``message_id`` is the reacted-to message's id, the
    ``message_id`` it had as an ``InboundMessage``; its text is there only if the backend says
    it (Slack does not: a plugin that needs it keeps the messages it cares about).
    """

    reactor: str
    person: Person | None
    emoji: str
    added: bool
    message_id: str | None
    channel: str | None
    channel_name: str | None
    thread_id: str | None = None
    text: str | None = None


class ChatOutbox:
    """Stores posts and delivers them through the attached sink, oldest first."""

    def __init__(self, db: Database, clock: Clock, process: Process) -> None:
        self._db = db
        self._clock = clock
        self._process = process
        self._sink: Sink | None = None
        self._file_sink: FileSink | None = None
        self._lock = threading.Lock()
        self._maybe_pending = True
        self._backoff: dict[str, tuple[datetime, timedelta]] = {}  # address -> (retry at, delay)

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

    def post_file(
        self,
        channel: str,
        caption: str,
        name: str,
        data: bytes,
        *,
        key: str | None = None,
        thread_ref: str | None = None,
        session: Session | None = None,
    ) -> bool:
        """Queue a file (a chart PNG) like ``post``: stored first, idempotent by ``key``.

        Delivered through the file sink where the backend has one; otherwise the caption goes
        out as text with the file's name and ``NO_FILES``, so readers know something is missing.
        """
        if session is None:
            with self._db.session() as own:
                added = self._add(own, channel, caption, key, thread_ref, (name, data))
            self.flush()
            return added
        return self._add(session, channel, caption, key, thread_ref, (name, data))

    def _add(
        self,
        session: Session,
        channel: str,
        text: str,
        key: str | None,
        thread_ref: str | None,
        file: tuple[str, bytes] | None = None,
    ) -> bool:
        added = _insert_once(
            session,
            key=key,
            channel=channel,
            address=self.address(channel),
            text=neutralise(text),
            thread_ref=thread_ref,
            created_at=self._clock.now(),
            file_name=file[0] if file else None,
            file_data=file[1] if file else None,
        )
        if not added:
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
        return _insert_once(
            session,
            key=key,
            channel=address,
            address=address,
            text=text,
            ref=ref,
            created_at=now,
            delivered_at=now,
        )

    def _parent_ref(self, key: str | None) -> str | None:
        if key is None:
            return None
        with self._db.session() as session:
            return session.scalar(select(ChatPost.ref).where(ChatPost.key == key))

    def attach(self, sink: Sink, file_sink: FileSink | None = None) -> int:
        """Connect a chat backend and deliver what waited; returns how many posts went out.

        ``file_sink`` is given only by backends that can upload files; without it file posts
        are delivered as text saying the file could not be attached.
        """
        self._sink = sink
        self._file_sink = file_sink
        self._backoff.clear()  # a new connection: every address deserves a fresh try
        return self.flush(everything=True)

    def detach(self) -> None:
        self._sink = None
        self._file_sink = None

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

        A failed send holds the later posts to the same address (they keep their order) but not
        the others: an address the backend refuses for good (a typo, an archived channel) must
        not stop every other post.

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
            failed: set[str] = set()
            now = self._clock.now()
            for post in posts:
                if post.address in failed or self._waiting(post.address, now):
                    self._maybe_pending = True
                    continue
                try:
                    ref = self._send(sink, post)
                except Exception:
                    self._failed(post, now)
                    failed.add(post.address)
                    continue
                self._backoff.pop(post.address, None)
                with self._db.session() as session:
                    row = session.get(ChatPost, post.id)
                    row.delivered_at, row.ref = self._clock.now(), ref
                sent += 1
        return sent

    def _waiting(self, address: str, now: datetime) -> bool:
        backoff = self._backoff.get(address)
        return backoff is not None and now < backoff[0]

    def _failed(self, post: ChatPost, now: datetime) -> None:
        """Keep the post and try its address again later, waiting longer after each failure.

        An address the backend refuses for good would otherwise be retried on every tick, with a
        traceback each time; the first failure is logged in full, the retries in one line.
        """
        previous = self._backoff.get(post.address)
        delay = min(previous[1] * 2, RETRY_MAX) if previous else RETRY_FIRST
        self._backoff[post.address] = (now + delay, delay)
        self._maybe_pending = True
        if previous is None:
            log.exception("chat delivery of post %s failed; it stays queued", post.id)
        else:
            log.warning("chat delivery of post %s failed again; next try in %s", post.id, delay)

    def _send(self, sink: Sink, post: ChatPost) -> str | None:
        parent = self._parent_ref(post.thread_ref)
        if post.file_name is None:
            return sink(post.address, post.text, parent)
        file_sink = self._file_sink
        if file_sink is not None and post.file_data is not None:
            return file_sink(post.address, post.text, post.file_name, post.file_data, parent)
        return sink(post.address, f"{post.text} [{post.file_name}] {NO_FILES}", parent)


def _insert_once(session: Session, **values: Any) -> bool:
    """Insert a post unless its key exists (False then), leaving the caller's transaction intact.

    One ``INSERT … ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL both have it) rather than a
    savepoint around an ORM add, run on the session's connection rather than through the ORM:
    posts are made on hot paths (every new alarm) where either would cost more than the insert.
    """
    connection = session.connection()
    statement = _INSERT_ONCE[connection.dialect.name]
    return connection.execute(statement, values).first() is not None  # rowcount: -1 on psycopg
