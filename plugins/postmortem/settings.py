"""The ``[postmortem]`` section of the process file.

Every default is the one in the process reference (and in core/default_process.toml, which
documents each key); the team changes them in its process file, never in code.
"""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import Field

from core.process import StrictModel

SECTION = "postmortem"
SUPPORT = "support"
WALL = "wall"


class PostmortemSection(StrictModel):
    """Which incidents get a postmortem, how durations count, where the log goes, when reviews are."""

    priorities: list[str] = Field(default_factory=lambda: ["high"])
    durations: Literal["support", "wall"] = SUPPORT
    directory: str = ""
    review_within_days: int = Field(default=5, ge=1)
    review_time: time = time(14, 0)
    reminder_time: time = time(9, 30)
    remind_unpublished_after_days: int = Field(default=7, ge=1)
