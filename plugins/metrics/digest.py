"""The weekly digest: last week's figures and charts, posted to the team on Monday morning.

It runs at ``digest_time`` on every working day and posts once per week: the posts' keys name
the week, so a bank-holiday Monday moves the digest to Tuesday, and neither a restart nor a
second replica can post it twice (the scheduler claims each fire time once; the keys hold
across fire times). Charts are file posts: uploaded where the backend can, said in text where not.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.models import ChatPost
from core.scheduler import Job
from plugins.metrics import periods, render
from plugins.metrics.collect import collect
from plugins.metrics.settings import section

if TYPE_CHECKING:
    from core.runtime import Runtime

JOB = "metrics.digest"


def jobs(runtime: Runtime) -> list[Job]:
    settings = section(runtime)
    if not settings.digest:
        return []
    at = settings.digest_time
    cron = f"{at.minute} {at.hour} * * mon-fri"
    return [Job(JOB, cron, lambda fire_time: post_digest(runtime, fire_time), days="working")]


def key(period: periods.Period) -> str:
    return f"{JOB}:{period.first.isoformat()}"


def post_digest(runtime: Runtime, fire_time: datetime) -> bool:
    """Post last week's digest unless this week's already went out; True if it was posted now."""
    week = periods.previous("week", fire_time, runtime.calendars.tz)
    text_key = key(week)
    with runtime.db.session() as session:
        if session.scalar(select(ChatPost.id).where(ChatPost.key == text_key)) is not None:
            return False
    from plugins.metrics import charts  # matplotlib costs start-up 0.3 s; load it when drawing

    figures = collect(runtime, week.start, week.end)
    channel = section(runtime).channel
    lines = [f"*Weekly figures: {week.label}*"]
    lines += [f"- {render.section_line(name, items)}" for name, items in figures.items()]
    images = [
        (name, png)
        for name, items in figures.items()
        if (png := charts.section_png(name, items, week.label)) is not None
    ]
    with runtime.db.session() as session:
        if not runtime.chat.post(channel, "\n".join(lines), key=text_key, session=session):
            return False
        for name, png in images:
            runtime.chat.post_file(
                channel,
                f"{render.title(name)} — {week.label}",
                f"{name}-{week.first.isoformat()}.png",
                png,
                key=f"{text_key}:{name}",
                thread_ref=text_key,
                session=session,
            )
    return True
