"""Loading plugins: the built-in features first, then extras installed with pip.

Built-ins are registered by module name exactly as a third-party plugin would be (the datasette
model), so an installed plugin can override them with ``tryfirst`` or a firstresult hook.
``check_pending`` runs last: an implementation of a hook that does not exist (a typo) stops
start-up with the plugin and hook named, instead of silently never being called.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import pluggy

from core import PROJECT, hookspecs

log = logging.getLogger(__name__)

DEFAULT_PLUGINS: dict[str, str] = {
    "system": "plugins.system",
    "team": "plugins.team",
    "rota": "plugins.rota.hooks",
    "supportday": "plugins.supportday.hooks",
    "oncall": "plugins.oncall.hooks",
    "pager": "plugins.pager.hooks",
    "alarms": "plugins.alarms.hooks",
    "incident": "plugins.incident.hooks",
    "triage": "plugins.triage.hooks",
    "postmortem": "plugins.postmortem.hooks",
    "metrics": "plugins.metrics.hooks",
}
"""Built-in feature plugins: the name a process file disables them by, and the module."""


class PluginError(RuntimeError):
    """A plugin cannot be loaded; start-up stops with this message."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    source: str


def build_plugin_manager(
    disabled: Iterable[str] = (), extra: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Register built-ins and entry-point plugins (minus ``disabled``) and validate every hook."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = set(disabled)
    for name in disabled:
        pm.set_blocked(name)
    for name, module in DEFAULT_PLUGINS.items():
        if name not in disabled:
            _register(pm, importlib.import_module(module), name)
    try:
        pm.load_setuptools_entrypoints(PROJECT)
    except Exception as exc:
        raise PluginError(f"an installed dutybot plugin failed to import: {exc!r}") from exc
    for plugin in extra:
        _register(pm, plugin, None)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r}: {exc}") from exc
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, name: str | None) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {name or exc.plugin!r}: {exc}") from exc


def describe(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Each loaded plugin with where it came from: built-in, or the distribution that installed it."""
    dists = {
        id(plugin): f"{dist.project_name} {dist.version}"
        for plugin, dist in pm.list_plugin_distinfo()
    }
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        source = dists.get(id(plugin)) or (
            "built-in" if name in DEFAULT_PLUGINS else "registered in code"
        )
        infos.append(PluginInfo(name=name, source=source))
    return sorted(infos, key=lambda i: (i.source != "built-in", i.name))
