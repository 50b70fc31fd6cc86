"""Fixed vocabularies of the portal: grades, tests, condition codes, roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "COORDINATOR_CODES",
    "ELAS_STATUSES",
    "GRADES",
    "TESTS",
    "TEST_BY_KEY",
    "TestProgram",
    "grade_label",
]

GRADES: Final = ("KN", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
ELAS_STATUSES: Final = ("EO", "IFEP", "EL", "RFEP", "TBD")

# Only these two can be set by a coordinator; the others come from data or appeals.
COORDINATOR_CODES: Final = ("NTE", "PGE")
CODE_KEY: Final = (
    ("NTE", "Not tested medical emergency"),
    ("PGE", "Parent/Guardian exemption"),
)

ROLE_LEA: Final = "LEA CAASPP Coordinator"
ROLE_SITE: Final = "Site CAASPP Coordinator"
ROLE_TA: Final = "Test Administrator"

STATUS_ASSIGNED: Final = "Assigned"
STATUS_SUBMITTED: Final = "Submitted"


@dataclass(frozen=True)
class TestProgram:
    """One test program as TOMS lists it."""

    key: str
    name: str
    group: str
    grades: tuple[str, ...]


TESTS: Final = (
    TestProgram(
        "ELA",
        "Smarter Balanced for English Language Arts/Literacy",
        "General Assessments",
        ("03", "04", "05", "06", "07", "08", "11"),
    ),
    TestProgram(
        "MATH",
        "Smarter Balanced for Mathematics",
        "General Assessments",
        ("03", "04", "05", "06", "07", "08", "11"),
    ),
    TestProgram("CAST", "California Science Test", "California Science Test", ("05", "08", "12")),
    TestProgram(
        "CSA",
        "California Spanish Assessment",
        "California Spanish Assessment",
        ("03", "04", "05", "06", "07", "08", "11"),
    ),
)
TEST_BY_KEY: Final = {t.key: t for t in TESTS}
TEST_GROUPS: Final = (
    "General Assessments",
    "California Science Test",
    "California Spanish Assessment",
)


def grade_label(grade: str) -> str:
    """Return the grade as TOMS shows it (``KN``, ``01`` .. ``12``)."""
    if grade.upper() in ("K", "KN", "0", "00"):
        return "KN"
    return f"{int(grade):02d}"
