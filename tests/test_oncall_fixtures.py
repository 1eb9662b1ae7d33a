"""Helpers shared by the on-call tests (this module holds no tests of its own).

``start(make_runtime, oncall=...)`` builds a runtime on a process file with the demo team and
the given ``[oncall]`` section, with every other feature plugin disabled so that the only posts
are the on-call plugin's. ``Desk`` runs commands as a chat user would and collects what the
runtime posts, so tests assert exact replies and that nothing unexpected was said.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

from core.plugin_manager import DEFAULT_PLUGINS
from core.runtime import Runtime

KEEP = ("system", "team", "oncall")
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan")
NAMES = {
    "alice": "Alice Archer",
    "bob": "Bob Baker",
    "carol": "Carol Chen",
    "dave": "Dave Dhillon",
    "erin": "Erin Evans",
    "frank": "Frank Fischer",
    "grace": "Grace Gupta",
    "heidi": "Heidi Horvat",
    "ivan": "Ivan Ivanov",
}


def process(oncall: str) -> str:
    """A process file: the demo team, admins alice, leads alice and dave, and ``[oncall]``."""
    disabled = ", ".join(f'"{name}"' for name in DEFAULT_PLUGINS if name not in KEEP)
    people = "\n".join(
        f'[[people]]\nid = "{pid}"\nname = "{NAMES[pid]}"\nchat = "@{pid}"\n' for pid in PEOPLE
    )
    return (
        '[team]\nname = "Platform"\ntimezone = "Europe/London"\n\n'
        '[channels]\nteam = "#team"\n\n'
        f"[plugins]\ndisabled = [{disabled}]\n\n"
        f"{people}\n"
        '[groups]\nadmins = ["alice"]\nleads = ["alice", "dave"]\n\n'
        f"[oncall]\n{textwrap.dedent(oncall).strip()}\n"
    )


class Desk:
    """A runtime driven like chat: ``ask`` runs a command line, ``posts`` collects what was posted."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.posts: list[tuple[str, str]] = []
        runtime.chat.attach(lambda address, text, _thread: self.posts.append((address, text)))

    def ask(self, line: str, as_user: str = "@alice") -> str:
        """Run ``!command args`` as ``as_user``; the longest command name that matches wins."""
        words = line.removeprefix("!").split(" ")
        for cut in range(len(words), 0, -1):
            name = " ".join(words[:cut])
            if name in self.runtime.commands:
                return self.runtime.run_command(name, " ".join(words[cut:]), as_user)
        raise AssertionError(f"no command in {line!r}")

    def pop(self) -> tuple[str, str]:
        assert self.posts, "nothing was posted"
        return self.posts.pop(0)

    def assert_quiet(self) -> None:
        assert self.posts == [], self.posts


def start(make_runtime: Callable[..., Runtime], oncall: str, **overrides: Any) -> Desk:
    return Desk(make_runtime(process=process(oncall), **overrides))
