"""Choices by visible label: the role TOMS_ROLE names, the code a list calls PGE, a test by name."""

from __future__ import annotations

import pytest

from flows.optout.worker import _find
from flows.pages.portal import pick_role
from flows.pages.students import Assignment, pick_code
from rpa.errors import PageNotRecognized, SettingsError

ROLES = [
    "-- Select a role --",
    "LEA CAASPP Coordinator - Capistrano Unified (30664640000000)",
    "Site CAASPP Coordinator - Dana Hills High (30664643038569)",
]


def test_the_role_is_the_one_whose_text_contains_toms_role() -> None:
    assert pick_role(ROLES, "lea  caaspp coordinator") == ROLES[1]
    assert pick_role(ROLES, "Dana Hills") == ROLES[2]
    with pytest.raises(SettingsError, match="matches several"):
        pick_role(ROLES, "CAASPP Coordinator")
    with pytest.raises(SettingsError, match="matches none") as none:
        pick_role(ROLES, "Test Examiner")
    assert "Select a role" not in str(none.value)  # the placeholder is not a role
    with pytest.raises(SettingsError, match="Set TOMS_ROLE"):
        pick_role(ROLES, "")


@pytest.mark.parametrize("labels", [
    ["Choose…", "NTE: Not tested medical emergency", "PGE: Parent/Guardian exemption"],
    ["-- Select --", "NTE", "PGE"],
    ["", "pge - parent/guardian exemption", "PGEX: another code", "NTE"],
])
def test_the_code_is_the_label_that_starts_with_it(labels: list[str]) -> None:
    chosen = pick_code(labels, "PGE")
    assert chosen.upper().startswith("PGE") and not chosen.upper().startswith("PGEX")


def test_a_code_the_list_does_not_offer_is_named() -> None:
    with pytest.raises(PageNotRecognized, match="offers -- Select --; NTE: no code PGE"):
        pick_code(["-- Select --", "NTE"], "PGE")


def test_a_test_is_found_by_its_exact_name_among_look_alikes() -> None:
    rows = [
        Assignment("Smarter Balanced for Mathematics (Braille)", "Assigned", "", True),
        Assignment("Smarter Balanced for Mathematics", "Assigned", "", True),
        Assignment("Smarter Balanced for Mathematics - Paper", "Assigned", "", True),
    ]
    found = _find(rows, "Smarter Balanced for Mathematics")
    assert found is rows[1]
    assert _find(rows, "smarter balanced for mathematics (braille)") is rows[0]
    assert _find(rows, "Smarter Balanced for English Language Arts/Literacy") is None
