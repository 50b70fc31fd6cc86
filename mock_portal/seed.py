"""Deterministic seed data: the same seed and student count always give the same portal.

The organizations, accounts and name lists come from ``fixtures/portal/``; everything else
is drawn from one ``random.Random(seed)`` in a fixed order.
"""

from __future__ import annotations

import csv
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.security import generate_password_hash

from .catalog import (
    ELAS_STATUSES,
    GRADES,
    STATUS_ASSIGNED,
    STATUS_SUBMITTED,
    TESTS,
)

__all__ = [
    "FIXTURES_DIR",
    "Account",
    "Assignment",
    "Dataset",
    "School",
    "Student",
    "generate",
    "load_accounts",
    "load_schools",
    "write_dataset",
]

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "portal"

# Codes that come from data or appeals: shown in TOMS, never set by a coordinator.
DATASET_CODES = ("NEL", "INC0", "NEL", "INC0")
ELAS_WEIGHTS = (60, 10, 15, 12, 3)
LEADING_ZERO_SHARE = 0.05
UR_SHARE = 0.05
CSA_SHARE = 0.10
CODED_SHARE = 0.03
SUBMITTED_SHARE = 0.03
PGE_SHARE = 0.7
# A mock: cheap hashing keeps the tests fast.
PASSWORD_METHOD = "pbkdf2:sha256:2000"  # noqa: S105 - a hash method, not a password


@dataclass(frozen=True)
class School:
    """An organization: the district or one school."""

    cds: str
    name: str
    kind: str
    parent_cds: str
    low_grade: str
    high_grade: str

    @property
    def grades(self) -> tuple[str, ...]:
        """Grades the organization serves."""
        return GRADES[GRADES.index(self.low_grade) : GRADES.index(self.high_grade) + 1]

    @property
    def label(self) -> str:
        """``Name (CDS)`` as TOMS shows it."""
        return f"{self.name} ({self.cds})"


@dataclass(frozen=True)
class Account:
    """A portal user and the roles (role name, organization CDS) it holds."""

    username: str
    password: str
    display_name: str
    roles: tuple[tuple[str, str], ...]


@dataclass
class Assignment:
    """One test assigned to a student."""

    test: str
    status: str = STATUS_ASSIGNED
    condition_code: str | None = None


@dataclass
class Student:
    """One student as seeded."""

    id: int
    ssid: str
    first_name: str
    last_name: str
    grade: str
    school_cds: str
    elas: str
    unlisted_resources: bool
    ur_submitted_date: str | None
    assignments: list[Assignment] = field(default_factory=list)


@dataclass
class Dataset:
    """Everything the portal is seeded with."""

    seed: int
    schools: list[School]
    accounts: list[Account]
    students: list[Student]

    def school(self, cds: str) -> School:
        """The organization with this CDS code."""
        return next(s for s in self.schools if s.cds == cds)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _read_names(path: Path) -> list[str]:
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [n for n in names if n]


def load_schools(fixtures: Path = FIXTURES_DIR) -> list[School]:
    """Read ``schools.csv``: the district first, then its schools."""
    schools = []
    for lineno, row in enumerate(_read_csv(fixtures / "schools.csv"), start=2):
        try:
            school = School(
                cds=row["cds"],
                name=row["name"],
                kind=row["kind"],
                parent_cds=row["parent_cds"],
                low_grade=row["low_grade"],
                high_grade=row["high_grade"],
            )
            _ = school.grades
        except (KeyError, ValueError) as err:
            raise ValueError(f"schools.csv line {lineno}: {err}") from err
        if len(school.cds) != 14 or not school.cds.isdigit():
            raise ValueError(f"schools.csv line {lineno}: CDS must be 14 digits")
        schools.append(school)
    return schools


def load_accounts(fixtures: Path = FIXTURES_DIR) -> list[Account]:
    """Read ``accounts.csv`` (one row per role) into accounts, in file order."""
    merged: dict[str, Account] = {}
    for lineno, row in enumerate(_read_csv(fixtures / "accounts.csv"), start=2):
        try:
            username = row["username"]
            role = (row["role"], row["org_cds"])
            known = merged.get(username)
            if known is None:
                merged[username] = Account(username, row["password"], row["display_name"], (role,))
            else:
                merged[username] = Account(
                    username, known.password, known.display_name, (*known.roles, role)
                )
        except KeyError as err:
            raise ValueError(f"accounts.csv line {lineno}: missing column {err}") from err
    return list(merged.values())


