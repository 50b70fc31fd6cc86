"""The opt-out roster: which student gets which condition code on which test.

:func:`load_roster` reads the coordinator's file and checks all of it before anything is done
in TOMS; every problem found is reported at once, with its row and column, so the coordinator
can fix the file in one pass.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rpa.errors import InputError
from rpa.tables import header_key, match_header, read_table

__all__ = [
    "CODES",
    "COLUMNS",
    "HEADER_NAMES",
    "MAX_LENGTH",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "TESTS",
    "RosterError",
    "RosterProblem",
    "RosterRow",
    "load_roster",
    "normalize_code",
    "normalize_test",
    "roster_fingerprint",
]

TESTS: dict[str, str] = {
    "ELA": "Smarter Balanced for English Language Arts/Literacy",
    "Math": "Smarter Balanced for Mathematics",
    "CAST": "California Science Test",
    "CSA": "California Spanish Assessment",
}
"""Short name -> the program name exactly as TOMS shows it."""

# Other spellings accepted for a test, besides its short name and its full name. Kept to
# names that cannot mean another test (e.g. not "Science", which could be the CAA for Science).
_TEST_VARIANTS: dict[str, str] = {
    "English Language Arts": "ELA",
    "English Language Arts/Literacy": "ELA",
    "Smarter Balanced ELA": "ELA",
    "Mathematics": "Math",
    "Smarter Balanced Math": "Math",
    "Smarter Balanced Mathematics": "Math",
}

CODES = ("PGE", "NTE")
"""The condition codes a coordinator may set."""

REQUIRED_COLUMNS = ("ssid", "test", "code", "exemption_on_file")
OPTIONAL_COLUMNS = ("first_name", "last_name")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_REQUIRED_SET = frozenset(REQUIRED_COLUMNS)

HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "ssid": (
        "SSID", "Student SSID", "Statewide Student Identifier", "Statewide Student ID",
        "State Student ID", "SSID Number",
    ),
    "test": ("Test", "Test Name", "Subject", "Content Area", "Assessment", "Assessment Name"),
    "code": ("Code", "Condition Code", "Cond. Code", "Opt-Out Code"),
    "exemption_on_file": (
        "Exemption on File", "Exemption", "Parent Request", "Request Date",
        "Exemption Reference", "Exemption Date", "Parent Request Date", "Request on File",
        "Written Request",
    ),
    "first_name": (
        "First Name", "Student First Name", "Legal First Name", "Student Legal First Name",
        "First", "Given Name",
    ),
    "last_name": (
        "Last Name", "Student Last Name", "Legal Last Name", "Student Legal Last Name",
        "Last", "Surname", "Family Name",
    ),
}  # fmt: skip
"""Besides its own name, the headers that coordinators and student information systems give
each column. Case, spaces and punctuation are ignored ("STUDENT_SSID" is "Student SSID")."""

# Headers that look like a column but must not be read as one, and what to say instead.
_NOT_THESE: dict[str, str] = {
    header_key(name): message
    for names, message in (
        (
            ("Student ID", "Student Number", "Local ID", "Local Student ID", "ID"),
            "a local student ID is not the SSID: remove this column, or, if it holds the "
            "10-digit SSIDs, head it SSID",
        ),
        (
            ("Name", "Student Name", "Full Name", "Student Full Name"),
            "give the names (optional) in two columns, first_name and last_name",
        ),
    )
    for name in names
}

MAX_LENGTH = 200
"""The longest value accepted in any cell of the roster."""

SSID_LENGTH = 10
_NAME_COLUMNS = ("first_name", "last_name")
_TEXT_COLUMNS = ("first_name", "last_name", "exemption_on_file")
# "=cmd|' /C calc'!A0", "+1+1", "@SUM(...)", "-2+3"... but not "-" on its own or "-5".
# A minus starts a formula ("-2+3") unless what follows is a plain number ("-5").
_FORMULA = re.compile(r"^(?:[=+@\uff1d\uff0b\uff20]|[-\uff0d](?![0-9.,]*$))")
_Reporter = Callable[[str, str], None]
"""``problem(column, message)``: how a check reports what it found."""
_SCIENTIFIC = re.compile(r"^[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+$")
_DIGITS = re.compile(r"^[0-9]+$")
# What people write in exemption_on_file to mean "there is none".
_NOTHING_ON_FILE = frozenset({"-", "--", "n/a", "na", "none", "no", "false", "0", "tbd"})


def _test_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for alias, name in TESTS.items():
        lookup[_fold(alias)] = name
        lookup[_fold(name)] = name
    for variant, alias in _TEST_VARIANTS.items():
        lookup[_fold(variant)] = TESTS[alias]
    return lookup


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


_TESTS_BY_FOLDED = _test_lookup()


def normalize_test(value: str) -> str | None:
    """Return the full TOMS name of the test ``value`` names, or None if it names none."""
    return _TESTS_BY_FOLDED.get(_fold(value))


def normalize_code(value: str) -> str | None:
    """Return ``value`` as one of :data:`CODES`, or None if it is not one of them."""
    code = value.strip().upper()
    return code if code in CODES else None


@dataclass(frozen=True)
class RosterRow:
    """One checked line of the roster (with any identical later lines merged into it)."""

    row: int
    ssid: str
    first_name: str
    last_name: str
    test: str
    code: str
    exemption_on_file: str
    duplicate_rows: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """The student and test this row is about: one code per key."""
        return (self.ssid, self.test)


@dataclass(frozen=True)
class RosterProblem:
    """One thing to fix in the roster, at a row, a column, both or neither."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"row {self.row}" if self.row is not None else "",
                f"column {_printable(self.column)}" if self.column is not None else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


