"""Benchmark: toms-rpa against the two hard limits, on the same machine, in the same run.

    python -m benchmarks.bulk_optout --rows 1000 --workers 8 --latency-ms 0 100

For each latency and worker count, on a freshly seeded portal (in a process of its own) and a
roster of N settable rows built from its data:

- **toms-rpa**: the real ``optout apply`` command;
- **http floor** (:mod:`benchmarks.http_floor`): plain HTTP, one logon, the fewest requests the
  portal allows per student, the same number of concurrent sessions;
- **browser floor** (:mod:`benchmarks.browser_floor`): the same browser and workers loading a
  minimal local page as many times per row as toms-rpa loaded pages (documents and frames);
- **steps floor** (:mod:`benchmarks.steps_floor`), for reference: the same browser and workers
  taking the guide's steps for the same students with the cheapest Playwright calls, on a
  minimal page (the four loads of a student, and on them the typing, clicks, choices and reads).
  No flow that finds the controls as a person does can be faster.

Each prints rows per second (wall time of the whole command: start-up and logon included),
per-row p50 and p95, page loads and HTTP requests per row (counted by the portal), CPU seconds
of the command's whole process tree and of the portal, peak memory of the tree (PSS, browser
included), its ratio to the floor (the slower of the two limits) and to the steps floor.
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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import psutil

from benchmarks.measure import TreeUsage, watch
from flows.cli import mock_portal_process
from flows.optout.roster import TESTS

SHORT = {full: short for short, full in TESTS.items()}
USER = "lea.coordinator@example.org"


def build_roster(url: str, rows: int, path: Path) -> int:
    """Write ``rows`` settable rows (every free assignment of one student after another)."""
    students = httpx.get(f"{url}__mock__/students", timeout=60).json()
    out: list[dict[str, str]] = []
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


def _portal_process() -> psutil.Process:
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if "mock_portal" in " ".join(child.cmdline()):
                return child
    raise RuntimeError("the portal process is not running")


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


@contextlib.contextmanager
def fresh_portal(
    latency_ms: int, students: int, rows: int, build: str = "default"
) -> Iterator[tuple[str, Path, int]]:
    """A freshly seeded portal, and a roster of ``rows`` settable rows: (url, roster, students)."""
    extra = ["--students", str(students), "--latency-ms", str(latency_ms), "--build", build]
    with mock_portal_process(extra) as url, tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        distinct = build_roster(url, rows, roster)
        yield url, roster, distinct


def _run(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[str, TreeUsage, float]:
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    usage = watch(proc)
    wall = time.monotonic() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:4])} exited {proc.returncode}:\n{out}\n{err[-3000:]}")
    return out, usage, wall


def _portal_counts(url: str) -> dict[str, int]:
    counts: dict[str, int] = httpx.get(f"{url}__mock__/stats", timeout=30).json()
    return counts


def _figures(
    who: str, rows: int, wall: float, usage: TreeUsage, **more: Any
) -> dict[str, Any]:
    return {
        "who": who, "rows": rows, "rows_per_s": round(rows / wall, 2), "wall_s": round(wall, 1),
        "cpu_s": round(usage.cpu_total_s, 1), "peak_mb": usage.peak_mb,
        "cpu_by_process": {
            k: round(v, 1) for k, v in sorted(usage.cpu_s.items(), key=lambda kv: -kv[1])
        },
        **more,
    }


def run_toms_rpa(
    rows: int, workers: int, latency_ms: int, students: int, trace: str = "only-on-failure",
    build: str = "default",
) -> dict[str, Any]:
    """toms-rpa's ``optout apply`` on a fresh portal of the ``build`` given."""
    with fresh_portal(latency_ms, students, rows, build) as (url, roster, distinct), \
            tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOMS_")}
        env.update(
            TOMS_PORTAL_URL=url, TOMS_USERNAME=USER, TOMS_PASSWORD="demo-password",
            TOMS_ROLE="LEA CAASPP Coordinator", TOMS_STATE_DIR=str(Path(tmp) / "state"),
            TOMS_EMAIL_CODE_COMMAND=f"{sys.executable} -m mock_portal.outbox {url} {USER}",
            TOMS_WORKERS=str(workers), TOMS_TRACE=trace,
        )
        portal = _portal_process()
        before, cpu_before = _portal_counts(url), _cpu(portal)
        _, usage, wall = _run(
            [sys.executable, "-m", "rpa", "optout", "apply", str(roster)], env, tmp
        )
        after, portal_cpu = _portal_counts(url), _cpu(portal) - cpu_before
        summary = json.loads(next((Path(tmp) / "state" / "runs").glob("*/summary.json"))
                             .read_text())
    if summary["counts"].get("applied", 0) != rows:
        raise SystemExit(f"toms-rpa applied {summary['counts']} of {rows} rows")
    delta = {k: after[k] - before.get(k, 0) for k in after}
    who = "toms-rpa" if build == "default" else f"toms-rpa ({build} build)"
    return _figures(
        who, rows, wall, usage, p50_s=summary["p50_s"], p95_s=summary["p95_s"],
        students=distinct,
        loads_per_row=round(delta["documents"] / rows, 2),
        frame_loads_per_row=round(delta["frame_documents"] / rows, 3),
        top_loads_per_row=round((delta["documents"] - delta["frame_documents"]) / rows, 3),
        requests_per_row=round(delta["requests"] / rows, 2), portal_cpu_s=round(portal_cpu, 1),
    )


