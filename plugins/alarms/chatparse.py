"""Reading alerts other tools post in the alarm channels, so a team can adopt dutybot first.

The built-in parser knows the subject line of Alertmanager's default Slack template:
``[FIRING:2] CPU-High node-exporter (live warning)`` -- status and count, the group labels'
values, and in brackets the other common labels' values. The message carries no fingerprint,
so the group's label values are the dedup key: the best identity the message has, and never
its summary text.
"""

from __future__ import annotations

import re
from typing import Any

_MARKUP = re.compile(r"[*`]")
_SUBJECT = re.compile(r"\*?\[(FIRING|RESOLVED)(?::(\d+))?\]\*?\s+(.+)")


def parse_alertmanager_slack(text: str) -> list[dict[str, Any]] | None:
    """The message as one alert of the generic shape, or None when it is not such a message."""
    first, _, rest = text.strip().partition("\n")
    match = _SUBJECT.fullmatch(first.strip())
    if match is None:
        return None
    status, _count, subject = match.groups()
    values = subject.split(" (", 1)[0].strip(" *").split()
    if not values:
        return None
    key = "slack:" + " ".join(values)
    details = [
        _MARKUP.sub("", line).strip() for line in rest.splitlines() if _MARKUP.sub("", line).strip()
    ]
    return [
        {
            "title": values[0],
            "dedup_key": key,
            "group_key": key,
            "status": "firing" if status == "FIRING" else "resolved",
            "labels": {"alertname": values[0]},
            "summary": details[0] if details else "",
            "description": "\n".join(details[1:]),
        }
    ]
