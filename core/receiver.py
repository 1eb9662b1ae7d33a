"""The HTTP receiver: webhook routes contributed by plugins, served by a small WSGI app.

It runs in the runtime, not in Errbot, so alerts are received while chat is down. Every answer is
JSON; every failure is a 4xx/5xx with a ``reason`` and never a traceback. Routes that name a
credential set require it (bearer token or HTTP basic, compared in constant time); a route whose
credentials are not configured refuses everything rather than running open. Each source is
rate-limited (``[limits] webhook``): an authenticated source by its credential, a public route by
client address; over the limit the answer is 429 with ``Retry-After`` and the handler never runs.
Access logs never carry query strings, where calendar feeds keep their tokens.

On a real port the app is served by cheroot (CherryPy's production WSGI server): a fixed pool of
worker threads, HTTP/1.1 keep-alive, and idle connections waiting in a selector rather than on a
thread. ``_Server`` holds the settings and why each was chosen.
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
import urllib.parse
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from traceback import format_exc
from typing import Any

from cheroot import wsgi
from cheroot.errors import MaxSizeExceeded
from cheroot.server import ChunkedRFile, HTTPConnection
from werkzeug.exceptions import ClientDisconnected, HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from core.clock import Clock, SystemClock
from core.ratelimit import DEFAULT_WEBHOOK_RATE, Rate, TokenBucket

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
_QUERY = re.compile(r"\?[^\s'\"]*")
# An Authorization header's value as it may show in a message: "Authorization: Bearer x",
# "'HTTP_AUTHORIZATION': 'Basic x'", "(b'Authorization', b'Bearer x')".
_AUTHORIZATION = re.compile(r"((?i:authorization)['\"]?\s*[:=,]\s*(?:b?['\"])?)[^'\"\r\n]+")


class ListenError(Exception):
    """The receiver could not listen on its address (port in use, no such host): a setup error."""


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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Answer one request and write its access-log line (cheroot keeps no access log).

        The line has the path without the query string (feed tokens live there), quoted again
        so that a ``%0A`` in it cannot start a forged log line.
        """
        request = Request(environ)
        request.max_content_length = self._max_body
        response = self._dispatch(request)
        log.info(
            "%s %s %s %s %s",
            request.remote_addr,
            request.method,
            urllib.parse.quote(request.path),
            response.status_code,
            "-" if response.content_length is None else response.content_length,
        )
        return response(environ, start_response)

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
        the rest without a word. Under cheroot (which sets ``wsgi.input_terminated``) werkzeug
        reads the de-chunked stream. What cheroot raises while de-chunking reaches werkzeug as a
        disconnect: broken framing (a ``ValueError``, whose message is passed on) is 400 JSON
        "malformed chunked body", one chunk past its cap (``_Server``) or a stalled client 400
        JSON too; chunk extensions adding up past the cap raise ``MaxSizeExceeded``, 413 here.
        """
        if request.content_length is None:
            request.max_content_length = self._max_body + 1
            try:
                too_big = len(request.get_data(cache=True)) > self._max_body
            except MaxSizeExceeded:
                too_big = True
            except ClientDisconnected as exc:
                if isinstance(exc.__context__, ValueError):  # cheroot's word on the framing
                    raise HttpError(400, f"malformed chunked body: {exc.__context__}") from None
                raise
        else:
            too_big = request.content_length > self._max_body
        if too_big:
            raise HttpError(413, f"body larger than {self._max_body} bytes")

    def _warn(self, key: str, message: str, *args: Any) -> None:
        """Log a refusal once per key and period, so a flood cannot flood the log too."""
        if self._warned.take(key).allowed:
            log.warning(message, *args)

    def start(self, host: str, port: int) -> None:
        """Serve on host:port in a daemon thread (port 0 picks a free one; see ``port``).

        cheroot binds and starts its workers in ``prepare()``, here run in the ``dutybot-http``
        thread so the workers inherit its daemon flag (cheroot's own threads are not daemons,
        and would keep the process alive if ``stop`` were never called). This call returns once
        the port is bound, or raises ``ListenError`` saying why it could not be.
        """
        server = _Server((host, port), self, self._max_body)
        bound: Future[None] = Future()

        def serve() -> None:
            try:
                server.prepare()
            except BaseException as exc:
                bound.set_exception(exc)
                return
            bound.set_result(None)
            server.serve()

        thread = threading.Thread(target=serve, name="dutybot-http", daemon=True)
        thread.start()
        try:
            bound.result()
        except OSError as exc:
            raise ListenError(
                f"the webhook receiver cannot listen on {host}:{port}: {exc.strerror or exc} "
                "(DUTYBOT_HTTP_HOST and DUTYBOT_HTTP_PORT choose another address)"
            ) from None
        self._server, self._thread = server, thread
        log.info("webhook receiver listening on %s:%s", host, self.port)

    @property
    def port(self) -> int | None:
        return self._server.bind_addr[1] if self._server else None

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        """Stop serving; idempotent. Requests in flight get ``_Server.shutdown_timeout`` to end."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class _Server(wsgi.Server):
    """cheroot's WSGI server with dutybot's limits and log; what it answers itself.

    - Threads: ``THREADS`` workers. A worker is busy only while a request is read and handled:
      idle keep-alive connections, and (``process_conn``) new connections that have not sent a
      byte yet, wait in cheroot's selector, so idle clients cost a file descriptor, not a
      thread. Each handler takes a database connection from a pool of 15 (SQLAlchemy's 5 + 10
      overflow) that the pager, scheduler and chat outbox share: more workers would only queue
      there, and could leave the pager waiting behind a burst of webhooks.
    - ``timeout`` (10 s): how long a read may wait for the client: a request that stops
      arriving midway is dropped after it (408 from cheroot, or 400 JSON if a handler was
      reading), and an idle keep-alive connection is closed after it. A client that trickles a
      byte every few seconds still holds a worker: in front of the internet, put a proxy that
      buffers requests (deploy.md).
    - ``expiration_interval`` (0.05 s): how often the selector loop wakes. ``stop`` waits for
      that loop, so it bounds ``stop``'s time (cheroot's 0.5 s would add up over a test suite).
    - ``shutdown_timeout`` (2 s): at ``stop``, how long a request in flight may take to finish
      before cheroot shuts its connection for reading (it then still waits for the handler).
    - Bodies: the app's limit (``max_body``) wins: it answers 413 JSON. cheroot's own cap,
      ``BODY_CAP`` times that, is there only so that one huge chunk is not read into memory
      whole; a ``Content-Length`` over it is refused by cheroot, 413 in plain text. Whatever
      of a body the app did not read is read and dropped before the answer (``_Gateway``).
    - Headers: at most ``HEADER_BYTES`` for the request line and headers together (cheroot's
      default is no limit; Python's http.server, under werkzeug, allowed 64 KiB per line); over
      it cheroot answers 414 or 413 in plain text. A request line that does not parse gets
      cheroot's 400 in plain text. These answers come before any route (werkzeug's server gave
      them in HTML), and are not in the access log.
    - ``keep_alive_conn_limit``: connections waiting in the selector (idle keep-alive and
      parked new ones) past which an answer says ``Connection: close``; cheroot's default of
      10 is less than a load balancer's pool.
    """

    THREADS = 8
    BODY_CAP = 16
    HEADER_BYTES = 64 * 1024
    expiration_interval = 0.05
    keep_alive_conn_limit = 100

    def __init__(self, bind_addr: tuple[str, int], app: Receiver, max_body: int) -> None:
        super().__init__(bind_addr, app, numthreads=self.THREADS, timeout=10, shutdown_timeout=2)
        self.gateway = _Gateway
        self.max_request_body_size = self.BODY_CAP * max_body
        self.max_request_header_size = self.HEADER_BYTES
        # cheroot files each server's statistics in logging.statistics (for CherryPy's cpstats),
        # where they would keep the server, and through it this app, alive for good.
        for key in [key for key, stats in logging.statistics.items() if stats is self.stats]:
            del logging.statistics[key]

    def process_conn(self, conn: HTTPConnection) -> None:
        """Give a connection to a worker once it has sent something; park a new one until then.

        cheroot hands a just-accepted connection straight to a worker, which then waits up to
        ``timeout`` for the request line: a few clients that connect and say nothing would hold
        every worker. ``put_conn`` puts it in the selector instead (and stamps ``last_used``, so
        it comes back here when readable, and is closed after ``timeout`` if it never is).
        """
        if conn.last_used is None:
            self.put_conn(conn)
        else:
            super().process_conn(conn)

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        """cheroot's error log goes to ours, never to stderr, scrubbed of queries and credentials."""
        if traceback:
            msg = f"{msg}\n{format_exc()}"
        log.log(level, "webhook receiver: %s", _scrub(msg))


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI gateway, which finishes reading the request body before the answer.

    An answer given without reading the body (401, 404, 413, 429) would otherwise leave it on
    the connection: cheroot reads a ``Content-Length`` body in one piece to keep the connection
    alive, and leaves a chunked one to be parsed as the next request. Here the rest is read in
    pieces and dropped (at most cheroot's body cap): the client, which sends its whole body
    before reading, then sees the answer instead of a reset. Each piece is waited for at most
    ``DRAIN_WAIT`` seconds, so a body that broke off costs a worker that long, not ``timeout``.
    A body that cannot be finished (too big, malformed, stalled) closes the connection after
    the answer.
    """

    DRAIN_WAIT = 1.0

    def get_environ(self) -> dict[str, Any]:
        """cheroot's environ, without ``wsgi.input_terminated`` where it is False, and with a
        chunked body's lines capped (``_ChunkLines``) and its framing errors final
        (``_ChunkedBody``).

        cheroot puts the key in every environ, False unless the body is chunked. werkzeug takes
        the key's presence, whatever its value, to mean the server ends the stream, and then
        reads a body that stops short of its ``Content-Length`` (the client went away) as if
        it were whole. Without the key werkzeug holds the stream to the ``Content-Length`` and
        a short body is a disconnect, 400 JSON, as it was under werkzeug's own server.
        """
        if isinstance(self.req.rfile, ChunkedRFile):
            self.req.rfile.rfile = _ChunkLines(self.req.rfile.rfile)
            self.req.rfile = _ChunkedBody(self.req.rfile)
        environ: dict[str, Any] = super().get_environ()
        if not environ["wsgi.input_terminated"]:
            del environ["wsgi.input_terminated"]
        return environ

    def start_response(self, status: str, headers: Any, exc_info: Any = None) -> Any:
        body, sock = self.req.rfile, self.req.conn.socket
        sock.settimeout(self.DRAIN_WAIT)
        try:
            while body.read(64 * 1024):
                pass
        except (OSError, ValueError, MaxSizeExceeded):
            self.req.close_connection = True
        finally:
            sock.settimeout(self.req.server.timeout)
        return super().start_response(status, headers, exc_info)


class _ChunkLines:
    """The connection's reader as cheroot's de-chunking sees it: lines capped, and chunks.

    cheroot reads each chunk-size line with an unbounded ``readline``: a client sending hex
    digits and never a line break grew the process by what it sent, before its credentials
    were even checked (300 MB sent, 300 MB more resident). A line is at most ``LINE`` bytes
    here, as in Go's net/http. cheroot also spends some 10 µs on each chunk: a body of a
    million 1-byte chunks (6 MB) cost 13 s of CPU, so a body has at most ``CHUNKS`` (a 1 MiB
    body in 128-byte chunks). Past either, the framing is broken: 400, connection closed.
    """

    LINE = 4096
    CHUNKS = 8192

    def __init__(self, rfile: Any) -> None:
        self._rfile = rfile
        self._lines = 0

    def readline(self, size: int | None = None) -> bytes:
        """A chunk-size line: cheroot's de-chunking reads one per chunk, and nothing else."""
        self._lines += 1
        if self._lines > self.CHUNKS + 1:  # the chunks' lines, and the last (empty) chunk's
            raise ValueError(f"more than {self.CHUNKS} chunks")
        line: bytes = self._rfile.readline(self.LINE)
        if len(line) == self.LINE and not line.endswith(b"\n"):
            raise ValueError(f"chunk-size line longer than {self.LINE} bytes")
        return line

    def read(self, size: int) -> bytes:
        data: bytes = self._rfile.read(size)
        return data


class _ChunkedBody:
    """cheroot's de-chunked body, broken for good once its framing was.

    After a framing error the connection's bytes are no longer in step with the request: a
    line cut at ``_ChunkLines.LINE`` bytes leaves the rest of it unread, and reading on would
    take what follows as chunks. Had the drain before the answer gone on, a chunk extension
    ending in ``0`` (valid HTTP, one chunk to a proxy in front) closed the body early, and the
    bytes of the chunk's data were served as the next request on the kept-alive connection.
    Here every read after an error raises again, so the drain stops at once and the
    connection is closed (``_Gateway.start_response``).
    """

    def __init__(self, body: ChunkedRFile) -> None:
        self._body = body
        self._broken: Exception | None = None

    def read(self, size: int | None = None) -> bytes:
        return self._guarded(self._body.read, size)

    def readline(self, size: int | None = None) -> bytes:
        return self._guarded(self._body.readline, size)

    def _guarded(self, method: Callable[[int | None], bytes], size: int | None) -> bytes:
        if self._broken is not None:
            raise ValueError(f"the body's framing is broken ({self._broken})")
        try:
            return method(size)
        except (OSError, ValueError, MaxSizeExceeded) as exc:
            self._broken = exc
            raise


def _scrub(text: str) -> str:
    return _AUTHORIZATION.sub(r"\1…", _QUERY.sub("?…", text))


def _auth_header(status: int) -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="dutybot"'} if status == 401 else {}


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, mimetype="application/json", headers=dict(headers or {})
    )
