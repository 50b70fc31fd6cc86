"""The pytest plugin, used as a team outside toms-rpa would use it.

Run with ``-p flows.testing.plugin`` until the package's ``pytest11`` entry point is installed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

import pytest

from flows.testing import Toms, TomsPortal
from mock_portal.seed import Account

pytest_plugins = ["pytester"]

ELA = "Smarter Balanced for English Language Arts/Literacy"
LEA = "lea.coordinator@example.org"


def _settable(toms_portal: TomsPortal) -> dict[str, Any]:
    """A student whose ELA test can take a condition code."""
    for student in toms_portal.students():
        for assignment in student["assignments"]:
            if (
                assignment["test"] == ELA
                and assignment["status"] == "Assigned"
                and assignment["condition_code"] is None
            ):
                return student
    raise AssertionError("the seed has no settable ELA assignment")


@pytest.mark.browser
def test_a_pge_set_through_toms_is_stored_and_audited(
    toms: Toms, toms_portal: TomsPortal
) -> None:
    ssid = _settable(toms_portal)["ssid"]

    assignments = toms.students().search(ssid).open(ssid).test_assignments()
    assert assignments.code_of(ELA) is None
    assignments.set_code(ELA, "PGE")
    assignments.save()

    assert assignments.code_of(ELA) == "PGE"
    assert toms_portal.code(ssid, ELA) == "PGE"
    [change] = toms_portal.audit()
    assert change["ssid"] == ssid
    assert change["test"] == ELA
    assert (change["old_code"], change["new_code"]) == (None, "PGE")
    assert change["user"] == LEA


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_starts_from_a_freshly_reset_portal(toms_portal: TomsPortal, turn: str) -> None:
    # Whichever of the two runs second finds the portal as it was before the other changed it.
    assert toms_portal.faults()["latency_ms"] == 0
    assert toms_portal.audit() == []
    toms_portal.faults(latency_ms=1)
    assert toms_portal.faults()["latency_ms"] == 1


def test_the_seeded_accounts_come_from_the_fixture_file(
    toms_accounts: Mapping[str, Account],
) -> None:
    lea = toms_accounts[LEA]
    assert lea.password == "demo-password"
    assert ("LEA CAASPP Coordinator", "30664640000000") in lea.roles
    assert "ta@example.org" in toms_accounts


XDIST_TESTS = """
import os
from pathlib import Path

import pytest

from rpa.browser import find_browser


@pytest.mark.parametrize("n", range(4))
def test_portal(toms_portal, n):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    assert toms_portal.faults()["error_rate"] == 0
    toms_portal.faults(error_rate=0.5)  # undone by the reset before the next test
    Path(f"{worker}-{n}.url").write_text(toms_portal.url)


def test_playwright_launches_the_chromium_toms_rpa_chooses(browser_type_launch_args):
    chosen = find_browser(install=False).executable
    assert browser_type_launch_args.get("executable_path") == (chosen and str(chosen))
"""


@pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed"
)
def test_each_xdist_worker_gets_its_own_portal(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOMS_BROWSER_PATH", raising=False)
    pytester.makepyfile(test_xdist=XDIST_TESTS)
    # "no:toms_rpa" keeps the installed entry point, if any, from loading the plugin twice.
    result = pytester.runpytest_subprocess(
        "-p", "no:toms_rpa", "-p", "flows.testing.plugin", "-p", "no:cacheprovider",
        "-n", "2",
    )
    result.assert_outcomes(passed=5)
    urls = {path.stem.split("-")[0]: path.read_text() for path in pytester.path.glob("*.url")}
    assert sorted(urls) == ["gw0", "gw1"]
    assert len(set(urls.values())) == 2


ALT_TESTS = '''
import pytest

from mock_portal import PortalConfig

ELA = "Smarter Balanced for English Language Arts/Literacy"


@pytest.fixture(scope="session")
def toms_portal_config():
    return PortalConfig(students=120, build="alt")


def test_the_kit_sets_a_pge_on_the_other_build(toms, toms_portal):
    student = next(
        s for s in toms_portal.students()
        if {"test": ELA, "status": "Assigned", "condition_code": None} in s["assignments"]
    )
    assignments = toms.students().search(student["ssid"]).open(student["ssid"]).test_assignments()
    assignments.set_code(ELA, "PGE")
    assignments.save()
    assert assignments.code_of(ELA) == "PGE"
    assert toms_portal.code(student["ssid"], ELA) == "PGE"
'''


@pytest.mark.browser
def test_the_kit_works_on_the_alt_build_with_the_flows_definitions(
    pytester: pytest.Pytester,
) -> None:
    """The kit finds the pages of a build with other markup and other un-guided wording,
    through the same definitions as the flows."""
    pytester.makepyfile(test_alt=ALT_TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:toms_rpa", "-p", "flows.testing.plugin", "-p", "no:cacheprovider",
    )
    result.assert_outcomes(passed=1)
