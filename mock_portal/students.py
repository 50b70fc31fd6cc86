"""Student search, scoping and the test-assignment save rules.

Pure functions over a SQLite connection, so the rules can be tested without HTTP.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import messages
from .auth import Role
from .catalog import (
    COORDINATOR_CODES,
    GRADES,
    ROLE_LEA,
    ROLE_SITE,
    STATUS_ASSIGNED,
    STATUS_SUBMITTED,
    TEST_BY_KEY,
    TESTS,
)

__all__ = [
    "SEARCH_LIMIT",
    "AssignmentRow",
    "Organization",
    "SaveRejected",
    "SaveRequest",
    "SearchCriteria",
    "StudentRow",
    "assignments_of",
    "get_student",
    "save_changes",
    "scope_of",
    "search",
]

SEARCH_LIMIT = 50


@dataclass(frozen=True)
class Organization:
    """A school a role can see."""

    cds: str
    name: str

    @property
    def label(self) -> str:
        """``Name (CDS)``."""
        return f"{self.name} ({self.cds})"


@dataclass(frozen=True)
class StudentRow:
    """A student as the search results and the profile show it."""

    id: int
    ssid: str
    first_name: str
    last_name: str
    grade: str
    school_cds: str
    school_name: str
    elas: str
    unlisted_resources: bool
    ur_submitted_date: str | None

    @property
    def list_name(self) -> str:
        """``LAST, FIRST`` as in the results table."""
        return f"{self.last_name}, {self.first_name}"

    @property
    def full_name(self) -> str:
        """``FIRST LAST`` as on the profile."""
        return f"{self.first_name} {self.last_name}"

    @property
    def school_label(self) -> str:
        """``Dana Hills High (30664643038569)``."""
        return f"{self.school_name} ({self.school_cds})"


@dataclass(frozen=True)
class AssignmentRow:
    """One current test assignment."""

    test: str
    status: str
    condition_code: str | None

    @property
    def name(self) -> str:
        """The test program's full name."""
        return TEST_BY_KEY[self.test].name


@dataclass(frozen=True)
class SearchCriteria:
    """The search form's fields, as typed (empty string = not used)."""

    ssid: str = ""
    first_name: str = ""
    last_name: str = ""
    org: str = ""
    grade: str = ""
    ur: str = ""
    elas: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> SearchCriteria:
        """Read the criteria from a query string."""
        return cls(**{name: args.get(name, "").strip() for name in cls.__dataclass_fields__})

    def is_empty(self) -> bool:
        """Whether no criterion at all was given."""
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def problem(self) -> str | None:
        """The validation message for these criteria, or None when they are fine."""
        if self.is_empty():
            return messages.SEARCH_CRITERION_REQUIRED
        if self.ssid and not (len(self.ssid) == 10 and self.ssid.isascii() and self.ssid.isdigit()):
            return messages.SSID_FORMAT
        return None


def scope_of(db: sqlite3.Connection, role: Role) -> list[Organization] | None:
    """The schools a role may see; None when the role may not view students at all."""
    if role.role == ROLE_LEA:
        rows = db.execute(
            "SELECT cds, name FROM orgs WHERE parent_cds = ? ORDER BY sort", (role.org_cds,)
        ).fetchall()
    elif role.role == ROLE_SITE:
        rows = db.execute("SELECT cds, name FROM orgs WHERE cds = ?", (role.org_cds,)).fetchall()
    else:
        return None
    return [Organization(r["cds"], r["name"]) for r in rows]


_STUDENT_COLUMNS = (
    "s.id, s.ssid, s.first_name, s.last_name, s.grade, s.school_cds, o.name AS school_name,"
    " s.elas, s.unlisted_resources, s.ur_submitted_date"
)


def _row(r: sqlite3.Row) -> StudentRow:
    return StudentRow(
        r["id"],
        r["ssid"],
        r["first_name"],
        r["last_name"],
        r["grade"],
        r["school_cds"],
        r["school_name"],
        r["elas"],
        bool(r["unlisted_resources"]),
        r["ur_submitted_date"],
    )


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join('?' for _ in values)})"


