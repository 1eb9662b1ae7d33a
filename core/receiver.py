"""The HTTP receiver: webhook routes contributed by plugins, served by a small WSGI app.

It runs in the runtime, not in Errbot, so alerts are received while chat is down. Every answer is
JSON; every failure is a 4xx/5xx with a ``reason`` and never a traceback. Routes that name a
credential set require it (bearer token or HTTP basic, compared in constant time); a route whose
credentials are not configured refuses everything rather than running open. Each source is
rate-limited (``[limits] webhook``): an authenticated source by its credential, a public route by
client address; over the limit the answer is 429 with ``Retry-After`` and the handler never runs.
Access logs never carry query strings, where calendar feeds keep their tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from core.clock import Clock, SystemClock
from core.ratelimit import DEFAULT_WEBHOOK_RATE, Rate, TokenBucket

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
_QUERY = re.compile(r"\?[^\s'\"]*")


class HttpError(Exception):
    """Raised by a route handler to answer with ``status`` and a JSON ``reason``."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Credential:
    """What a webhook source must send: a bearer token, or a basic-auth user and password."""

    token: str | None = None
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        kind = "bearer" if self.token else "basic"
        return f"Credential({kind}, secret hidden)"

    def matches(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if self.token is not None and scheme.lower() == "bearer":
            return _same(value.strip(), self.token)
        if self.username is not None and scheme.lower() == "basic":
            try:
                user, _, password = (
                    base64.b64decode(value.strip(), validate=True).decode().partition(":")
                )
            except (ValueError, UnicodeDecodeError):
                return False
            user_ok = _same(user, self.username)
            password_ok = _same(password, self.password or "")
            return user_ok and password_ok
        return False


def _same(given: str, expected: str) -> bool:
    """Compare in constant time; hashing first hides the length of the secret as well."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


Handler = Callable[[Request, Mapping[str, Any]], tuple[int, Any] | Response]


@dataclass(frozen=True)
class Route:
    """A webhook route: ``handler(request, path_args)`` returns (status, JSON body) or a Response.

    ``auth`` names the credential set to require (configured by environment, see
    docs/configuration.md); None means the route is public (health checks, calendar feeds that
    carry their own token). ``limited=False`` exempts a route from the rate limit: a load
    balancer's health checks all come from one address, and refusing them would take every
    replica out of service.
    """

    method: str
    path: str
    handler: Handler
    auth: str | None = None
    limited: bool = True


class Receiver:
    """A WSGI app over the contributed routes, optionally served on a real port in a thread."""

    def __init__(
        self,
        routes: list[Route],
        credentials: Mapping[str, Credential],
        max_body: int = MAX_BODY,
        rate: Rate = DEFAULT_WEBHOOK_RATE,
        clock: Clock | None = None,
    ) -> None:
        self._routes = {f"{r.method} {r.path}": r for r in routes}
        self._map = Map(
            [Rule(r.path, endpoint=key, methods=[r.method]) for key, r in self._routes.items()]
        )
        self._credentials = dict(credentials)
        self._max_body = max_body
        clock = clock or SystemClock()
        self._limit = TokenBucket(rate, clock)
        self._warned = TokenBucket(Rate(1, rate.period), clock)  # one warning per source and period
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        request.max_content_length = self._max_body
        return self._dispatch(request)(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        try:
            key, args = self._map.bind_to_environ(request.environ).match()
            route = self._routes[key]
            self._authenticate(route, request)
            self._throttle(route, request)
            self._limit_body(request)
            result = route.handler(request, args)
        except HttpError as exc:
            return _json(
                exc.status, {"reason": exc.reason}, {**_auth_header(exc.status), **exc.headers}
            )
        except NotFound:
            return _json(404, {"reason": f"no route for {request.method} {request.path}"})
        except MethodNotAllowed as exc:
            return _json(
                405,
                {
                    "reason": f"{request.method} not allowed; use {', '.join(exc.valid_methods or [])}"
                },
            )
        except HTTPException as exc:
            status = exc.code or 400
            reason = (
                "body larger than the limit" if status == 413 else (exc.description or exc.name)
            )
            return _json(status, {"reason": reason})
        except Exception:
            log.exception("webhook %s %s failed", request.method, request.path)
            return _json(500, {"reason": "internal error; see the bot's log"})
        if isinstance(result, Response):
            return result
        status, body = result
        return _json(status, body)

    def _authenticate(self, route: Route, request: Request) -> None:
        if route.auth is None:
            return
        credential = self._credentials.get(route.auth)
        if credential is None:
            raise HttpError(
                401, f"no credentials are configured for source '{route.auth}'; refusing"
            )
        if not credential.matches(request.headers.get("Authorization", "")):
            self._warn(
                f"auth {route.auth} {request.remote_addr}",
                "webhook %s %s from %s: missing or wrong credentials for source '%s'",
                request.method,
                request.path,
                request.remote_addr,
                route.auth,
            )
            raise HttpError(401, "missing or wrong credentials")

    def _throttle(self, route: Route, request: Request) -> None:
        """Take one request from the source's bucket: its credential, else the client address.

        It runs after authentication, so a caller without the token cannot use up (and block)
        the real source's allowance.
        """
        if not route.limited:
            return
        if route.auth is not None:
            key, who = f"source {route.auth}", f"source '{route.auth}'"
        else:
            key, who = f"{route.method} {route.path} {request.remote_addr}", "this address"
        decision = self._limit.take(key)
        if decision.allowed:
            return
        seconds = max(1, math.ceil(decision.retry_after.total_seconds()))
        self._warn(
            key,
            "webhook %s %s: %s is over its rate limit (%s); answering 429",
            request.method,
            request.path,
            who,
            self._limit.rate,
        )
        raise HttpError(
            429,
            f"rate limit: {who} may send {self._limit.rate}; retry in {seconds} seconds",
            {"Retry-After": str(seconds)},
        )

    def _limit_body(self, request: Request) -> None:
        """Refuse a body over the limit (413) before the handler sees any of it.

        A body sent without ``Content-Length`` (chunked) is read here, one byte past the
        limit: werkzeug would otherwise hand the handler the first ``max_body`` bytes and drop
        the rest without a word.
        """
        if request.content_length is None:
            request.max_content_length = self._max_body + 1
            too_big = len(request.get_data(cache=True)) > self._max_body
        else:
            too_big = request.content_length > self._max_body
        if too_big:
            raise HttpError(413, f"body larger than {self._max_body} bytes")

    def _warn(self, key: str, message: str, *args: Any) -> None:
        """Log a refusal once per key and period, so a flood cannot flood the log too."""
        if self._warned.take(key).allowed:
            log.warning(message, *args)

    def start(self, host: str, port: int) -> None:
        """Serve on host:port in a daemon thread (port 0 picks a free one; see ``port``)."""
        self._server = make_server(host, port, self, threaded=True, request_handler=_RequestHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="dutybot-http", daemon=True
        )
        self._thread.start()
        log.info("webhook receiver listening on %s:%s", host, self.port)

    @property
    def port(self) -> int | None:
        return self._server.server_port if self._server else None

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, but its access log leaves out query strings (feed tokens)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", "").partition("?")[0]
        log.info("%s %s %s %s %s", self.address_string(), self.command, path, code, size)

    def log_error(self, format: str, *args: Any) -> None:
        log.warning("webhook receiver: %s", _QUERY.sub("?…", format % args))


def _auth_header(status: int) -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="dutybot"'} if status == 401 else {}


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, mimetype="application/json", headers=dict(headers or {})
    )
