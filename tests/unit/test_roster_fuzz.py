"""The roster as input, fuzzed: from the bytes a coordinator saves to the exit status.

Every test here writes a generated roster to a real file, in the shapes spreadsheets produce:
CSV as bytes (UTF-8 with or without a byte order mark, cp1252, UTF-16; CRLF or LF; "," or ";";
blank lines; minimal or full quoting) and ``.xlsx`` written by openpyxl (numeric SSIDs, SSIDs
that lost their leading zero, text cells that look like formulas). A generated roster carries
what a careful reader would say about it, so each test checks that :func:`load_roster` returns
exactly its rows, or refuses it with the row and column of every problem, or (for a problem
with the file itself) an :class:`InputError` saying what is wrong; never any other exception.

Single, hand-picked problems are checked by example in ``test_roster.py`` and ``test_tables.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from flows.cli import main
from flows.optout.roster import (
    COLUMNS,
    REQUIRED_COLUMNS,
    TESTS,
    RosterError,
    RosterProblem,
    RosterRow,
    load_roster,
)
from rpa.errors import InputError
from rpa.report import write_results_csv

Value = str | int | float
"""A cell as written: an .xlsx keeps numbers as numbers, a CSV holds their digits."""
Where = tuple[int | None, str | None]
"""The (row, column) a problem is reported at."""
XlsxValue = str | int | float | bool | dt.datetime | dt.date | dt.time | None
"""Any value openpyxl can write to a cell."""
Quoting = Literal[0, 1, 2, 3]
"""One of csv.QUOTE_MINIMAL, QUOTE_ALL, QUOTE_NONNUMERIC, QUOTE_NONE."""

HEADER = list(COLUMNS)
TEXT_COLUMNS = ("first_name", "last_name", "exemption_on_file")
# The issue's formula-looking cells. "-2+3" is kept out of the text columns of the exact
# tests below: it is the subject of its own test at the end.
ISSUE_FORMULAS = ("=cmd|' /C calc'!A0", "+1", "@SUM(1)", "-2+3")
TEXT_FORMULAS = (
    "=cmd|' /C calc'!A0",
    "+1",
    "@SUM(1)",
    "=1+1",
    ' =HYPERLINK("http://x")',
    "\u200b+1",
    "-x",
    "\uff1d1+1",
    "\uff0b1",
    "\uff0dx",
    "\uff20SUM(1)",
)
# What makes a spreadsheet run a cell: the issue's list, with LF, and the full-width forms.
SPREADSHEET_TRIGGERS = (
    "=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20",
)  # fmt: skip
NOTHING_ON_FILE = ("", "n/a", "None", "-", "No", " TBD ")
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + n) for n in range(10)))
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16")

# Header spellings that all mean the same column. Two spellings that differ only in case name
# the column twice as far as the file goes (an InputError); two that differ otherwise ("First
# Name", "first-name") name it twice as far as the roster goes (a RosterProblem).
SPELLINGS: dict[str, tuple[str, ...]] = {
    "ssid": ("ssid", "SSID", " Ssid "),
    "test": ("test", "Test", "TEST "),
    "code": ("code", "Code"),
    "exemption_on_file": ("exemption_on_file", "Exemption On File", "exemption-on-file"),
    "first_name": ("first_name", "First Name", "FIRST-NAME"),
    "last_name": ("last_name", "Last Name", "last  name"),
}
GOOD_TESTS: tuple[tuple[str, str], ...] = (
    *((short, full) for short, full in TESTS.items()),
    *((f"  {short.lower()}  ", full) for short, full in TESTS.items()),
    *((full.upper(), full) for full in TESTS.values()),
    ("Mathematics", TESTS["Math"]),
    ("english language arts", TESTS["ELA"]),
    ("Smarter  Balanced  Math", TESTS["Math"]),
)
BAD_TESTS = ("", "Science", "CAA", "ELPAC", "E L A", "\uff25\uff2c\uff21", "ELA\u200f", "Math 😀")
GOOD_CODES = (("PGE", "PGE"), ("pge", "PGE"), ("NTE", "NTE"), (" Nte ", "NTE"))
BAD_CODES = ("", "NPE", "ABC", "PGE2", "P GE", "\uff30\uff27\uff25", "PGE\u200f", "N\u200bTE")

# Characters that are neither stripped nor a formula trigger: a value that starts and ends
# with one of these reads back exactly as written.
LATIN_ENDS = "AaZzéÑßo"
WIDE_ENDS = LATIN_ENDS + "жλ李😀"
# Odd pieces for the middle of a value. NUL is listed once among many: a NUL makes a UTF-8 or
# cp1252 file "not a text file", which should happen, but not in most examples.
LATIN_ODD = (
    " ", "  ", "\t", "\n", "\r\n", "'", '"', ",", ";", "=", "+", "-", "@", "é", "\u2019", "€", "ñ",
    "O'Neil", "Smith-Jones", "\x00",
)  # fmt: skip
WIDE_ODD = (
    *LATIN_ODD, "\u200f", "\u202e", "\u200e", "\u2066", "😀", "👩\u200d👩\u200d👧", "\uff11\uff12",
    "\u3000", "\u2028", "\x85", "\u0301", "\ufeff", "\u200b", "李小龍",
)  # fmt: skip


def fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def xlsx_text(value: str) -> str:
    """What an .xlsx can hold of ``value``: no control characters, and XML's line ends."""
    return ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")


