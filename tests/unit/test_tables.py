"""rpa.tables: reading CSV and Excel files as a person typed them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpa.errors import InputError
from rpa.tables import read_table, spreadsheet_safe


def write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --- CSV ----------------------------------------------------------------------------------


def test_csv_header_and_values_are_stripped_and_keyed_lowercase(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", " SSID , First Name \n 1234567890 ,  Ana \n")
    table = read_table(path)
    assert table.header == ["SSID", "First Name"]
    assert table.columns == ["ssid", "first name"]
    assert [(r.line, r.values) for r in table.rows] == [
        (2, {"ssid": "1234567890", "first name": "Ana"})
    ]


def test_csv_with_utf8_bom_does_not_leak_into_the_first_header(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", b"\xef\xbb\xbfssid,name\r\n1,Jos\xc3\xa9\r\n")
    table = read_table(path)
    assert table.header == ["ssid", "name"]
    assert table.rows[0].values == {"ssid": "1", "name": "José"}


def test_csv_in_cp1252_from_excel_on_windows(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "ssid,name\r\n1,José Muñoz\r\n".encode("cp1252"))
    assert read_table(path).rows[0].values["name"] == "José Muñoz"


def test_csv_in_utf16_from_excel_unicode_text(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "ssid\tname\r\n1\tJosé\r\n".encode("utf-16"))
    assert read_table(path).rows[0].values == {"ssid": "1", "name": "José"}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("semicolon.csv", "ssid;name;code\n1;Doe, Jane;PGE\n"),
        ("tab.tsv", "ssid\tname\tcode\n1\tDoe, Jane\tPGE\n"),
        ("tab.txt", "ssid\tname\tcode\n1\tDoe, Jane\tPGE\n"),
        ("comma.csv", 'ssid,name,code\n1,"Doe, Jane",PGE\n'),
    ],
)
def test_csv_delimiter_is_sniffed(tmp_path: Path, name: str, text: str) -> None:
    table = read_table(write(tmp_path / name, text))
    assert table.rows[0].values == {"ssid": "1", "name": "Doe, Jane", "code": "PGE"}


def test_blank_lines_are_skipped_but_keep_their_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "\nssid,code\na,1\n\n , \nb,2\n")
    table = read_table(path)
    assert [(r.line, r.values["ssid"]) for r in table.rows] == [(3, "a"), (6, "b")]


def test_a_quoted_value_over_two_lines_is_one_spreadsheet_row(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", 'ssid,note\n1,"two\nlines"\n2,x\n')
    rows = read_table(path).rows
    assert [(r.line, r.values["note"]) for r in rows] == [(2, "two\nlines"), (3, "x")]


def test_short_rows_are_padded_and_trailing_empty_columns_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "ssid,code,,\n1\n2,PGE,,\n")
    table = read_table(path)
    assert table.header == ["ssid", "code"]
    assert [r.values for r in table.rows] == [
        {"ssid": "1", "code": ""},
        {"ssid": "2", "code": "PGE"},
    ]


def test_a_long_value_is_kept_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "a\n" + "x" * 1500 + "\n")
    assert read_table(path).rows[0].values["a"] == "x" * 1500


# --- XLSX ---------------------------------------------------------------------------------


def make_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    other = workbook.create_sheet("Notes")
    other.append(["not", "this", "sheet"])
    workbook.active = 1  # the first sheet is read, whichever was active when saved
    workbook.save(path)
    return path


def test_xlsx_numbers_dates_and_text(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "r.xlsx",
        [
            [" SSID ", "Date", "Note"],
            [1234567890, dt.date(2024, 9, 3), None],
            [1234567890.0, dt.datetime(2024, 9, 3, 0, 0), "  text  "],
            [123456789, dt.datetime(2024, 9, 3, 8, 30), 2.5],
            [None, None, None],
            ["0123456789", "2024-09-03", True],
        ],
    )
    table = read_table(path)
    assert table.header == ["SSID", "Date", "Note"]
    assert [(r.line, r.values) for r in table.rows] == [
        (2, {"ssid": "1234567890", "date": "2024-09-03", "note": ""}),
        (3, {"ssid": "1234567890", "date": "2024-09-03", "note": "text"}),
        (4, {"ssid": "123456789", "date": "2024-09-03T08:30:00", "note": "2.5"}),
        (6, {"ssid": "0123456789", "date": "2024-09-03", "note": "TRUE"}),
    ]


def test_xlsx_large_and_small_floats_never_use_scientific_notation(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "r.xlsx", [["n"], [1.0e15], [0.00001234]])
    assert [r.values["n"] for r in read_table(path).rows] == [
        "1000000000000000",
        "0.00001234",
    ]


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("r.pdf", b"%PDF", "unsupported file type '.pdf'"),
        ("r", b"a,b", "unsupported file type '(no extension)'"),
        ("r.xls", b"\xd0\xcf\x11\xe0", ".xls files are not supported; save the sheet as .xlsx"),
        ("r.csv", b"", "the file is empty"),
        ("r.csv", b"\n , \n\n", "the file is empty"),
        ("r.csv", b"SSID,code,ssid\n1,2,3\n", "names the column 'ssid' more than once"),
        ("r.xlsx", b"ssid,code\n1,2\n", "not a valid .xlsx workbook"),
        ("r.csv", b"PK\x03\x04rest", "give it the .xlsx extension"),
        ("r.csv", b"a,b\n\x00\x01", "not a text file"),
        ("r.csv", b"a,b\n1,2,3\n", "row 2 has 3 values, more than the 2 columns"),
        ("r.csv", b"a,,b\n1,2,3\n", "row 2 has a value in column B, which has no name"),
    ],
)
def test_bad_files_raise_one_line_input_errors(
    tmp_path: Path, name: str, data: bytes, fragment: str
) -> None:
    path = write(tmp_path / name, data)
    with pytest.raises(InputError) as info:
        read_table(path)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "nope.csv")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InputError, match="not a file"):
        read_table(tmp_path / "dir.csv")


def test_a_truncated_xlsx_is_an_input_error(tmp_path: Path) -> None:
    good = make_xlsx(tmp_path / "good.xlsx", [["a"], [1]])
    bad = write(tmp_path / "bad.xlsx", good.read_bytes()[:200])
    with pytest.raises(InputError, match=r"not a valid \.xlsx workbook"):
        read_table(bad)


# --- spreadsheet_safe ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("  =1+1", "'  =1+1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("Smith-Jones", "Smith-Jones"),
        ("2024-09-03", "2024-09-03"),
        ("", ""),
        ("plain", "plain"),
    ],
)
def test_spreadsheet_safe(value: str, expected: str) -> None:
    assert spreadsheet_safe(value) == expected


TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@given(st.text())
def test_spreadsheet_safe_never_leaves_a_formula_and_only_ever_prefixes(value: str) -> None:
    safe = spreadsheet_safe(value)
    assert not safe.startswith(TRIGGERS)
    assert safe in (value, "'" + value)


# --- round trip ---------------------------------------------------------------------------

cell = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell, cell, cell), max_size=8))
def test_any_csv_written_by_the_csv_module_reads_back(rows: list[tuple[str, str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["a", "b", "c"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        table = read_table(write(Path(folder) / "r.csv", buffer.getvalue()))
    expected = [
        {
            "a": a.strip().strip("\ufeff\u200b").strip(),
            "b": b.strip().strip("\ufeff\u200b").strip(),
            "c": c.strip().strip("\ufeff\u200b").strip(),
        }
        for a, b, c in rows
    ]
    assert [r.values for r in table.rows] == [v for v in expected if any(v.values())]
