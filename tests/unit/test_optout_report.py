"""The opt-out report a coordinator files: what was entered, on what request, when, by whom."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import html as html_lib
import json
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.optout.outputs import write_outputs
from flows.optout.roster import load_roster
from flows.optout.run import RunResult
from tests.demo_report import (
    ROLE,
    SAMPLE,
    START,
    USER,
    demo_items,
    demo_settings,
    write_demo_report,
)

HEADLINE = "180 opt-outs entered and read back from TOMS; 3 were already there; 15 need you."


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo run's folder: report.html, results.csv and summary.json."""
    run_dir = tmp_path_factory.mktemp("state") / "apply-demo"
    write_demo_report(run_dir)
    return run_dir


def report_of(run_dir: Path) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


def section(page: str, heading: str) -> str:
    start = page.index(heading)
    return page[start : page.index("</section>", start)]


def table_rows(part: str) -> list[str]:
    """The text of each body row of the tables in ``part``, tags removed."""
    body = "".join(re.findall(r"<tbody>(.*?)</tbody>", part, re.DOTALL))
    return [
        html_lib.unescape(re.sub(r"<[^>]+>", " ", row))
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
    ]


def results(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "results.csv").open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def write(
    run_dir: Path, items: list[object], *, kind: str = "apply", stopped: str | None = None,
    redact: bool = False, tz: dt.tzinfo | None = dt.UTC,
) -> str:
    result = RunResult(
        run_id="r1", run_dir=run_dir, counts={}, exit_code=1, stopped=stopped, elapsed_s=12.0,
        rows_per_s=1.0, p50_s=1.0, p95_s=2.0,
    )
    write_outputs(
        items, "r1", run_dir, kind=kind, roster=SAMPLE,  # type: ignore[arg-type]
        settings=demo_settings(run_dir.parent), started=START, result=result, redact=redact,
        tz=tz, finished=START + 12,
    )
    return report_of(run_dir)


# --- first: the headline, in words ------------------------------------------------------------


def test_the_report_opens_with_the_run_in_words(demo: Path) -> None:
    page = report_of(demo)
    body = page[page.index("<body>") :]
    assert f'<h1 class="headline">{HEADLINE}</h1>' in body
    assert body.index(HEADLINE) < body.index("Needs a person") < body.index("Every row")
    assert (
        "Entered in TOMS by lea.coordinator@example.org (LEA CAASPP Coordinator), "
        "Apr 3, 2026, 9:12 \u2013 9:14 AM PDT, from the roster sample.csv (198 rows)."
    ) in body
    assert json.loads((demo / "summary.json").read_text())["headline"] == HEADLINE


def test_a_plan_says_what_would_be_set_and_that_nothing_changed(tmp_path: Path) -> None:
    items = [
        dataclasses.replace(i, status="set", result={}) if i.status == "applied" else i
        for i in demo_items()
    ]
    page = write(tmp_path / "plan", items, kind="plan")
    assert (
        '<h1 class="headline">180 opt-outs would be set in TOMS; 3 are already there; '
        "15 need you first. Nothing was changed in TOMS.</h1>"
    ) in page
    assert "Read from TOMS by lea.coordinator@example.org" in page
    assert "<strong>180</strong>would be set" in page


def test_a_stopped_run_says_so_and_what_to_do(tmp_path: Path) -> None:
    items = demo_items()
    items = [dataclasses.replace(i, status="pending", result={}) for i in items[:5]] + items[5:]
    page = write(tmp_path / "stopped", items, stopped="5 system failures in a row")
    assert (
        '<p class="alert">The run stopped before the end: 5 system failures in a row. Fix the '
        "cause, then run the same command again to continue.</p>"
    ) in page
    assert "<h3>Not done (5)</h3>" in page
    not_done = table_rows(section(page, "Every row (198)"))[0]
    assert "Not done" in not_done and "UTC" not in not_done  # no time: nothing happened yet
    assert "19 need you." in page  # the 5 not done, and the 14 other rows blocked


def test_when_all_went_well_nothing_needs_you(tmp_path: Path) -> None:
    items = [i for i in demo_items() if i.status == "applied"][:4]
    page = write(tmp_path / "ok", items)
    headline = "4 opt-outs entered and read back from TOMS; nothing needs you."
    assert f'<h1 class="headline">{headline}</h1>' in page
    assert "Nothing needs a person" in page


# --- then: what needs a person, and what to do --------------------------------------------


def test_each_kind_of_trouble_says_what_to_do_next(demo: Path) -> None:
    attention = section(report_of(demo), "Needs a person (15)")
    groups = re.findall(r"<h3>(.*?)</h3>\s*<p class=\"advice\">(.*?)</p>", attention, re.DOTALL)
    assert [title for title, _ in groups] == [
        "Not found (3)", "Name mismatch (3)", "Test not assigned (3)", "Test submitted (3)",
        "Another code already set (3)",
    ]  # fmt: skip
    advice = {title.split(" (")[0]: html_lib.unescape(text) for title, text in groups}
    assert "Check each SSID in your student information system" in advice["Not found"]
    assert "correct the name in the roster" in advice["Name mismatch"]
    assert "Check the student's grade and test assignments in TOMS" in advice["Test not assigned"]
    assert "a condition code can no longer be set for it" in advice["Test submitted"]
    assert "never replaces one" in advice["Another code already set"]


