"""flows.optout.roster: the coordinator's roster, checked whole before anything is done."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from flows.optout.roster import (
    CODES,
    TESTS,
    RosterError,
    RosterProblem,
    RosterRow,
    load_roster,
    roster_fingerprint,
)
from rpa.errors import InputError

BAD_ROSTERS = Path(__file__).resolve().parents[2] / "fixtures" / "rosters" / "bad"

HEADER = ["ssid", "test", "code", "exemption_on_file", "first_name", "last_name"]
MATH = TESTS["Math"]
ELA = TESTS["ELA"]


def roster_csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER if header is None else header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[RosterProblem]:
    with pytest.raises(RosterError) as info:
        load_roster(path)
    return info.value.problems


def only_problem(path: Path) -> RosterProblem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


# --- a good roster ------------------------------------------------------------------------


def test_a_good_roster_is_read_with_full_test_names_and_upper_codes(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "r.csv",
        [
            ["1234567890", "ela", "pge", "2024-09-03", " Ana ", "López"],
            ["0123456789", "Smarter Balanced for Mathematics", "NTE", "", "", ""],
            ["123 456 7890", "  california   science TEST ", "Pge", "doc 17", "", ""],
        ],
    )
    assert load_roster(path) == [
        RosterRow(2, "1234567890", "Ana", "López", ELA, "PGE", "2024-09-03"),
        RosterRow(3, "0123456789", "", "", MATH, "NTE", ""),
        RosterRow(4, "1234567890", "", "", TESTS["CAST"], "PGE", "doc 17"),
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ELA", ELA),
        ("english language arts", ELA),
        ("English Language Arts/Literacy", ELA),
        ("SMARTER BALANCED FOR ENGLISH LANGUAGE ARTS/LITERACY", ELA),
        ("math", MATH),
        ("Mathematics", MATH),
        ("cast", "California Science Test"),
        ("CSA", "California Spanish Assessment"),
        ("california spanish assessment", "California Spanish Assessment"),
    ],
)
def test_test_names_and_aliases(tmp_path: Path, given: str, expected: str) -> None:
    path = roster_csv(tmp_path / "r.csv", [["1234567890", given, "NTE", "", "", ""]])
    assert load_roster(path)[0].test == expected


def test_header_names_ignore_case_spaces_and_hyphens(tmp_path: Path) -> None:
    header = [" SSID ", "Test", "CODE", "Exemption-On-File", "First Name", "last_name"]
    path = roster_csv(tmp_path / "r.csv", [["1234567890", "ELA", "NTE", "", "Ana", "Li"]], header)
    [row] = load_roster(path)
    assert (row.first_name, row.last_name) == ("Ana", "Li")


def test_name_columns_are_optional(tmp_path: Path) -> None:
    path = roster_csv(tmp_path / "r.csv", [["1234567890", "ELA", "NTE", ""]], header=HEADER[:4])
    [row] = load_roster(path)
    assert (row.first_name, row.last_name) == ("", "")
    assert row.key == ("1234567890", ELA)


def test_an_xlsx_roster_with_numeric_ssids(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append([1234567890, "Math", "PGE", "2024-09-03", "Ana", "Li"])
    sheet.append([2345678901.0, "ELA", "NTE", None, None, None])
    sheet.append([123456789, "ELA", "NTE", None, None, None])  # was 0123456789
    path = tmp_path / "r.xlsx"
    workbook.save(path)

    problem = only_problem(path)
    assert (problem.row, problem.column) == (4, "ssid")
    assert "got 9" in problem.message
    assert "leading zero" in problem.message

    sheet.delete_rows(4)
    workbook.save(path)
    assert [r.ssid for r in load_roster(path)] == ["1234567890", "2345678901"]


# --- every kind of problem ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "fragment"),
    [
        (["", "ELA", "NTE", ""], "ssid", "SSID is empty"),
        (
            ["123456789", "ELA", "NTE", ""],
            "ssid",
            'SSID must be 10 digits, got 9 ("123456789"); Excel may have dropped a leading '
            "zero — format the column as Text and re-export",
        ),
        (["12345678", "ELA", "NTE", ""], "ssid", "got 8"),
        (["12345678901", "ELA", "NTE", ""], "ssid", "got 11"),
        (["12345abcde", "ELA", "NTE", ""], "ssid", "characters other than 0-9"),
        (
            ["\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10", "ELA", "NTE", ""],
            "ssid",
            "characters other than 0-9",
        ),
        (["1.23457E+09", "ELA", "NTE", ""], "ssid", "scientific notation"),
        (["1234567890", "", "NTE", ""], "test", "the test is empty; use one of ELA, Math"),
        (["1234567890", "Science", "NTE", ""], "test", 'unknown test "Science"; use one of'),
        (["1234567890", "ELA", "", ""], "code", "the code is empty; use PGE or NTE"),
        (
            ["1234567890", "ELA", "NPE", ""],
            "code",
            'the code "NPE" cannot be set here: only PGE and NTE may be set by a coordinator',
        ),
        (
            ["1234567890", "ELA", "PGE", ""],
            "exemption_on_file",
            "a PGE needs the parent/guardian's written request on file first: fill "
            "exemption_on_file with its date or document number",
        ),
        (["1234567890", "ELA", "PGE", "n/a"], "exemption_on_file", '(it says "n/a")'),
        (["1234567890", "ELA", "PGE", "-"], "exemption_on_file", '(it says "-")'),
        (["1234567890", "ELA", "NTE", "x" * 201], "exemption_on_file", "201 characters long"),
        (
            ["1234567890", "ELA", "NTE", "", "x" * 1001],
            "first_name",
            "1001 characters long; at most 200",
        ),
    ],
)
def test_each_problem_names_its_row_column_and_what_to_do(
    tmp_path: Path, cells: list[str], column: str, fragment: str
) -> None:
    path = roster_csv(tmp_path / "r.csv", [["1234567890", "Math", "NTE", ""], cells])
    problem = only_problem(path)
    assert (problem.row, problem.column) == (3, column)
    assert fragment in problem.message
    assert str(problem).startswith(f"row 3, column {column}: ")


@pytest.mark.parametrize(
    "payload",
    ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x")', "+1+1", "@SUM(A1:A9)", "-x+1", "\uff1d1+1"],
)
@pytest.mark.parametrize("column", ["first_name", "last_name", "exemption_on_file"])
def test_formulas_are_refused_in_names_and_exemption(
    tmp_path: Path, payload: str, column: str
) -> None:
    cells = dict(zip(HEADER, ["1234567890", "ELA", "NTE", "", "", ""], strict=True))
    cells[column] = payload
    path = roster_csv(tmp_path / "r.csv", [list(cells.values())])
    problem = only_problem(path)
    assert (problem.row, problem.column) == (2, column)
    assert "looks like a spreadsheet formula" in problem.message


@pytest.mark.parametrize("value", ["Smith-Jones", "-", "-2024", "2024-09-03", "O'Neil"])
def test_values_that_only_look_a_little_like_formulas_are_kept(tmp_path: Path, value: str) -> None:
    path = roster_csv(tmp_path / "r.csv", [["1234567890", "ELA", "NTE", value, value, ""]])
    [row] = load_roster(path)
    assert row.exemption_on_file == value == row.first_name


def test_a_value_of_exactly_200_characters_is_accepted(tmp_path: Path) -> None:
    path = roster_csv(tmp_path / "r.csv", [["1234567890", "ELA", "PGE", "x" * 200]], HEADER[:4])
    assert load_roster(path)[0].exemption_on_file == "x" * 200


def test_unknown_and_missing_columns_are_reported_together_with_rows(tmp_path: Path) -> None:
    header = ["Student ID", "Test", "Cond Codes", "Exemp", "frist_name", "Notes"]
    path = roster_csv(tmp_path / "r.csv", [["123", "ELA", "PGE", "x", "Ana", ""]], header)
    problems = problems_of(path)
    by_column = {p.column: p for p in problems}
    assert {p.column for p in problems if p.row is None} == {
        "ssid", "code", "exemption_on_file",
        "Student ID", "Cond Codes", "Exemp", "frist_name", "Notes",
    }  # fmt: skip
    assert "the required column ssid is missing" in by_column["ssid"].message
    assert "a local student ID is not the SSID" in by_column["Student ID"].message
    assert "did you mean code?" in by_column["Cond Codes"].message
    assert "did you mean exemption_on_file?" in by_column["Exemp"].message
    assert "did you mean first_name?" in by_column["frist_name"].message
    assert "did you mean" not in by_column["Notes"].message
    assert str(by_column["Notes"]) == (
        'column Notes: unknown column "Notes" (the columns are: ssid, test, code, '
        "exemption_on_file, first_name, last_name)"
    )


def test_all_problems_come_at_once_in_row_order(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "r.csv",
        [
            ["123456789", "ELA", "PGE", "", "=1", ""],
            ["1234567890", "ELA", "NTE", "", "", ""],
            ["1234567890", "Reading", "XXX", "", "", ""],
        ],
    )
    problems = problems_of(path)
    assert [(p.row, p.column) for p in problems] == [
        (2, "ssid"),
        (2, "exemption_on_file"),
        (2, "first_name"),
        (4, "test"),
        (4, "code"),
    ]


def test_an_empty_roster(tmp_path: Path) -> None:
    path = roster_csv(tmp_path / "r.csv", [])
    problem = only_problem(path)
    assert (problem.row, problem.column, problem.message) == (None, None, "the roster has no rows")
    assert str(problem) == "the roster has no rows"


# --- duplicates ---------------------------------------------------------------------------


def test_identical_repeats_are_merged_into_the_first_row(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "r.csv",
        [
            ["1234567890", "Math", "PGE", "2024-09-03", "", ""],
            ["1234567890", "ELA", "PGE", "2024-09-03", "", ""],
            ["1234567890", "mathematics", "pge", "2024-09-04", "Ana", "Li"],
            ["1234567890", "Math", "PGE", "2024-09-03", "ana", "LI"],
        ],
    )
    rows = load_roster(path)
    assert [(r.row, r.test, r.duplicate_rows) for r in rows] == [(2, MATH, (4, 5)), (3, ELA, ())]
    # A repeat fills in what the first line left blank, and overrides nothing.
    assert (rows[0].first_name, rows[0].last_name, rows[0].exemption_on_file) == (
        "Ana",
        "Li",
        "2024-09-03",
    )


def test_two_codes_for_one_student_and_test_name_both_rows(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "r.csv",
        [
            ["1234567890", "Math", "PGE", "2024-09-03", "", ""],
            ["2345678901", "Math", "PGE", "2024-09-03", "", ""],
            ["1234567890", "math", "NTE", "", "", ""],
        ],
    )
    problem = only_problem(path)
    assert (problem.row, problem.column) == (4, "code")
    assert "NTE conflicts with PGE on row 2" in problem.message


def test_a_conflict_is_found_even_when_a_row_has_other_problems(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "r.csv",
        [["1234567890", "Math", "PGE", "", "", ""], ["1234567890", "Math", "NTE", "", "", ""]],
    )
    assert [(p.row, p.column) for p in problems_of(path)] == [
        (2, "exemption_on_file"),
        (3, "code"),
    ]


def test_different_names_for_one_ssid_name_both_rows(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "r.csv",
        [
            ["1234567890", "Math", "NTE", "", "Ana", "Li"],
            ["1234567890", "ELA", "NTE", "", "", "Li"],
            ["1234567890", "CAST", "NTE", "", "ANA", "Lee"],
        ],
    )
    problem = only_problem(path)
    assert (problem.row, problem.column) == (4, "last_name")
    assert '"Lee" differs from "Li" on row 2' in problem.message


# --- the error ----------------------------------------------------------------------------


def test_roster_error_lists_every_problem_under_a_header_line(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "r.csv",
        [["123456789", "ELA", "NTE", ""], ["1234567890", "ELA", "ABC", ""]],
        HEADER[:4],
    )
    with pytest.raises(RosterError) as info:
        load_roster(path)
    assert isinstance(info.value, InputError)
    lines = str(info.value).splitlines()
    assert lines[0] == f"The roster {path} has 2 problems; nothing was done:"
    assert lines[1].strip().startswith("row 2, column ssid: SSID must be 10 digits")
    assert lines[2].strip().startswith("row 3, column code: ")
    assert len(lines) == 3


def test_problem_text_with_and_without_row_and_column() -> None:
    error = RosterError("r.csv", [RosterProblem(2, "code", "x")])
    assert (
        str(error) == "The roster r.csv has 1 problem; nothing was done:\n  row 2, column code: x"
    )
    assert str(RosterProblem(None, "ssid", "m")) == "column ssid: m"
    assert str(RosterProblem(7, None, "m")) == "row 7: m"


def test_quoted_values_are_cut_short_and_escaped(tmp_path: Path) -> None:
    path = roster_csv(tmp_path / "r.csv", [["1234567890", "no\nsuch " + "t" * 80, "NTE", ""]])
    problem = only_problem(path)
    assert "\n" not in str(problem)
    assert "…" in problem.message
    assert len(problem.message) < 200


@pytest.mark.parametrize("path", sorted(BAD_ROSTERS.glob("*.csv")), ids=lambda p: p.name)
def test_every_bad_example_roster_is_refused(path: Path) -> None:
    assert problems_of(path)


# --- fingerprint --------------------------------------------------------------------------


def test_fingerprint_ignores_order_and_row_numbers_but_not_content() -> None:
    a = RosterRow(2, "1234567890", "", "", MATH, "PGE", "x")
    b = RosterRow(3, "2345678901", "", "", ELA, "NTE", "")
    moved = RosterRow(9, "1234567890", "", "", MATH, "PGE", "x")
    fingerprint = roster_fingerprint([a, b])
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    assert roster_fingerprint([b, moved]) == fingerprint
    assert roster_fingerprint([a]) != fingerprint
    changed = RosterRow(3, "2345678901", "", "", ELA, "PGE", "")
    assert roster_fingerprint([a, changed]) != fingerprint


def test_fingerprint_of_a_reloaded_roster_is_stable(tmp_path: Path) -> None:
    rows = [["1234567890", "ELA", "NTE", "", "", ""], ["2345678901", "Math", "NTE", "", "", ""]]
    first = roster_fingerprint(load_roster(roster_csv(tmp_path / "a.csv", rows)))
    second = roster_fingerprint(load_roster(roster_csv(tmp_path / "b.csv", rows[::-1])))
    assert first == second


# --- property: any roster either loads or says where each problem is -----------------------

good_ssid = st.one_of(
    st.from_regex(r"\A[0-9]{10}\Z"), st.sampled_from(["1234567890", "0123456789"])
)
bad_ssid = st.sampled_from(["123456789", "1.23E+09", "12345abcde", "", "12345678901", "=1"])
good_test = st.sampled_from([*TESTS, *TESTS.values(), "math", "Mathematics"])
bad_test = st.sampled_from(["", "Science", "CAA", "ELPAC"])
good_code = st.sampled_from([*CODES, "pge", "nte"])
bad_code = st.sampled_from(["", "ABC", "NPE", "PGE2"])
good_text = st.sampled_from(["", "Ana", "José", "O'Neil", "2024-09-03", "Smith-Jones"])
bad_text = st.sampled_from(["=cmd|' /C calc'!A0", "+1", "@SUM(1)", "-x", "x" * 201, "n/a"])
any_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)


def cell(good: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(good, good, good, good, bad, any_text)


good_row = st.tuples(
    good_ssid,
    good_test,
    good_code,
    st.sampled_from(["2024-09-03", "signed letter 17"]),
    st.sampled_from(["", "Ana"]),
    st.sampled_from(["", "Li"]),
)
mixed_row = st.tuples(
    st.one_of(good_ssid, good_ssid, good_ssid, good_ssid, bad_ssid, any_text),
    cell(good_test, bad_test),
    cell(good_code, bad_code),
    cell(good_text, bad_text),
    cell(good_text, bad_text),
    cell(good_text, bad_text),
)
header = st.one_of(
    st.just(HEADER),
    st.just(HEADER),
    st.just(HEADER[:4]),
    st.lists(
        st.sampled_from([*HEADER, " SSID ", "First Name", "notes", "Code2"]),
        min_size=1,
        max_size=7,
        unique_by=lambda name: name.strip().lower(),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header, st.lists(st.one_of(good_row, good_row, good_row, mixed_row), min_size=1, max_size=6))
def test_any_roster_loads_or_names_where_each_problem_is(
    columns: list[str], rows: list[tuple[str, ...]]
) -> None:
    cells = [list(row[: len(columns)]) + [""] * (len(columns) - len(row)) for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = roster_csv(Path(folder) / "r.csv", cells, columns)
        try:
            loaded = load_roster(path)
        except RosterError as err:
            event("refused")
            assert err.problems
            for problem in err.problems:
                assert (
                    problem.row is not None
                    or problem.column is not None
                    or (problem.message == "the roster has no rows")
                )
                assert "\n" not in str(problem)
            return
    event("loaded")
    for row in loaded:
        assert re.fullmatch(r"[0-9]{10}", row.ssid)
        assert row.test in TESTS.values()
        assert row.code in CODES
        assert row.code != "PGE" or row.exemption_on_file
    assert len({row.key for row in loaded}) == len(loaded)
