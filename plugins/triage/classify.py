"""Suggesting a priority and category from a request's text.

The built-in classifier applies the active scheme's keyword rules from the process file; it is
registered ``trylast`` on the firstresult hook ``dutybot_classify_request``, so any installed
plugin (a model, a smarter parser) that answers wins. Whatever answers, the suggestion is checked
against the scheme: an unknown priority is ignored and the scheme's default is used.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from plugins.triage.settings import Rule, Scheme, section

if TYPE_CHECKING:
    from core.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Classification:
    priority: str
    category: str | None


def by_rules(scheme: Scheme, text: str) -> dict[str, Any] | None:
    """The first matching rule's priority and the first matching rule's category."""
    normalised = text.replace("\u2019", "'").lower()
    priority = category = None
    for rule in scheme.rules:
        if not _matches(rule, normalised):
            continue
        priority = priority or rule.priority
        category = category or rule.category
    if priority is None and category is None:
        return None
    return {"priority": priority, "category": category}


def classify(runtime: Runtime, text: str) -> Classification:
    """Ask the hook, then keep only what fits the active scheme."""
    scheme = section(runtime).active
    try:
        suggestion = runtime.hook.dutybot_classify_request(runtime=runtime, text=text) or {}
    except Exception:
        log.exception("a plugin failed classifying a request; using the default priority")
        suggestion = {}
    priority = (
        scheme.priority(str(suggestion.get("priority") or ""))
        if suggestion.get("priority")
        else None
    )
    if suggestion.get("priority") and priority is None:
        log.warning(
            "ignoring the suggested priority %r: not in this scheme", suggestion["priority"]
        )
    category = suggestion.get("category")
    return Classification(priority or scheme.default, str(category)[:100] if category else None)


def _matches(rule: Rule, text: str) -> bool:
    return any(_pattern(keyword).search(text) for keyword in rule.keywords)


@lru_cache(maxsize=512)
def _pattern(keyword: str) -> re.Pattern[str]:
    """A keyword as a whole word or phrase: ``down`` matches "is down", not "download"."""
    words = [re.escape(w) for w in keyword.replace("\u2019", "'").lower().split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")
