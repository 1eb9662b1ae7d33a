"""Review of the metrics feature: defects found, each pinned by a test that failed before the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.aggregates import median_p90
from core.cli import main
from core.clock import FakeClock
from core.runtime import Runtime
from plugins.metrics import render, report
from plugins.pager import jobs
from plugins.triage.models import Request
from tests.test_metrics import cli_env
from tests.test_metrics_contrib import resolved_request, section
from tests.test_metrics_contrib_oncall import DEFAULT_PROCESS, idle, pager, receiver, run  # noqa: F401 (fixtures)
from tests.test_triage_harness import london


def test_time_to_acknowledge_is_the_first_acknowledgement_not_the_ack_of_a_repage(
    pager: Runtime,  # noqa: F811 (the fixture imported above)
    clock: FakeClock,
) -> None:
    # Mon 21 Dec 12:00 (support hours) bob is paged and acknowledges after 4 minutes; the page
    # stays open, so an hour later (repage_minutes = 60) he is re-paged and acknowledges again
    # at 13:30. His time to acknowledge is 4 minutes, not the 90 since the first call.
    run(pager, clock, london(2026, 12, 21, 12, 0), "page @bob disk full", "@alice")
    run(pager, clock, london(2026, 12, 21, 12, 4), "ack 1", "@bob")
    clock.set(london(2026, 12, 21, 13, 4))
    jobs.sweep(pager)
    idle(pager)
    run(pager, clock, london(2026, 12, 21, 13, 30), "ack 1", "@bob")
    figures = section(pager, "oncall")
    assert figures is not None
    assert (figures["pages"], figures["escalations"]) == (1, 0)  # a re-page is no escalation
    assert figures["acknowledge_median_minutes"] == 4.0
    assert figures["acknowledge_p90_minutes"] == 4.0


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "9999-12-31", "--to", "9999-12-31"],  # its end, the next midnight, is past 9999
        ["--from", "0001-01-01", "--to", "0001-01-02"],
    ],
)
def test_report_refuses_dates_at_the_ends_of_the_calendar_with_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
    args: list[str],
) -> None:
    cli_env(monkeypatch, database_url, tmp_path)
    process = tmp_path / "process.toml"  # east of UTC: 0001-01-01 00:00 local is before year 1 UTC
    process.write_text(
        DEFAULT_PROCESS.replace('timezone = "Europe/London"', 'timezone = "Asia/Tokyo"'),
        encoding="utf-8",
    )
    monkeypatch.setenv("DUTYBOT_PROCESS_FILE", str(process))
    assert main(["report", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: dutybot report")
    assert "out of range" in captured.err


def test_report_csv_keys_cannot_run_as_spreadsheet_formulas() -> None:
    """Alarm titles come from alert senders and end up as CSV keys; a spreadsheet would run one
    starting with ``=`` as a formula (CSV injection), so such keys are quoted with a ``'``."""
    figures = {
        "alarms": {
            "top_firing": [['=HYPERLINK("http://evil.example","x")', 3], ["DiskFull", 1]],
            "fired_by_priority": {"+high": 2, "@low": 1, "-info": 1},
        }
    }
    rows = report.as_csv(figures).splitlines()
    assert rows[1:] == [
        'alarms,top_firing,"\'=HYPERLINK(""http://evil.example"",""x"")",3',
        "alarms,top_firing,DiskFull,1",
        "alarms,fired_by_priority,'+high,2",
        "alarms,fired_by_priority,'@low,1",
        "alarms,fired_by_priority,'-info,1",
    ]


def test_report_markdown_keeps_a_title_with_a_line_break_in_its_row() -> None:
    figures = {"alarms": {"top_firing": [["Disk\nfull | now", 3]]}}
    assert "| top_firing | Disk full \\| now (3) |" in render.markdown("Figures", figures)


def test_a_median_survives_a_row_leaving_between_counting_and_reading(runtime: Runtime) -> None:
    """The counts per whole minute and the rows at the wanted ranks are two statements; on
    PostgreSQL (read committed) a request reopened in between leaves a bucket one row short.
    That must not crash !stats, the digest or a scrape: the values are read again."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        session.add_all(resolved_request(now, now, v) for v in (5.2, 5.3, 7.0))
    where = [Request.resolved_at.is_not(None)]
    counted_before_a_reopen = {5: 3, 7: 1}  # a fourth request, at 5.4 minutes, was reopened
    with runtime.db.session() as session:
        assert median_p90(
            session, Request.resolve_support_minutes, where, counted_before_a_reopen
        ) == (5.3, 7.0)