def csv_text(value: Value) -> str:
    """A cell as a CSV export shows it: numbers as their digits."""
    if isinstance(value, float):
        return str(int(value))
    return str(value)


def where(problem: RosterProblem) -> Where:
    return (problem.row, problem.column)


def in_order(places: Sequence[Where]) -> list[Where]:
    return sorted(places, key=lambda w: (-1 if w[0] is None else w[0], w[1] or ""))


# --- strategies: cells ----------------------------------------------------------------------


def long_values(char: str) -> st.SearchStrategy[str]:
    """Longer than the 200 characters a roster cell may hold, up to 10,000."""
    return st.integers(201, 10_000).map(lambda n: char * n)


def good_text(latin: bool) -> st.SearchStrategy[str]:
    ends = st.sampled_from(LATIN_ENDS if latin else WIDE_ENDS)
    piece = st.one_of(
        st.sampled_from(LATIN_ODD if latin else WIDE_ODD),
        st.text(alphabet=LATIN_ENDS + " ", max_size=6),
    )
    middle = st.lists(piece, max_size=4).map("".join)
    return st.builds(lambda a, m, b: a + m + b, ends, middle, ends)


def bad_text(latin: bool) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(TEXT_FORMULAS), long_values("x"), long_values("é" if latin else "李")
    )


def good_exemption(latin: bool) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["2024-09-03", "signed letter 17", "-2024", "doc #17"]), good_text(latin)
    )


def good_ssid(digits: str) -> st.SearchStrategy[Value]:
    forms: list[Value] = [digits, f"{digits[:3]} {digits[3:6]} {digits[6:]}", f" {digits} "]
    if digits[0] != "0":
        # A number cell in .xlsx; in a CSV the same digits.
        forms += [int(digits), float(digits)]
    return st.sampled_from(forms)


def bad_ssid(digits: str) -> st.SearchStrategy[Value]:
    lost_zero = int("0" + digits[1:])  # the SSID "0..." once Excel took it for a number
    forms: list[Value] = [
        lost_zero,
        digits[:9],
        int(digits[:9]),
        digits + "7",
        int(digits + "7"),
        f"{int('1' + digits[1:]):.5E}",  # "1.23457E+09", as Excel exports a long number
        digits[:6] + "abcd",
        digits.translate(FULL_WIDTH),
        digits[:5] + "\u200f" + digits[5:],
        digits[:5] + "\u202e" + digits[5:],
        digits[:5] + "😀" + digits[5:],
        "",
    ]
    return st.one_of(st.sampled_from(forms), st.sampled_from(ISSUE_FORMULAS), long_values("1"))


def extra_headers(latin: bool) -> st.SearchStrategy[str]:
    """Names of columns the roster does not know (none can be read as a known one)."""
    named = ["Notes", "Grade", "Teacher", "Schüler", "x: notes (misc)"]
    if not latin:
        named += ["備考", "Notes 😀", "\u200fnotes"]
    return st.one_of(
        st.sampled_from(named),
        st.text(alphabet="abcdefgxyz é", min_size=1, max_size=8).map(lambda s: "x " + s.strip()),
        st.integers(1, 10_000).map(lambda n: "x" + "y" * n),
    )


