"""Alert sources: webhook payloads parsed into alerts of one generic shape.

A source is a name (its route is ``POST /alerts/<name>``, its credentials
``DUTYBOT_WEBHOOK_TOKEN_<NAME>``) and a parser from the decoded JSON body to alerts. Every
parser's output is validated as :class:`Alert`, so a source added by an extra plugin gets the
same guarantees as the built-ins: what is stored is always a clean, storable alert. Strings are
refused when a database could not store them (NUL characters, lone surrogates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

Parser = Callable[[Any], Iterable[Any]]
"""``parse(decoded JSON body)`` -> alerts (``Alert`` or mappings of the generic shape)."""


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if value.isascii():  # most labels: no surrogate possible, and no encoding to pay for
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (it has a lone surrogate)") from None
    return value


def _instant(value: datetime) -> datetime | None:
    """UTC, with Alertmanager's zero time (year 1: "not set") read as no time at all."""
    if value.year <= 1:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the years 1-9999") from None


KEY = 1000
Key = Annotated[str, StringConstraints(min_length=1, max_length=KEY), AfterValidator(_storable)]
SHORT, LONG = 2000, 20000
ShortText = Annotated[str, StringConstraints(max_length=SHORT), AfterValidator(_storable)]
LongText = Annotated[str, StringConstraints(max_length=LONG), AfterValidator(_storable)]
LabelName = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_storable)
]
Labels = dict[LabelName, ShortText]
Instant = Annotated[AwareDatetime, AfterValidator(_instant)]

ELLIPSIS = "…"


def clipped(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, ending in an ellipsis when it was cut."""
    return value if len(value) <= limit else value[: limit - len(ELLIPSIS)] + ELLIPSIS


def _clip(limit: int) -> BeforeValidator:
    """Text over ``limit`` characters cut to it, ending in an ellipsis, instead of refused.

    For the fields Alertmanager and Grafana send as the user's rules wrote them (label values,
    annotations): they retry only a 5xx, so a 400 for one long description would drop every
    alert of the notification until its next ``group_interval``. The generic source, whose
    caller sees its 400 and can fix its call, keeps refusing.
    """
    return BeforeValidator(lambda v: clipped(v, limit) if isinstance(v, str) else v)


def _dropped_if_longer(limit: int) -> BeforeValidator:
    """A link over ``limit`` characters left out (``""``): cut short, it would lead nowhere."""
    return BeforeValidator(lambda v: "" if isinstance(v, str) and len(v) > limit else v)


GroupKey = Annotated[
    str, StringConstraints(min_length=1, max_length=LONG), AfterValidator(_storable)
]
"""Alertmanager's ``groupKey`` names the route and every ``group_by`` value: it can be long,
and it is only stored and hashed, never shown."""
ClippedShort = Annotated[ShortText, _clip(SHORT)]
ClippedLong = Annotated[LongText, _clip(LONG)]
SenderLink = Annotated[ShortText, _dropped_if_longer(SHORT)]


class Alert(BaseModel):
    """The generic alert shape: what every source produces and ``/alerts/generic`` accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Key
    dedup_key: Key
    status: Literal["firing", "resolved"] = "firing"
    severity: ShortText | None = None
    labels: Labels = Field(default_factory=dict)
    group_key: Key | None = None
    summary: LongText = ""
    description: LongText = ""
    runbook_url: ShortText = ""
    url: ShortText = ""
    starts_at: Instant | None = None

    def routing_labels(self) -> dict[str, str]:
        """The labels routes match, with ``severity`` set from the field when given."""
        return (
            {**self.labels, "severity": self.severity} if self.severity is not None else self.labels
        )


class GenericAlert(Alert):
    """``POST /alerts/generic``: one alert; ``severity`` is required there."""

    severity: ShortText


class _AlertmanagerAlert(BaseModel):
    status: Literal["firing", "resolved"]
    labels: dict[LabelName, ClippedShort]
    annotations: dict[LabelName, ClippedLong] = Field(default_factory=dict)
    startsAt: Instant | None = None
    generatorURL: SenderLink = ""
    fingerprint: Key

    def source_url(self) -> str:
        return self.generatorURL

    def to_alert(self, group_key: str) -> Alert:
        notes = self.annotations
        runbook = notes.get("runbook_url") or notes.get("runbook", "")
        return Alert.model_construct(
            title=clipped(self.labels.get("alertname") or "(no alertname)", KEY),
            dedup_key=self.fingerprint,
            status=self.status,
            severity=self.labels.get("severity"),
            labels=self.labels,
            group_key=group_key,
            summary=notes.get("summary", ""),
            description=notes.get("description") or notes.get("message", ""),
            runbook_url=runbook if len(runbook) <= SHORT else "",  # a link: whole or not at all
            url=self.source_url(),
            starts_at=self.startsAt,
        )


class _AlertmanagerPayload(BaseModel):
    """Alertmanager's webhook (version 4): only the fields dutybot uses are checked."""

    groupKey: GroupKey
    alerts: list[_AlertmanagerAlert] = Field(min_length=1)


class _GrafanaAlert(_AlertmanagerAlert):
    dashboardURL: SenderLink = ""
    panelURL: SenderLink = ""

    def source_url(self) -> str:
        return self.panelURL or self.dashboardURL or self.generatorURL


class _GrafanaPayload(_AlertmanagerPayload):
    """Grafana's unified-alerting webhook: Alertmanager's shape plus dashboard and panel links."""

    alerts: list[_GrafanaAlert] = Field(min_length=1)


def parse_alertmanager(payload: Any) -> list[Alert]:
    body = _AlertmanagerPayload.model_validate(payload)
    return [alert.to_alert(body.groupKey) for alert in body.alerts]


def parse_grafana(payload: Any) -> list[Alert]:
    body = _GrafanaPayload.model_validate(payload)
    return [alert.to_alert(body.groupKey) for alert in body.alerts]


def parse_generic(payload: Any) -> list[Alert]:
    return [GenericAlert.model_validate(payload)]


BUILT_IN: dict[str, Parser] = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "generic": parse_generic,
}


def validate_alerts(items: Iterable[Any]) -> list[Alert]:
    """A parser's output as alerts; ValueError naming the alert and field otherwise."""
    alerts = []
    for index, item in enumerate(items):
        try:
            alerts.append(item if isinstance(item, Alert) else Alert.model_validate(item))
        except ValidationError as exc:
            raise ValueError(f"alert {index}: {describe_errors(exc)}") from None
    return alerts


def describe_errors(exc: ValidationError, limit: int = 3) -> str:
    """Pydantic's errors as ``alerts[0].fingerprint: required field is missing; …``."""
    parts = []
    for error in exc.errors(include_url=False)[:limit]:
        parts.append(f"{_location(error['loc'])}: {_message(error)}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f"; and {more} more problems" if more > 0 else "")


def _location(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    return str(error["msg"]).removeprefix("Value error, ")
