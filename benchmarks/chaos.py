"""Chaos: ``optout apply`` under faults, kills and restarts, and what it left in the portal.

    python -m benchmarks.chaos                      # every scenario at full size (1,000 rows)
    python -m benchmarks.chaos --rows 60 error-pages kill

Each scenario starts a freshly seeded portal in a process of its own (its SQLite state in a
file, so it can be restarted), builds a roster of settable rows from the portal's data, runs
the real ``toms-rpa optout apply`` with 4 workers under the scenario's faults, and then checks
the portal itself: the stored codes are exactly the roster's, no row was changed twice (audit),
and every row's status in ``results.csv`` matches what the portal holds. It prints a table:
scenario, rows, faults injected, rows correct, rows changed twice, wall time. Everything random
is seeded, so a failure can be replayed with the same ``--seed``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from flows.optout.roster import TESTS

USER = "lea.coordinator@example.org"
SHORT = {full: short for short, full in TESTS.items()}


@dataclass
class Outcome:
    """One scenario's figures."""

    scenario: str
    rows: int
    faults_injected: int
    rows_correct: int
    rows_changed_twice: int
    statuses_match: bool
    exit_code: int
    wall_s: float

    @property
    def ok(self) -> bool:
        """Whether nothing was lost, doubled or wrong."""
        return (
            self.rows_correct == self.rows
            and self.rows_changed_twice == 0
            and self.statuses_match
            and self.exit_code == 0
        )


class PortalProcess:
    """The mock portal in its own process, on a fixed port, its state in a file."""

    def __init__(self, folder: Path, students: int, faults: list[str]) -> None:
        self.db = folder / "portal.sqlite3"
        self.students = students
        self.faults = faults
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen[bytes] | None = None
        self.injected = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mock_portal", "--port", str(self.port), "--db", str(self.db),
             "--students", str(self.students), *self.faults],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + "__mock__/faults", timeout=2).raise_for_status()
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the mock portal did not start") from None
                time.sleep(0.1)  # the process is starting: nothing to wait on yet

    def stop(self) -> None:
        if self.proc is not None:
            self.injected += _faults(self.stats())
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def get(self, path: str) -> Any:
        return httpx.get(self.url + path, timeout=60).json()

    def stats(self) -> dict[str, int]:
        try:
            return dict(self.get("__mock__/stats"))
        except httpx.HTTPError:
            return {}


def _faults(stats: dict[str, int]) -> int:
    """Faults the portal injected: error pages, slow requests, ended sessions, slow frames."""
    keys = ("errors_injected", "slow_injected", "sessions_expired", "frames_delayed")
    return sum(int(stats.get(k, 0)) for k in keys)


def _roster(portal: PortalProcess, rows: int, path: Path) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for student in portal.get("__mock__/students"):
        for a in student["assignments"]:
            if len(out) < rows and a["status"] == "Assigned" and a["condition_code"] is None:
                out.append((student["ssid"], a["test"], "NTE" if len(out) % 7 == 3 else "PGE"))
    if len(out) < rows:
        raise SystemExit(f"only {len(out)} settable rows; seed more students")
    names = {s["ssid"]: s for s in portal.get("__mock__/students")}
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ssid", "first_name", "last_name", "test", "code", "exemption_on_file"])
        for ssid, test, code in out:
            s = names[ssid]
            writer.writerow([ssid, s["first_name"], s["last_name"], SHORT[test], code,
                             "2026-03-02 letter"])
    return out


