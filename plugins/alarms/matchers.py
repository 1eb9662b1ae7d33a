"""Alertmanager's label matchers (``severity="critical"``, ``severity=~"info-.*"``).

Routes in the process file use the syntax people already write in ``alertmanager.yml``, with
the same semantics: ``=`` and ``!=`` compare exactly, ``=~`` and ``!~`` match a regular
expression anchored at both ends, and a missing label is the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


@dataclass(frozen=True)
class Matcher:
    """One ``label op "value"`` condition."""

    label: str
    op: str
    value: str
    pattern: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, text: str) -> Matcher:
        match = _MATCHER.fullmatch(text)
        if match is None:
            raise ValueError(f'{text!r}: expected label="value" (operators =, !=, =~, !~)')
        label, op, raw = match.groups()
        value = re.sub(r"\\(.)", r"\1", raw)
        pattern = None
        if op in ("=~", "!~"):
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise ValueError(f"{text!r}: bad regular expression: {exc}") from exc
        return cls(label, op, value, pattern)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.pattern is not None:
            return (self.pattern.fullmatch(actual) is not None) == (self.op == "=~")
        return (actual == self.value) == (self.op == "=")

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'
