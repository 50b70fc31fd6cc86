"""Rows per second of one roster shared by 1, 2 or 3 machines (the README's table).

    python -m tests.machines_speed --rows 300 --latency-ms 300 --machines 1 2 3 --workers 2

For each count of machines: a freshly seeded mock portal in a process of its own (with the
latency asked for), a private PostgreSQL for the shared journal, a roster of settable rows, and
that many ``toms-rpa optout apply`` processes, each with its own state directory and logon,
started one after another (each once the one before has logged on: they share one demo user
and one outbox). Rows per second are whole commands: from the first start to the last exit,
logons included. Each run is checked: the portal's codes are the roster's, each changed once.
On one computer the machines share its cores, which real machines would not.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from flows.cli import mock_portal_process
from rpa.journal import Journal
from rpa.postgres import PrivatePostgres
from tests.conftest import Portal
from tests.e2e.helpers import build_roster, toms_env


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _busy_ticks() -> tuple[int, int]:
    """The whole computer's CPU ticks so far: (busy, all), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def measure(
    machines: int, rows: int, latency_ms: int, workers: int, folder: Path, *,
    file_journal: bool = False,
) -> dict[str, float]:
    """One run of ``rows`` rows on ``machines`` machines; its figures."""
    with PrivatePostgres() as pg, mock_portal_process(
        ["--latency-ms", str(latency_ms), "--students", "400"]
    ) as url, httpx.Client(base_url=url, timeout=60) as client:
        portal = Portal(url=url, client=client)
        roster = build_roster(portal, folder / "roster.csv", settable=rows, blocked=False)
        journal_url = pg.url()
        cpu_before = _cpu_of_children()
        busy_before = _busy_ticks()
        started = time.monotonic()
        procs = []
        for n in range(machines):
            state = folder / f"machine{n + 1}"
            env = toms_env(portal, state, TOMS_WORKERS=str(workers))
            if not file_journal:
                env["TOMS_JOURNAL_URL"] = journal_url
            with (folder / f"machine{n + 1}.log").open("w") as output:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "rpa", "optout", "apply", str(roster.path)],
                    env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            procs.append(proc)
            while not (state / "browser-state.json").exists():
                if proc.poll() is not None:
                    raise SystemExit(f"machine {n + 1} exited with {proc.returncode}")
                time.sleep(0.1)  # another process's logon: nothing to wait on
        for proc in procs:
            proc.wait()
        wall = time.monotonic() - started
        cpu = _cpu_of_children() - cpu_before
        busy_after = _busy_ticks()
        busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
        bad = [p.returncode for p in procs if p.returncode != 0]
        wrong = sum(
            1 for (ssid, test), code in roster.expected_code.items()
            if portal.code(ssid, test) != code
        )
        twice = sum(
            1 for n in Counter((a["ssid"], a["test"]) for a in portal.audit()).values() if n > 1
        )
        (run,) = [p.name for p in (folder / "machine1" / "runs").iterdir()]
        where = folder / "machine1" / "journal.sqlite3" if file_journal else journal_url
        journal = Journal(where, holder="measure")
        try:
            log = journal.claims(run)
        finally:
            journal.close()
        span = max(c.ended or 0 for c in log) - min(c.claimed for c in log)
    if bad or wrong or twice:
        raise SystemExit(f"not exact: exit codes {bad}, {wrong} codes wrong, {twice} twice; "
                         f"see {folder}")
    return {
        "machines": machines, "rows": rows, "wall_s": wall, "rows_per_s": rows / wall,
        "working_rows_per_s": rows / span, "cpu_s": cpu, "busy": busy,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="workers of each machine")
    parser.add_argument("--machines", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--file-journal", action="store_true",
                        help="one machine with its journal.sqlite3 instead (for comparison)")
    args = parser.parse_args()
    print("| machines | workers each | journal | rows | wall s | rows/s | rows/s working "
          "| CPU s | cores busy |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    cores = os.cpu_count() or 1
    for count in [1] if args.file_journal else args.machines:
        # Kept when the run is not exact (its logs and state say why); removed otherwise.
        folder = Path(tempfile.mkdtemp(prefix="toms-rpa-machines-"))
        got = measure(count, args.rows, args.latency_ms, args.workers, folder,
                      file_journal=args.file_journal)
        shutil.rmtree(folder)
        print(f"| {count} | {args.workers} | "
              f"{'SQLite file' if args.file_journal else 'PostgreSQL'} | {args.rows} | "
              f"{got['wall_s']:.0f} | {got['rows_per_s']:.2f} | "
              f"{got['working_rows_per_s']:.2f} | {got['cpu_s']:.0f} | "
              f"{cores * got['busy']:.2f} of {cores} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
