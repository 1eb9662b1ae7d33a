"""The lines other plugins contribute to the checklist and the handover.

pluggy stops a hook call at the first exception, so one broken plugin would silence the 09:00
post for the whole team. When the call fails, each implementation is asked again on its own
(in pluggy's order; wrappers are left out of this degraded mode) and the failing one is
replaced by a line that says so.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from plugins.supportday.texts import text

if TYPE_CHECKING:
    from pluggy import HookCaller

    from core.runtime import Runtime

log = logging.getLogger(__name__)


def collect(runtime: Runtime, caller: HookCaller, **kwargs: Any) -> list[str]:
    """Every non-empty line the implementations of ``caller`` return, in call order."""
    kwargs["runtime"] = runtime
    try:
        results = caller(**kwargs)
    except Exception:
        log.exception("a plugin failed in %s; asking each plugin on its own", caller.name)
        results = _one_by_one(runtime, caller, kwargs)
    return [str(line) for lines in results for line in lines or [] if line]


def _one_by_one(runtime: Runtime, caller: HookCaller, kwargs: dict[str, Any]) -> list[list[str]]:
    results = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.wrapper or impl.hookwrapper:
            continue
        try:
            results.append(impl.function(*(kwargs[name] for name in impl.argnames)))
        except Exception:
            log.exception("plugin %s failed in %s", impl.plugin_name, caller.name)
            results.append([text(runtime, "plugin_failed")])
    return results
