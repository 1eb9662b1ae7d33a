"""The support day's chat commands: ``!checklist`` and ``!handover``."""

from __future__ import annotations

from core.commands import Command, CommandContext, Permission, UsageError
from plugins.supportday import checklist, notes

FEATURE = "Support day"
CHECKLIST = Permission("supportday.checklist", "claim and tick the day's checklist")
HANDOVER = Permission("supportday.handover", "add handover notes for on-call")


def show_checklist(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError(
            f"`checklist` takes no arguments; did you mean `{ctx.prefix}checklist done N`?"
        )
    return checklist.show(ctx.runtime)


def checklist_done(ctx: CommandContext) -> str:
    return checklist.tick(ctx.runtime, ctx.require_person(), ctx.words())


def checklist_claim(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError("`checklist claim` takes no arguments.")
    return checklist.claim(ctx.runtime, ctx.require_person())


def show_handover(ctx: CommandContext) -> str:
    if ctx.words():
        raise UsageError(
            f"`handover` takes no arguments; to add a note use `{ctx.prefix}handover add <text>`."
        )
    return notes.show(ctx.runtime)


def handover_add(ctx: CommandContext) -> str:
    # The raw text, not shell words: a note may hold quotes and apostrophes ("don't restart").
    return notes.add(ctx.runtime, ctx.require_person(), ctx.args)


def commands() -> list[Command]:
    return [
        Command(
            "checklist",
            FEATURE,
            "Show today's checklist: who claimed it and who ticked what.",
            "checklist",
            show_checklist,
        ),
        Command(
            "checklist done",
            FEATURE,
            "Tick items of today's checklist by number.",
            "checklist done N [N ...]",
            checklist_done,
            permission=CHECKLIST,
        ),
        Command(
            "checklist claim",
            FEATURE,
            "Claim today's checklist: you see it through.",
            "checklist claim",
            checklist_claim,
            permission=CHECKLIST,
        ),
        Command(
            "handover",
            FEATURE,
            "Show the notes waiting for the next handover.",
            "handover",
            show_handover,
        ),
        Command(
            "handover add",
            FEATURE,
            "Add a note for the next handover (to on-call, or from on-call to the morning).",
            "handover add <text>",
            handover_add,
            permission=HANDOVER,
        ),
    ]
