"""The bulk opt-out against the mock portal, in a real browser, run as a user runs it."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import Portal
from tests.e2e.helpers import (
    Roster,
    build_roster,
    everything_private,
    no_password_anywhere,
    only_run,
    results,
    toms,
    toms_env,
)

pytestmark = pytest.mark.browser


def _run_dir(stdout: str) -> Path:
    match = re.search(r"^Report:\s+(.+)/report\.html$", stdout, re.MULTILINE)
    assert match, f"no report path in the output:\n{stdout}"
    return Path(match.group(1))


def _assert_portal_matches(portal: Portal, roster: Roster) -> None:
    for (ssid, test), code in roster.expected_code.items():
        if code == "__absent__":
            continue
        assert portal.code(ssid, test) == code, (ssid, test)


def _assert_results(run_dir: Path, roster: Roster, expected: dict[tuple[str, str], str]) -> None:
    rows = results(run_dir)
    assert len(rows) == len(roster.rows)
    for row in rows:
        key = (row["ssid"], row["test"])
        assert row["status"] == expected[key], (row, expected[key])
        if row["status"] == "blocked":
            assert row["reason"].startswith(roster.blocked_reason[key]), row


def _applied_once(portal: Portal, roster: Roster) -> None:
    audit = Counter((a["ssid"], a["test"]) for a in portal.audit())
    applied = {k for k, s in roster.expected_status.items() if s == "applied"}
    assert set(audit) == applied
    assert all(n == 1 for n in audit.values()), [k for k, n in audit.items() if n > 1]


def test_150_rows_with_4_workers_on_each_build(built_portal: Portal, tmp_path: Path) -> None:
    """On each build: stored codes exact, one audit entry per applied row, each blocked kind
    reported with its own reason, every file private."""
    portal = built_portal
    roster = build_roster(portal, tmp_path / "roster.csv", settable=144)
    assert len(roster.rows) == 150
    state = tmp_path / "state"
    apply = toms(["optout", "apply", str(roster.path), "--workers", "4"],
                 toms_env(portal, state), tmp_path)
    assert apply.returncode == 1, apply.stderr  # the roster holds blocked rows
    run_dir = _run_dir(apply.stdout)
    _assert_portal_matches(portal, roster)
    _assert_results(run_dir, roster, roster.expected_status)
    _applied_once(portal, roster)
    for name in ("results.csv", "summary.json", "report.html"):
        assert stat.S_IMODE((run_dir / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "browser-state.json").stat().st_mode) == 0o600
    report = (run_dir / "report.html").read_text()
    assert "Needs a person" in report and "name mismatch" in report
    no_password_anywhere(state, apply.stdout, apply.stderr)


def test_plan_changes_nothing_and_applying_again_changes_nothing(
    portal: Portal, tmp_path: Path
) -> None:
    """Plan, apply, apply again, on a roster with a row of each blocked kind: the plan says
    what would be set and stores nothing; the second apply finds every code already set."""
    roster = build_roster(portal, tmp_path / "roster.csv", settable=6)
    state = tmp_path / "state"
    env = toms_env(portal, state)

    plan = toms(["optout", "plan", str(roster.path), "--workers", "4"], env, tmp_path)
    assert plan.returncode == 1, plan.stderr  # the roster holds blocked rows
    assert portal.audit() == []
    planned = {k: ("set" if s == "applied" else s) for k, s in roster.expected_status.items()}
    _assert_results(_run_dir(plan.stdout), roster, planned)

    apply = toms(["optout", "apply", str(roster.path), "--workers", "4"], env, tmp_path)
    assert apply.returncode == 1, apply.stderr
    _assert_portal_matches(portal, roster)
    _assert_results(_run_dir(apply.stdout), roster, roster.expected_status)

    again = toms(["optout", "apply", str(roster.path), "--workers", "4"], env, tmp_path)
    assert again.returncode == 1, again.stderr
    reapplied = {k: ("already set" if s == "applied" else s)
                 for k, s in roster.expected_status.items()}
    _assert_results(_run_dir(again.stdout), roster, reapplied)
    _applied_once(portal, roster)  # nothing changed a second time


def test_every_row_set_exits_0_and_redact_hides_names(portal: Portal, tmp_path: Path) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=4, blocked=False)
    env = toms_env(portal, tmp_path / "s")
    done = toms(["optout", "apply", str(roster.path), "--redact"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "applied      4" in done.stdout
    _assert_portal_matches(portal, roster)
    run_dir = _run_dir(done.stdout)
    shared = (run_dir / "results.csv").read_text() + (run_dir / "report.html").read_text()
    for row in roster.rows:
        assert row["ssid"] not in shared and row["last_name"] not in shared
        assert "******" + row["ssid"][-4:] in shared
        assert f"{row['first_name'][0]}. {row['last_name'][0]}." in shared


def test_bad_roster_is_refused_whole_before_any_browser(portal: Portal, tmp_path: Path) -> None:
    roster = tmp_path / "bad.csv"
    roster.write_text(
        "ssid,first_name,last_name,test,code,exemption_on_file,notes\n"
        "123456789,Ana,Lee,ELA,PGE,2026-03-01,\n"
        "1234567890,Ana,Lee,Science,PGE,2026-03-01,\n"
        "1234567891,Ben,Ray,ELA,INC0,2026-03-01,\n"
        "1234567892,Cy,Fox,Math,PGE,,\n"
        "1234567893,Di,Oak,ELA,PGE,doc 1,\n"
        "1234567893,Di,Oak,ELA,NTE,doc 1,\n",
        encoding="utf-8",
    )
    state = tmp_path / "state"
    done = toms(["optout", "apply", str(roster)], toms_env(portal, state), tmp_path)
    assert done.returncode == 2
    err = done.stderr
    assert "column notes" in err
    assert re.search(r"row 2, column ssid: .*10 digits", err)
    assert re.search(r"row 3, column test: ", err)
    assert re.search(r"row 4, column code: .*PGE and NTE", err)
    assert re.search(r"row 5, column exemption_on_file: ", err)
    assert re.search(r"rows? 6.*7|row 7.*6", err)
    assert "Traceback" not in err
    assert not (state / "runs").exists()
    assert portal.audit() == []


def test_missing_setting_names_the_variable(portal: Portal, tmp_path: Path) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=1, blocked=False)
    env = toms_env(portal, tmp_path / "state")
    env.pop("TOMS_PASSWORD")
    done = toms(["optout", "apply", str(roster.path)], env, tmp_path)
    assert done.returncode == 2
    assert "TOMS_PASSWORD" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    env = toms_env(portal, tmp_path / "state", TOMS_WORKERS="many")
    done = toms(["optout", "apply", str(roster.path)], env, tmp_path)
    assert done.returncode == 2 and "TOMS_WORKERS" in done.stderr


def _start(roster: Roster, env: dict[str, str], cwd: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rpa", "optout", "apply", str(roster.path), "--workers", "2",
         *extra],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _kill_when(proc: subprocess.Popen[str], portal: Portal, changes: int) -> str:
    """SIGKILL the run once the portal holds ``changes`` saved codes; return its stderr."""
    deadline = time.monotonic() + 240
    while len(portal.audit()) < changes:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate()
    return err


def test_killed_twice_then_resumed_is_exact(portal: Portal, tmp_path: Path) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=36, blocked=False)
    state = tmp_path / "state"
    env = toms_env(portal, state)

    first = _start(roster, env, tmp_path)
    # While it runs, a second apply on the same state directory is turned away.
    while len(portal.audit()) < 2:
        assert first.poll() is None
        time.sleep(0.05)
    second = toms(["optout", "apply", str(roster.path)], env, tmp_path)
    assert second.returncode == 2
    assert "Another run is using the state directory" in second.stderr
    err = _kill_when(first, portal, 12)
    run_id = re.search(r"Run (apply-\S+): 36 rows", err)
    assert run_id, err

    # Re-running the same roster resumes the run by itself...
    again = _start(roster, env, tmp_path)
    err = _kill_when(again, portal, 24)
    assert f"Resuming the unfinished run {run_id.group(1)}" in err
    assert len(portal.audit()) < 36

    # ...and --resume names it explicitly.
    done = toms(["optout", "apply", str(roster.path), "--resume", run_id.group(1)], env,
                tmp_path)
    assert done.returncode == 0, done.stderr
    _assert_portal_matches(portal, roster)
    _applied_once(portal, roster)
    rows = results(_run_dir(done.stdout))
    assert {r["status"] for r in rows} == {"applied"}
    assert len(rows) == 36


@pytest.mark.waits
def test_portal_down_stops_with_exit_3(portal: Portal, tmp_path: Path) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=2, blocked=False)
    env = toms_env(portal, tmp_path / "state", TOMS_PORTAL_URL="http://127.0.0.1:9/")
    done = toms(["optout", "apply", str(roster.path)], env, tmp_path)
    assert done.returncode == 3, done.stderr
    assert "could not log on to TOMS" in done.stdout
    assert "--resume" in done.stdout
    assert "Traceback" not in done.stderr


def test_error_pages_and_expiring_sessions_end_exact(portal: Portal, tmp_path: Path) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=24, blocked=False)
    # Sessions end at random requests, so the run meets several of their ends however fast or
    # busy the machine is (a session that ends after so many seconds only raced the logons of
    # a starved machine). The run makes about 150 requests: with 0.04 a request, the chance
    # that none ends a session is 0.2%; with 0.02 it was 5%, and it happened.
    portal.faults(error_rate=0.1, session_expiry_rate=0.04, fault_seed=7)
    before = portal.client.get("/__mock__/stats").json()
    state = tmp_path / "state"
    # Traces as by default: a row's retries only (recording every attempt slows a run by a
    # third, and the silent-save test covers "on").
    env = toms_env(portal, state)
    done = toms(["optout", "apply", str(roster.path), "--workers", "4"], env, tmp_path)
    portal.faults(error_rate=0.0, session_expiry_rate=0.0)
    after = portal.client.get("/__mock__/stats").json()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    _assert_portal_matches(portal, roster)
    _applied_once(portal, roster)
    # Both faults were met, and the run said so: an ended session is met either in the middle
    # of a step (SessionExpired) or on the way back to the search after an error page.
    for fault in ("errors_injected", "sessions_expired"):
        assert after.get(fault, 0) > before.get(fault, 0), (fault, before, after)
    assert "error page" in done.stderr, done.stderr
    assert "SessionExpired" in done.stderr or "The TOMS session ended; logging on again" in (
        done.stderr
    ), done.stderr
    # Each attempt that failed for another reason than an ended session (which says nothing
    # about the row) left its evidence: a screenshot, and from a row's second attempt on the
    # trace of that attempt.
    run = only_run(state)
    for rows, reason, attempt in re.findall(
        r"Rows ([\d, ]+): (\w+): .*\(attempt (\d+)\)$", done.stderr, re.MULTILINE
    ):
        folder = run / "rows" / f"row-{int(rows.split(',')[0]):05d}" / f"attempt-{attempt}"
        if reason != "SessionExpired":
            kept = {p.name for p in folder.iterdir()}
            assert "screenshot.png" in kept and kept <= {"screenshot.png", "trace.zip"}, folder
            assert int(attempt) == 1 or "trace.zip" in kept, folder
    no_password_anywhere(state, done.stdout, done.stderr)
    everything_private(state)


def test_demo_starts_its_portal_and_applies_a_roster(tmp_path: Path) -> None:
    """`toms-rpa demo` (the README's main command), on the first rows of the sample roster."""
    sample = Path(__file__).resolve().parents[2] / "fixtures" / "rosters" / "sample.csv"
    lines = sample.read_text(encoding="utf-8").splitlines()
    roster = tmp_path / "first-rows.csv"
    roster.write_text("\n".join(lines[:9]) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMS_")}
    env["TOMS_STATE_DIR"] = str(tmp_path / "state")
    done = toms(["demo", "--roster", str(roster), "--workers", "2"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "The bundled TOMS portal is running at http://127.0.0.1:" in done.stdout
    assert "lea.coordinator@example.org / demo-password" in done.stdout
    rows = results(_run_dir(done.stdout))
    assert len(rows) == 8
    assert {r["status"] for r in rows} <= {"applied", "already set", "blocked"}
    assert any(r["status"] == "applied" for r in rows)
    assert (tmp_path / "state" / "demo" / "browser-state.json").is_file()


def test_a_roster_on_the_mixed_build_is_exact(mixed_portal: Portal, tmp_path: Path) -> None:
    """Pages of either build, page by page, as the portal's seed chose them."""
    roster = build_roster(mixed_portal, tmp_path / "roster.csv", settable=24)
    done = toms(["optout", "apply", str(roster.path), "--workers", "4"],
                toms_env(mixed_portal, tmp_path / "state"), tmp_path)
    assert done.returncode == 1, done.stderr  # the roster holds blocked rows
    _assert_portal_matches(mixed_portal, roster)
    _assert_results(_run_dir(done.stdout), roster, roster.expected_status)
    _applied_once(mixed_portal, roster)
