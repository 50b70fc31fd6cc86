"""Write the sample opt-out roster for the default mock data (seed 2026, 1,000 students).

``python -m mock_portal.make_sample_roster OUT.csv [EXPECTED.csv]``

Most rows can be set; a few rows of each blocked kind are mixed in. The optional second file
lists, for each row, what a correct run must conclude (``expected``).
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .catalog import STATUS_ASSIGNED, STATUS_SUBMITTED, TEST_BY_KEY
from .seed import Dataset, Student, generate

__all__ = ["ROSTER_COLUMNS", "RosterRow", "build_roster", "main", "write_roster"]

ROSTER_COLUMNS = ("ssid", "first_name", "last_name", "test", "code", "exemption_on_file")
SHORT_NAMES = {"ELA": "ELA", "MATH": "Math", "CAST": "CAST", "CSA": "CSA"}
SETTABLE_STUDENTS = 80
BLOCKED_PER_KIND = 3
ROSTER_SEED = 4471


@dataclass(frozen=True)
class RosterRow:
    """One roster line and the outcome a correct run must reach for it."""

    ssid: str
    first_name: str
    last_name: str
    test: str
    code: str
    exemption_on_file: str
    expected: str
    test_key: str


def _test_label(rng: random.Random, key: str) -> str:
    return TEST_BY_KEY[key].name if rng.random() < 0.25 else SHORT_NAMES[key]


def _evidence(rng: random.Random) -> str:
    day = f"2026-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
    kind = rng.random()
    if kind < 0.5:
        return f"{day} letter"
    if kind < 0.8:
        return f"doc {rng.randint(1000, 9999)}"
    return f"{day} email"


def _row(
    rng: random.Random, student: Student, key: str, code: str, expected: str, *, last: str = ""
) -> RosterRow:
    return RosterRow(
        student.ssid,
        student.first_name,
        last or student.last_name,
        _test_label(rng, key),
        code,
        _evidence(rng),
        expected,
        key,
    )


def _blocked(rng: random.Random, data: Dataset, used: set[str]) -> Iterator[RosterRow]:
    def pick(candidates: list[tuple[Student, str]]) -> list[tuple[Student, str]]:
        fresh = [(s, k) for s, k in candidates if s.ssid not in used]
        chosen = rng.sample(fresh, BLOCKED_PER_KIND)
        used.update(s.ssid for s, _ in chosen)
        return chosen

    students = data.students
    known = {s.ssid for s in students}
    for _ in range(BLOCKED_PER_KIND):
        while (ssid := str(rng.randrange(10**9, 10**10))) in known:
            pass
        ghost = Student(
            0, ssid, rng.choice(students).first_name, "Nobody", "05", "", "EO", False, None
        )
        yield _row(rng, ghost, "ELA", "PGE", "not_found", last=rng.choice(students).last_name)
    for student, key in pick(
        [(s, a.test) for s in students for a in s.assignments if a.status == STATUS_ASSIGNED]
    ):
        wrong = rng.choice([s.last_name for s in students if s.last_name != student.last_name])
        yield _row(rng, student, key, "PGE", "name_mismatch", last=wrong)
    for student, key in pick([(s, "CAST") for s in students if s.grade in ("06", "07")]):
        yield _row(rng, student, key, "PGE", "not_assigned")
    for student, key in pick(
        [(s, a.test) for s in students for a in s.assignments if a.status == STATUS_SUBMITTED]
    ):
        yield _row(rng, student, key, "PGE", "submitted")
    coded = [(s, a) for s in students for a in s.assignments if a.condition_code is not None]
    dataset_coded = [(s, a.test) for s, a in coded if a.condition_code not in ("NTE", "PGE")]
    conflicts = pick(
        dataset_coded[:1] + [(s, a.test) for s, a in coded if a.condition_code == "NTE"]
    )
    for student, key in conflicts:
        stored = next(a.condition_code for a in student.assignments if a.test == key)
        yield _row(rng, student, key, "NTE" if stored == "PGE" else "PGE", "code_conflict")
    for student, key in pick([(s, a.test) for s, a in coded if a.condition_code in ("NTE", "PGE")]):
        stored = next(a.condition_code for a in student.assignments if a.test == key)
        assert stored is not None
        yield _row(rng, student, key, stored, "already_set")


def build_roster(data: Dataset, seed: int = ROSTER_SEED) -> list[RosterRow]:
    """A shuffled roster: every open test of some students, plus blocked rows of each kind."""
    rng = random.Random(seed)
    used: set[str] = set()
    rows = list(_blocked(rng, data, used))
    open_students = [
        s
        for s in data.students
        if s.ssid not in used
        and all(a.status == STATUS_ASSIGNED and a.condition_code is None for a in s.assignments)
        and s.assignments
    ]
    for student in rng.sample(open_students, SETTABLE_STUDENTS):
        code = "NTE" if rng.random() < 0.1 else "PGE"
        for assignment in student.assignments:
            rows.append(_row(rng, student, assignment.test, code, "settable"))
    rng.shuffle(rows)
    return rows


def write_roster(path: Path, rows: list[RosterRow], expected: Path | None = None) -> None:
    """Write the roster CSV and, if asked, the expected outcomes next to it."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(ROSTER_COLUMNS)
        for r in rows:
            writer.writerow(
                [r.ssid, r.first_name, r.last_name, r.test, r.code, r.exemption_on_file]
            )
    if expected is not None:
        with expected.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["line", "ssid", "test", "code", "expected"])
            for line, r in enumerate(rows, start=2):
                writer.writerow([line, r.ssid, TEST_BY_KEY[r.test_key].name, r.code, r.expected])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m mock_portal.make_sample_roster OUT.csv [EXPECTED.csv]")
        return 2
    rows = build_roster(generate(2026, 1000))
    write_roster(Path(args[0]), rows, Path(args[1]) if len(args) == 2 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
