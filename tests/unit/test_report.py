"""rpa.report: the files a run leaves for people, private and safe to open."""

from __future__ import annotations

import csv
import datetime as dt
import json
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpa.report import (
    mask_ssid,
    redact_name,
    write_report_html,
    write_results_csv,
    write_summary_json,
)

COLUMNS = ["row", "ssid", "name", "test", "status", "reason", "evidence"]
ROWS: list[dict[str, object]] = [
    {"row": 2, "ssid": "1234567890", "name": "Ana Li", "test": "Math", "status": "done",
     "reason": None, "evidence": None},
    {"row": 3, "ssid": "2345678901", "name": "<script>alert(1)</script>", "test": "ELA",
     "status": "not_found", "reason": "No student with this SSID", "evidence": "evidence/row-3"},
    {"row": 4, "ssid": "3456789012", "name": "=cmd|' /C calc'!A0", "test": "ELA",
     "status": "needs_review", "reason": "Name differs: portal shows \"Bo\" & co",
     "evidence": None},
]  # fmt: skip
SUMMARY: dict[str, object] = {
    "run_id": "20240903-101500",
    "roster": "roster.csv",
    "started": dt.datetime(2024, 9, 3, 10, 15, 0),
    "finished": dt.datetime(2024, 9, 3, 11, 17, 3),
    "duration": 3723.4,
    "workers": 2,
    "portal": "https://portal.example.test",
    "dry_run": False,
}
COUNTS = {"done": 1, "not_found": 1, "needs_review": 1, "skipped": 0}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- results.csv --------------------------------------------------------------------------


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_results_csv_has_a_header_empty_nones_and_defused_formulas(tmp_path: Path) -> None:
    path = tmp_path / "run" / "results.csv"
    write_results_csv(path, ROWS, COLUMNS)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # so Excel reads UTF-8
    table = read_csv(path)
    assert table[0] == COLUMNS
    assert table[1] == ["2", "1234567890", "Ana Li", "Math", "done", "", ""]
    assert table[3][2] == "'=cmd|' /C calc'!A0"
    assert len(table) == 4


