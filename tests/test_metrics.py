"""The metrics plugin: periods, merging contributions, !stats, charts, the digest, the report
CLI and GET /metrics.

Every other feature plugin is disabled: the figures come from ``Contributor``, a test-only
plugin with fixed, hand-written figures, so each expectation below is computable by hand and
does not move when a feature's own figures change (those are tested in test_metrics_contrib*).
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from core import hookimpl
from core.chat import NO_FILES
from core.cli import main
from core.clock import FakeClock
from core.models import ChatPost
from core.plugin_manager import DEFAULT_PLUGINS
from core.receiver import Credential
from core.runtime import Runtime
from plugins.metrics import charts, periods, report
from plugins.metrics.collect import collect
from plugins.metrics.render import section_line
from tests.conftest import ROOT, ChatBot, advance

LONDON = ZoneInfo("Europe/London")
OTHER_FEATURES = frozenset(DEFAULT_PLUGINS) - {"metrics", "system", "team"}
TOKEN = "metrics-scrape-token-0123456789"
TEAM = "#cloud-platform"


class Contributor:
    """Fixed figures in three sections, one service's downtime, one health gauge."""

    def __init__(self) -> None:
        self.calls: list[tuple[datetime, datetime, str | None]] = []

    @hookimpl
    def dutybot_metrics(
        self, start: datetime, end: datetime, priority: str | None
    ) -> dict[str, dict[str, Any]]:
        self.calls.append((start, end, priority))
        return {
            "alarms": {
                "by_priority": {"high": 2, "low": 5},
                "top_noisy": [["DiskFull", 4], ["CPUHigh", 1]],
            },
            "requests": {
                "opened": 12 if priority is None else 3,
                "median_response_minutes": 80,
                "p90_resolve_minutes": None,
                "within_target_percent": {"high": 75.0, "normal": 100.0},
            },
        }

    @hookimpl
    def dutybot_availability(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return [
            {"service": "api", "downtime_minutes": 60.48, "source": "test"},
            {"service": "api", "downtime_minutes": 40.32, "source": "test"},
            {"service": "web", "downtime_minutes": 10**9, "source": "test"},
        ]

    @hookimpl
    def dutybot_gauges(self) -> dict[str, float]:
        return {"pager_outbox_depth": 3.0}


class OnCall:
    """A second contributor without ``priority``: adds a section and clashes on one figure."""

    @hookimpl
    def dutybot_metrics(self) -> dict[str, dict[str, Any]]:
        return {
            "oncall": {
                "pages_per_person": {"alice": {"working": 1, "night": 2}, "bob": {"night": 1}}
            },
            "requests": {"opened": 999},
        }


@pytest.fixture
def contributor() -> Contributor:
    return Contributor()


@pytest.fixture
def metrics_runtime(make_runtime: Callable[..., Runtime], contributor: Contributor) -> Runtime:
    return make_runtime(plugins=(contributor,), disabled_plugins=OTHER_FEATURES)


# --- periods ----------------------------------------------------------------------------------


def test_periods_are_local_calendar_spans_across_dst() -> None:
    during_dst_end = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)  # clocks went back at 02:00 BST
    week = periods.current("week", during_dst_end, LONDON)
    assert (week.first, week.last) == (date(2026, 10, 19), date(2026, 10, 25))
    assert week.start == datetime(2026, 10, 18, 23, 0, tzinfo=UTC)  # Monday 00:00 BST
    assert week.end == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)  # Monday 00:00 GMT
    quarter = periods.current("quarter", during_dst_end, LONDON)
    assert quarter.start == datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
    assert quarter.end == datetime(2027, 1, 1, tzinfo=UTC)
    assert quarter.label == "2026 Q4"
    month = periods.current("month", datetime(2026, 12, 31, 23, 59, tzinfo=UTC), LONDON)
    assert (month.first, month.last, month.label) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
        "December 2026",
    )


def test_previous_is_the_last_completed_period() -> None:
    monday_nine = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    week = periods.previous("week", monday_nine, LONDON)
    assert (week.first, week.last) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week.label == "week of Mon 23 Nov 2026"
    assert periods.previous("quarter", monday_nine, LONDON).label == "2026 Q3"
    assert periods.previous("month", datetime(2027, 1, 5, tzinfo=UTC), LONDON).label == (
        "December 2026"
    )
    this = periods.current("week", monday_nine, LONDON)
    assert this.so_far(monday_nine) == monday_nine
    assert week.so_far(monday_nine) == week.end


