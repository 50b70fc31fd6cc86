"""Portals that behave in ways the flows do not know: they stop safely and say what they saw."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import Portal
from tests.e2e.helpers import (
    build_roster,
    everything_private,
    no_password_anywhere,
    only_run,
    results,
    toms,
    toms_env,
)

pytestmark = pytest.mark.browser


def _stats(portal: Portal) -> dict[str, int]:
    found: dict[str, int] = portal.client.get("/__mock__/stats").json()
    return found


@pytest.mark.waits
def test_an_email_code_page_with_words_nobody_knows_stops_after_two_logons(
    built_portal: Portal, tmp_path: Path
) -> None:
    """Two passwords sent and two e-mailed codes at most, exit 3, and the message lists what
    the page showed; never a traceback, never a logon loop that could lock the account."""
    portal = built_portal
    roster = build_roster(portal, tmp_path / "roster.csv", settable=2, blocked=False)
    portal.faults(code_page="unknown")
    done = toms(["optout", "apply", str(roster.path), "--workers", "2"],
                toms_env(portal, tmp_path / "state"), tmp_path)

    assert done.returncode == 3, done.stderr
    stats = _stats(portal)
    assert 1 <= stats["password_logons"] <= 2, stats
    assert 1 <= stats["email_codes_sent"] <= 2, stats
    assert "Traceback" not in done.stderr + done.stdout
    said = done.stdout + done.stderr
    # What was looked for, and what the page showed instead.
    assert "the page shows:" in said and "Quux number" in said and "Frobnicate" in said, said
    assert "word list" in said, said  # what to do next
    assert said.count("could not log on to TOMS") == 1, said
    assert portal.audit() == []


@pytest.mark.waits
def test_a_save_that_stores_nothing_is_never_applied_and_is_done_once_later(
    portal: Portal, tmp_path: Path
) -> None:
    """The bottom SAVE answers but stores nothing, leaving the staged table on screen: no row
    is reported applied; once the portal behaves again, the resumed run stores each code once.

    On the default build only (each row is tried six times: a minute per build). The alt
    build's bottom SAVE answers the same way under this fault, in other markup, which the
    150-row runs on both builds cover."""
    roster = build_roster(portal, tmp_path / "roster.csv", settable=2, blocked=False)
    state = tmp_path / "state"
    env = toms_env(portal, state, TOMS_TRACE="on")
    portal.faults(silent_save=True)
    first = toms(["optout", "apply", str(roster.path), "--workers", "2"], env, tmp_path)

    assert first.returncode in (1, 3), first.stderr
    assert "Traceback" not in first.stderr
    statuses = Counter(row["status"] for row in results(only_run(tmp_path / "state")))
    assert "applied" not in statuses, statuses
    assert portal.audit() == []
    assert _stats(portal)["saves_silenced"] >= 2
    with (only_run(tmp_path / "state") / "results.csv").open(newline="") as fh:
        reasons = [row["reason"] for row in csv.DictReader(fh) if row["reason"]]
    assert any("did not store" in reason for reason in reasons) or "did not store" in (
        first.stderr), (reasons, first.stderr[-2000:])
    # Each failed row links the evidence of its last attempt: what the page showed, and the
    # trace of the attempt; none of it holds the password.
    run = only_run(state)
    failed = [row for row in results(run) if row["status"] == "failed"]
    assert failed, first.stderr[-2000:]
    # A SAVE that stores nothing is not a slow portal: three tries, not the six a passing
    # failure gets.
    assert all(row["reason"].endswith("(gave up after 3 attempts)") for row in failed), failed
    for row in failed:
        assert {p.name for p in (run / row["evidence"]).iterdir()} == {
            "screenshot.png", "trace.zip"}, row
    no_password_anywhere(state, first.stdout, first.stderr)
    everything_private(state)

    # The same command again, as the report says to, once the portal stores again.
    portal.faults(silent_save=False)
    again = toms(["optout", "apply", str(roster.path), "--workers", "2"], env, tmp_path)
    assert again.returncode == 0, again.stderr
    changed = Counter((a["ssid"], a["test"]) for a in portal.audit())
    assert sorted(changed.values()) == [1, 1], changed
    for (ssid, test), code in roster.expected_code.items():
        assert portal.code(ssid, test) == code


@pytest.mark.waits
@pytest.mark.parametrize("command", [
    ["practice", "start", "--tests", "Grade 5 Math Practice Test"],
    ["practice", "stop", "--session", "CA-ABC-123"],
    ["optout", "plan", "ROSTER"],
])
def test_a_page_nobody_knows_is_one_line_and_exit_3_never_a_traceback(
    portal: Portal, tmp_path: Path, command: list[str]
) -> None:
    """Pointed at a page that is not the portal's home (as after a move of the real site)."""
    roster = build_roster(portal, tmp_path / "roster.csv", settable=1, blocked=False)
    command = [str(roster.path) if part == "ROSTER" else part for part in command]
    env = toms_env(portal, tmp_path / "state", TOMS_PORTAL_URL=portal.url + "page/about")
    done = toms(command, env, tmp_path, timeout=120)

    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    said = [line for line in (done.stderr + done.stdout).splitlines()
            if line.startswith(("toms-rpa:", "The run stopped:"))]
    assert said, done.stderr
    assert "Test Operations Management System (TOMS)" in said[0] or "Practice and Training" \
        in said[0], said
    assert "the page shows:" in said[0] and '"About"' in said[0], said
