"""Roster headers as coordinators and student information systems write them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from flows.optout.roster import TESTS, RosterError, RosterProblem, load_roster
from rpa import tables

REQUIRED = {"ssid": "SSID", "test": "Test", "code": "Code", "exemption_on_file": "Exemption"}
VALUES = {
    "ssid": "0123456789", "test": "Math", "code": "PGE", "exemption_on_file": "2026-03-02 letter",
    "first_name": "Ana", "last_name": "Lopez",
}  # fmt: skip


def roster(path: Path, header: list[str], values: list[str]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, values])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[RosterProblem]:
    with pytest.raises(RosterError) as info:
        load_roster(path)
    return info.value.problems


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("SSID", "ssid"),
        ("Student SSID", "ssid"),
        ("Statewide Student Identifier", "ssid"),
        ("STATEWIDE_STUDENT_ID", "ssid"),
        ("Test", "test"),
        ("Test Name", "test"),
        ("Subject", "test"),
        ("Content Area", "test"),
        ("content-area", "test"),
        ("Code", "code"),
        ("Condition Code", "code"),
        ("COND. CODE", "code"),
        ("Exemption", "exemption_on_file"),
        ("Exemption on File", "exemption_on_file"),
        ("Exemption on file?", "exemption_on_file"),
        ("Parent Request", "exemption_on_file"),
        ("Request Date", "exemption_on_file"),
        ("First Name", "first_name"),
        ("Student First Name", "first_name"),
        ("FirstName", "first_name"),
        ("Last Name", "last_name"),
        ("Student Last Name", "last_name"),
        ("Student Legal Last Name", "last_name"),
    ],
)
def test_a_header_people_use_names_its_column(tmp_path: Path, header: str, column: str) -> None:
    names = dict(REQUIRED, **{column: header})
    path = roster(tmp_path / "r.csv", list(names.values()), [VALUES[c] for c in names])
    [row] = load_roster(path)
    assert getattr(row, column) == (TESTS["Math"] if column == "test" else VALUES[column])


def test_a_student_information_system_export_loads_as_it_is(tmp_path: Path) -> None:
    header = [
        "Student Last Name", "Student First Name", "Statewide Student Identifier",
        "Content Area", "Condition Code", "Parent Request Date",
    ]  # fmt: skip
    path = roster(tmp_path / "export.csv", header, ["Lopez", "Ana", "0123456789", "ELA", "pge",
                                                     "2026-03-02"])
    [row] = load_roster(path)
    assert (row.ssid, row.test, row.code, row.exemption_on_file) == (
        "0123456789", TESTS["ELA"], "PGE", "2026-03-02"
    )
    assert (row.first_name, row.last_name) == ("Ana", "Lopez")


@pytest.mark.parametrize(
    ("first", "second", "column"),
    [
        ("Test", "Subject", "test"),
        ("Exemption", "Request Date", "exemption_on_file"),
        ("SSID", "Student SSID", "ssid"),
        ("First Name", "first_name", "first_name"),
        ("Code", "Condition Code", "code"),
    ],
)
def test_two_columns_that_could_mean_one_are_refused_with_both_named(
    tmp_path: Path, first: str, second: str, column: str
) -> None:
    names = list(dict(REQUIRED, **{column: first}).values())
    header = [*names, second]
    values = [VALUES[c] for c in dict(REQUIRED, **{column: first})] + ["x"]
    [problem] = problems_of(roster(tmp_path / "r.csv", header, values))
    assert (problem.row, problem.column) == (None, second)
    assert f'"{first}" and "{second}" could both be {column}; keep one of them' in problem.message


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Tset", "did you mean test?"),
        ("Condition Codes", "did you mean code?"),
        ("Exemp", "did you mean exemption_on_file?"),
        ("Notes", "(the columns are: ssid, test, code, exemption_on_file, first_name, last_name)"),
        ("Student ID", "a local student ID is not the SSID"),
        ("Student Name", "two columns, first_name and last_name"),
    ],
)
def test_an_unknown_column_is_still_refused_with_a_suggestion(
    tmp_path: Path, header: str, says: str
) -> None:
    path = roster(tmp_path / "r.csv", [*REQUIRED.values(), header],
                  [*(VALUES[c] for c in REQUIRED), "x"])
    [problem] = problems_of(path)
    assert problem.column == header
    assert problem.message.startswith(f'unknown column "{header}"')
    assert says in problem.message


def test_a_missing_column_says_what_else_it_may_be_headed(tmp_path: Path) -> None:
    path = roster(tmp_path / "r.csv", ["SSID", "Subject", "Condition Code"],
                  ["0123456789", "ELA", "NTE"])
    [problem] = problems_of(path)
    assert problem.column == "exemption_on_file"
    assert problem.message == (
        "the required column exemption_on_file is missing (it may also be headed "
        '"Exemption", "Parent Request", "Request Date")'
    )


# --- the toolkit's part: rpa.tables ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Cond. Code", "condcode"),
        (" STUDENT_SSID ", "studentssid"),
        ("Exemption-on-File?", "exemptiononfile"),
        ("Año", "año"),
        ("\uff33\uff33\uff29\uff24", "ssid"),  # full-width, as some exports write it
    ],
)
def test_header_key_ignores_case_spaces_and_punctuation(name: str, key: str) -> None:
    assert tables.header_key(name) == key


def test_match_header_tells_known_repeated_and_unknown_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Pupil,Colour,color,Notez,Extra\n1,2,3,4,5\n", encoding="utf-8")
    match = tables.match_header(
        tables.read_table(path), {"student": ("Pupil",), "color": ("Colour",), "notes": ()}
    )
    assert match.fields == {"pupil": "student", "colour": "color"}
    assert match.repeated == [("color", "Colour", "color")]
    assert match.unknown == [("Notez", "notes"), ("Extra", None)]
    assert match.missing(["student", "notes"]) == ["notes"]
