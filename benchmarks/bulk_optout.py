"""Benchmark: ``toms-rpa optout apply`` on N rows with W workers against the mock portal.

    python -m benchmarks.bulk_optout --rows 500 --workers 1 4 --latency-ms 0 100

For each combination it starts a freshly seeded portal (in its own process), builds a roster of
N settable rows from the portal's data, runs the real command, and prints rows per second,
per-row p50 and p95 (the time from opening the student to reading the code back, shared by the
rows of one student), wall time, and the peak memory of the whole process tree (the toms-rpa
process, its Playwright driver and every Chromium process), as proportional set size.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from flows.cli import mock_portal_process
from flows.optout.roster import TESTS

SHORT = {full: short for short, full in TESTS.items()}
USER = "lea.coordinator@example.org"


def build_roster(url: str, rows: int, path: Path) -> int:
    """Write ``rows`` settable rows (every free assignment of one student after another)."""
    students = httpx.get(f"{url}__mock__/students", timeout=60).json()
    out = []
    for student in students:
        for a in student["assignments"]:
            if a["status"] == "Assigned" and a["condition_code"] is None and len(out) < rows:
                out.append({
                    "ssid": student["ssid"], "first_name": student["first_name"],
                    "last_name": student["last_name"], "test": SHORT[a["test"]], "code": "PGE",
                    "exemption_on_file": "2026-03-02 letter",
                })
    if len(out) < rows:
        raise SystemExit(f"the portal has only {len(out)} settable rows; seed more students")
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    return len({r["ssid"] for r in out})


def tree_memory(proc: psutil.Process) -> int:
    """Memory of a process and all its descendants, in bytes.

    Proportional set size (PSS): memory shared by several Chromium processes is counted once
    in all, not once per process as RSS would.
    """
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_full_info().pss
    return total


def run_one(
    rows: int, workers: int, latency_ms: int, students: int, trace: str = "only-on-failure"
) -> dict[str, Any]:
    """One measured run on a freshly seeded portal."""
    extra = ["--students", str(students), "--latency-ms", str(latency_ms)]
    with mock_portal_process(extra) as url, tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        distinct = build_roster(url, rows, roster)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOMS_")}
        env.update(
            TOMS_PORTAL_URL=url, TOMS_USERNAME=USER, TOMS_PASSWORD="demo-password",
            TOMS_ROLE="LEA CAASPP Coordinator", TOMS_STATE_DIR=str(Path(tmp) / "state"),
            TOMS_EMAIL_CODE_COMMAND=f"{sys.executable} -m mock_portal.outbox {url} {USER}",
            TOMS_WORKERS=str(workers), TOMS_TRACE=trace,
        )
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "rpa", "optout", "apply", str(roster)],
            env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        watched = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_memory(watched))
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.25)
        wall = time.monotonic() - started
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"toms-rpa exited {proc.returncode}:\n{out}\n{err[-3000:]}")
        summary_path = next((Path(tmp) / "state" / "runs").glob("*/summary.json"))
        summary = json.loads(summary_path.read_text())
    return {
        "rows": rows, "students": distinct, "workers": workers, "latency_ms": latency_ms,
        "rows_per_s": summary["rows_per_s"], "p50_s": summary["p50_s"],
        "p95_s": summary["p95_s"], "run_s": summary["duration_s"], "wall_s": round(wall, 1),
        "peak_mb": round(peak / 2**20),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--latency-ms", type=int, nargs="+", default=[0, 100])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--trace", default="only-on-failure", help="TOMS_TRACE for the runs")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead")
    args = parser.parse_args(argv)
    head = ("rows", "workers", "latency_ms", "rows_per_s", "p50_s", "p95_s", "run_s", "peak_mb")
    if not args.json:
        print(" | ".join(head))
        print(" | ".join("---" for _ in head))
    for latency in args.latency_ms:
        for workers in args.workers:
            figures = run_one(args.rows, workers, latency, args.students, args.trace)
            if args.json:
                print(json.dumps(figures), flush=True)
            else:
                print(" | ".join(str(figures[h]) for h in head), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