class RosterError(InputError):
    """The roster has problems; nothing was done."""

    def __init__(self, roster: Path | str, problems: Iterable[RosterProblem]) -> None:
        self.roster = str(roster)
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"The roster {self.roster} has {count} {noun}; nothing was done:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def load_roster(path: Path) -> list[RosterRow]:
    """Read and check the roster at ``path``.

    Returns:
        One row per (SSID, test), in file order; identical repeated lines are merged into the
        first, which lists them in ``duplicate_rows``.

    Raises:
        RosterError: with every problem found in the file, each naming its row and column.
        InputError: the file cannot be read as a table at all.
    """
    table = read_table(path)
    problems: list[RosterProblem] = []

    # Columns: which column each header names, by any of the names people give it.
    header = match_header(table, HEADER_NAMES)
    column_of = header.fields
    for header_name, earlier, name in header.repeated:
        problems.append(RosterProblem(None, header_name, (
            f"the columns {_quote(earlier)} and {_quote(header_name)} could both be {name}; "
            "keep one of them"
        )))
    for header_name, nearest in header.unknown:
        problems.append(RosterProblem(None, header_name, _unknown_column(header_name, nearest)))
    present = set(column_of.values())
    for name in header.missing(REQUIRED_COLUMNS):
        others = ", ".join(_quote(n) for n in HEADER_NAMES[name][1:4])
        problems.append(RosterProblem(
            None, name, f"the required column {name} is missing (it may also be headed {others})"
        ))

    if not table.rows:
        problems.append(RosterProblem(None, None, "the roster has no rows"))

    checked: list[_Checked] = []
    for table_row in table.rows:
        values = {
            column_of[key]: value for key, value in table_row.values.items() if key in column_of
        }
        problems += _check_row(table_row.line, values, present, checked)

    merged, merge_problems = _merge(checked)
    problems += merge_problems
    if problems:
        problems.sort(key=_problem_order)
        raise RosterError(path, problems)
    return merged


