"""The framework's own commands and routes: status, loaded plugins, health check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from core import hookimpl
from core.commands import Command, CommandContext, Permission, UsageError
from core.models import AuditEntry
from core.plugin_manager import describe
from core.receiver import Route

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from core.runtime import Runtime

FEATURE = "dutybot"
AUDIT = Permission("dutybot.audit", "read the audit log", default=("admins",))
AUDIT_LIMIT = 100


def status(ctx: CommandContext) -> str:
    runtime = ctx.runtime
    process = runtime.process
    receiver = runtime.receiver
    scheduler = runtime.scheduler
    lines = [
        f"dutybot {runtime.version}",
        f"Database: {runtime.db.display_url} ({runtime.db.dialect})",
        f"Process: {process.source}: {process.core.team.name}, {len(process.people)} people, "
        f"timezone {process.core.team.timezone}",
        "Plugins: " + ", ".join(f"{p.name} ({p.source})" for p in describe(runtime.pm)),
        f"Scheduler: {'running' if scheduler.running else 'off'}, {len(scheduler.jobs)} jobs"
        + (f"; this replica is {runtime.leadership.describe()}" if scheduler.running else ""),
        (
            f"Webhook receiver: listening on {runtime.settings.http_host}:{receiver.port}, "
            f"{len(receiver.routes)} routes"
            if receiver.running
            else "Webhook receiver: off"
        ),
        f"Chat: {'connected' if runtime.chat.attached else 'disconnected'}, "
        f"{runtime.chat.pending()} posts waiting",
    ]
    for extra in runtime.hook.dutybot_status(runtime=runtime):
        lines.extend(extra or [])
    return "\n".join(lines)


def plugins(ctx: CommandContext) -> str:
    infos = describe(ctx.runtime.pm)
    return "Loaded plugins:\n" + "\n".join(f"- {info.name}: {info.source}" for info in infos)


def audit(ctx: CommandContext) -> str:
    words = ctx.words()
    if (
        len(words) > 1
        or (words and not words[0].isdigit())
        or (words and not 1 <= int(words[0]) <= AUDIT_LIMIT)
    ):
        raise UsageError(f"Give how many entries to show, a number from 1 to {AUDIT_LIMIT}.")
    count = int(words[0]) if words else 10
    with ctx.runtime.db.session() as session:
        entries = session.scalars(
            select(AuditEntry).order_by(AuditEntry.id.desc()).limit(count)
        ).all()
    if not entries:
        return "The audit log is empty."
    fmt = ctx.runtime.calendars.format
    return "Audit log, newest first:\n" + "\n".join(
        f"- {fmt(e.at)} {e.actor}: {e.action} {e.subject} {e.detail}".rstrip() for e in entries
    )


@hookimpl
def dutybot_commands() -> list[Command]:
    return [
        Command(
            "dutybot status",
            FEATURE,
            "Show the version, database, plugins and services.",
            "dutybot status",
            status,
        ),
        Command(
            "dutybot plugins",
            FEATURE,
            "List the loaded plugins and where each came from.",
            "dutybot plugins",
            plugins,
        ),
        Command(
            "dutybot audit",
            FEATURE,
            "Show the latest changes: who did what, when.",
            "dutybot audit [COUNT]",
            audit,
            permission=AUDIT,
        ),
    ]


@hookimpl
def dutybot_webhook_routes(runtime: Runtime) -> list[Route]:
    def health(_request: Request, _args: Any) -> tuple[int, dict[str, str]]:
        scheduler = runtime.leadership.role if runtime.scheduler.running else "off"
        return 200, {"status": "ok", "version": runtime.version, "scheduler": scheduler}

    return [Route("GET", "/healthz", health, limited=False)]  # the load balancer's checks
