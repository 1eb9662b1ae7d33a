"""User happiness: the requester rates a resolved request 1-5 with ``!rate ID N``.

When a request is resolved the requester is asked in its thread (or directly, for a request
opened with ``!request new``, which has no thread). Only the requester may rate, as PagerDuty and
Zendesk ask only the requester: a rating given on someone's behalf would measure the team's
opinion of itself, so nobody (admins included) can rate another person's request. Rating again
replaces the earlier rating; reopening a request keeps it until it is rated again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.commands import Command, CommandContext, CommandError, UsageError
from plugins.triage import text
from plugins.triage.events import transaction
from plugins.triage.models import RESOLVED, Rating, Request
from plugins.triage.service import load

if TYPE_CHECKING:
    from core.runtime import Runtime

LOWEST, HIGHEST = 1, 5
USAGE = "rate ID N"


def ask(runtime: Runtime, session: Session, request: Request) -> None:
    """Ask the requester for a rating, once per resolution (the key carries its time)."""
    assert request.resolved_at is not None
    question = (
        f"{request.requester}, {request.ref} is resolved. How did we do? Rate it from "
        f"{LOWEST} (poor) to {HIGHEST} (great) with !rate {request.ref} N."
    )
    key = f"triage:rate:{request.id}:{request.resolved_at:%Y%m%dT%H%M%S}"
    if request.message_id is None:
        runtime.chat.post(request.requester, question, key=key, session=session)
        return
    runtime.chat.post(
        request.room or "support",
        question,
        key=key,
        thread_ref=text.thread_key(request.id),
        session=session,
    )


def rate(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) != 2:
        raise UsageError(f"Give the request's id and a rating from {LOWEST} to {HIGHEST}.")
    ref, raw = words
    if not raw.isdigit() or not LOWEST <= int(raw) <= HIGHEST:
        raise UsageError(
            f"'{raw}' is not a rating: give a whole number from {LOWEST} to {HIGHEST}."
        )
    runtime = ctx.runtime
    with transaction(runtime) as session:
        request = load(session, ref)
        if ctx.sender.removeprefix("@") != request.requester.removeprefix("@"):
            raise CommandError(f"Only the requester of {request.ref} can rate it.")
        if request.state != RESOLVED:
            raise CommandError(f"{request.ref} is not resolved yet; rate it once it is.")
        existing = session.scalar(select(Rating).where(Rating.request_id == request.id))
        now = runtime.clock.now()
        if existing is None:
            session.add(
                Rating(request_id=request.id, rating=int(raw), rated_by=ctx.sender, rated_at=now)
            )
            return f"Thanks! You rated {request.ref} {raw} out of {HIGHEST}."
        existing.rating, existing.rated_by, existing.rated_at = int(raw), ctx.sender, now
        return f"Thanks! Your rating of {request.ref} is now {raw} out of {HIGHEST}."


def commands(feature: str) -> list[Command]:
    return [
        Command(
            "rate",
            feature,
            f"Rate how your resolved request went, {LOWEST} (poor) to {HIGHEST} (great).",
            USAGE,
            rate,
        )
    ]