def roster_fingerprint(rows: Iterable[RosterRow]) -> str:
    """Return a SHA-256 hex digest of what the roster asks for, whatever its row order.

    Row numbers are left out, so the same requests in another order (or with blank lines added)
    give the same fingerprint; any change to an SSID, test, code, name or exemption does not.
    """
    canonical = sorted(
        [r.ssid, r.test, r.code, r.exemption_on_file, r.first_name, r.last_name] for r in rows
    )
    payload = json.dumps(
        {"format": "toms-rpa roster 1", "rows": canonical},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --- checks -------------------------------------------------------------------------------


def _unknown_column(header_name: str, nearest: str | None) -> str:
    message = f"unknown column {_quote(header_name)}"
    instead = _NOT_THESE.get(header_key(header_name))
    if instead:
        return f"{message}: {instead}"
    if nearest:
        message += f"; did you mean {nearest}?"
    return message + f" (the columns are: {', '.join(COLUMNS)})"


@dataclass
class _Checked:
    """A row as far as it could be read: None where a cell has a problem."""

    row: int
    ssid: str | None
    test: str | None
    code: str | None
    first_name: str | None
    last_name: str | None
    exemption_on_file: str | None
    ok: bool

    def final(self, duplicate_rows: tuple[int, ...] = ()) -> RosterRow:
        assert self.ssid is not None and self.test is not None and self.code is not None
        return RosterRow(
            row=self.row,
            ssid=self.ssid,
            first_name=self.first_name or "",
            last_name=self.last_name or "",
            test=self.test,
            code=self.code,
            exemption_on_file=self.exemption_on_file or "",
            duplicate_rows=duplicate_rows,
        )


def _check_row(
    line: int, values: Mapping[str, str], present: set[str], checked: list[_Checked]
) -> list[RosterProblem]:
    """Check one row's cells, append what could be read to ``checked``, return the problems."""
    problems: list[RosterProblem] = []

    def problem(column: str, message: str) -> None:
        problems.append(RosterProblem(line, column, message))

    usable: dict[str, str] = {}
    for column in COLUMNS:
        if column not in present:
            continue
        value = values.get(column, "")
        if len(value) > MAX_LENGTH:
            problem(column, f"the value is {len(value)} characters long; at most {MAX_LENGTH}")
        elif column in _TEXT_COLUMNS and _FORMULA.match(value):
            problem(column, f"{_quote(value)} looks like a spreadsheet formula; refused for safety")
        else:
            usable[column] = value

    ssid = test = code = None
    if "ssid" in usable:
        ssid = _check_ssid(usable["ssid"], problem)
    if "test" in usable:
        test = _check_test(usable["test"], problem)
    if "code" in usable:
        code = _check_code(usable["code"], problem)
    exemption = usable.get("exemption_on_file")
    if (
        code == "PGE"
        and exemption is not None
        and (not exemption or _fold(exemption) in _NOTHING_ON_FILE)
    ):
        said = f" (it says {_quote(exemption)})" if exemption else ""
        problem(
            "exemption_on_file",
            "a PGE needs the parent/guardian's written request on file first: fill "
            f"exemption_on_file with its date or document number{said}",
        )

    ok = not problems and present >= _REQUIRED_SET
    checked.append(
        _Checked(
            row=line,
            ssid=ssid,
            test=test,
            code=code,
            first_name=usable.get("first_name", "" if "first_name" not in present else None),
            last_name=usable.get("last_name", "" if "last_name" not in present else None),
            exemption_on_file=exemption,
            ok=ok,
        )
    )
    return problems


def _check_ssid(raw: str, problem: _Reporter) -> str | None:
    ssid = "".join(raw.split())
    if not ssid:
        problem("ssid", "SSID is empty")
        return None
    if _SCIENTIFIC.match(ssid):
        problem(
            "ssid",
            f"SSID {_quote(raw)} is in scientific notation, so Excel has lost its last digits; "
            "format the column as Text, type the SSIDs again and re-export",
        )
        return None
    if not _DIGITS.match(ssid):
        problem(
            "ssid",
            f"SSID must be {SSID_LENGTH} digits, got {_quote(raw)}, which has characters other "
            "than 0-9",
        )
        return None
    if len(ssid) == SSID_LENGTH:
        return ssid
    message = f"SSID must be {SSID_LENGTH} digits, got {len(ssid)} ({_quote(ssid)})"
    if len(ssid) == SSID_LENGTH - 1:
        message += (
            "; Excel may have dropped a leading zero — format the column as Text and re-export"
        )
    elif len(ssid) < SSID_LENGTH:
        message += "; Excel may have dropped leading zeros, or digits are missing"
    else:
        message += "; check for a typo or two SSIDs run together"
    problem("ssid", message)
    return None


def _check_test(raw: str, problem: _Reporter) -> str | None:
    accepted = ", ".join(TESTS)
    if not raw:
        problem("test", f"the test is empty; use one of {accepted}")
        return None
    test = normalize_test(raw)
    if test is None:
        problem(
            "test",
            f"unknown test {_quote(raw)}; use one of {accepted} "
            f"(or the full name TOMS shows, e.g. {_quote(TESTS['Math'])})",
        )
    return test


def _check_code(raw: str, problem: _Reporter) -> str | None:
    if not raw:
        problem("code", "the code is empty; use PGE or NTE")
        return None
    code = normalize_code(raw)
    if code is None:
        problem(
            "code",
            f"the code {_quote(raw)} cannot be set here: only PGE and NTE may be set by a "
            "coordinator",
        )
    return code


def _merge(rows: list[_Checked]) -> tuple[list[RosterRow], list[RosterProblem]]:
    """Merge identical repeats; refuse two codes for one (SSID, test) and two names for one SSID.

    Rows with problems of their own still take part, so that a conflict with them is reported
    in the same pass.
    """
    problems: list[RosterProblem] = []
    # The first row giving each name for each SSID, to compare later rows with.
    names_seen: dict[tuple[str, str], tuple[int, str]] = {}
    # The first row for each (SSID, test), and the rows that repeat it.
    firsts: dict[tuple[str, str], _Checked] = {}
    repeats: dict[int, list[_Checked]] = {}

    for row in rows:
        if row.ssid is None:
            continue
        for column in _NAME_COLUMNS:
            given = getattr(row, column)
            if not given:
                continue
            first_row, first_name = names_seen.setdefault((row.ssid, column), (row.row, given))
            if _fold(first_name) != _fold(given):
                problems.append(
                    RosterProblem(
                        row.row,
                        column,
                        f"{column} {_quote(given)} differs from {_quote(first_name)} on row "
                        f"{first_row} for the same SSID; make them the same",
                    )
                )

        if row.test is None or row.code is None:
            continue
        first = firsts.setdefault((row.ssid, row.test), row)
        if first is row:
            repeats[row.row] = []
        elif first.code != row.code:
            problems.append(
                RosterProblem(
                    row.row,
                    "code",
                    f"the code {row.code} conflicts with {first.code} on row {first.row} for "
                    "the same SSID and test; keep only one of the two rows",
                )
            )
        else:
            repeats[first.row].append(row)

    merged: list[RosterRow] = []
    for first in firsts.values():
        if not first.ok:
            continue
        same = [r for r in repeats[first.row] if r.ok]
        # A repeat may fill in what the first line left blank; it never overrides it.
        for column in (*_NAME_COLUMNS, "exemption_on_file"):
            if not getattr(first, column):
                filled = next((getattr(r, column) for r in same if getattr(r, column)), "")
                setattr(first, column, filled)
        merged.append(first.final(duplicate_rows=tuple(r.row for r in same)))
    merged.sort(key=lambda r: r.row)
    return merged, problems


# --- helpers ------------------------------------------------------------------------------


def _problem_order(problem: RosterProblem) -> tuple[int, int, str]:
    row = -1 if problem.row is None else problem.row
    column = COLUMNS.index(problem.column) if problem.column in COLUMNS else len(COLUMNS)
    return (row, column, problem.message)


def _printable(text: str) -> str:
    """Control and direction characters escaped, so a message stays on one line as written."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _quote(value: str, limit: int = 40) -> str:
    """Quote a cell's value for a one-line message: control characters escaped, long cut."""
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return f'"{_printable(shown)}"'