def _new_ssid(rng: random.Random, used: set[str]) -> str:
    while True:
        if rng.random() < LEADING_ZERO_SHARE:
            # Excel drops this zero: a trap the roster reader has to handle.
            ssid = f"0{rng.randrange(10**8, 10**9)}"
        else:
            ssid = str(rng.randrange(10**9, 10**10))
        if ssid not in used:
            used.add(ssid)
            return ssid


def generate(seed: int, students: int, fixtures: Path = FIXTURES_DIR) -> Dataset:
    """Build the seed data; the same ``seed`` and ``students`` give identical data."""
    rng = random.Random(seed)
    schools = load_schools(fixtures)
    accounts = load_accounts(fixtures)
    first_names = _read_names(fixtures / "first_names.txt")
    last_names = _read_names(fixtures / "last_names.txt")
    sites = [s for s in schools if s.kind == "school"]
    used: set[str] = set()
    result: list[Student] = []
    for number in range(1, students + 1):
        grade = rng.choice(GRADES)
        school = rng.choice([s for s in sites if grade in s.grades])
        ssid = _new_ssid(rng, used)
        first = rng.choice(first_names)
        last = rng.choice(last_names)
        elas = rng.choices(ELAS_STATUSES, weights=ELAS_WEIGHTS)[0]
        has_ur = rng.random() < UR_SHARE
        ur_date = f"2026-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}" if has_ur else None
        student = Student(number, ssid, first, last, grade, school.cds, elas, has_ur, ur_date)
        for test in TESTS:
            if grade not in test.grades:
                continue
            if test.key == "CSA" and rng.random() >= CSA_SHARE:
                continue
            draw = rng.random()
            if draw < CODED_SHARE:
                code = "PGE" if rng.random() < PGE_SHARE else "NTE"
                student.assignments.append(Assignment(test.key, STATUS_ASSIGNED, code))
            elif draw < CODED_SHARE + SUBMITTED_SHARE:
                student.assignments.append(Assignment(test.key, STATUS_SUBMITTED))
            else:
                student.assignments.append(Assignment(test.key))
        result.append(student)
    open_ones = [
        a
        for s in result
        for a in s.assignments
        if a.status == STATUS_ASSIGNED and a.condition_code is None
    ]
    for code in DATASET_CODES[: max(0, min(len(DATASET_CODES), len(open_ones) // 50))]:
        chosen = rng.choice([a for a in open_ones if a.condition_code is None])
        chosen.condition_code = code
    return Dataset(seed, schools, accounts, result)


def write_dataset(conn: sqlite3.Connection, data: Dataset) -> None:
    """Replace every table's content with ``data`` in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in (
            "audit",
            "email_codes",
            "devices",
            "logon_sessions",
            "assignments",
            "students",
            "roles",
            "users",
            "orgs",
            "meta",
        ):
            conn.execute(f"DELETE FROM {table}")
        conn.executemany(
            "INSERT INTO orgs VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (s.cds, s.name, s.kind, s.parent_cds or None, s.low_grade, s.high_grade, i)
                for i, s in enumerate(data.schools)
            ],
        )
        for user_id, account in enumerate(data.accounts, start=1):
            conn.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?)",
                (
                    user_id,
                    account.username,
                    account.display_name,
                    generate_password_hash(account.password, method=PASSWORD_METHOD),
                ),
            )
            conn.executemany(
                "INSERT INTO roles (user_id, role, org_cds) VALUES (?, ?, ?)",
                [(user_id, role, cds) for role, cds in account.roles],
            )
        conn.executemany(
            "INSERT INTO students VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s.id,
                    s.ssid,
                    s.first_name,
                    s.last_name,
                    s.first_name.casefold(),
                    s.last_name.casefold(),
                    s.grade,
                    s.school_cds,
                    s.elas,
                    int(s.unlisted_resources),
                    s.ur_submitted_date,
                )
                for s in data.students
            ],
        )
        conn.executemany(
            "INSERT INTO assignments VALUES (?, ?, ?, ?)",
            [
                (s.id, a.test, a.status, a.condition_code)
                for s in data.students
                for a in s.assignments
            ],
        )
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("seed", str(data.seed)), ("students", str(len(data.students)))],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def seeded_with(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """The (seed, students) a database was seeded with, or None if it is empty."""
    rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if "seed" not in rows or "students" not in rows:
        return None
    return int(rows["seed"]), int(rows["students"])
