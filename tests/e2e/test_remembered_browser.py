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
