"""The webhook receiver: routes from plugins, authentication, JSON errors, a real port."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request

from core import hookimpl
from core.receiver import Credential, HttpError, Receiver, Route
from core.runtime import Runtime
from core.settings import Settings, SettingsError

TOKEN = "tok-3f9a-not-a-real-secret"


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
