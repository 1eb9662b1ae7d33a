"""A request's template fields: read from command options and from ``field: value`` lines.

Users give them either way: ``!request new Deploys fail --service payments --env prod`` or, in the
request's thread, a reply with lines such as ``service: payments``. Environments match by a
unique prefix of the process file's list, so ``prod`` is ``production``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.commands import UsageError
from plugins.triage.settings import TriageSection

if TYPE_CHECKING:
    from core.process import Process
    from plugins.triage.models import Request

OPTION_NAMES = {
    "service": "service",
    "env": "environment",
    "environment": "environment",
    "impact": "impact",
    "contact": "contact",
    "description": "description",
    "category": "category",
}
"""Option (``--env``) or line (``env:``) name → request field."""

OPTION_HINTS = {
    "service": "--service NAME",
    "environment": "--env ENVIRONMENT",
    "impact": "--impact TEXT",
    "description": "--description TEXT",
    "contact": "--contact @person",
}
LIMITS = {"service": 200, "environment": 50, "contact": 200, "category": 100}
_OPTION = re.compile(r"(?:^|\s+)--([A-Za-z][A-Za-z-]*)(?=\s|$)")
_LINE = re.compile(
    r"^\s*(service|env|environment|impact|contact|description|category)\s*:\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_HANDLE = re.compile(r"^<?(@[\w.-]+)>?$")


class FieldError(ValueError):
    """A field's value is not acceptable; the message says why and what would be."""


def split_options(text: str, allowed: Iterable[str]) -> tuple[str, dict[str, str]]:
    """``"summary words --flag value words --other x"`` → (``"summary words"``, raw values).

    Values run to the next option, so ``--impact users cannot log in`` needs no quotes, and an
    apostrophe in a summary (``can't deploy``) is just a character.
    """
    allowed = set(allowed)
    parts = _OPTION.split(text.strip())
    values: dict[str, str] = {}
    for name, value in zip(parts[1::2], parts[2::2], strict=True):
        field = OPTION_NAMES.get(name.lower())
        if field is None or field not in allowed:
            known = ", ".join(sorted(f"--{n}" for n, f in OPTION_NAMES.items() if f in allowed))
            raise UsageError(f"Unknown option --{name} (known: {known}).")
        if field in values:
            raise UsageError(f"--{name} is given twice.")
        value = _unquote(value.strip())
        if not value:
            raise UsageError(f"--{name} needs a value.")
        values[field] = value
    return _unquote(parts[0].strip()), values


def field_lines(text: str) -> dict[str, str]:
    """The ``field: value`` lines of a message (the last one wins for a field given twice)."""
    return {OPTION_NAMES[name.lower()]: value for name, value in _LINE.findall(text)}


def clean(settings: TriageSection, process: Process, values: dict[str, str]) -> dict[str, str]:
    """Validate and normalise raw field values; FieldError names the first bad one."""
    cleaned: dict[str, str] = {}
    for field, raw in values.items():
        value = raw.strip()
        if field == "environment":
            value = environment(settings, value)
        elif field == "contact":
            value = contact(process, value)
        limit = LIMITS.get(field)
        if limit is not None and len(value) > limit:
            raise FieldError(f"The {field} is too long (at most {limit} characters).")
        cleaned[field] = value
    return cleaned


def environment(settings: TriageSection, value: str) -> str:
    """The environment ``value`` names, exactly or by a unique prefix (``prod``)."""
    wanted = value.lower()
    exact = [e for e in settings.environments if e.lower() == wanted]
    matches = exact or [e for e in settings.environments if e.lower().startswith(wanted)]
    if len(matches) != 1 or not wanted:
        raise FieldError(
            f"I don't know the environment {value!r}: use {or_list(settings.environments)}."
        )
    return matches[0]


def contact(process: Process, value: str) -> str:
    """A contact as a chat handle: ``@alex`` (or ``<@U123>``), or a team member's id."""
    person = process.person(value.removeprefix("@"))
    if person is not None:
        return person.chat
    match = _HANDLE.match(value)
    if match is None:
        raise FieldError(f"Give the contact as a chat handle such as @alex, not {value!r}.")
    return match.group(1)


def missing(settings: TriageSection, request: Request) -> list[str]:
    """The process file's template fields this request has no value for, in asking order."""
    return [f for f in settings.fields if not getattr(request, f)]


def ask_lines(settings: TriageSection, fields: list[str]) -> list[str]:
    """What to write in a thread reply for each missing field."""
    hints = {
        "service": "service: <the name of the service>",
        "environment": f"environment: {or_list(settings.environments)}",
        "impact": "impact: <how this affects your service>",
        "description": "description: <what is wrong>",
        "contact": "contact: <@who we should talk to>",
    }
    return [hints[f] for f in fields]


def or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _unquote(value: str) -> str:
    quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'"
    if quoted and value[0] not in value[1:-1]:
        return value[1:-1].strip()
    return value
