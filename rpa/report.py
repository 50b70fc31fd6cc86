"""What a run leaves behind for people: a results CSV, a JSON summary and a printable page.

Every file holds student data, so every file is written private (mode 0600, folder 0700).
The module knows nothing of the portal: the words it shows come from the data passed in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from rpa.files import write_private_text
from rpa.tables import spreadsheet_safe

__all__ = [
    "SUMMARY_LABELS",
    "mask_ssid",
    "redact_name",
    "write_report_html",
    "write_results_csv",
    "write_summary_json",
]

SUMMARY_LABELS: dict[str, str] = {
    "run_id": "Run",
    "roster": "Roster",
    "started": "Started",
    "finished": "Finished",
    "duration": "Duration",
    "duration_s": "Duration",
    "workers": "Workers",
    "portal": "Portal",
}
"""Summary keys shown first in the report, in this order and under these labels."""

_TEMPLATES = Path(__file__).parent / "templates"


def write_results_csv(
    path: Path, rows: Sequence[Mapping[str, object]], columns: Sequence[str]
) -> None:
    """Write ``rows`` as CSV with a header of ``columns``; safe to open in a spreadsheet.

    Every cell goes through :func:`~rpa.tables.spreadsheet_safe`; a missing value or None is
    written empty. The file starts with a byte order mark so that Excel reads it as UTF-8.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(column) for column in columns])
    for row in rows:
        writer.writerow([spreadsheet_safe(_text(row.get(column))) for column in columns])
    write_private_text(path, "\ufeff" + buffer.getvalue())


def write_summary_json(path: Path, summary: Mapping[str, object]) -> None:
    """Write ``summary`` as indented JSON with sorted keys; dates and paths become strings."""
    text = json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default)
    write_private_text(path, text + "\n")


def write_report_html(
    path: Path,
    *,
    title: str,
    summary: Mapping[str, object],
    counts: Mapping[str, int],
    rows: Sequence[Mapping[str, object]],
    columns: Sequence[str],
    attention_statuses: Collection[str],
    link_column: str | None = None,
    status_column: str = "status",
    reason_column: str = "reason",
    column_labels: Mapping[str, str] | None = None,
) -> None:
    """Write a self-contained, printable HTML page about a run.

    The page shows the run summary, the count of rows per status, the rows that need a person
    (status in ``attention_statuses``) with their reason and a link to their evidence, and
    then every row. It loads nothing from elsewhere and runs no script.

    Args:
        path: where to write the page.
        title: the page's heading.
        summary: facts about the run; the keys in :data:`SUMMARY_LABELS` come first.
        counts: number of rows per status, in the order to show them.
        rows: one mapping per result row.
        columns: the keys of ``rows`` to show, in order.
        attention_statuses: statuses that a person must look at.
        link_column: a column holding a path to evidence, relative to the page.
        status_column: the column holding a row's status.
        reason_column: the column saying why a row ended as it did.
        column_labels: headings for columns, by key; others are made from the key
            (``"exemption_on_file"`` is headed "Exemption on file").
    """
    labels = dict(column_labels or {})
    attention = [row for row in rows if _text(row.get(status_column)) in attention_statuses]
    attention_columns = list(columns)
    if reason_column not in attention_columns:
        attention_columns.append(reason_column)
    html = (
        _environment()
        .get_template("report.html")
        .render(
            title=title,
            summary=_summary_items(summary),
            counts=[(status, n, status in attention_statuses) for status, n in counts.items()],
            total=sum(counts.values()),
            attention=[_cells(row, attention_columns, link_column) for row in attention],
            attention_columns=[labels.get(c) or _label(c) for c in attention_columns],
            rows=[
                (
                    _text(row.get(status_column)) in attention_statuses,
                    _cells(row, columns, link_column),
                )
                for row in rows
            ],
            columns=[labels.get(c) or _label(c) for c in columns],
        )
    )
    write_private_text(path, html)


def redact_name(first: str, last: str) -> str:
    """Reduce a name to its initials: ``("Jane", "Doe")`` gives ``"J. D."``."""
    return " ".join(f"{part.strip()[0]}." for part in (first, last) if part.strip())


def mask_ssid(ssid: str) -> str:
    """Hide all but the last four characters: ``"1234567890"`` gives ``"******7890"``."""
    ssid = ssid.strip()
    if len(ssid) <= 4:
        return "*" * len(ssid)
    return "*" * (len(ssid) - 4) + ssid[-4:]


# --- helpers ------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _text(value: object) -> str:
    """A value as a person reads it in a table cell."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _json_default(value: object) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _label(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def _summary_items(summary: Mapping[str, object]) -> list[tuple[str, str]]:
    def label(key: str) -> str:
        return SUMMARY_LABELS.get(key) or _label(key)

    keys = [k for k in SUMMARY_LABELS if k in summary]
    keys += [k for k in summary if k not in SUMMARY_LABELS]
    items = []
    for key in keys:
        value = summary[key]
        if key.startswith("duration") and isinstance(value, int | float):
            items.append((label(key), _duration(float(value))))
        elif isinstance(value, bool):
            items.append((label(key), "yes" if value else "no"))
        else:
            items.append((label(key), _text(value)))
    return items


def _duration(seconds: float) -> str:
    """``3723.4`` gives ``"1 h 02 min 03 s"``; short runs keep a tenth of a second."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    return f"{minutes} min {secs:02d} s"


def _cells(
    row: Mapping[str, object], columns: Sequence[str], link_column: str | None
) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = []
    for column in columns:
        text = _text(row.get(column))
        href = _relative_href(text) if column == link_column and text else None
        # A link reads as what it opens ("screenshot", "attempt-2"), not as a long path.
        shown = text.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0] if href else text
        cells.append({"text": shown, "href": href})
    return cells


def _relative_href(path_text: str) -> str:
    """A link to a local path that can never become a ``javascript:`` or remote URL."""
    path_text = re.sub(r"^/+", "/", path_text.replace("\\", "/"))
    # Quoting ":" means no scheme can survive; "/" is kept so folders still work.
    return quote(path_text, safe="/")
