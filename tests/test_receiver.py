"""The webhook receiver: routes from plugins, authentication, JSON errors, a real port.

The tests on a real port check what the server under the app (cheroot) must get right: the
access and error logs, bodies over the limit and chunked bodies, keep-alive, idle clients, and
what cheroot answers by itself.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import http.client
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from core import hookimpl
from core.receiver import MAX_BODY, Credential, HttpError, ListenError, Receiver, Route
from core.runtime import Runtime
from core.settings import Settings, SettingsError
from plugins.alarms.models import AlarmAlert
from tests.waiting import until

TOKEN = "tok-3f9a-not-a-real-secret"
ALERTMANAGER = Path(__file__).parent / "fixtures" / "alertmanager"


def echo(request: Request, args: Mapping[str, Any]) -> tuple[int, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise HttpError(400, "body must be a JSON object")
    return 202, {"source": args["source"], "got": body}


def receiver(**credentials: Credential) -> Client:
    routes = [
        Route("POST", "/in/<source>", echo, auth="alertmanager"),
        Route("GET", "/boom", lambda r, a: 1 / 0),
    ]
    return Client(Receiver(routes, credentials))


def test_a_bearer_token_is_required_and_checked() -> None:
    client = receiver(alertmanager=Credential(token=TOKEN))
    ok = client.post("/in/am", json={"a": 1}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert (ok.status_code, ok.json) == (202, {"source": "am", "got": {"a": 1}})
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        denied = client.post("/in/am", json={"a": 1}, headers=header)
        assert (denied.status_code, denied.json) == (
            401,
            {"reason": "missing or wrong credentials"},
        )
        assert denied.headers["WWW-Authenticate"] == 'Bearer realm="dutybot"'


def test_http_basic_as_alertmanager_sends_it() -> None:
    client = receiver(alertmanager=Credential(username="am", password="pw:with:colons"))
    good = base64.b64encode(b"am:pw:with:colons").decode()
    bad = base64.b64encode(b"am:nope").decode()
    assert (
        client.post("/in/x", json={}, headers={"Authorization": f"Basic {good}"}).status_code == 202
    )
    assert (
        client.post("/in/x", json={}, headers={"Authorization": f"Basic {bad}"}).status_code == 401
    )
    assert client.post("/in/x", json={}, headers={"Authorization": "Basic !!!"}).status_code == 401


def test_a_source_without_configured_credentials_refuses_everything() -> None:
    response = receiver().post("/in/am", json={}, headers={"Authorization": "Bearer anything"})
    assert response.status_code == 401
    assert response.json == {
        "reason": "no credentials are configured for source 'alertmanager'; refusing"
    }


def test_errors_are_json_with_a_reason() -> None:
    client = receiver(alertmanager=Credential(token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert (client.get("/nowhere").status_code, client.get("/nowhere").json) == (
        404,
        {"reason": "no route for GET /nowhere"},
    )
    assert client.get("/in/am").status_code == 405
    assert client.post(
        "/in/am", data="[1]", headers=auth, content_type="application/json"
    ).json == {"reason": "body must be a JSON object"}
    too_big = client.post("/in/am", data=b"x" * (1024 * 1024 + 1), headers=auth)
    assert too_big.status_code == 413 and "reason" in too_big.json
    crashed = client.get("/boom")
    assert (crashed.status_code, crashed.json) == (
        500,
        {"reason": "internal error; see the bot's log"},
    )


def test_credentials_never_show_in_repr() -> None:
    settings = Settings.from_env(
        {"DUTYBOT_WEBHOOK_TOKEN_ALERTMANAGER": TOKEN, "DUTYBOT_WEBHOOK_BASIC_GRAFANA": "g:pw-77"}
    )
    assert set(settings.credentials) == {"alertmanager", "grafana"}
    assert TOKEN not in repr(settings) and "pw-77" not in repr(settings.credentials)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DUTYBOT_HTTP_PORT": "http"},
            "DUTYBOT_HTTP_PORT: expected a port number 0-65535, got 'http'",
        ),
        (
            {"DUTYBOT_SCHEDULER": "maybe"},
            "DUTYBOT_SCHEDULER: expected on/off (or true/false, 1/0), got 'maybe'",
        ),
        (
            {"DUTYBOT_WEBHOOK_BASIC_GRAFANA": "no-colon"},
            "DUTYBOT_WEBHOOK_BASIC_GRAFANA: expected user:password",
        ),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert str(caught.value) == message


class Hello:
    @hookimpl
    def dutybot_webhook_routes(self) -> list[Route]:
        return [
            Route(
                "POST",
                "/hello",
                lambda request, args: (200, {"hello": request.get_json()["name"]}),
                auth="hello",
            )
        ]


def test_plugin_routes_are_served_on_a_real_port(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(
        plugins=(Hello(),),
        http_enabled=True,
        http_port=0,
        credentials={"hello": Credential(token=TOKEN)},
    )
    base = f"http://127.0.0.1:{runtime.receiver.port}"
    with urllib.request.urlopen(f"{base}/healthz") as response:
        assert json.load(response) == {
            "status": "ok",
            "version": runtime.version,
            "scheduler": "off",
        }
    request = urllib.request.Request(
        f"{base}/hello",
        data=b'{"name": "alice"}',
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response) == {"hello": "alice"}


# --- served by cheroot on a real port ---------------------------------------------------------


def size(request: Request, _args: Mapping[str, Any]) -> tuple[int, Any]:
    return 200, {"size": len(request.get_data())}


def ping(_request: Request, _args: Mapping[str, Any]) -> tuple[int, Any]:
    return 200, {"pong": True}


@pytest.fixture
def serve() -> Iterator[Callable[..., int]]:
    """Serve a Receiver over the given routes on a free local port; returns the port."""
    started: list[Receiver] = []

    def start(*routes: Route, max_body: int = MAX_BODY) -> int:
        receiver = Receiver(list(routes), {}, max_body=max_body)
        receiver.start("127.0.0.1", 0)
        started.append(receiver)
        assert receiver.port is not None
        return receiver.port

    yield start
    for receiver in started:
        receiver.stop()


def post(
    port: int,
    path: str,
    body: bytes,
    chunked: bool,
    headers: Mapping[str, str] | None = None,
    piece: int = 65536,
) -> tuple[int, bytes]:
    """POST ``body`` whole, with a Content-Length or in chunks of ``piece``; (status, answer)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    pieces = (body[i : i + piece] for i in range(0, len(body), piece))
    connection.request("POST", path, body=pieces if chunked else body, headers=dict(headers or {}))
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    return response.status, answer


