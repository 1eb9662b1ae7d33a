"""A local HTTP server standing in for the phones and webhooks apprise reaches with ``json://``.

Pages in tests go out for real, through apprise, to this server, which records every request.
The path says how it answers: ``/fail/...`` 500, ``/hold/...`` 200 once ``release`` is set (a
destination that hangs), anything else 200.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request as it arrived."""

    method: str
    path: str
    body: str
    authorization: str

    @property
    def message(self) -> str:
        """The notification's text (apprise's json:// sends it as ``message``)."""
        return str(json.loads(self.body).get("message", "")) if self.body else ""


class Phones:
    """The server; ``port`` 0 picks a free one, a given port restarts a stopped server there."""

    def __init__(self, port: int = 0) -> None:
        self.release = threading.Event()
        self._calls: list[Call] = []
        self._taken = 0
        self._lock = threading.Lock()
        phones = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                call = Call(
                    self.command,
                    self.path,
                    self.rfile.read(length).decode(),
                    self.headers.get("Authorization") or "",
                )
                if self.path.startswith("/hold/"):
                    phones.release.wait(30)
                with phones._lock:
                    phones._calls.append(call)
                self.send_response(500 if self.path.startswith("/fail/") else 200)
                self.end_headers()

            do_GET = do_POST  # apprise's heartbeat-style URLs

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def url(self, path: str, userinfo: str = "") -> str:
        """The apprise URL of ``path`` here; ``userinfo`` is ``user:password`` for basic auth."""
        at = f"{userinfo}@" if userinfo else ""
        return f"json://{at}127.0.0.1:{self.port}{path}"

    def calls(self) -> list[Call]:
        """Every request so far."""
        with self._lock:
            return list(self._calls)

    def take(self) -> list[Call]:
        """The requests since the last ``take``."""
        with self._lock:
            new, self._taken = self._calls[self._taken :], len(self._calls)
        return new

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
