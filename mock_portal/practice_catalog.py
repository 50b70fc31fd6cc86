"""The practice and training tests a TA Training Site session can offer, in display order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "CAST_PRACTICE",
    "ELPAC_PRACTICE",
    "PRACTICE_GROUPS",
    "PRACTICE_TESTS",
    "PRACTICE_TEST_BY_KEY",
    "SB_PRACTICE",
    "SB_TRAINING",
    "PracticeTest",
    "practice_test",
]


@dataclass(frozen=True)
class PracticeTest:
    """One practice or training test as the TA Training Site lists it."""

    key: str
    name: str
    group: str


SB_PRACTICE: Final = "Smarter Balanced Practice Tests"
SB_TRAINING: Final = "Smarter Balanced Training Tests"
CAST_PRACTICE: Final = "California Science Test Practice Tests"
ELPAC_PRACTICE: Final = "ELPAC Practice Tests"
PRACTICE_GROUPS: Final = (SB_PRACTICE, SB_TRAINING, CAST_PRACTICE, ELPAC_PRACTICE)

_SB_GRADES = ("3", "4", "5", "6", "7", "8", "11")
_SPANS = (("3-5", "Grades 3–5"), ("6-8", "Grades 6–8"), ("hs", "High School"))  # noqa: RUF001
_ELPAC_SPANS = (
    ("k", "Kindergarten"),
    ("1", "Grade 1"),
    ("2", "Grade 2"),
    ("3-5", "Grades 3–5"),  # noqa: RUF001 - the site writes grade spans with an en dash
    ("6-8", "Grades 6–8"),  # noqa: RUF001
    ("9-10", "Grades 9–10"),  # noqa: RUF001
    ("11-12", "Grades 11–12"),  # noqa: RUF001
)

# Every test a session can offer, in the order the selection page lists them.
PRACTICE_TESTS: Final = (
    *(
        PracticeTest(f"sb-pt-{g}-{s.lower()}", f"Grade {g} {s} Practice Test", SB_PRACTICE)
        for g in _SB_GRADES
        for s in ("ELA", "Math")
    ),
    *(
        PracticeTest(f"sb-tt-{key}-{s.lower()}", f"{label} {s} Training Test", SB_TRAINING)
        for key, label in _SPANS
        for s in ("ELA", "Math")
    ),
    PracticeTest("cast-pt-5", "Grade 5 Science Practice Test", CAST_PRACTICE),
    PracticeTest("cast-pt-8", "Grade 8 Science Practice Test", CAST_PRACTICE),
    PracticeTest("cast-pt-hs", "High School Science Practice Test", CAST_PRACTICE),
    *(
        PracticeTest(f"elpac-pt-{key}", f"{label} ELPAC Practice Test", ELPAC_PRACTICE)
        for key, label in _ELPAC_SPANS
    ),
)
PRACTICE_TEST_BY_KEY: Final = {t.key: t for t in PRACTICE_TESTS}
_BY_NAME: Final = {t.name: t for t in PRACTICE_TESTS}


def practice_test(value: str) -> PracticeTest | None:
    """The test with this key or exact visible name."""
    return PRACTICE_TEST_BY_KEY.get(value) or _BY_NAME.get(value)