def raw(port: int, request: bytes) -> bytes:
    """Send bytes as they are and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while piece := sock.recv(65536):
            answer += piece
    return answer


def test_the_access_log_has_one_line_per_request_and_no_query_string(
    serve: Callable[..., int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.receiver")
    port = serve(Route("GET", "/feed.ics", ping))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.ics?token=feed-secret") as found:
        found_body = found.read()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/nowhere%0Aforged?token=feed-secret")
    missing_body = missing.value.read()
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "core.receiver" and "listening" not in record.getMessage()
    ]
    assert lines == [
        f"127.0.0.1 GET /feed.ics 200 {len(found_body)}",
        f"127.0.0.1 GET /nowhere%0Aforged 404 {len(missing_body)}",  # no line break logged
    ]
    assert "feed-secret" not in caplog.text


def test_the_servers_own_error_log_goes_to_our_logger_scrubbed(
    serve: Callable[..., int], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """An answer that fails while it is being sent is cheroot's to log, with a traceback."""

    class Broken:
        def __init__(self, request: Request) -> None:
            self.request = request

        def __iter__(self) -> Iterator[bytes]:
            headers = self.request.headers
            raise RuntimeError(f"{self.request.url} Authorization: {headers['Authorization']}")

    port = serve(Route("GET", "/broken", lambda request, args: Response(Broken(request))))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/broken?token=feed-secret",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    with contextlib.suppress(OSError, http.client.HTTPException):
        urllib.request.urlopen(request, timeout=10).read()
    [error] = until(
        lambda: [r for r in caplog.records if r.name == "core.receiver" and r.levelname == "ERROR"],
        5,
        "cheroot logged nothing on our logger",
    )
    message = error.getMessage()
    assert "RuntimeError" in message and "Traceback" in message
    assert "/broken?… Authorization: …" in message
    stderr = capfd.readouterr().err  # cheroot's own error log writes there, unscrubbed
    for output in (caplog.text, stderr):
        assert "feed-secret" not in output and TOKEN not in output


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_gets_413_json_and_one_under_it_is_read_whole(
    serve: Callable[..., int], chunked: bool
) -> None:
    port = serve(Route("POST", "/in", size))
    refused = {"reason": f"body larger than {MAX_BODY} bytes"}
    for too_big in (MAX_BODY + 1, 5 * MAX_BODY):
        status, answer = post(port, "/in", b"x" * too_big, chunked)
        assert (status, json.loads(answer)) == (413, refused)
    status, answer = post(port, "/in", b"x" * MAX_BODY, chunked)
    assert (status, json.loads(answer)) == (200, {"size": MAX_BODY})