def search(
    db: sqlite3.Connection,
    scope: Sequence[Organization],
    criteria: SearchCriteria,
    limit: int = SEARCH_LIMIT,
) -> tuple[list[StudentRow], int]:
    """Students in ``scope`` matching every criterion: (first ``limit`` rows, total count).

    Names match as case-insensitive prefixes. Criteria must be valid (see ``problem``).
    """
    cds_list = [o.cds for o in scope]
    if criteria.org:
        cds_list = [c for c in cds_list if c == criteria.org]
    if not cds_list:
        return [], 0
    where = [_in("s.school_cds", cds_list)]
    params: list[str | int] = list(cds_list)
    if criteria.ssid:
        where.append("s.ssid = ?")
        params.append(criteria.ssid)
    for field, column in (("first_name", "s.first_fold"), ("last_name", "s.last_fold")):
        value: str = getattr(criteria, field).casefold()
        if value:
            where.append(f"substr({column}, 1, ?) = ?")
            params += [len(value), value]
    if criteria.grade:
        where.append("s.grade = ?")
        params.append(criteria.grade)
    if criteria.ur in ("yes", "no"):
        where.append("s.unlisted_resources = ?")
        params.append(1 if criteria.ur == "yes" else 0)
    if criteria.elas:
        where.append("s.elas = ?")
        params.append(criteria.elas)
    clause = " AND ".join(where)
    total = db.execute(f"SELECT count(*) FROM students s WHERE {clause}", params).fetchone()[0]
    rows = db.execute(
        f"SELECT {_STUDENT_COLUMNS} FROM students s JOIN orgs o ON o.cds = s.school_cds"
        f" WHERE {clause} ORDER BY s.last_fold, s.first_fold, s.ssid LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [_row(r) for r in rows], int(total)


def get_student(
    db: sqlite3.Connection, scope: Sequence[Organization], student_id: int
) -> StudentRow | None:
    """The student with this internal id, or None if unknown or outside ``scope``."""
    cds_list = [o.cds for o in scope]
    if not cds_list:
        return None
    row = db.execute(
        f"SELECT {_STUDENT_COLUMNS} FROM students s JOIN orgs o ON o.cds = s.school_cds"
        f" WHERE s.id = ? AND {_in('s.school_cds', cds_list)}",
        [student_id, *cds_list],
    ).fetchone()
    return _row(row) if row else None


def assignments_of(db: sqlite3.Connection, student_id: int) -> list[AssignmentRow]:
    """The student's current assignments in TOMS order."""
    rows = db.execute(
        "SELECT test, status, condition_code FROM assignments WHERE student_id = ?",
        (student_id,),
    ).fetchall()
    found = {r["test"]: AssignmentRow(r["test"], r["status"], r["condition_code"]) for r in rows}
    return [found[t.key] for t in TESTS if t.key in found]


@dataclass(frozen=True)
class SaveRequest:
    """What the bottom SAVE sends: staged codes and, if the form had them, the assignments."""

    codes: Mapping[str, str]
    assignments: frozenset[str] | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, str], checked: Sequence[str]) -> SaveRequest:
        """Read ``code-<TEST>`` fields, and the ``assign`` checkboxes if the form has them."""
        codes = {
            t.key: form.get(f"code-{t.key}", "").strip()
            for t in TESTS
            if form.get(f"code-{t.key}", "").strip()
        }
        assignments = frozenset(checked) if form.get("assignments_present") else None
        return cls(codes, assignments)


@dataclass(frozen=True)
class CodeChange:
    """A condition code that was stored."""

    test: str
    old_code: str | None
    new_code: str


class SaveRejected(Exception):
    """The save broke a rule; nothing was stored."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _check(current: Mapping[str, AssignmentRow], request: SaveRequest) -> tuple[set[str], set[str]]:
    """Apply the rules; return (assignments to add, assignments to remove)."""
    wanted = request.assignments
    for key in wanted or ():
        if key not in TEST_BY_KEY:
            raise SaveRejected(messages.CODE_TEST_NOT_ASSIGNED, status=400)
    for key, code in request.codes.items():
        if code not in COORDINATOR_CODES:
            raise SaveRejected(messages.CODE_NOT_ALLOWED, status=400)
        existing = current.get(key)
        if existing is None:
            if wanted is None or key not in wanted:
                raise SaveRejected(messages.CODE_TEST_NOT_ASSIGNED, status=409)
            continue
        if existing.status == STATUS_SUBMITTED:
            raise SaveRejected(messages.CODE_ON_SUBMITTED, status=409)
        if existing.condition_code is not None and existing.condition_code != code:
            raise SaveRejected(messages.CODE_ALREADY_SET, status=409)
    if wanted is None:
        return set(), set()
    removed = set(current) - wanted
    for key in removed:
        row = current[key]
        if row.status == STATUS_SUBMITTED or row.condition_code is not None:
            raise SaveRejected(messages.CANNOT_REMOVE_ASSIGNMENT, status=409)
    return set(wanted) - set(current), removed


def save_changes(
    db: sqlite3.Connection, student: StudentRow, request: SaveRequest, *, user: str, at: str
) -> list[CodeChange]:
    """Check and store the changes in one transaction, auditing each code stored.

    Raises:
        SaveRejected: a rule was broken; nothing was stored.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        current = {a.test: a for a in assignments_of(db, student.id)}
        added, removed = _check(current, request)
        for key in sorted(removed):
            db.execute(
                "DELETE FROM assignments WHERE student_id = ? AND test = ?", (student.id, key)
            )
        for key in sorted(added):
            db.execute(
                "INSERT INTO assignments VALUES (?, ?, ?, NULL)",
                (student.id, key, STATUS_ASSIGNED),
            )
        changes = []
        for key, code in request.codes.items():
            old = current[key].condition_code if key in current else None
            if old == code:
                continue  # the same code again: nothing to do, nothing to audit
            db.execute(
                "UPDATE assignments SET condition_code = ? WHERE student_id = ? AND test = ?",
                (code, student.id, key),
            )
            db.execute(
                "INSERT INTO audit (at, user, ssid, test, old_code, new_code)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (at, user, student.ssid, TEST_BY_KEY[key].name, old, code),
            )
            changes.append(CodeChange(key, old, code))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return changes


def grade_options() -> tuple[str, ...]:
    """Grades for the search form."""
    return GRADES
