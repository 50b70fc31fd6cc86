"""The chaos scenarios at test size: faults, kills and restarts leave the portal exact.

``python -m benchmarks.chaos`` runs the same scenarios at full size (1,000 rows) and prints the
table that the README shows.
"""

from __future__ import annotations

import pytest

from benchmarks.chaos import SCENARIOS, run_scenario

pytestmark = pytest.mark.browser

# Session expiry needs a run that outlasts a session: sized so that even a fast run sees two.
# A session must outlive a logon and one student with 4 workers on two cores (about 5 s at
# worst): with 4 s sessions the run only raced its own logons.
ROWS = {"kill": 30, "portal-restart": 30, "session-expiry": 60}


# Every scenario on the default build; the error pages on the alt build too, where some come
# inside views its script fills (no page of their own to reload).
CASES = [(scenario, "default") for scenario in SCENARIOS] + [("error-pages", "alt")]


@pytest.mark.parametrize(("scenario", "build"), CASES, ids=[f"{s}-{b}" for s, b in CASES])
def test_scenario_leaves_the_portal_exact(scenario: str, build: str) -> None:
    outcome = run_scenario(
        scenario, rows=ROWS.get(scenario, 16), workers=4, seed=3, session_lifetime_s=10,
        build=build,
    )
    assert outcome.faults_injected > 0
    assert outcome.rows_changed_twice == 0
    assert outcome.rows_correct == outcome.rows
    assert outcome.statuses_match
    assert outcome.exit_code == 0