def _env(portal: PortalProcess, state: Path, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMS_")}
    env.update(
        TOMS_PORTAL_URL=portal.url, TOMS_USERNAME=USER, TOMS_PASSWORD="demo-password",
        TOMS_ROLE="LEA CAASPP Coordinator", TOMS_STATE_DIR=str(state),
        TOMS_EMAIL_CODE_COMMAND=f"{sys.executable} -m mock_portal.outbox {portal.url} {USER}",
        TOMS_WORKERS=str(workers), TOMS_TIMEOUT_MS="20000",
    )
    return env


def _apply(roster: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rpa", "optout", "apply", str(roster)],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _changes(portal: PortalProcess) -> int:
    try:
        return len(portal.get("__mock__/audit"))
    except httpx.HTTPError:
        return 0


def _wait_for_changes(portal: PortalProcess, proc: subprocess.Popen[str], n: int) -> bool:
    """Wait until the portal holds ``n`` saved codes; False if the run ended first."""
    while _changes(portal) < n:
        if proc.poll() is not None:
            return False
        time.sleep(0.05)  # polling another process's progress
    return True


SCENARIOS: dict[str, dict[str, Any]] = {
    "error-pages": {"faults": ["--error-rate", "0.1"], "about": "10% error pages"},
    "slow-requests": {
        "faults": ["--slow-rate", "0.05", "--slow-ms", "2000"],
        "about": "2 s of latency on 5% of requests",
    },
    "session-expiry": {
        "faults": ["--session-lifetime", "30"], "about": "sessions expire every 30 s",
    },
    "slow-frame": {"faults": ["--iframe-delay-ms", "1500"], "about": "the frame slow to load"},
    "kill": {"faults": [], "about": "apply killed with SIGKILL 3 times, then resumed"},
    "portal-restart": {"faults": [], "about": "the portal restarted mid-run, state kept"},
}


def run_scenario(
    name: str, *, rows: int, workers: int = 4, seed: int = 1, students: int = 0,
    session_lifetime_s: float | None = None, build: str = "default",
) -> Outcome:
    """Run one scenario in a temporary folder and check the portal afterwards.

    ``build`` is the portal's build (``default``, ``alt``, ``mixed``: see ``--build``).
    """
    spec = SCENARIOS[name]
    faults = list(spec["faults"])
    if name == "session-expiry" and session_lifetime_s is not None:
        faults = ["--session-lifetime", str(session_lifetime_s)]
    faults += ["--fault-seed", str(seed), "--build", build]
    students = students or max(400, int(rows * 1.6))
    rng = random.Random(seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="toms-chaos-") as tmp:
        folder = Path(tmp)
        portal = PortalProcess(folder, students, faults)
        portal.start()
        try:
            wanted = _roster(portal, rows, folder / "roster.csv")
            env = _env(portal, folder / "state", workers)
            disruptions = 0
            proc = _apply(folder / "roster.csv", env, folder)
            if name == "kill":
                points = sorted(rng.sample(range(max(2, rows // 10), rows - 1), 3))
                for point in points:
                    if not _wait_for_changes(portal, proc, point):
                        break
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.communicate()
                    disruptions += 1
                    proc = _apply(folder / "roster.csv", env, folder)
            elif name == "portal-restart":
                point = rng.randrange(rows // 4, rows // 2)
                if _wait_for_changes(portal, proc, point):
                    portal.stop()
                    time.sleep(1.0)  # the portal is down for a while, as in a real restart
                    portal.start()
                    disruptions += 1
            _, err = proc.communicate()
            exit_code = proc.returncode
            return _check(name, portal, wanted, folder / "state", exit_code, disruptions,
                          time.monotonic() - started, err)
        finally:
            portal.stop()


def _check(
    name: str, portal: PortalProcess, wanted: list[tuple[str, str, str]], state: Path,
    exit_code: int, disruptions: int, wall: float, stderr: str,
) -> Outcome:
    students = {s["ssid"]: s for s in portal.get("__mock__/students")}
    stored = {
        (ssid, a["test"]): a["condition_code"]
        for ssid, s in students.items() for a in s["assignments"]
    }
    correct = sum(1 for ssid, test, code in wanted if stored.get((ssid, test)) == code)
    audit = Counter((a["ssid"], a["test"]) for a in portal.get("__mock__/audit"))
    twice = sum(1 for n in audit.values() if n > 1)
    runs = sorted((state / "runs").glob("apply-*/results.csv"))
    match = bool(runs)
    if runs:
        with runs[-1].open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                holds = stored.get((row["ssid"], row["test"]))
                if row["status"] in ("applied", "already set") and holds != row["code"]:
                    match = False
                if row["status"] not in ("applied", "already set"):
                    match = False
    injected = portal.injected + _faults(portal.stats()) + disruptions
    if exit_code != 0:
        sys.stderr.write(stderr[-4000:])
    return Outcome(name, len(wanted), injected, correct, twice, match, exit_code, round(wall, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build", choices=("default", "alt", "mixed"), default="default",
                        help="the portal's build (alt: other markup and wording)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    head = ("scenario", "rows", "faults_injected", "rows_correct", "rows_changed_twice",
            "wall_s")
    if not args.json:
        print(" | ".join(head))
        print(" | ".join("---" for _ in head))
    failed = False
    for name in args.scenarios:
        outcome = run_scenario(name, rows=args.rows, workers=args.workers, seed=args.seed,
                               build=args.build)
        failed |= not outcome.ok
        if args.json:
            print(json.dumps(asdict(outcome)), flush=True)
        else:
            print(" | ".join(str(getattr(outcome, h)) for h in head), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