# --- collect ----------------------------------------------------------------------------------


def test_collect_merges_sections_in_order_and_keeps_the_first_of_a_clash(
    make_runtime: Callable[..., Runtime],
    contributor: Contributor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = make_runtime(plugins=(OnCall(), contributor), disabled_plugins=OTHER_FEATURES)
    week = periods.previous("week", runtime.clock.now(), LONDON)
    figures = collect(runtime, week.start, week.end, "high")
    assert list(figures) == ["requests", "oncall", "alarms", "availability"]
    assert figures["requests"]["opened"] == 3  # Contributor registered last is called first
    assert "two plugins report requests.opened" in caplog.text
    assert figures["oncall"]["pages_per_person"]["alice"] == {"working": 1, "night": 2}
    assert contributor.calls == [(week.start, week.end, "high")]


def test_availability_sums_downtime_per_service_capped_at_the_period(
    metrics_runtime: Runtime,
) -> None:
    week = periods.previous("week", metrics_runtime.clock.now(), LONDON)  # 10,080 minutes
    availability = collect(metrics_runtime, week.start, week.end)["availability"]
    assert availability["downtime_minutes"] == {"api": pytest.approx(100.8), "web": 10080}
    assert availability["available_percent"] == {"api": pytest.approx(99.0), "web": 0.0}


# --- !stats -----------------------------------------------------------------------------------


@pytest.fixture
def stats_chat(metrics_runtime: Runtime) -> Any:
    bot = ChatBot(metrics_runtime)
    try:
        yield bot
        bot.assert_quiet()
    finally:
        bot.stop()


def test_stats_shows_this_week_so_far_compactly(
    stats_chat: ChatBot, contributor: Contributor
) -> None:
    reply = stats_chat.ask("!stats")
    lines = reply.splitlines()
    assert lines[0] == "Figures for week of Mon 30 Nov 2026 so far"
    assert lines[1] == (
        "- Requests: opened 12 · median response 1h 20m · within target high 75.0%, normal 100.0%"
    )
    assert lines[2] == "- Alarms: by priority high 2, low 5 · top noisy DiskFull (4), CPUHigh (1)"
    # 100.8 of the 480 minutes so far for api (79%); web's downtime is capped at all of them
    assert lines[3] == "- Availability: available api 79.0%, web 0.0% · downtime api 1h 40m, web 8h"
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert contributor.calls == [(monday, monday + timedelta(hours=8), None)]


def test_stats_filters_by_period_section_and_priority(
    stats_chat: ChatBot, contributor: Contributor
) -> None:
    reply = stats_chat.ask("!stats quarter requests --priority P1")
    assert reply.splitlines() == [
        "Figures for 2026 Q4 so far, priority P1",
        "- Requests: opened 3 · median response 1h 20m · within target high 75.0%, normal 100.0%",
    ]
    assert contributor.calls[0][0] == datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
    assert contributor.calls[0][2] == "P1"


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("!stats fortnight", "I don't know 'fortnight': give a period (week, month, quarter)"),
        ("!stats week --priority", "--priority needs a priority name"),
        ("!stats --priority 'high; drop'", "--priority needs a priority name"),
    ],
)
def test_stats_explains_bad_input_with_usage(
    stats_chat: ChatBot, command: str, problem: str
) -> None:
    reply = stats_chat.ask(command)
    assert problem in reply
    assert "Usage: !stats [week|month|quarter] [requests|incidents|oncall|alarms]" in reply


def test_stats_chart_says_in_text_that_this_backend_cannot_show_images(
    stats_chat: ChatBot,
) -> None:
    said = [stats_chat.ask("!stats chart month"), *(stats_chat.pop() for _ in range(3))]
    assert said[-1] == "Charts for November 2026 so far: Requests, Alarms, Availability."
    assert said[:-1] == [
        f"{name} — November 2026 so far [{name.lower()}-2026-11-01.png] {NO_FILES}"
        for name in ("Requests", "Alarms", "Availability")
    ]


