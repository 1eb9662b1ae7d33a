"""The docs keep up with the code: every hook is documented with an example."""

from __future__ import annotations

import re

from core import hookspecs
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def hook_names() -> list[str]:
    return sorted(name for name in vars(hookspecs) if name.startswith("dutybot_"))


def documented_sections() -> dict[str, str]:
    """Each ``### dutybot_…`` heading in docs/ mapped to the text up to the next heading."""
    sections: dict[str, str] = {}
    for path in DOCS.rglob("*.md"):
        parts = re.split(r"^### (dutybot_\w+)\s*$", path.read_text(encoding="utf-8"), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            sections[name] = re.split(r"^#{1,3} ", body, maxsplit=1, flags=re.M)[0]
    return sections


def test_every_hook_has_a_docs_section_with_a_python_example() -> None:
    sections = documented_sections()
    missing = [name for name in hook_names() if name not in sections]
    assert not missing, f"hooks without a '### name' section in docs/: {missing}"
    without_example = [name for name in hook_names() if "```python" not in sections[name]]
    assert not without_example, f"hook docs without a ```python example: {without_example}"


def test_docs_name_no_hook_that_does_not_exist() -> None:
    assert set(documented_sections()) <= set(hook_names())


def test_every_hookspec_has_a_one_line_docstring() -> None:
    for name in hook_names():
        doc = getattr(hookspecs, name).__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), name