def test_a_chunked_body_that_cannot_be_read_gets_a_json_answer_without_waiting(
    serve: Callable[..., int],
) -> None:
    """Broken chunk framing, and chunk extensions adding up past cheroot's cap (16 x the limit)."""
    port = serve(Route("POST", "/in", size), max_body=1000)
    head = b"POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    began = time.monotonic()
    malformed = raw(port, head + b"zz\r\nxx\r\n0\r\n\r\n").partition(b"\r\n\r\n")
    padded = b"1;" + b"e" * 4000 + b"\r\nx\r\n"
    overlong = raw(port, head + padded * 5 + b"0\r\n\r\n").partition(b"\r\n\r\n")
    assert malformed[0].startswith(b"HTTP/1.1 400 ")
    assert json.loads(malformed[2]) == {
        "reason": "malformed chunked body: Bad chunked transfer size: b'zz'"
    }
    assert overlong[0].startswith(b"HTTP/1.1 413 ")
    assert json.loads(overlong[2]) == {"reason": "body larger than 1000 bytes"}
    assert time.monotonic() - began < 5  # not the 10 s read timeout


@pytest.mark.parametrize("path", ["/in", "/locked"])
def test_a_chunk_size_line_that_never_ends_is_refused_after_4_kib(
    serve: Callable[..., int], path: str
) -> None:
    """cheroot read a chunk-size line whole, however long: a client sending digits and never a
    line break grew the server by what it sent, with credentials or without (the body is read
    before a 401 too, to keep the connection in step). Now the server stops reading after
    4 KiB of the line, answers, and closes, while the client is still sending."""
    port = serve(Route("POST", "/in", size), Route("POST", "/locked", size, auth="am"))
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    piece, sent = b"1" * 65536, 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        with contextlib.suppress(OSError):  # the server closed: broken pipe or reset
            while sent < 64 * 1024 * 1024:
                sock.sendall(piece)
                sent += len(piece)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    assert sent < 16 * 1024 * 1024  # what the sockets' buffers took before the close
    head, _, body = answer.partition(b"\r\n\r\n")
    if path == "/in":
        assert head.startswith(b"HTTP/1.1 400 "), answer
        assert json.loads(body) == {
            "reason": "malformed chunked body: chunk-size line longer than 4096 bytes"
        }
    else:
        assert head.startswith(b"HTTP/1.1 401 "), answer


SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize(
    "chunk",
    [
        # To a proxy in front: one chunk with a long (valid) extension, SMUGGLED its data. Here
        # the line is cut at 4 KiB ("27;" and 4093 bytes), and what follows the cut reads "0":
        # the last chunk.
        b"%x;%s0\r\n\r\n%s\r\n" % (len(SMUGGLED) + 2, b"e" * (4096 - 3), SMUGGLED),
        b"zz\r\n0\r\n\r\n" + SMUGGLED,  # cheroot's own framing error, then a request
    ],
    ids=["line-cut-at-4-KiB", "bad-chunk-size"],
)
def test_after_broken_chunk_framing_nothing_more_is_read_from_the_connection(
    serve: Callable[..., int], chunk: bytes
) -> None:
    """The drain before the answer must not go on reading past a framing error: it would take
    the rest of the body for the next request on the kept-alive connection (smuggling)."""
    served: list[str] = []

    def smuggled(_request: Request, _args: Mapping[str, Any]) -> tuple[int, Any]:
        served.append("smuggled")
        return 200, {"smuggled": True}

    port = serve(Route("POST", "/in", size), Route("GET", "/smuggled", smuggled))
    head = b"POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = raw(port, head + chunk + b"0\r\n\r\n")
    assert answer.count(b"HTTP/1.1 ") == 1 and answer.startswith(b"HTTP/1.1 400 "), answer
    assert b"Connection: close" in answer
    assert served == []


def test_a_body_of_too_many_chunks_is_refused_without_reading_it_all(
    serve: Callable[..., int],
) -> None:
    """cheroot spends some 10 µs a chunk: a million 1-byte chunks (6 MB) cost 13 s of CPU."""
    port = serve(Route("POST", "/in", size))
    head = b"POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    refused = raw(port, head + b"1\r\nx\r\n" * 8193 + b"0\r\n\r\n")
    status, _, answer = refused.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 400 ")
    assert json.loads(answer) == {"reason": "malformed chunked body: more than 8192 chunks"}
    status, answer = post(port, "/in", b"x" * 8192, chunked=True, piece=1)
    assert (status, json.loads(answer)) == (200, {"size": 8192})