def test_a_row_that_needs_a_person_says_what_toms_shows(demo: Path) -> None:
    rows = table_rows(section(report_of(demo), "Needs a person (15)"))
    assert len(rows) == 15
    mismatch = next(r for r in rows if " 132 " in f" {r} ")
    assert "TOMS shows GARCIA, ABIGAIL, the roster says Abigail Kim" in mismatch
    assert "2026-01-24 letter" in mismatch and "screenshot" in mismatch
    assert any("the test is Completed" in r for r in rows)
    assert any("TOMS has NTE for this test" in r for r in rows)
    assert sum("no student with this SSID" in r for r in rows) == 3


def test_a_failed_row_says_to_run_again_and_its_reason(tmp_path: Path) -> None:
    items = demo_items()[:3]
    items[0] = dataclasses.replace(
        items[0], status="failed", reason="the portal did not show COND. CODE for "
        f"{items[0].payload['test']} within 30 s (gave up after 3 attempts)",
        result={"evidence": "rows/row-00002/attempt-3"},
    )
    attention = section(write(tmp_path / "failed", items), "Needs a person (2)")
    assert "<h3>Failed (1)</h3>" in attention
    assert "Run the same command again" in attention
    assert "the portal did not show COND. CODE for California Spanish Assessment" in attention
    assert '<a href="rows/row-00002/attempt-3">attempt-3</a>' in attention


# --- every row: the request, who, when ------------------------------------------------------


def test_every_row_shows_its_request_the_toms_user_and_role_and_the_local_time(
    demo: Path,
) -> None:
    rows = table_rows(section(report_of(demo), "Every row (198)"))
    roster = load_roster(SAMPLE)
    assert len(rows) == 198 == len(roster)
    for text, row in zip(rows, roster, strict=True):
        assert text.split()[0] == str(row.row)
        assert row.ssid in text and row.exemption_on_file in text
        assert USER in text and ROLE in text
        assert re.search(r"Apr 3, 2026,\s+9:1[234] AM PDT", text), text
    assert "Entered, read back" in rows[0]
    assert "Needs you: not found" in rows[1]


def test_results_csv_has_the_request_user_role_and_local_time(demo: Path) -> None:
    first, second = results(demo)[:2]
    assert (first["row"], first["exemption_on_file"], first["user"], first["role"]) == (
        "2", "doc 3109", USER, ROLE
    )
    assert first["time"] == "2026-04-03T09:12:05-07:00"
    assert (second["status"], second["exemption_on_file"]) == ("blocked", "doc 3406")
    assert list(first)[:7] == ["row", "ssid", "name", "test", "code", "status", "reason"]


@pytest.fixture()
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("new_york")
def test_times_are_in_this_machines_zone_unless_one_is_given(tmp_path: Path) -> None:
    items = demo_items()[:1]
    assert "12:12 PM EDT" in write(tmp_path / "local", items, tz=None)
    assert results(tmp_path / "local")[0]["time"] == "2026-04-03T12:12:05-04:00"
    assert "4:12 PM UTC" in write(tmp_path / "utc", items, tz=dt.UTC)


# --- last: the details ------------------------------------------------------------------------


def test_engineering_figures_are_in_details_at_the_end(demo: Path) -> None:
    page = report_of(demo)
    details = page.index("<h2>Details</h2>")
    for label in ("Rows per second", "(p50)", "p95", "apply-20260403-161205-demo",
                  str((demo / "results.csv").resolve()), "Workers"):
        assert details < page.index(label), label


# --- private, and redacted for sharing --------------------------------------------------------


def test_the_files_are_private(demo: Path) -> None:
    assert stat.S_IMODE(demo.stat().st_mode) == 0o700
    for name in ("report.html", "results.csv", "summary.json"):
        assert stat.S_IMODE((demo / name).stat().st_mode) == 0o600


def test_redacted_files_hold_no_name_or_ssid(tmp_path: Path) -> None:
    run_dir = tmp_path / "redacted"
    write_demo_report(run_dir, redact=True)
    shared = (run_dir / "report.html").read_text() + (run_dir / "results.csv").read_text()
    names = {n for i in demo_items() for n in str(i.result.get("name", "")).split(", ") if n}
    for row in load_roster(SAMPLE):
        assert row.ssid not in shared
        assert "******" + row.ssid[-4:] in shared
        names |= {row.last_name, row.first_name}
    for name in names:
        assert not re.search(rf"\b{re.escape(name)}\b", shared), name
    assert "TOMS shows A. G., the roster says A. K." in shared  # row 132's mismatch
    assert "Names are shown as initials and SSIDs masked" in shared
