"""Waiting on real processes and threads (the fault and replica tests), with a deadline.

Time-dependent behaviour runs on the fake clock; this is only for what another process or
thread does in real time (a replica taking over, a proxy restoring a connection).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


def until(what: Callable[[], Any], timeout: float, message: str) -> Any:
    """Poll ``what`` until it is truthy and return it; fail with ``message`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := what():
            return result
        time.sleep(0.02)
    pytest.fail(message)
