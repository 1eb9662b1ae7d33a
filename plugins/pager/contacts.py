"""Contact methods given by reference, so no secret sits in the process file.

A reference is ``env:NAME`` (an environment variable holding an apprise URL) or ``file:PATH`` (a
secrets file whose content is one apprise URL, as Docker and Kubernetes mount them). The URL is
looked up each time it is needed, so a rotated secret takes effect without a restart, and it is
only ever shown through apprise's privacy rendering (``url(privacy=True)``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import apprise
from pydantic import AfterValidator

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ASSET = apprise.AppriseAsset(service_timeout=0)
"""No service deadline: a single URL is then sent in the calling (our) thread, not apprise's
small shared pool; our own per-attempt bound is the socket timeout set on each service."""


class ContactError(ValueError):
    """A reference cannot be turned into a usable apprise URL; the message never holds the URL."""


def _check_form(ref: str) -> None:
    scheme, sep, rest = ref.partition(":")
    if not sep or scheme not in ("env", "file") or not rest:
        raise ValueError(  # the value is not repeated: it may be a URL with its secret
            "not a reference: write the URL into an environment variable or a secrets file and "
            "give env:NAME or file:PATH here"
        )
    if scheme == "env" and not _ENV_NAME.fullmatch(rest):
        raise ValueError(f"{ref!r}: {rest!r} is not an environment variable name")


def check_contact(ref: str) -> str:
    """Validate a reference's form and that it resolves to a URL apprise can use."""
    _check_form(ref)
    service(ref)
    return ref


def check_heartbeat(ref: str) -> str:
    """Like ``check_contact``, but a plain ``http(s)://`` URL is fine too (it is fetched)."""
    _check_form(ref)
    if not is_plain_http(resolve(ref)):
        service(ref)
    return ref


def is_plain_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


ContactRef = Annotated[str, AfterValidator(check_contact)]
"""A process-file value naming where an apprise URL is kept (validated at start-up)."""

HeartbeatRef = Annotated[str, AfterValidator(check_heartbeat)]
"""Where the heartbeat URL is kept: an apprise URL, or a plain HTTP(S) URL to GET or POST."""


def resolve(ref: str) -> str:
    """The apprise URL a reference points at, read now."""
    scheme, _, rest = ref.partition(":")
    if scheme == "env":
        value = os.environ.get(rest)
        if not value:
            raise ContactError(f"{ref}: the environment variable {rest} is not set")
        return value.strip()
    try:
        value = Path(rest).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ContactError(f"{ref}: cannot read the secrets file ({exc.strerror})") from None
    if not value:
        raise ContactError(f"{ref}: the secrets file is empty")
    return value


def service(ref: str, timeout: float | None = None) -> apprise.NotifyBase:
    """An apprise service for the reference, with socket timeouts bounded by ``timeout``."""
    url = resolve(ref)
    if "://" not in url:
        raise ContactError(f"{ref}: does not hold a URL (expected scheme://...)")
    found = apprise.Apprise.instantiate(url, asset=ASSET)
    if found is None:
        raise ContactError(f"{ref}: holds a URL apprise cannot use (see apprise's documentation)")
    if timeout is not None:
        found.socket_connect_timeout = min(found.socket_connect_timeout, timeout)
        found.socket_read_timeout = min(found.socket_read_timeout, timeout)
    return found


def masked(ref: str) -> str:
    """The reference's URL with its secrets masked, or why it cannot be used: safe to show."""
    try:
        return service(ref).url(privacy=True)
    except ContactError as exc:
        return f"unusable: {exc}"