def filler(latin: bool) -> st.SearchStrategy[str]:
    """Anything at all, for a column whose values the roster ignores."""
    return st.one_of(
        st.just(""),
        good_text(latin),
        bad_text(latin),
        st.sampled_from(ISSUE_FORMULAS),
    )


# --- strategies: whole rosters --------------------------------------------------------------


def one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n`` draws.

    Not ``integers(0, n) == 0``: Hypothesis favours the ends of a range, which would make a
    rare case common.
    """
    return draw(st.integers(0, n - 1)) == n // 2


@dataclass(frozen=True)
class Case:
    """A roster as a list of records, and what loading it must give."""

    records: Sequence[Sequence[Value]]
    width: int
    """The number of columns in the header row."""
    problems: list[Where]
    rows: list[RosterRow]
    file_error: str | None
    """A fragment of the InputError expected before any row is checked, if any."""

    @property
    def bad(self) -> bool:
        return bool(self.problems) or self.file_error is not None


@st.composite
def roster_cases(draw: st.DrawFn, *, xlsx: bool) -> Case:
    """A roster with missing, extra and repeated columns, blank lines and bad cells.

    Every row has its own SSID, so rows never merge; each row has at most one bad cell, so
    the problems expected are exactly the bad cells in columns the header has.
    """
    latin = draw(st.booleans())
    # One roster in four is clean, so that loading is checked as often as refusing; the rest
    # mix every kind of problem, each of them rare enough to leave room for the others.
    clean = one_in(draw, 4)
    some_columns = st.lists(st.sampled_from(COLUMNS), unique=True, max_size=6)
    names = draw(
        st.sampled_from([list(COLUMNS), list(REQUIRED_COLUMNS)])
        if clean
        else st.one_of(st.just(list(COLUMNS)), st.just(list(COLUMNS)), some_columns)
    )
    header: list[tuple[str, str | None]] = [
        (draw(st.sampled_from(SPELLINGS[name])), name) for name in names
    ]
    if not clean and draw(st.booleans()):
        extras = draw(st.lists(extra_headers(latin), min_size=1, max_size=2, unique_by=str.lower))
        header += [(name, None) for name in extras]
    if names and not clean and one_in(draw, 12):
        again = draw(st.sampled_from(names))
        header.append((draw(st.sampled_from((*SPELLINGS[again], again.upper()))), again))
    if not header:
        header = [("Notes", None)]
    header = draw(st.permutations(header))

    file_error: str | None = None
    cleaned = [text.strip() for text, _name in header]
    if len({text.lower() for text in cleaned}) < len(cleaned):
        file_error = "more than once"
    problems: list[Where] = []
    used: dict[str, int] = {}
    for index, ((_text, name), shown) in enumerate(zip(header, cleaned, strict=True)):
        if name is None or name in used:
            problems.append((None, shown))  # an unknown column, or one given twice
        else:
            used[name] = index
    problems += [(None, name) for name in REQUIRED_COLUMNS if name not in used]

    count = 0 if one_in(draw, 12) else draw(st.integers(1, 6))
    nul = one_in(draw, 6)
    numbers = draw(
        st.lists(st.integers(0, 10**10 - 1), min_size=count, max_size=count, unique=True)
    )
    records: list[list[Value]] = []

    def blank() -> list[Value]:
        # An empty line, or a row of empty cells. A one-column file gets only empty lines (the
        # csv module writes a row of one empty cell as "").
        width = len(header)
        kind = draw(st.sampled_from(["none", "empty", "spaces"])) if width >= 2 else "none"
        empty: list[Value] = [] if kind == "none" else ["" if kind == "empty" else " "] * width
        return empty

    records += [blank() for _ in range(draw(st.integers(0, 2)))]
    records.append([text for text, _name in header])
    rows: list[RosterRow] = []
    for number in numbers:
        digits = f"{number:010d}"
        test_text, test = draw(st.sampled_from(GOOD_TESTS))
        code_text, code = draw(st.sampled_from(GOOD_CODES))
        empty = st.just("")
        values: dict[str, Value] = {
            "ssid": draw(good_ssid(digits)),
            "test": test_text,
            "code": code_text,
            "exemption_on_file": draw(
                good_exemption(latin) if code == "PGE" else st.one_of(empty, good_exemption(latin))
            ),
            "first_name": draw(st.one_of(empty, good_text(latin))),
            "last_name": draw(st.one_of(empty, good_text(latin))),
        }
        if nul:
            # A NUL inside a name: read as text after a byte order mark, but a UTF-8 or cp1252
            # file holding one is "not a text file" (an .xlsx cannot hold one: it is dropped).
            values["last_name"], nul = "Nul\x00Byte", False
        defect = None if clean else draw(st.sampled_from([None, None, None, *COLUMNS, "pge"]))
        needs: set[str] = {defect} if defect else set()
        if defect == "ssid":
            values["ssid"] = draw(bad_ssid(digits))
        elif defect == "test":
            values["test"] = draw(
                st.one_of(st.sampled_from((*BAD_TESTS, *ISSUE_FORMULAS)), long_values("E"))
            )
        elif defect == "code":
            values["code"] = draw(
                st.one_of(st.sampled_from((*BAD_CODES, *ISSUE_FORMULAS)), long_values("P"))
            )
        elif defect in TEXT_COLUMNS:
            values[defect] = draw(bad_text(latin))
        elif defect == "pge":
            # A PGE with nothing on file: reported in exemption_on_file, if both are given.
            values["code"] = draw(st.sampled_from(["PGE", "pge"]))
            values["exemption_on_file"] = draw(st.sampled_from(NOTHING_ON_FILE))
            defect, needs = "exemption_on_file", {"code", "exemption_on_file"}
        if xlsx:
            values = {k: xlsx_text(v) if isinstance(v, str) else v for k, v in values.items()}

        records += [blank() for _ in range(draw(st.integers(0, 1)))]
        line = len(records) + 1
        record: list[Value] = []
        for index, (_text, name) in enumerate(header):
            if name is not None and used.get(name) == index:
                record.append(values[name])
            else:
                cell = draw(filler(latin))
                record.append(xlsx_text(cell) if xlsx else cell)
        if not clean and one_in(draw, 30):
            # A value to the right of the last named column: the table itself is wrong.
            record.append(draw(st.sampled_from(["note", "=1", "x" * 300])))
            file_error = file_error or f"row {line} has {len(record)} values"
        records.append(record)
        if all(cell == "" for cell in record):
            continue  # a blank row: skipped, and nothing to report
        if defect and needs <= set(used):
            problems.append((line, defect))
        rows.append(
            RosterRow(
                row=line,
                ssid=digits,
                first_name=str(values["first_name"]) if "first_name" in used else "",
                last_name=str(values["last_name"]) if "last_name" in used else "",
                test=test,
                code=code,
                exemption_on_file=str(values["exemption_on_file"]),
            )
        )
    records += [blank() for _ in range(draw(st.integers(0, 1)))]
    if not rows:
        problems.append((None, None))
    return Case(records, len(header), in_order(problems), rows, file_error)


# --- writing and checking -------------------------------------------------------------------


def csv_bytes(case: Case, *, delimiter: str, newline: str, quoting: Quoting) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    for record in case.records:
        writer.writerow([csv_text(value) for value in record])
    return buffer.getvalue()


def can_encode(text: str, encoding: str) -> bool:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return False
    if encoding == "cp1252":
        # cp1252 bytes that happen to be valid UTF-8 are rightly read as UTF-8; such a file
        # no longer holds the text the case describes.
        try:
            return data.decode("utf-8") == text
        except UnicodeDecodeError:
            return True
    return True


def write_xlsx(path: Path, records: Sequence[Sequence[XlsxValue]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for number, record in enumerate(records, start=1):
        for column, value in enumerate(record, start=1):
            if value == "":
                continue
            cell = sheet.cell(row=number, column=column, value=value)
            if isinstance(value, str) and value.startswith("="):
                # Text a person typed after a quote ('=1): a text cell, not a formula.
                cell.data_type = "s"
    workbook.save(path)
    return path


def placed(row: int | None, column: str | None) -> str:
    """How a problem's text starts: its row and column, when it has them.

    A column name is shown with control and direction characters escaped, as in the message.
    """
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in column or "")
    parts = [f"row {row}" if row is not None else "", f"column {shown}" if column else ""]
    return ", ".join(part for part in parts if part) + ": " if row or column else ""


def check_load(case: Case, path: Path, *, file_error: str | None) -> None:
    """``load_roster`` gives the case's rows, its problems, or its file error; nothing else."""
    try:
        rows = load_roster(path)
    except RosterError as err:
        assert file_error is None, f"expected an InputError with {file_error!r}, got:\n{err}"
        assert in_order([where(p) for p in err.problems]) == case.problems, str(err)
        count = len(err.problems)
        noun = "problem" if count == 1 else "problems"
        assert str(err).startswith(f"The roster {path} has {count} {noun}; nothing was done:\n")
        for problem in err.problems:
            assert str(problem).startswith(placed(problem.row, problem.column))
            assert f"\n  {problem}" in str(err)
            if problem.row is None and problem.column is None:
                assert problem.message == "the roster has no rows"
    except InputError as err:
        assert file_error is not None, f"unexpected InputError: {err}"
        assert file_error in str(err)
        assert str(err).startswith(f"{path}: ")
    else:
        assert file_error is None, f"expected an InputError with {file_error!r}"
        assert not case.problems, f"loaded, but expected problems at {case.problems}"
        assert rows == case.rows


