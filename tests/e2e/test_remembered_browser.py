"""The remembered browser is a secret: kept private, or not kept at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Portal
from tests.e2e.helpers import build_roster, toms, toms_env

pytestmark = pytest.mark.browser


def _codes_sent(portal: Portal) -> int:
    return int(portal.client.get("/__mock__/stats").json()["email_codes_sent"])


def test_remember_browser_false_keeps_the_logon_for_the_run_only(
    portal: Portal, tmp_path: Path
) -> None:
    roster = build_roster(portal, tmp_path / "roster.csv", settable=1, blocked=False)
    state = tmp_path / "state"
    forget = toms_env(portal, state, TOMS_REMEMBER_BROWSER="false")
    for run in (1, 2):
        done = toms(["optout", "plan", str(roster.path), "--workers", "1"], forget, tmp_path)
        assert done.returncode == 0, done.stderr
        assert not (state / "browser-state.json").exists()
        assert _codes_sent(portal) == run  # every run asks for a new code

    remember = toms_env(portal, state)
    for _ in (1, 2):
        done = toms(["optout", "plan", str(roster.path), "--workers", "1"], remember, tmp_path)
        assert done.returncode == 0, done.stderr
        assert (state / "browser-state.json").stat().st_mode & 0o777 == 0o600
    assert _codes_sent(portal) == 3  # the remembered browser skipped the code the second time


def test_a_logon_that_fails_after_the_code_keeps_the_remembered_browser(
    portal: Portal, tmp_path: Path
) -> None:
    # The first two logon sessions end at once: the first logon fails after its e-mailed code,
    # the second right after the password. The browser the portal remembered at the code is
    # kept for the next attempts, as a person's browser keeps it: one code, not one a try
    # (a run asks for two at most, and stopped here at the third).
    roster = build_roster(portal, tmp_path / "roster.csv", settable=1, blocked=False)
    portal.faults(end_new_sessions=2)
    done = toms(["optout", "plan", str(roster.path), "--workers", "1"],
                toms_env(portal, tmp_path / "state"), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _codes_sent(portal) == 1, done.stderr
    assert "Logon attempt 1 failed (the portal went back to its logon page after the code)" in (
        done.stderr
    )
    # The logon page that says the session ended is not a refused password.
    assert "Logon attempt 2 failed (the portal came back to its logon page saying the session " \
        "ended" in done.stderr, done.stderr
