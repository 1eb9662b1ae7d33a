"""The team's fixed wording, read tolerantly.

The process reference gives the team fixed sentences ("I am declaring an incident because
[reason]. The impact is that [impact].") precisely so that tools can read them. People type them
in a hurry, so a phrase matches whatever the case, the punctuation between its words (commas,
dashes, line breaks, markdown), curly quotes and "I'm" for "I am"; its words themselves must be
there. A message that opens like a phrase but lacks a part is a near miss, answered with help.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SEP = r"[\W_]+"
_LEAD = r"^[\W_]*"
_TAIL = r"[\W_]*$"
_WORD_END = r"(?![\w'])"
_I_AM = re.compile(r"\bI'm\b", re.IGNORECASE)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_TRIM = " \t\r\n.,;:!"


def normalise(text: str) -> str:
    """Straight quotes and "I am" for "I'm", so those variants read like the template."""
    return _I_AM.sub("I am", text.translate(_QUOTES))


def _words(literal: str) -> str:
    return _SEP.join(re.escape(word) for word in re.findall(r"\w+", literal))


@dataclass(frozen=True)
class Phrase:
    """One sentence of the team's, with ``{name}`` marking what the bot reads from it."""

    template: str
    names: tuple[str, ...] = field(init=False)
    _parts: tuple[str, ...] = field(init=False, repr=False)
    _full: re.Pattern[str] = field(init=False, repr=False)
    _opening: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts = tuple(PLACEHOLDER.split(normalise(self.template)))
        object.__setattr__(self, "_parts", parts)
        object.__setattr__(self, "names", parts[1::2])
        end = _TAIL if self.names else _WORD_END
        object.__setattr__(
            self, "_full", re.compile(self._pattern(parts) + end, re.IGNORECASE | re.DOTALL)
        )
        opening = re.findall(r"\w+", parts[0])
        if len(opening) >= 3:  # "... an incident because": the connective may be what is missing
            opening = opening[:-1]
        pattern = _LEAD + _SEP.join(map(re.escape, opening)) + _WORD_END
        object.__setattr__(self, "_opening", re.compile(pattern, re.IGNORECASE))

    @staticmethod
    def _pattern(parts: tuple[str, ...], greedy_last: bool = False) -> str:
        out = [_LEAD]
        for index, part in enumerate(parts):
            if index % 2:
                lazy = "" if greedy_last and index == len(parts) - 1 else "?"
                out.append(f"(?P<{part}>.+{lazy})")
                continue
            words = _words(part)
            if not words:
                if 0 < index < len(parts) - 1:  # two placeholders side by side
                    out.append(_SEP)
                continue
            before = _SEP if index else ""
            after = _SEP if index < len(parts) - 1 else ""
            out.append(before + words + after)
        return "".join(out)

    def match(self, text: str) -> dict[str, str] | None:
        """The values read from ``text`` if it is this phrase with every part filled in."""
        found = self._full.match(normalise(text.strip()))
        if found is None:
            return None
        values = {name: found.group(name).strip(_TRIM) for name in self.names}
        return values if all(values.values()) else None

    def near_miss(self, text: str) -> str | None:
        """For a message that opens like this phrase but is not it: the first part missing.

        Returns ``""`` when the opening is all there is to recognise (no part to name), None
        when the message does not open like the phrase at all.
        """
        text = normalise(text.strip())
        if not self._opening.match(text) or self.match(text) is not None:
            return None
        for index, name in enumerate(self.names):
            pattern = self._pattern(self._parts[: 2 * index + 2], greedy_last=True)
            found = re.match(pattern, text, re.IGNORECASE | re.DOTALL)
            if found is None or not found.group(name).strip(_TRIM):
                return name
        return ""

    def example(self, **values: str) -> str:
        """The template with its parts filled in (``<reason>`` for each one not given)."""
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), f"<{m.group(1)}>"), self.template)