# --- properties: CSV and Excel rosters ------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roster_cases(xlsx=False), st.data())
def test_a_csv_roster_loads_exactly_or_names_each_problem(case: Case, data: st.DataObject) -> None:
    # A one-column file has no delimiter to sniff; it is read as ",".
    delimiter = data.draw(st.sampled_from([",", ";"])) if case.width >= 2 else ","
    newline = data.draw(st.sampled_from(["\r\n", "\n"]))
    lone_cr = any("\r" in csv_text(value) for record in case.records for value in record)
    # The csv module leaves a lone CR unquoted when lines end in LF, and a reader then splits
    # the value there; a spreadsheet quotes it. Quote everything in that case.
    quoting: Quoting = csv.QUOTE_ALL
    if not (lone_cr and newline == "\n"):
        quoting = data.draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    text = csv_bytes(case, delimiter=delimiter, newline=newline, quoting=quoting)
    encoding = data.draw(st.sampled_from([e for e in ENCODINGS if can_encode(text, e)]))
    # Without a byte order mark, a NUL byte means "not a text file".
    nul = "\x00" in text and encoding in ("utf-8", "cp1252")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / data.draw(st.sampled_from(["roster.csv", "ROSTER.CSV", "r.txt"]))
        path.write_bytes(text.encode(encoding))
        check_load(case, path, file_error="this is not a text file" if nul else case.file_error)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roster_cases(xlsx=True))
