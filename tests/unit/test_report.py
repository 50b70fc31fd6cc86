"""rpa.report: the files a run leaves for people, private and safe to open."""

from __future__ import annotations

import csv
import datetime as dt
import json
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpa.report import (
    AttentionGroup,
    duration_text,
    local_span,
    local_time,
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
PACIFIC = ZoneInfo("America/Los_Angeles")
DETAILS: dict[str, object] = {
    "Run": "20240903-101500",
    "Started": dt.datetime(2024, 9, 3, 17, 15, 0, tzinfo=dt.UTC),
    "Rows per second": "7.90",
}
ATTENTION = [
    AttentionGroup("Not found", "Check the SSID in your student information system.", ROWS[1:2]),
    AttentionGroup("Needs review", "Look at the name.", ROWS[2:3]),
]


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
    write_summary_json(folder / "summary.json", DETAILS)
    write_report_html(
        folder / "report.html", title="Run", headline="3 rows", rows=ROWS, columns=COLUMNS
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
        "headline": "1 done; 2 need you.",
        "notes": ["Done by ana@example.org."],
        "counts": [("done", 1, False), ("need you", 2, True)],
        "rows": ROWS,
        "columns": COLUMNS,
        "attention": ATTENTION,
        "attention_columns": ["row", "ssid", "name", "reason", "evidence"],
        "flagged_statuses": {"not_found", "needs_review"},
        "details": DETAILS,
        "link_column": "evidence",
        "tz": PACIFIC,
        "generated": dt.datetime(2024, 9, 3, 18, 0, tzinfo=dt.UTC),
    }
    arguments.update(overrides)
    path = tmp_path / "report.html"
    write_report_html(path, **arguments)  # type: ignore[arg-type]
    return path.read_text(encoding="utf-8")


def section(html: str, heading: str) -> str:
    start = html.index(heading)
    return html[start : html.index("</section>", start)]


def test_the_headline_comes_first_then_what_needs_a_person_then_rows_then_details(
    tmp_path: Path,
) -> None:
    html = render(tmp_path)
    body = html[html.index("<body>") :]
    order = [
        body.index('<h1 class="headline">1 done; 2 need you.</h1>'),
        body.index("Done by ana@example.org."),
        body.index("Needs a person (2)"),
        body.index("Every row (3)"),
        body.index("<h2>Details</h2>"),
    ]
    assert order == sorted(order)
    assert "<strong>2</strong>need you" in body
    # Engineering figures are in Details only.
    assert body.index("Rows per second") > body.index("<h2>Details</h2>")


def test_each_group_says_what_to_do_and_lists_its_rows_with_evidence(tmp_path: Path) -> None:
    attention = section(render(tmp_path), "Needs a person (2)")
    assert "<h3>Not found (1)</h3>" in attention
    assert "Check the SSID in your student information system." in attention
    assert "No student with this SSID" in attention
    assert "Name differs: portal shows &#34;Bo&#34; &amp; co" in attention
    assert '<a href="evidence/row-3">row-3</a>' in attention
    assert "1234567890" not in attention  # the finished row is not there
    assert attention.index("Not found") < attention.index("Needs review")


def test_every_row_is_listed_and_those_that_need_a_person_are_marked(tmp_path: Path) -> None:
    rows = section(render(tmp_path), "Every row (3)")
    assert "1234567890" in rows
    assert rows.count('<tr class="attention">') == 2


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
        tmp_path, rows=rows, columns=["status", "reason", "evidence"],
        attention=[AttentionGroup("Failed", "Again.", rows)],
    )
    assert 'href="javascript:' not in html
    assert 'href="javascript%3Aalert%281%29"' in html
    assert 'href="/evil.example/x"' in html
    assert 'href="runs/1/row%205"' in html


def test_report_is_self_contained_and_prints_on_letter_with_rows_whole(tmp_path: Path) -> None:
    html = render(tmp_path)
    assert "<script" not in html
    assert "src=" not in html
    assert "<link" not in html
    assert "default-src 'none'" in html
    assert "size: letter;" in html
    assert "thead { display: table-header-group; }" in html
    assert "tr { break-inside: avoid; page-break-inside: avoid; }" in html
    assert 'content: "Page " counter(page) " of " counter(pages);' in html


def test_the_printed_footer_cannot_break_out_of_the_style_sheet(tmp_path: Path) -> None:
    html = render(tmp_path, title='Run "x" </style><script>alert(1)</script>')
    style = html[html.index("<style>") : html.index("</style>")]
    footer = style[style.index("@bottom-left") :].splitlines()[0]
    assert footer.startswith('@bottom-left { content: "Run \\22 x\\22  \\3c /style\\3e ')
    assert html.count("</style>") == 1
    assert "<script>" not in html