def run_http_floor(rows: int, workers: int, latency_ms: int, students: int) -> dict[str, Any]:
    """The portal's limit on a fresh portal (:mod:`benchmarks.http_floor`)."""
    with fresh_portal(latency_ms, students, rows) as (url, roster, _):
        portal = _portal_process()
        before, cpu_before = _portal_counts(url), _cpu(portal)
        out, usage, wall = _run(
            [sys.executable, "-m", "benchmarks.http_floor", str(roster), "--url", url,
             "--workers", str(workers)], dict(os.environ), str(Path.cwd()),
        )
        after, portal_cpu = _portal_counts(url), _cpu(portal) - cpu_before
    result = json.loads(out)
    delta = {k: after[k] - before.get(k, 0) for k in after}
    return _figures(
        "http floor", rows, wall, usage, p50_s=result["p50_s"], p95_s=result["p95_s"],
        loads_per_row=round(delta["documents"] / rows, 2),
        requests_per_row=round(delta["requests"] / rows, 2), portal_cpu_s=round(portal_cpu, 1),
    )


def _run_local(who: str, module: str, rows: int, *args: str) -> dict[str, Any]:
    """A floor that needs no portal (a local page in the same browser): its figures."""
    out, usage, wall = _run(
        [sys.executable, "-m", module, "--rows", str(rows), *args],
        dict(os.environ), str(Path.cwd()),
    )
    result = json.loads(out)
    loads = result["loads_per_row"]
    return _figures(
        who, rows, wall, usage, p50_s=result["p50_s"], p95_s=result["p95_s"],
        loads_per_row=loads, requests_per_row=loads, portal_cpu_s=0.0,
    )


def run_browser_floor(
    rows: int, workers: int, frame_loads: float, top_loads: float
) -> dict[str, Any]:
    """The browser's limit (:mod:`benchmarks.browser_floor`) for toms-rpa's loads per row."""
    return _run_local(
        "browser floor", "benchmarks.browser_floor", rows, "--workers", str(workers),
        "--frame-loads", str(frame_loads), "--page-loads", str(top_loads),
    )


def run_steps_floor(rows: int, workers: int, students: int) -> dict[str, Any]:
    """The guide's steps on a minimal page (:mod:`benchmarks.steps_floor`), for reference."""
    return _run_local(
        "steps floor", "benchmarks.steps_floor", rows, "--students", str(students),
        "--workers", str(workers),
    )


def compare(
    rows: int, workers: int, latency_ms: int, students: int, builds: Sequence[str] = ("default",)
) -> list[dict[str, Any]]:
    """toms-rpa (on each build), both limits and the steps' floor for one latency and worker
    count.

    ``ratio`` is a line's time to the floor (the slower of the two limits); ``steps_ratio`` its
    time to the steps floor, what any flow taking the guide's steps with Playwright needs. The
    floors are those of the first build's page loads.
    """
    tools = [run_toms_rpa(rows, workers, latency_ms, students, build=b) for b in builds]
    tool = tools[0]
    http = run_http_floor(rows, workers, latency_ms, students)
    # A top-level load brings its frame with it, which the portal counted as a frame load too.
    top = tool["top_loads_per_row"]
    browser = run_browser_floor(rows, workers, max(0.0, tool["frame_loads_per_row"] - top), top)
    steps = run_steps_floor(rows, workers, tool["students"])
    floor = min(http["rows_per_s"], browser["rows_per_s"])
    lines = [*tools, http, browser, steps]
    for line in lines:
        line.update(workers=workers, latency_ms=latency_ms,
                    ratio=round(floor / line["rows_per_s"], 2),
                    steps_ratio=round(steps["rows_per_s"] / line["rows_per_s"], 2))
    return lines


HEAD = (
    "latency_ms", "workers", "who", "rows_per_s", "p50_s", "p95_s", "loads_per_row",
    "requests_per_row", "cpu_s", "portal_cpu_s", "peak_mb", "ratio", "steps_ratio",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[8])
    parser.add_argument("--latency-ms", type=int, nargs="+", default=[0, 100])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--only", choices=("toms-rpa",), help="skip the two limits")
    parser.add_argument("--builds", nargs="+", default=["default"],
                        choices=("default", "alt", "mixed"),
                        help="the portal's builds to run toms-rpa on (the floors: the first's)")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead")
    args = parser.parse_args(argv)
    if not args.json:
        print("ratio = floor rows/s (the slower limit) / these rows/s; 1.00 is the floor")
        print("steps_ratio = steps floor rows/s (the guide's steps on a minimal page) / these")
        print(" | ".join(HEAD))
        print(" | ".join("---" for _ in HEAD))
    for latency in args.latency_ms:
        for workers in args.workers:
            if args.only:
                lines = [
                    dict(run_toms_rpa(args.rows, workers, latency, args.students, build=b),
                         workers=workers, latency_ms=latency, ratio="")
                    for b in args.builds
                ]
            else:
                lines = compare(args.rows, workers, latency, args.students, args.builds)
            for line in lines:
                if args.json:
                    print(json.dumps(line), flush=True)
                else:
                    print(" | ".join(str(line.get(h, "")) for h in HEAD), flush=True)
            if not args.json:  # where the CPU went, process by process (see measure.kind_of)
                for line in lines:
                    spent = ", ".join(f"{k} {v}" for k, v in line["cpu_by_process"].items())
                    print(f"<!-- {latency} ms, {workers} workers, {line['who']} CPU s: {spent} -->",
                          flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
