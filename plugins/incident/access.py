"""Who may do what with incidents; the process file's [acl] can change every default."""

from __future__ import annotations

from core.commands import Permission

DECLARE = Permission("incident.declare", "declare incidents (which may page the on-call engineer)")
RESPOND = Permission(
    "incident.respond",
    "take incident roles, set priorities and key times, add notes and post updates",
)
OVERRIDE = Permission(
    "incident.override",
    "resolve or hand over an incident's roles without being its lead, and cancel incidents",
    default=("admins",),
)