# --- charts -----------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height in a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_a_section_chart_is_a_valid_png_of_the_fixed_size() -> None:
    figures = {
        "by_priority": {"high": 2, "low": 5},
        "top_noisy": [["DiskFull", 4], ["CPUHigh", 1]],
        "pages_per_person": {"alice": {"working": 1, "night": 2}, "bob": {"night": 1}},
        "opened": 12,
    }
    png = charts.section_png("alarms", figures, "week of Mon 23 Nov 2026")
    assert png is not None
    assert png_size(png) == (charts.WIDTH, charts.HEIGHT) == (800, 450)
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    assert charts.section_png("requests", {"opened": 12, "by_priority": {"high": 0}}, "x") is None


# --- the weekly digest ------------------------------------------------------------------------


class Chat:
    """Recording sinks: what a file-capable backend would have posted and uploaded."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []
        self.uploads: list[tuple[str, str, str, bytes]] = []

    def post(self, address: str, text: str, parent_ref: str | None) -> str:
        self.posts.append((address, text))
        return f"ref-{len(self.posts)}"

    def upload(
        self, address: str, caption: str, name: str, data: bytes, parent_ref: str | None
    ) -> str:
        assert parent_ref == "ref-1"  # in the digest's thread
        self.uploads.append((address, caption, name, data))
        return f"upload-{len(self.uploads)}"


def test_digest_posts_last_week_with_charts_once_across_restarts(
    make_runtime: Callable[..., Runtime], contributor: Contributor, clock: FakeClock
) -> None:
    runtime = make_runtime(plugins=(contributor,), disabled_plugins=OTHER_FEATURES)
    chat = Chat()
    runtime.chat.attach(chat.post, chat.upload)
    ran = advance(runtime, clock, clock.now() + timedelta(hours=1, minutes=30))
    assert ran == [("metrics.digest", datetime(2026, 11, 30, 9, 0, tzinfo=UTC))]
    assert contributor.calls == [
        (datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC), None)
    ]
    [(address, text)] = chat.posts
    assert address == TEAM
    assert text.splitlines()[0] == "*Weekly figures: week of Mon 23 Nov 2026*"
    assert "- *Requests*: opened 12 · median response 1h 20m" in text
    assert "- *Availability*: available api 99.0%, web 0.0%" in text
    names = [name for _, _, name, _ in chat.uploads]
    assert names == [
        "requests-2026-11-23.png",
        "alarms-2026-11-23.png",
        "availability-2026-11-23.png",
    ]
    assert all(png_size(data) == (800, 450) for *_, data in chat.uploads)
    assert chat.uploads[0][1] == "Requests — week of Mon 23 Nov 2026"

    # A restart at 09:00:30 (e.g. a deploy) and a replica on the same database: nothing again.
    runtime.stop()
    clock.set(datetime(2026, 11, 30, 9, 0, 30, tzinfo=UTC))
    again = make_runtime(plugins=(Contributor(),), disabled_plugins=OTHER_FEATURES)
    later = Chat()
    again.chat.attach(later.post, later.upload)
    advance(again, clock, datetime(2026, 12, 4, 18, 0, tzinfo=UTC), step=timedelta(minutes=30))
    assert later.posts == later.uploads == []
    with again.db.session() as session:
        keys = session.scalars(select(ChatPost.key).order_by(ChatPost.id)).all()
    assert keys[0] == "metrics.digest:2026-11-23"
    assert len(keys) == 4


def test_digest_on_a_bank_holiday_monday_goes_out_on_tuesday_as_text(
    make_runtime: Callable[..., Runtime], contributor: Contributor, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 12, 28, 8, 0, tzinfo=UTC))  # Boxing Day (substitute), a Monday
    runtime = make_runtime(plugins=(contributor,), disabled_plugins=OTHER_FEATURES)
    chat = Chat()
    runtime.chat.attach(chat.post)  # a text-only backend: no file sink
    ran = advance(runtime, clock, datetime(2026, 12, 30, 10, 0, tzinfo=UTC), timedelta(minutes=15))
    assert [fire for _, fire in ran] == [
        datetime(2026, 12, 29, 9, 0, tzinfo=UTC),
        datetime(2026, 12, 30, 9, 0, tzinfo=UTC),
    ]
    assert [text.splitlines()[0] for _, text in chat.posts] == [
        "*Weekly figures: week of Mon 21 Dec 2026*",
        f"Requests — week of Mon 21 Dec 2026 [requests-2026-12-21.png] {NO_FILES}",
        f"Alarms — week of Mon 21 Dec 2026 [alarms-2026-12-21.png] {NO_FILES}",
        f"Availability — week of Mon 21 Dec 2026 [availability-2026-12-21.png] {NO_FILES}",
    ]
    assert len(contributor.calls) == 1


# --- dutybot report ---------------------------------------------------------------------------


def test_report_formats(metrics_runtime: Runtime) -> None:
    options = argparse.Namespace(
        first=date(2026, 11, 23), last=date(2026, 11, 29), format="json", priority="high"
    )
    body = json.loads(report.run(metrics_runtime, options))
    assert body["from"] == "2026-11-23" and body["to"] == "2026-11-29"
    assert body["end"] == "2026-11-30T00:00:00+00:00"
    assert body["priority"] == "high"
    assert body["figures"]["requests"]["opened"] == 3
    assert body["figures"]["alarms"]["top_noisy"] == [["DiskFull", 4], ["CPUHigh", 1]]

    options.format, options.priority = "csv", None
    rows = report.run(metrics_runtime, options).splitlines()
    assert rows[0] == "section,figure,key,value"
    assert "requests,opened,,12" in rows
    assert "requests,p90_resolve_minutes,," in rows
    assert "requests,within_target_percent,high,75.0" in rows
    assert "alarms,top_noisy,DiskFull,4" in rows
    assert "availability,available_percent,api,99.0" in rows

    options.format = "markdown"
    markdown = report.run(metrics_runtime, options)
    assert markdown.startswith("# Figures 2026-11-23 to 2026-11-29\n\n## Requests\n")
    assert "| median_response_minutes | 1h 20m |" in markdown


def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("DUTYBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DUTYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DUTYBOT_DISABLE_PLUGINS", ",".join(sorted(OTHER_FEATURES)))


def test_report_command_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
) -> None:
    cli_env(monkeypatch, database_url, tmp_path)
    args = ["report", "--from", "2026-10-01", "--to", "2026-12-31", "--format", "json"]
    assert main(args) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["start"], body["end"]) == (
        "2026-09-30T23:00:00+00:00",
        "2027-01-01T00:00:00+00:00",
    )
    assert body["figures"] == {"availability": {"available_percent": {}, "downtime_minutes": {}}}


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            ["--from", "2026-13-01", "--to", "2026-12-31"],
            "'2026-13-01' is not a date; write YYYY-MM-DD",
        ),
        (["--from", "2026-12-01"], "the following arguments are required: --to"),
        (
            ["--from", "2026-12-01", "--to", "2026-11-30"],
            "--to 2026-11-30 is before --from 2026-12-01",
        ),
        (
            ["--from", "2026-12-01", "--to", "2026-12-31", "--format", "xls"],
            "invalid choice: 'xls'",
        ),
    ],
)
def test_report_refuses_bad_options_with_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
    args: list[str],
    problem: str,
) -> None:
    cli_env(monkeypatch, database_url, tmp_path)
    assert main(["report", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert problem in captured.err
    assert captured.err.startswith("usage: dutybot report")


# --- GET /metrics -----------------------------------------------------------------------------


def scrape(runtime: Runtime, token: str | None) -> tuple[int, str, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{runtime.receiver.port}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_metrics_endpoint_exports_figures_and_health(
    make_runtime: Callable[..., Runtime], contributor: Contributor, clock: FakeClock
) -> None:
    runtime = make_runtime(
        plugins=(contributor,),
        disabled_plugins=OTHER_FEATURES,
        http_enabled=True,
        http_port=0,
        credentials={"metrics": Credential(token=TOKEN)},
    )
    advance(runtime, clock, datetime(2026, 11, 30, 9, 30, tzinfo=UTC), timedelta(minutes=30))
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert scrape(runtime, None)[0] == 401
    status, content_type, body = scrape(runtime, TOKEN)
    assert status == 200 and content_type.startswith("text/plain; version=")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    plain, month, requests = ("key", ""), ("period", "month"), ("section", "requests")
    assert samples[("dutybot_requests_opened", (plain, ("period", "week"), requests))] == 12
    assert samples[("dutybot_requests_opened", (plain, month, requests))] == 12
    top_noisy = (("key", "DiskFull"), month, ("section", "alarms"))
    assert samples[("dutybot_alarms_top_noisy", top_noisy)] == 4
    within = (("key", "high"), month, requests)
    assert samples[("dutybot_requests_within_target_percent", within)] == 75
    undefined = ("dutybot_requests_p90_resolve_minutes", (plain, month, requests))
    assert undefined not in samples
    assert samples[("dutybot_pager_outbox_depth", ())] == 3
    assert samples[("dutybot_scheduler_last_run_age_seconds", ())] == 3600  # the 09:00 digest
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert (monday, clock.now(), None) in contributor.calls  # this week so far


def test_metrics_endpoint_refuses_when_no_token_is_configured(
    make_runtime: Callable[..., Runtime], contributor: Contributor
) -> None:
    runtime = make_runtime(
        plugins=(contributor,), disabled_plugins=OTHER_FEATURES, http_enabled=True, http_port=0
    )
    status, _, body = scrape(runtime, TOKEN)
    assert status == 401
    assert json.loads(body) == {
        "reason": "no credentials are configured for source 'metrics'; refusing"
    }
    assert contributor.calls == []


# --- docs -------------------------------------------------------------------------------------


def test_every_builtin_figure_is_documented(make_runtime: Callable[..., Runtime]) -> None:
    """docs/metrics.md names every figure the built-in features report (on an empty database)."""
    runtime = make_runtime()
    week = periods.previous("week", runtime.clock.now(), LONDON)
    figures = collect(runtime, week.start, week.end)
    assert set(figures) == {"requests", "incidents", "oncall", "alarms", "availability"}
    docs = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    missing = [
        f"{s}.{name}" for s, items in figures.items() for name in items if f"`{name}`" not in docs
    ]
    assert not missing, f"figures not in docs/metrics.md: {missing}"


def test_compact_lines_leave_out_undefined_figures() -> None:
    assert section_line("oncall", {"pages": 0, "acknowledge_median_minutes": None}) == (
        "*On-call*: pages 0"
    )
    assert section_line("alarms", {"top_noisy": [], "by_priority": {}}) == (
        "*Alarms*: nothing to report"
    )


def test_stats_chart_uploads_where_the_backend_can(metrics_runtime: Runtime) -> None:
    """The bridge's upload path, through Errbot: the bridge is re-attached as it is on a backend
    that uploads files, and the test backend's ``send_stream_request`` queues the file's bytes
    where a message would go."""
    bot = ChatBot(metrics_runtime)
    try:
        bridge = bot.backend.plugin_manager.plugins["Dutybot"]
        metrics_runtime.chat.attach(bridge._deliver, bridge._upload)
        said = [bot.ask("!stats chart week alarms"), bot.pop(), bot.pop()]
        bot.assert_quiet()
    finally:
        bot.stop()
    caption, png, reply = said
    assert caption == "Alarms — week of Mon 30 Nov 2026 so far"
    assert png_size(png) == (800, 450)
    assert reply == "Charts for week of Mon 30 Nov 2026 so far: Alarms."


def test_digest_time_and_channel_come_from_the_process_file(
    make_runtime: Callable[..., Runtime], contributor: Contributor, clock: FakeClock
) -> None:
    process = (
        '[channels]\nsupport = "#ask"\n\n[metrics]\nchannel = "support"\ndigest_time = "10:30"\n'
    )
    runtime = make_runtime(process=process, plugins=(contributor,), disabled_plugins=OTHER_FEATURES)
    chat = Chat()
    runtime.chat.attach(chat.post)
    ran = advance(runtime, clock, datetime(2026, 11, 30, 11, 0, tzinfo=UTC), timedelta(minutes=15))
    assert ran == [("metrics.digest", datetime(2026, 11, 30, 10, 30, tzinfo=UTC))]
    assert {address for address, _ in chat.posts} == {"#ask"}


def test_no_digest_job_when_switched_off(
    make_runtime: Callable[..., Runtime], contributor: Contributor
) -> None:
    runtime = make_runtime(
        process="[metrics]\ndigest = false\n",
        plugins=(contributor,),
        disabled_plugins=OTHER_FEATURES,
    )
    assert [job.name for job in runtime.scheduler.jobs if job.name.startswith("metrics")] == []


def test_stats_chart_with_nothing_to_draw(stats_chat: ChatBot) -> None:
    assert stats_chat.ask("!stats chart incidents") == (
        "Nothing to chart for week of Mon 30 Nov 2026 so far: no breakdown has any figures yet."
    )
    assert stats_chat.ask("!stats incidents").splitlines()[1] == "- Incidents: nothing to report"
