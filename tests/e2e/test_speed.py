"""Speed, as far as a test can show it: the page loads a student costs, and the benchmark's parts.

Rates are measured by ``python -m benchmarks.bulk_optout``, never asserted here; what is asserted
is what makes them: no page load the documented steps do not need, every saved code still read
back, and two limits that do the same work as toms-rpa.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from benchmarks.bulk_optout import build_roster
from flows.optout.roster import TESTS
from rpa.browser import open_browser
from rpa.settings import load_settings
from tests.conftest import Portal
from tests.e2e.helpers import only_run, results, toms, toms_env
from tests.run_async import run_async

SHORT = {full: short for short, full in TESTS.items()}


def _one_row_per_student(portal: Portal, path: Path, students: int, skip: int) -> list[str]:
    chosen: list[dict[str, str]] = []
    for student in portal.students()[skip:]:
        free = [a for a in student["assignments"]
                if a["status"] == "Assigned" and a["condition_code"] is None]
        if free and len(chosen) < students:
            chosen.append({
                "ssid": student["ssid"], "first_name": student["first_name"],
                "last_name": student["last_name"], "test": SHORT[free[0]["test"]],
                "code": "PGE", "exemption_on_file": "2026-03-02 letter",
            })
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(chosen[0]))
        writer.writeheader()
        writer.writerows(chosen)
    return [row["ssid"] for row in chosen]


def _documents_for(
    portal: Portal, tmp_path: Path, students: int, name: str, **faults: Any
) -> dict[str, int]:
    """Apply one row for each of ``students`` students with one worker; the portal's counts."""
    roster = tmp_path / f"{name}.csv"
    _one_row_per_student(portal, roster, students, skip=200)
    portal.client.post("/__mock__/reset").raise_for_status()  # counters from zero, same data
    if faults:
        portal.faults(**faults)
    state = tmp_path / name
    done = toms(["optout", "apply", str(roster), "--workers", "1"], toms_env(portal, state),
                tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = results(only_run(state))
    assert [r["status"] for r in rows] == ["applied"] * students
    assert all(r["code_after"] == "PGE" for r in rows)  # each saved code was read back
    counts: dict[str, int] = portal.client.get("/__mock__/stats").json()
    return counts


def test_a_student_costs_four_page_loads_and_nothing_else(portal: Portal, tmp_path: Path) -> None:
    # The guide's steps need four: the search form, its results, the student's profile (its
    # Test Assignments tab is in the page), and the page the bottom SAVE returns. Start-up
    # (logon, MyTOMS) is the same for both runs, so the difference is the students' own.
    few = _documents_for(portal, tmp_path, 2, "few")
    more = _documents_for(portal, tmp_path, 6, "more")

    assert more["frame_documents"] - few["frame_documents"] == 4 * 4
    assert more["documents"] - few["documents"] == 4 * 4  # no top-level page per student
    # those four, plus the save's redirect: five requests a student (style sheets cached)
    assert more["requests"] - few["requests"] == 5 * 4


def test_where_profile_tabs_reload_the_flow_works_with_one_load_more(
    portal: Portal, tmp_path: Path
) -> None:
    # Another build of the portal may load each profile tab as a page: the same flow (click
    # the tab, wait for the table) works there, at the cost of that one load.
    few = _documents_for(portal, tmp_path, 2, "few", profile_tab_pages=True)
    more = _documents_for(portal, tmp_path, 6, "more", profile_tab_pages=True)

    assert more["frame_documents"] - few["frame_documents"] == 5 * 4
    assert more["documents"] - few["documents"] == 5 * 4


def _run_json(args: list[str], timeout: float = 600) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout,
        check=False, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_the_http_floor_does_the_same_work(portal: Portal, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    students = build_roster(portal.url, 12, roster)
    with roster.open(newline="") as fh:
        rows = list(csv.DictReader(fh))

    [figures] = _run_json(["benchmarks.http_floor", str(roster), "--url", portal.url,
                           "--workers", "3"])

    assert figures["rows"] == 12 and figures["students"] == students
    assert figures["requests_per_row"] == pytest.approx(4 * students / 12, abs=0.01)
    assert figures["rows_per_s"] > 0 and figures["p95_s"] >= figures["p50_s"]
    for row in rows:
        held = {a["test"]: a["condition_code"] for a in portal.student(row["ssid"])["assignments"]}
        assert held[TESTS[row["test"]]] == "PGE"


def test_the_browser_floor_loads_what_it_is_told() -> None:
    [figures] = _run_json(["benchmarks.browser_floor", "--rows", "8", "--workers", "2",
                           "--frame-loads", "1.5", "--page-loads", "0.25"])

    assert figures["rows"] == 8 and figures["workers"] == 2
    # 12 frame loads and 2 top loads, each top page with its frame: 16 documents loaded
    assert figures["documents"] == 16
    assert figures["loads_per_row"] == 2.0
    assert figures["rows_per_s"] > 0 and figures["p95_s"] >= figures["p50_s"]


def test_the_steps_floor_takes_each_step_of_each_student() -> None:
    [figures] = _run_json(["benchmarks.steps_floor", "--rows", "10", "--students", "4",
                           "--workers", "2"])

    assert figures["rows"] == 10 and figures["students"] == 4 and figures["workers"] == 2
    # Per student: four pages, the SSID typed, SEARCH, the magnifier, the tab, COND. CODE and
    # SAVE per code, the bottom SAVE, the breadcrumb; the codes read on three pages and back.
    assert figures["calls"] == {
        "loads": 16, "fills": 4, "selects": 10, "clicks": 4 * 5 + 2 * 10, "reads": 16,
        "waits": 4,
    }
    assert figures["documents"] == 16 and figures["loads_per_row"] == 1.6
    assert figures["rows_per_s"] > 0 and figures["p95_s"] >= figures["p50_s"]


def test_the_benchmark_prints_toms_rpa_beside_both_limits() -> None:
    lines = _run_json(["benchmarks.bulk_optout", "--rows", "12", "--workers", "2",
                       "--latency-ms", "0", "--students", "200", "--builds", "default", "alt",
                       "--json"])

    tool, alt, http, browser, steps = lines
    assert [line["who"] for line in lines] == [
        "toms-rpa", "toms-rpa (alt build)", "http floor", "browser floor", "steps floor"
    ]
    assert alt["rows"] == 12 and alt["steps_ratio"] > 0
    assert browser["loads_per_row"] == pytest.approx(tool["loads_per_row"], abs=0.01)
    floor = min(http["rows_per_s"], browser["rows_per_s"])
    assert tool["ratio"] == pytest.approx(floor / tool["rows_per_s"], abs=0.01)
    assert tool["steps_ratio"] == pytest.approx(steps["rows_per_s"] / tool["rows_per_s"], abs=0.01)
    # the steps floor does the same students' four pages each
    assert steps["loads_per_row"] == pytest.approx(4 * tool["students"] / 12, abs=0.01)
    for line in lines:
        assert line["workers"] == 2 and line["latency_ms"] == 0
        assert line["cpu_s"] > 0 and line["peak_mb"] > 0
        assert line["requests_per_row"] > 0


def test_the_step_profile_names_every_step_of_the_guide() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.profile_steps", "--rows", "4"],
        capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split(" | ")[0]: line.split(" | ")[1:] for line in done.stdout.splitlines()
            if " | " in line}
    for step in ("search the SSID, read the results", "open the student (magnifier)",
                 "Test Assignments tab", "stage a code (COND. CODE, PGE, SAVE)",
                 "bottom SAVE, read the codes back"):
        per_student, browser_ms, _python_ms, wall_ms = rows[step]
        assert float(per_student) >= 1 and float(wall_ms) > 0 and float(browser_ms) >= 0
    assert "bare page load in a frame" in done.stdout


def test_pages_run_in_v8_lite_mode() -> None:
    """The flag that keeps 8 workers well under 1.5 GB reaches the processes that run pages."""

    def renderers() -> dict[int, list[str]]:
        found = {}
        for proc in psutil.Process().children(recursive=True):
            try:
                cmdline = proc.cmdline()
            except psutil.Error:
                continue
            if "--type=renderer" in cmdline:
                found[proc.pid] = cmdline
        return found

    async def renderer_flags() -> list[list[str]]:
        before = renderers()  # another test's browser may share this process
        async with open_browser(load_settings()) as browser:
            page = await (await browser.new_context()).new_page()
            await page.set_content("<h1>page</h1>")
            return [cmdline for pid, cmdline in renderers().items() if pid not in before]

    launched = run_async(renderer_flags())

    assert launched
    assert all(any(arg.startswith("--js-flags=") and "--lite-mode" in arg for arg in cmdline)
               for cmdline in launched)
