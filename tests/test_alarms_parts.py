"""The alarms feature's small parts: matchers, durations, the process section, the chat parser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from core.durations import format_duration, parse_duration
from core.plugin_manager import DEFAULT_PLUGINS
from core.process import ProcessError
from core.runtime import Runtime
from plugins.alarms.chatparse import parse_alertmanager_slack
from plugins.alarms.ingest import KNOWN_ALERTS, key_hash
from plugins.alarms.matchers import Matcher
from plugins.alarms.models import AlarmAlert, AlarmGroup
from plugins.alarms.settings import AlarmsSection
from plugins.alarms.state import COLUMNS, GroupRow


@pytest.mark.parametrize(
    ("matcher", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ('severity="critical"', {"severity": "warning"}, False),
        ('severity!="critical"', {}, True),
        ('severity=~"info-.*"', {"severity": "info-cloud-platform-notify"}, True),
        ('severity=~"info"', {"severity": "info-x"}, False),  # anchored, like Alertmanager
        ('severity!~"info-.*"', {"severity": "warning"}, True),
        ('team=""', {}, True),  # a missing label is the empty string
        ('summary="say \\"hi\\""', {"summary": 'say "hi"'}, True),
    ],
)
def test_matchers_behave_like_alertmanagers(
    matcher: str, labels: dict[str, str], expected: bool
) -> None:
    assert Matcher.parse(matcher).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "severity=critical",
            "'severity=critical': expected label=\"value\" (operators =, !=, =~, !~)",
        ),
        (
            'severity=~"("',
            "'severity=~\"(\"': bad regular expression: missing ), unterminated subpattern at position 0",
        ),
    ],
)
def test_bad_matchers_are_explained(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as error:
        Matcher.parse(text)
    assert str(error.value) == problem


def test_durations() -> None:
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1w2d") == timedelta(days=9)
    for bad in ("", "2", "h", "0m", "2 h", "-1h", "1m2h"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert [format_duration(timedelta(minutes=m)) for m in (0, 45, 60, 65, 1440, 1500)] == [
        "0m",
        "45m",
        "1h",
        "1h 05m",
        "1d",
        "1d 1h",
    ]


def test_the_defaults_are_the_process_reference() -> None:
    section = AlarmsSection()
    assert [(str(r.matchers[0]), r.priority) for r in section.routes] == [
        ('severity="critical"', "high"),
        ('severity="warning"', "low"),
        ('severity=~"info-.*"', "info"),
    ]
    assert {n: (p.channel, p.page, p.send_resolved) for n, p in section.priorities.items()} == {
        "high": ("alarms_high", True, True),
        "low": ("alarms_low", False, True),
        "info": ("notify", False, False),
    }
    assert [(r.window, r.target) for r in section.responders] == [
        ("support", "support"),
        ("oncall", "oncall"),
    ]


BAD_PROCESS = """
[alarms]
default_priority = "urgent"
update_interval = "soon"

[[alarms.routes]]
matchers = ['severity=critical']
priority = "high"
"""


def test_process_file_problems_are_all_named(make_runtime) -> None:
    with pytest.raises(ProcessError) as error:
        make_runtime(process=BAD_PROCESS)
    problems = "\n".join(error.value.problems)
    assert "alarms.routes[0].matchers[0]: 'severity=critical': expected label=\"value\"" in problems
    assert (
        "alarms.update_interval: 'soon' is not a duration (write e.g. 30m, 2h, 1h30m or 7d)"
        in problems
    )


def test_unknown_priority_in_a_route_is_refused(make_runtime) -> None:
    with pytest.raises(ProcessError) as error:
        make_runtime(process='[[alarms.routes]]\nmatchers = []\npriority = "p1"\n')
    assert any(
        p.endswith("alarms: routes[0].priority: 'p1' is not in priorities (high, low, info)")
        for p in error.value.problems
    ), error.value.problems


def test_chat_parser_reads_alertmanagers_default_slack_subject() -> None:
    assert parse_alertmanager_slack(
        "[FIRING:2] CPU-High node-exporter (live warning)\n*Summary:* CPU above 80%"
    ) == [
        {
            "title": "CPU-High",
            "dedup_key": "slack:CPU-High node-exporter",
            "group_key": "slack:CPU-High node-exporter",
            "status": "firing",
            "labels": {"alertname": "CPU-High"},
            "summary": "Summary: CPU above 80%",
            "description": "",
        }
    ]
    assert parse_alertmanager_slack("*[RESOLVED]* DiskFull db1")[0]["status"] == "resolved"
    assert parse_alertmanager_slack("is anyone looking at [FIRING:1] X?") is None
    assert parse_alertmanager_slack("[FIRING:1]   ") is None


def test_the_plain_alarm_row_has_every_column_of_the_table() -> None:
    """Ingest reads and writes alarms as ``GroupRow``: a column it lacked would be lost."""
    assert set(COLUMNS) == set(AlarmGroup.__table__.columns.keys())


def test_a_plain_alarm_row_knows_which_columns_changed() -> None:
    values = dict.fromkeys(COLUMNS, 0)
    row, saved = GroupRow.loaded(values)
    assert row.changed(saved) == {}
    row.episode, row.status = 1, "firing"
    assert row.changed(saved) == {"episode": 1, "status": "firing"}
    assert saved["episode"] == 0  # the copy is not the row


def test_the_known_alerts_lookup_uses_the_hash_index_without_statistics(
    make_runtime: Callable[..., Runtime],
) -> None:
    """Before alarms_0003, PostgreSQL without statistics scanned every alert of the source."""
    runtime = make_runtime(
        disabled_plugins=frozenset(DEFAULT_PLUGINS) - {"alarms", "system", "team"}
    )
    if runtime.db.dialect != "postgresql":
        pytest.skip("SQLite has no planner statistics to lack")
    now = datetime.now(UTC)
    rows = [
        {
            "group_id": 1,
            "source": "alertmanager",
            "key_hash": key_hash(str(i)),
            "dedup_key": str(i),
            **dict.fromkeys(("title", "summary", "description", "runbook_url", "url"), ""),
            "labels": {},
            "priority": "low",
            "status": "resolved",
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for i in range(1000)
    ]
    group = {
        "id": 1,
        "source": "alertmanager",
        "key_hash": "g",
        "group_key": "g",
        "title": "t",
        "priority": "low",
        "channel": "c",
        "status": "resolved",
        "first_seen_at": now,
        "fired_at": now,
        "last_notified_at": now,
    }
    with runtime.db.session() as session:
        session.execute(insert(AlarmGroup), [group])
        session.execute(insert(AlarmAlert), rows)
    lookup = KNOWN_ALERTS.params(source="alertmanager", hashes=[r["key_hash"] for r in rows[:100]])
    sql = lookup.compile(runtime.db.engine, compile_kwargs={"literal_binds": True})
    with runtime.db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")  # as on a big table: which index?
        plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {sql}").scalars())
    assert "Index Cond: (((key_hash)::text = ANY" in plan, plan
