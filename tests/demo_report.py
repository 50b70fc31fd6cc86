"""The demo's report without a browser: the sample roster's 198 rows, ended as the demo ends them.

``fixtures/rosters/sample.expected.csv`` says how each row of ``sample.csv`` ends against the
bundled portal; the journal items are made from that, with the reasons the worker gives, and
written by :func:`flows.optout.outputs.write_outputs` as a real run writes them.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.optout.outputs import write_outputs
from flows.optout.roster import load_roster
from flows.optout.run import RunResult
from rpa.journal import Item
from rpa.settings import Settings

ROSTERS = Path(__file__).resolve().parent.parent / "fixtures" / "rosters"
SAMPLE = ROSTERS / "sample.csv"
PACIFIC = ZoneInfo("America/Los_Angeles")
START = dt.datetime(2026, 4, 3, 9, 12, 5, tzinfo=PACIFIC).timestamp()
USER = "lea.coordinator@example.org"
ROLE = "LEA CAASPP Coordinator"
TOMS_LAST_NAMES = ("GARCIA", "NGUYEN", "SMITH")


def demo_settings(state_dir: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, username=USER, role=ROLE, portal_url="http://127.0.0.1:8000/",
        state_dir=state_dir,
    )


def demo_items() -> list[Item]:
    """The sample roster's items, each ended as ``sample.expected.csv`` says."""
    with (ROSTERS / "sample.expected.csv").open(newline="", encoding="utf-8") as fh:
        expected = {int(r["line"]): r["expected"] for r in csv.DictReader(fh)}
    items = []
    mismatches = 0
    for number, row in enumerate(load_roster(SAMPLE), start=1):
        kind = expected[row.row]
        toms_name = f"{row.last_name.upper()}, {row.first_name.upper()}"
        result: dict[str, object] = {"name": toms_name, "school": "Dana Hills High"}
        status, reason = "applied", ""
        if kind == "settable":
            result.update(code_before="", code_after=row.code)
        elif kind == "already_set":
            status = "already set"
            result.update(code_before=row.code, code_after=row.code)
        else:
            status = "blocked"
            result["evidence"] = f"rows/row-{row.row:05d}/screenshot.png"
            if kind == "not_found":
                result = {"evidence": result["evidence"]}
                reason = (f"not found: TOMS has no student with SSID {row.ssid} in your "
                          "organizations")
            elif kind == "name_mismatch":
                toms_name = f"{TOMS_LAST_NAMES[mismatches % 3]}, {row.first_name.upper()}"
                mismatches += 1
                result["name"] = toms_name
                given = f"{row.last_name}, {row.first_name}"
                reason = (f"name mismatch: the roster says {given!r}, TOMS shows "
                          f"{toms_name!r} for SSID {row.ssid}")
            elif kind == "not_assigned":
                reason = f"test not assigned: {row.test}"
            elif kind == "submitted":
                reason = "test submitted: COND. CODE is not available (Completed)"
            else:
                result["code_before"] = "NTE"
                reason = "another code already set: NTE"
        items.append(Item(
            run_id="apply-demo", item_id=number, group=row.ssid,
            payload=dataclasses.asdict(row), status=status, reason=reason, result=result,
            attempts=1, updated=START + 0.6 * number,
        ))
    return items


def write_demo_report(
    run_dir: Path, *, tz: dt.tzinfo | None = PACIFIC, redact: bool = False
) -> Path:
    """Write the demo run's three files in ``run_dir``; return the report's path."""
    items = demo_items()
    finished = START + 0.6 * len(items) + 2
    result = RunResult(
        run_id="apply-20260403-161205-demo", run_dir=run_dir, counts={}, exit_code=1,
        stopped=None, elapsed_s=finished - START, rows_per_s=1.62, p50_s=2.05, p95_s=2.46,
    )
    write_outputs(
        items, result.run_id, run_dir, kind="apply", roster=SAMPLE,
        settings=demo_settings(run_dir.parent), started=START, result=result, redact=redact,
        tz=tz, finished=finished,
    )
    return run_dir / "report.html"
