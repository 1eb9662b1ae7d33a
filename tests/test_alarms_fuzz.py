"""Property: whatever JSON arrives at an alert endpoint, the answer is 2xx or 4xx, a 4xx stores
nothing, and whatever a 2xx stored is clean (storable strings, string labels, consistent counts)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.clock import FakeClock
from core.runtime import Runtime
from plugins.alarms.models import AlarmAlert, AlarmGroup
from tests.test_alarms import Alarms, alarms_factory


@pytest.fixture
def make_alarms(make_runtime: Callable[..., Runtime], clock: FakeClock) -> Callable[..., Alarms]:
    return alarms_factory(make_runtime, clock)


@pytest.fixture
def alarms(make_alarms: Callable[..., Alarms]) -> Alarms:
    return make_alarms()


SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
TEXT = st.text(max_size=30)
LABELS = st.dictionaries(st.text(min_size=1, max_size=8), TEXT, max_size=4)
WHEN = st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()) | TEXT | JSON
STATUS = st.sampled_from(["firing", "resolved"])

AM_ALERT = st.fixed_dictionaries(
    {
        "status": STATUS | JSON,
        "labels": LABELS | JSON,
        "fingerprint": st.text(min_size=1, max_size=4) | JSON,
    },
    optional={
        "annotations": LABELS | JSON,
        "startsAt": WHEN,
        "generatorURL": TEXT | JSON,
        "panelURL": TEXT | JSON,
        "dashboardURL": TEXT | JSON,
    },
)
AM_PAYLOAD = st.fixed_dictionaries(
    {
        "groupKey": st.text(min_size=1, max_size=4) | JSON,
        "alerts": st.lists(AM_ALERT, max_size=4) | JSON,
    },
    optional={"status": JSON, "version": JSON, "truncatedAlerts": JSON},
)
GENERIC = st.fixed_dictionaries(
    {
        "title": TEXT | JSON,
        "dedup_key": st.text(min_size=1, max_size=4) | JSON,
        "severity": st.sampled_from(["critical", "warning", "info-x"]) | JSON,
    },
    optional={
        "status": STATUS | JSON,
        "labels": LABELS | JSON,
        "group_key": st.text(max_size=4) | JSON,
        "summary": TEXT | JSON,
        "runbook_url": TEXT | JSON,
        "starts_at": WHEN,
        "extra": JSON,
    },
)
BODIES = {
    "alertmanager": AM_PAYLOAD | JSON,
    "grafana": AM_PAYLOAD | JSON,
    "generic": GENERIC | JSON,
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def headers(source: str) -> dict[str, str]:
    if source == "grafana":
        return {"Authorization": "Basic " + base64.b64encode(b"grafana:g-pass").decode()}
    return {"Authorization": "Bearer " + ("generic-token" if source == "generic" else "am-token")}


def snapshot(alarms: Alarms) -> tuple[int, int, int]:
    with alarms.runtime.db.session() as session:
        groups = session.scalar(select(func.count()).select_from(AlarmGroup)) or 0
        alerts = session.scalar(select(func.count()).select_from(AlarmAlert)) or 0
        notified = session.scalar(select(func.coalesce(func.sum(AlarmAlert.notifications), 0))) or 0
    return groups, alerts, notified


def assert_clean(alarms: Alarms) -> None:
    with alarms.runtime.db.session() as session:
        for alert in session.scalars(select(AlarmAlert)):
            assert alert.status in ("firing", "resolved")
            assert alert.dedup_key and alert.title
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in alert.labels.items())
            for value in (
                alert.title,
                alert.summary,
                alert.description,
                alert.url,
                alert.runbook_url,
            ):
                assert isinstance(value, str) and "\x00" not in value
        for group in session.scalars(select(AlarmGroup)):
            firing = session.scalar(
                select(func.count())
                .select_from(AlarmAlert)
                .where(AlarmAlert.group_id == group.id, AlarmAlert.status == "firing")
            )
            assert group.alerts_firing == firing
            assert group.status == ("firing" if firing else "resolved")


def throw(alarms: Alarms, source: str, body: Any) -> None:
    before = snapshot(alarms)
    data = body if isinstance(body, bytes) else json.dumps(body)
    response = alarms.client.post(
        f"/alerts/{source}", data=data, headers=headers(source), content_type="application/json"
    )
    assert 200 <= response.status_code < 500, (response.status_code, response.get_json())
    assert "reason" in response.get_json() or response.status_code == 200
    if response.status_code >= 400:
        assert snapshot(alarms) == before
    assert_clean(alarms)


@pytest.mark.parametrize("source", sorted(BODIES))
def test_arbitrary_json_gets_2xx_or_4xx_and_stores_no_garbage(alarms: Alarms, source: str) -> None:
    @FUZZ
    @given(body=BODIES[source])
    def check(body: Any) -> None:
        throw(alarms, source, body)

    check()


def test_arbitrary_bytes_get_4xx(alarms: Alarms) -> None:
    @FUZZ
    @given(body=st.binary(max_size=64))
    def check(body: bytes) -> None:
        throw(alarms, "alertmanager", body)

    check()
