"""dutybot's chat-agnostic core: hook specifications and the services every feature shares.

Plugin authors need only ``hookimpl`` from here::

    from core import hookimpl

    @hookimpl
    def dutybot_commands():
        ...
"""

from importlib.metadata import PackageNotFoundError, version

import pluggy

PROJECT = "dutybot"
hookimpl = pluggy.HookimplMarker(PROJECT)

try:
    __version__ = version(PROJECT)
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"

__all__ = ["PROJECT", "hookimpl", "__version__"]
