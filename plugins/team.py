"""The team as the process file describes it: who you are, who is in the team."""

from __future__ import annotations

from core import hookimpl
from core.commands import Command, CommandContext, UsageError

FEATURE = "Team"


def whoami(ctx: CommandContext) -> str:
    words = ctx.words()
    if len(words) > 1:
        raise UsageError("Name at most one person.")
    person = ctx.person_arg(words[0]) if words else ctx.require_person()
    runtime = ctx.runtime
    process = runtime.process
    groups = sorted(name for name, members in process.core.groups.items() if person.id in members)
    roles = [
        line
        for lines in runtime.hook.dutybot_person_roles(runtime=runtime, person=person.id)
        for line in lines or []
    ]
    permissions = sorted(p.name for p in runtime.acl.permissions if runtime.acl.allows(person, p))
    lines = [
        f"{'You are' if person == ctx.person else 'That is'} {person.name} ({person.id}), chat {person.chat}.",
        f"Groups: {', '.join(groups) or 'none'}",
        f"Permissions: {', '.join(permissions) or 'none'}",
        "Rotas:" if roles else "Rotas: none",
        *(f"- {role}" for role in sorted(roles)),
    ]
    return "\n".join(lines)


def team(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`team` takes no arguments.")
    process = ctx.runtime.process
    people = "\n".join(f"- {p.name} ({p.id}, {p.chat})" for p in process.people)
    groups = "\n".join(
        f"- {name}: {', '.join(members)}" for name, members in sorted(process.core.groups.items())
    )
    return f"{process.core.team.name}: {len(process.people)} people\n{people}\nGroups:\n{groups or '- none'}"


@hookimpl
def dutybot_commands() -> list[Command]:
    return [
        Command(
            "whoami",
            FEATURE,
            "Show who you are (or someone is) to dutybot: groups, rotas, permissions.",
            "whoami [@person]",
            whoami,
        ),
        Command("team", FEATURE, "List the people and groups of the team.", "team", team),
    ]
