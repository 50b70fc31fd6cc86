"""Scheduled and multi-machine use: no prompts, JSON, the drop folder, shards, a remote browser."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from rpa.browser import find_browser
from rpa.lock import run_lock
from tests.conftest import Portal, stop_process_group
from tests.e2e.helpers import build_roster, results, toms, toms_env

pytestmark = pytest.mark.browser


def _settle(*paths: Path) -> None:
    """Make files look fully copied in (the watch leaves files touched in the last seconds)."""
    old = time.time() - 60
    for path in paths:
        os.utime(path, (old, old))


def test_no_terminal_and_no_code_command_stops_with_exit_2(portal: Portal, tmp_path: Path) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=1, blocked=False)
    env = toms_env(portal, tmp_path / "state")
    env.pop("TOMS_EMAIL_CODE_COMMAND")
    done = toms(["optout", "apply", str(roster.path), "--json"], env, tmp_path, timeout=120)
    assert done.returncode == 2
    assert "TOMS_EMAIL_CODE_COMMAND" in done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["exit_code"] == 2 and "TOMS_EMAIL_CODE_COMMAND" in summary["error"]
    assert portal.audit() == []


def test_watch_applies_each_dropped_roster_once(portal: Portal, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = build_roster(portal, inbox / "monday.csv", settable=3, blocked=False)
    bad = inbox / "typo.csv"
    bad.write_text("ssid,test,code,exemption_on_file\n12345,ELA,PGE,letter\n", encoding="utf-8")
    fresh = inbox / "still-copying.csv"
    fresh.write_text("ssid,test,code,exemption_on_file\n", encoding="utf-8")
    _settle(good.path, bad)
    env = toms_env(portal, tmp_path / "state")

    first = toms(["optout", "watch", str(inbox), "--json"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    outcome = json.loads(first.stdout.strip().splitlines()[-1])
    by_file = {f["file"]: f for f in outcome["files"]}
    assert by_file["monday.csv"]["status"] == "done"
    assert by_file["monday.csv"]["counts"] == {"applied": 3}
    assert by_file["typo.csv"]["status"] == "refused"
    assert "still-copying.csv" not in by_file and fresh.exists()
    assert (inbox / "done" / "monday.csv").is_file()
    assert (inbox / "done" / "monday.csv.report.html").is_file()
    assert "row 2, column ssid" in (inbox / "failed" / "typo.csv.errors.txt").read_text()
    for row in good.rows:
        assert portal.code(row["ssid"], _full(row["test"])) == row["code"]

    fresh.unlink()
    again = toms(["optout", "watch", str(inbox), "--json"], env, tmp_path)
    assert json.loads(again.stdout.strip().splitlines()[-1])["files"] == []
    assert len(portal.audit()) == 3

    with run_lock(tmp_path / "state", "watch"):  # another watch is running
        busy = toms(["optout", "watch", str(inbox), "--json"], env, tmp_path)
    assert busy.returncode == 0
    assert json.loads(busy.stdout.strip().splitlines()[-1])["busy"] is True


def _full(short: str) -> str:
    from flows.optout.roster import TESTS

    return TESTS[short]


def test_three_machines_share_a_roster_by_shards(portal: Portal, tmp_path: Path) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=12, blocked=False)
    done_rows: list[dict[str, str]] = []
    for k in (1, 2, 3):  # each "machine" has its own state directory
        run = toms(["optout", "apply", str(roster.path), "--shard", f"{k}/3", "--json"],
                   toms_env(portal, tmp_path / f"machine-{k}"), tmp_path)
        assert run.returncode == 0, run.stderr
        summary = json.loads(run.stdout.strip().splitlines()[-1])
        done_rows += results(Path(summary["results"]).parent)
    keys = Counter((r["ssid"], r["test"]) for r in done_rows)
    assert all(n == 1 for n in keys.values())  # disjoint
    assert set(keys) == {(r["ssid"], _full(r["test"])) for r in roster.rows}  # exact
    audit = Counter((a["ssid"], a["test"]) for a in portal.audit())
    assert set(audit) == set(keys) and set(audit.values()) == {1}


def test_apply_through_a_remote_playwright_browser_server(portal: Portal, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The Python wrapper starts a node process that outlives it: start them as a group of
    # their own and end the whole group.
    server = subprocess.Popen(
        [sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1",
         "--port", str(port), "--unsafe"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "Listening on ws://..." once it is up
        assert "Listening" in line, line
        roster = build_roster(portal, tmp_path / "roster.csv", settable=4, blocked=False)
        browser = find_browser().executable
        env = toms_env(portal, tmp_path / "state",
                       TOMS_BROWSER_ENDPOINT=f"ws://127.0.0.1:{port}/")
        if browser is not None:
            env["TOMS_BROWSER_PATH"] = str(browser)
        done = toms(["optout", "apply", str(roster.path), "--workers", "2"], env, tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"remote browser at ws://127.0.0.1:{port}/" in done.stderr
        with (tmp_path / "roster.csv").open() as fh:
            for row in csv.DictReader(fh):
                assert portal.code(row["ssid"], _full(row["test"])) == row["code"]
    finally:
        stop_process_group(server.pid)
        server.wait(timeout=10)
        assert server.stdout is not None
        server.stdout.close()