def test_a_body_shorter_than_its_content_length_is_a_disconnect_not_a_body(
    serve: Callable[..., int],
) -> None:
    """The client stops after 5 of the 10 bytes it announced: the route must not get 5 bytes.

    cheroot puts ``wsgi.input_terminated`` (False) in every environ; werkzeug takes its mere
    presence to mean the server ends the stream, and would read the short body as whole.
    """
    port = serve(Route("POST", "/in", size))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while piece := sock.recv(65536):
            answer += piece
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer
    assert "reason" in json.loads(body)


def test_a_chunked_alertmanager_webhook_is_read_whole_and_stored(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime(
        http_enabled=True, http_port=0, credentials={"alertmanager": Credential(token=TOKEN)}
    )
    body = (ALERTMANAGER / "warning-two-alerts-firing.json").read_bytes()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    port = runtime.receiver.port
    status, answer = post(port, "/alerts/alertmanager", body, True, headers, piece=100)
    assert status == 200, answer
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AlarmAlert)) == 2


def test_requests_keep_one_connection_alive(serve: Callable[..., int]) -> None:
    port = serve(Route("POST", "/in", size))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.connect()
    first = connection.sock
    for n in range(50):
        connection.request("POST", "/in", body=b"x" * n)
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (200, {"size": n})
    assert connection.sock is first  # http.client reconnects if the server closed it
    connection.close()


def test_idle_connections_hold_no_worker(serve: Callable[..., int]) -> None:
    """30 connections that never speak and 30 idle kept-alive ones; a new one is answered at once.

    There are fewer workers than that: cheroot would give each silent connection a worker
    until its timeout (10 s), had the receiver not parked them in the selector.
    """
    port = serve(Route("GET", "/ping", ping))
    with contextlib.ExitStack() as stack:
        for _ in range(30):
            stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        for _ in range(30):
            kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            stack.callback(kept.close)
            kept.request("GET", "/ping")
            response = kept.getresponse()
            assert response.read() == b'{"pong": true}'
            assert response.getheader("Connection") != "close"
        began = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=10) as response:
            assert json.load(response) == {"pong": True}
        assert time.monotonic() - began < 2


def test_a_body_the_route_did_not_read_is_not_taken_for_the_next_request(
    serve: Callable[..., int],
) -> None:
    """The 404 leaves a chunked body unread; the server must not parse it as a request."""
    port = serve(
        Route("GET", "/ping", ping),
        Route("GET", "/smuggled", lambda request, args: (200, {"smuggled": True})),
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    inner = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    connection.request("POST", "/nowhere", body=iter([inner]))
    assert connection.getresponse().read() == b'{"reason": "no route for POST /nowhere"}'
    connection.request("GET", "/ping")
    assert connection.getresponse().read() == b'{"pong": true}'
    connection.close()


def test_what_cheroot_answers_before_any_route_is_short_plain_text(
    serve: Callable[..., int],
) -> None:
    """A malformed request line, headers over 64 KiB, a Content-Length over 16 x the limit."""
    port = serve(Route("POST", "/in", size))
    malformed = raw(port, b"nonsense\r\n\r\n")
    assert malformed.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert malformed.endswith(b"\r\n\r\nMalformed Request-Line")
    huge_header = raw(port, b"GET /in HTTP/1.1\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
    assert huge_header.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    claimed = 16 * MAX_BODY + 1
    huge_body = raw(port, b"POST /in HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % claimed)
    assert huge_body.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert b"Content-Type: text/plain" in huge_body


def test_start_binds_before_returning_and_stop_is_quick_and_idempotent() -> None:
    receiver = Receiver([Route("GET", "/ping", ping)], {})
    receiver.start("127.0.0.1", 0)
    port = receiver.port
    assert receiver.running and port
    [thread] = [t for t in threading.enumerate() if t.name == "dutybot-http"]
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("CP Server"))
    with pytest.raises(ListenError, match="Address already in use"):  # from start, at once
        Receiver([], {}).start("127.0.0.1", port)
    kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    kept.request("GET", "/ping")
    assert kept.getresponse().read() == b'{"pong": true}'  # and the connection stays open
    began = time.monotonic()
    receiver.stop()
    assert time.monotonic() - began < 0.3
    receiver.stop()
    assert not receiver.running and receiver.port is None and not thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    kept.close()
    stopped = weakref.ref(receiver)
    del receiver
    gc.collect()
    assert stopped() is None  # nothing of the server holds on to it (and its routes' runtime)