def test_an_xlsx_roster_loads_exactly_or_names_each_problem(case: Case) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(Path(folder) / "roster.xlsx", case.records)
        check_load(case, path, file_error=case.file_error)


# --- properties: repeated rows --------------------------------------------------------------

MATH = TESTS["Math"]
ELA = TESTS["ELA"]
repeated_row = st.tuples(
    st.sampled_from(["1234567890", "0123456789"]),
    st.sampled_from([("Math", MATH), ("mathematics", MATH), ("ELA", ELA), (" ela ", ELA)]),
    st.sampled_from([("PGE", "PGE"), ("pge", "PGE"), ("NTE", "NTE")]),
    st.sampled_from(["", "2024-09-03", " doc 17 "]),
    st.sampled_from(["", "Ana", "ana", " Ana ", "Bo"]),
    st.sampled_from(["", "Li", "LI", "Lee"]),
)
RepeatedRow = tuple[str, tuple[str, str], tuple[str, str], str, str, str]


def expect_repeats(rows: list[RepeatedRow]) -> tuple[list[Where], list[RosterRow]]:
    """What a careful reader says of these rows: the problems, else the merged rows."""
    problems: list[Where] = []
    names: dict[tuple[str, str], str] = {}
    firsts: dict[tuple[str, str], int] = {}
    repeats: dict[int, list[int]] = {}
    read: dict[int, RosterRow] = {}
    for line, (ssid, (_t, test), (_c, code), exemption, first, last) in enumerate(rows, 2):
        row = RosterRow(line, ssid, first.strip(), last.strip(), test, code, exemption.strip())
        read[line] = row
        if code == "PGE" and not row.exemption_on_file:
            problems.append((line, "exemption_on_file"))
        for column, given_name in (("first_name", row.first_name), ("last_name", row.last_name)):
            if given_name and fold(names.setdefault((ssid, column), given_name)) != fold(
                given_name
            ):
                problems.append((line, column))
        first_line = firsts.setdefault(row.key, line)
        if first_line == line:
            repeats[line] = []
        elif read[first_line].code != code:
            problems.append((line, "code"))
        else:
            repeats[first_line].append(line)
    merged = []
    for first_line, same in repeats.items():
        row = read[first_line]

        def filled(column: str, row: RosterRow = row, same: list[int] = same) -> str:
            # A repeat fills in what the first row left blank.
            own: str = getattr(row, column)
            later = (getattr(read[n], column) for n in same)
            return own or next((text for text in later if text), "")

        merged.append(
            RosterRow(
                first_line, row.ssid, filled("first_name"), filled("last_name"), row.test,
                row.code, filled("exemption_on_file"), duplicate_rows=tuple(same),
            )
        )  # fmt: skip
    return in_order(problems), merged