def test_results_csv_leaves_missing_columns_empty(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    write_results_csv(path, [{"a": "-1"}], ["a", "b"])
    assert read_csv(path) == [["a", "b"], ["'-1", ""]]


formula_start = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\uff1d", " =", ""])
cell_value = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.builds(lambda a, b: a + b, formula_start, st.text(max_size=20)),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({"a": cell_value, "b": cell_value, "c": cell_value}), max_size=6)
)
def test_no_results_cell_can_start_a_formula(rows: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.csv"
        write_results_csv(path, rows, ["a", "b", "c"])
        table = read_csv(path)
    assert len(table) == len(rows) + 1
    for line in table:
        for value in line:
            assert not value.startswith(
                ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
            )
            assert not value.lstrip(" ").startswith(("=", "+", "-", "@"))


# --- summary.json -------------------------------------------------------------------------


def test_summary_json_is_sorted_and_readable(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    write_summary_json(path, {"b": 1, "a": Path("x/y"), "c": dt.date(2024, 9, 3), "é": "ü"})
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == {"a": "x/y", "b": 1, "c": "2024-09-03", "é": "ü"}
    assert text.index('"a"') < text.index('"b"') < text.index('"c"')
    assert text.startswith("{\n  ")
    assert text.endswith("}\n")


# --- files are private --------------------------------------------------------------------


def test_every_output_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    folder = tmp_path / "runs" / "20240903"
    write_results_csv(folder / "results.csv", ROWS, COLUMNS)
    write_summary_json(folder / "summary.json", SUMMARY)
    write_report_html(
        folder / "report.html",
        title="Run",
        summary=SUMMARY,
        counts=COUNTS,
        rows=ROWS,
        columns=COLUMNS,
        attention_statuses={"not_found", "needs_review"},
    )
    assert mode(folder) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [
        "report.html",
        "results.csv",
        "summary.json",
    ]
    for path in folder.iterdir():
        assert mode(path) == 0o600, path


# --- report.html --------------------------------------------------------------------------


def render(tmp_path: Path, **overrides: object) -> str:
    arguments: dict[str, object] = {
        "title": "Opt-out run",
        "summary": SUMMARY,
        "counts": COUNTS,
        "rows": ROWS,
        "columns": COLUMNS,
        "attention_statuses": {"not_found", "needs_review"},
        "link_column": "evidence",
    }
    arguments.update(overrides)
    path = tmp_path / "report.html"
    write_report_html(path, **arguments)  # type: ignore[arg-type]
    return path.read_text(encoding="utf-8")


def section(html: str, heading: str) -> str:
    start = html.index(heading)
    return html[start : html.index("</section>", start)]


def test_report_lists_rows_that_need_a_person_with_reason_and_evidence(tmp_path: Path) -> None:
    html = render(tmp_path)
    attention = section(html, "Needs a person (2)")
    assert "No student with this SSID" in attention
    assert "Name differs: portal shows &#34;Bo&#34; &amp; co" in attention
    assert '<a href="evidence/row-3">row-3</a>' in attention
    assert "1234567890" not in attention  # the finished row is not there
    assert "1234567890" in section(html, "All results (3)")


def test_report_escapes_what_came_from_the_roster(tmp_path: Path) -> None:
    html = render(tmp_path)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_report_evidence_link_cannot_become_a_script_or_remote_link(tmp_path: Path) -> None:
    rows = [
        {"status": "failed", "reason": "x", "evidence": "javascript:alert(1)"},
        {"status": "failed", "reason": "x", "evidence": "//evil.example/x"},
        {"status": "failed", "reason": "x", "evidence": "runs\\1\\row 5"},
    ]
    html = render(
        tmp_path,
        rows=rows,
        columns=["status", "reason", "evidence"],
        attention_statuses={"failed"},
    )
    assert 'href="javascript:' not in html
    assert 'href="javascript%3Aalert%281%29"' in html
    assert 'href="/evil.example/x"' in html
    assert 'href="runs/1/row%205"' in html


def test_report_shows_the_summary_and_counts(tmp_path: Path) -> None:
    html = render(tmp_path)
    facts = section(html, "About this run")
    for text in (
        "20240903-101500",
        "roster.csv",
        "2024-09-03 10:15:00",
        "2024-09-03 11:17:03",
        "1 h 02 min 03 s",
        "https://portal.example.test",
        '<th scope="row">Dry run</th><td>no</td>',
    ):
        assert text in facts
    assert facts.index("Run") < facts.index("Roster") < facts.index("Started")
    counts = section(html, "Results at a glance")
    assert '<td>not_found</td><td class="n">1</td>' in counts
    assert '<td>Total</td><td class="n">3</td>' in counts


def test_report_is_self_contained_and_printable(tmp_path: Path) -> None:
    html = render(tmp_path)
    assert "@media print" in html
    assert "<script" not in html
    assert "src=" not in html
    assert "<link" not in html
    assert "default-src 'none'" in html


def test_report_duration_in_seconds_reads_as_a_duration(tmp_path: Path) -> None:
    html = render(tmp_path, summary={"run_id": "r1", "duration_s": 42.25})
    assert '<th scope="row">Duration</th><td>42.2 s</td>' in html


def test_report_column_headings(tmp_path: Path) -> None:
    html = render(tmp_path, column_labels={"ssid": "SSID"})
    assert '<th scope="col">SSID</th>' in html
    assert '<th scope="col">Evidence</th>' in html


def test_report_says_so_when_nothing_needs_a_person(tmp_path: Path) -> None:
    html = render(tmp_path, rows=ROWS[:1], counts={"done": 1})
    assert "Needs a person (0)" in html
    assert "Nothing needs a person" in html


def test_reason_is_shown_for_attention_rows_even_when_not_a_column(tmp_path: Path) -> None:
    html = render(tmp_path, columns=["ssid", "status"], link_column=None)
    attention = section(html, "Needs a person")
    assert "No student with this SSID" in attention
    assert "No student with this SSID" not in section(html, "All results")


# --- redaction helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [("Jane", "Doe", "J. D."), ("josé", " Ñúñez", "j. Ñ."), ("", "Doe", "D."), ("", " ", "")],
)
def test_redact_name(first: str, last: str, expected: str) -> None:
    assert redact_name(first, last) == expected


@pytest.mark.parametrize(
    ("ssid", "expected"),
    [("1234567890", "******7890"), ("123", "***"), ("", ""), ("12345", "*2345")],
)
def test_mask_ssid(ssid: str, expected: str) -> None:
    assert mask_ssid(ssid) == expected