def test_dates_are_shown_in_the_given_zone_by_name(tmp_path: Path) -> None:
    rows = [{"status": "done", "time": dt.datetime(2026, 4, 3, 16, 14, tzinfo=dt.UTC)}]
    html = render(tmp_path, rows=rows, columns=["status", "time"], attention=[])
    assert "Apr 3, 2026,\n9:14 AM PDT" in section(html, "Every row (1)")
    assert "Sep 3, 2024, 10:15 AM PDT" in section(html, "<h2>Details</h2>")
    assert "<title>Opt-out run, Sep 3, 2024, 11:00 AM PDT</title>" in html


def test_column_widths_lay_out_a_table_by_them(tmp_path: Path) -> None:
    html = render(
        tmp_path, column_widths={c: 100 / len(COLUMNS) for c in COLUMNS},
        attention_columns=["row", "ssid", "note"],
    )
    rows = section(html, "Every row")
    assert '<table class="results fixed">' in rows
    assert '<col style="width: 14.29%">' in rows
    assert '<table class="attention">' in html  # not every column of it has a width


def test_report_column_headings(tmp_path: Path) -> None:
    html = render(tmp_path, column_labels={"ssid": "SSID"})
    assert '<th scope="col" class="c-ssid">SSID</th>' in html
    assert '<th scope="col" class="c-evidence">Evidence</th>' in html


def test_report_says_so_when_nothing_needs_a_person(tmp_path: Path) -> None:
    html = render(tmp_path, rows=ROWS[:1], attention=[], counts=[("done", 1, False)])
    assert "Needs a person (0)" in html
    assert "Nothing needs a person" in html


def test_an_alert_is_shown_under_the_headline(tmp_path: Path) -> None:
    html = render(tmp_path, alert="The run stopped: portal down.")
    assert '<p class="alert">The run stopped: portal down.</p>' in html
    assert html.index("headline") < html.index("The run stopped") < html.index("Needs a person")


# --- times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (dt.datetime(2026, 4, 3, 16, 14, tzinfo=dt.UTC), PACIFIC, "Apr 3, 2026, 9:14 AM PDT"),
        (dt.datetime(2026, 1, 9, 20, 5, tzinfo=dt.UTC), PACIFIC, "Jan 9, 2026, 12:05 PM PST"),
        (dt.datetime(2026, 1, 9, 8, 5), PACIFIC, "Jan 9, 2026, 12:05 AM PST"),  # naive: UTC
        (1775232840.0, dt.UTC, "Apr 3, 2026, 4:14 PM UTC"),
        (1775232840.0, dt.timezone(dt.timedelta(hours=5, minutes=30)), "Apr 3, 2026, 9:44 PM "
         "UTC+05:30"),
    ],
)
def test_local_time_names_its_zone(moment: float | dt.datetime, zone: dt.tzinfo,
                                   expected: str) -> None:
    assert local_time(moment, zone) == expected


@pytest.fixture()
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("new_york")
def test_local_time_is_this_machines_zone_by_default_as_tz_sets_it() -> None:
    assert local_time(dt.datetime(2026, 4, 3, 16, 14, tzinfo=dt.UTC)) == "Apr 3, 2026, 12:14 PM EDT"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ((16, 12), (16, 14), "Apr 3, 2026, 9:12 \u2013 9:14 AM PDT"),
        ((18, 50), (19, 10), "Apr 3, 2026, 11:50 AM \u2013 12:10 PM PDT"),
        ((16, 12), (16, 12), "Apr 3, 2026, 9:12 AM PDT"),
    ],
)
def test_local_span_says_the_date_once(
    start: tuple[int, int], end: tuple[int, int], expected: str
) -> None:
    def at(hm: tuple[int, int]) -> dt.datetime:
        return dt.datetime(2026, 4, 3, *hm, tzinfo=dt.UTC)

    assert local_span(at(start), at(end), PACIFIC) == expected


def test_local_span_over_two_days_says_both() -> None:
    start = dt.datetime(2026, 4, 3, 23, 0, tzinfo=PACIFIC)
    assert local_span(start, start + dt.timedelta(hours=2), PACIFIC) == (
        "Apr 3, 2026, 11:00 PM PDT \u2013 Apr 4, 2026, 1:00 AM PDT"
    )


@pytest.mark.parametrize(
    ("seconds", "expected"), [(42.25, "42.2 s"), (125, "2 min 05 s"), (3723.4, "1 h 02 min 03 s")]
)
def test_duration_text(seconds: float, expected: str) -> None:
    assert duration_text(seconds) == expected


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