@settings(max_examples=50, deadline=None)
@given(st.lists(repeated_row, min_size=1, max_size=7))
def test_repeated_rows_merge_and_conflicts_name_their_row(rows: list[RepeatedRow]) -> None:
    problems, merged = expect_repeats(rows)
    records: list[list[Value]] = [list(HEADER)]
    records += [
        [ssid, test, code, exemption, first, last]
        for ssid, (test, _), (code, _), exemption, first, last in rows
    ]
    case = Case(records, len(HEADER), problems, merged, None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        text = csv_bytes(case, delimiter=",", newline="\r\n", quoting=csv.QUOTE_MINIMAL)
        path.write_bytes(text.encode("utf-8"))
        check_load(case, path, file_error=None)


# --- properties: whatever the file holds ----------------------------------------------------

PREFIXES = (
    b"",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"PK\x03\x04",
    b"ssid,test,code,exemption_on_file\r\n",
    "ssid;test;code;exemption_on_file\n1234567890;".encode("utf-16"),
)


def assert_placed(err: RosterError) -> None:
    assert err.problems
    for problem in err.problems:
        assert problem.row is not None or problem.column is not None or (
            problem.message == "the roster has no rows"
        )


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(PREFIXES),
    st.binary(max_size=400),
    st.sampled_from(["roster.csv", "roster.txt", "roster.tsv", "roster.xlsx"]),
)
def test_any_bytes_load_or_raise_an_input_error(prefix: bytes, body: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(prefix + body)
        try:
            load_roster(path)
        except RosterError as err:
            assert_placed(err)
        except InputError as err:
            assert str(err).startswith(f"{path}: ")
            assert "\n" not in str(err)


@cache
def sample_xlsx() -> bytes:
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append([1234567890, "Math", "PGE", "2024-09-03", "Ana", "Li"])
    sheet.append(["0123456789", "ELA", "NTE", None, "Bo", None])
    workbook.save(buffer)
    return buffer.getvalue()


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_a_damaged_xlsx_still_loads_or_is_an_input_error(data: st.DataObject) -> None:
    good = sample_xlsx()
    start = data.draw(st.integers(0, len(good) - 1))
    patch = data.draw(st.binary(max_size=64))
    rest = b"" if data.draw(st.booleans()) else good[start + len(patch) :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.xlsx"
        path.write_bytes(good[:start] + patch + rest)
        try:
            load_roster(path)
        except RosterError as err:
            assert_placed(err)
        except InputError as err:
            assert str(err).startswith(f"{path}: ")


any_cell: st.SearchStrategy[XlsxValue] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.times(),
    st.text(max_size=30).map(xlsx_text),
    st.sampled_from(ISSUE_FORMULAS),
)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(any_cell, min_size=6, max_size=6), min_size=1, max_size=4))
def test_xlsx_cells_of_every_type_load_or_name_their_cell(rows: list[list[XlsxValue]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(Path(folder) / "roster.xlsx", [HEADER, *rows])
        try:
            loaded = load_roster(path)
        except RosterError as err:
            assert_placed(err)
            for problem in err.problems:
                assert problem.row is None or 2 <= problem.row <= len(rows) + 1
                assert problem.column is None or problem.column in COLUMNS
        else:
            assert all(row.ssid.isascii() and len(row.ssid) == 10 for row in loaded)


# --- property: the command line refuses a bad roster before any browser ---------------------


@contextmanager
def root_logging_restored() -> Iterator[None]:
    """``main`` sets up logging for a run; close its handlers and give pytest back its own."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)


@pytest.fixture()
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no .env, and only the TOMS_ variables set here."""
    for name in list(os.environ):
        if name.startswith("TOMS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TOMS_USERNAME", "coordinator@example.org")
    monkeypatch.setenv("TOMS_PASSWORD", "not-a-real-password")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=roster_cases(xlsx=False).filter(lambda case: case.bad))
def test_cli_plan_refuses_a_bad_roster_with_status_2_and_no_run(
    case: Case, cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(tempfile.mkdtemp(dir=cli_home))
    path = folder / "roster.csv"
    text = csv_bytes(case, delimiter=",", newline="\r\n", quoting=csv.QUOTE_ALL)
    path.write_bytes(text.encode("utf-8-sig"))
    state = folder / "state"
    capsys.readouterr()
    with root_logging_restored():
        status = main(["--state-dir", str(state), "optout", "plan", str(path)])
    out, err = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in out + err
    assert not (state / "runs").exists()
    assert not (state / "journal.sqlite3").exists()
    if case.file_error is not None:
        assert err.startswith(f"toms-rpa: {path}: ")
        assert case.file_error in err
        return
    count = len(case.problems)
    assert err.startswith(f"toms-rpa: The roster {path} has {count} problem")
    for row, column in case.problems:
        assert f"\n  {placed(row, column) or 'the roster has no rows'}" in err


# --- property: the results CSV is safe to open in a spreadsheet -----------------------------

risky_text = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from(["", *SPREADSHEET_TRIGGERS, " =", "  +", "'", "\u200f", "\x00"]),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
)
RESULT_COLUMNS = ["row", "ssid", "first_name", "last_name", "test", "code", "status", "reason"]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"first_name": risky_text, "last_name": risky_text, "reason": risky_text}
        ),
        max_size=5,
    )
)
def test_results_csv_defuses_every_formula_and_keeps_the_text(rows: list[dict[str, str]]) -> None:
    written: list[dict[str, object]] = [
        {"row": n, "ssid": "0123456789", "test": MATH, "code": "PGE", "status": "blocked", **row}
        for n, row in enumerate(rows, start=2)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.csv"
        write_results_csv(path, written, RESULT_COLUMNS)
        data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table[0] == RESULT_COLUMNS
    assert len(table) == len(rows) + 1
    for row, line in zip(written, table[1:], strict=True):
        for column, cell in zip(RESULT_COLUMNS, line, strict=True):
            value = str(row[column])
            assert not cell.startswith(SPREADSHEET_TRIGGERS)
            assert not cell.lstrip(" ").startswith(SPREADSHEET_TRIGGERS)
            # The visible text is kept whole: one quote in front where it was needed, only.
            risky = value.startswith(SPREADSHEET_TRIGGERS) or value.lstrip(" ").startswith(
                SPREADSHEET_TRIGGERS
            )
            assert cell == ("'" + value if risky else value)


# --- once bugs, now fixed -------------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(
    st.sampled_from(TEXT_COLUMNS),
    st.sampled_from(["-", "\uff0d"]),
    st.integers(0, 99),
    st.sampled_from(["+", "-", "*", "/", "^", "&"]),
    st.sampled_from(["3", "A1", "SUM(A1:A9)"]),
)
def test_a_formula_after_a_minus_is_refused_in_a_text_column(
    column: str, minus: str, number: int, operator: str, operand: str
) -> None:
    payload = f"{minus}{number}{operator}{operand}"
    values = dict(zip(HEADER, ["1234567890", "ELA", "NTE", "", "", ""], strict=True))
    values[column] = payload
    case = Case([HEADER, list(values.values())], len(HEADER), [(2, column)], [], None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_text(csv_bytes(case, delimiter=",", newline="\n", quoting=csv.QUOTE_MINIMAL))
        check_load(case, path, file_error=None)


@settings(max_examples=10, deadline=None)
@given(
    st.sampled_from(["Notes", "Teacher", "Grade"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.sampled_from(["(optional)", "row 2, column ssid: SSID is fine"]),
)
def test_every_problem_is_one_line_even_for_a_header_with_a_line_break(
    before: str, line_break: str, after: str
) -> None:
    header = [*HEADER, before + line_break + after]
    case = Case([header, ["1234567890", "ELA", "NTE", "", "", "", ""]], 7, [], [], None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_text(csv_bytes(case, delimiter=",", newline="\r\n", quoting=csv.QUOTE_ALL))
        with pytest.raises(RosterError) as info:
            load_roster(path)
    problems = info.value.problems
    assert all(len(str(problem).splitlines()) == 1 for problem in problems)
    assert len(str(info.value).splitlines()) == 1 + len(problems)
