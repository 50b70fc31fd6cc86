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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from rpa.files import write_private_text
from rpa.tables import spreadsheet_safe

__all__ = [
    "AttentionGroup",
    "duration_text",
    "local_span",
    "local_time",
    "mask_ssid",
    "redact_name",
    "write_report_html",
    "write_results_csv",
    "write_summary_json",
]

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class AttentionGroup:
    """Rows that need a person for one reason, and what the person should do about them."""

    title: str
    """What happened, in a few words ("Not found")."""
    advice: str
    """What to do next, in a sentence or two."""
    rows: Sequence[Mapping[str, object]]


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
    headline: str,
    rows: Sequence[Mapping[str, object]],
    columns: Sequence[str],
    notes: Sequence[str] = (),
    alert: str | None = None,
    counts: Sequence[tuple[str, int, bool]] = (),
    attention: Sequence[AttentionGroup] = (),
    attention_columns: Sequence[str] = (),
    flagged_statuses: Collection[str] = (),
    status_column: str = "status",
    details: Mapping[str, object] | None = None,
    column_labels: Mapping[str, str] | None = None,
    column_widths: Mapping[str, float] | None = None,
    link_column: str | None = None,
    tz: dt.tzinfo | None = None,
    generated: dt.datetime | None = None,
) -> None:
    """Write a self-contained page about a run that a person can read, file and print.

    The page opens with ``headline``, the run in one sentence, then ``notes`` and the counts;
    then what needs a person, group by group (``attention``), each with what to do; then every
    row; then ``details``, the figures only an engineer needs. It loads nothing from elsewhere,
    runs no script, and prints on US Letter with rows kept whole and table headings repeated.

    Args:
        path: where to write the page.
        title: what the page is ("TOMS opt-out run"); shown above the headline and in the
            footer of every printed page.
        headline: what happened, in words.
        rows: one mapping per row; values are shown as text, dates in ``tz``.
        columns: the keys of ``rows`` shown under "Every row", in order.
        notes: sentences shown under the headline (who, when, from what).
        alert: a sentence shown under the headline in a warning box (e.g. the run stopped).
        counts: ``(label, number, needs a person)`` shown under the headline.
        attention: the groups of rows that need a person.
        attention_columns: the keys of their rows shown in each group's table.
        flagged_statuses: rows whose ``status_column`` is one of these are marked in "Every row".
        status_column: the key of a row's status.
        details: figures and paths, shown last under "Details" (datetimes in ``tz``).
        column_labels: headings for columns, by key; others are made from the key
            (``"exemption_on_file"`` is headed "Exemption on file").
        column_widths: widths of columns in percent of the table, by key; a table whose
            columns all have one is laid out by them (else by its content).
        link_column: a key holding a path to evidence, relative to the page, shown as a link.
        tz: the time zone of dates shown; by default this machine's (``TZ`` is respected).
        generated: when the page was written (default: now).
    """
    labels = dict(column_labels or {})
    generated = generated or dt.datetime.now(dt.UTC)
    shown_at = local_time(generated, tz)

    widths = dict(column_widths or {})

    def heading(column: str) -> dict[str, Any]:
        width = widths.get(column)
        return {
            "text": labels.get(column) or _label(column),
            "key": _css_class(column),
            "width": f"{float(width):.2f}%" if width is not None else None,
        }

    def cells(row: Mapping[str, object], keys: Sequence[str]) -> list[dict[str, Any]]:
        return _cells(row, keys, link_column, tz)

    html = (
        _environment()
        .get_template("report.html")
        .render(
            title=title,
            headline=headline,
            notes=list(notes),
            alert=alert,
            counts=list(counts),
            attention=[
                {
                    "title": group.title,
                    "advice": group.advice,
                    "rows": [cells(row, attention_columns) for row in group.rows],
                }
                for group in attention
            ],
            attention_total=sum(len(group.rows) for group in attention),
            attention_columns=[heading(c) for c in attention_columns],
            attention_fixed=all(c in widths for c in attention_columns),
            rows=[
                (_text(row.get(status_column)) in flagged_statuses, cells(row, columns))
                for row in rows
            ],
            columns=[heading(c) for c in columns],
            columns_fixed=all(c in widths for c in columns),
            details=[
                (label, _text(value, tz)) for label, value in (details or {}).items()
            ],
            generated=shown_at,
            footer=Markup(_css_string(f"{title} \u00b7 {shown_at}")),  # noqa: S704
        )
    )
    write_private_text(path, html)


def local_time(moment: float | dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """A moment as a person reads it, in ``tz``: ``"Apr 3, 2026, 9:14 AM PDT"``.

    Args:
        moment: a POSIX timestamp, or a datetime (one without a zone is taken as UTC).
        tz: the zone to show it in; by default this machine's own (``TZ`` is respected).
    """
    return _named(_in_zone(moment, tz))


def local_span(
    start: float | dt.datetime, end: float | dt.datetime, tz: dt.tzinfo | None = None
) -> str:
    """Two moments as one span, the date said once: ``"Apr 3, 2026, 9:12 - 9:14 AM PDT"``.

    (With an en dash between the two times.)
    """
    first, last = _in_zone(start, tz), _in_zone(end, tz)
    if _date(first) != _date(last) or _zone_name(first) != _zone_name(last):
        return f"{_named(first)} \u2013 {_named(last)}"
    if _clock(first) == _clock(last):
        return _named(first)
    left = _clock(first)
    if left[-2:] == _clock(last)[-2:]:
        left = left[:-3]  # "9:12 - 9:14 AM", not "9:12 AM - 9:14 AM"
    return f"{_date(first)}, {left} \u2013 {_clock(last)} {_zone_name(last)}"


def duration_text(seconds: float) -> str:
    """``3723.4`` gives ``"1 h 02 min 03 s"``; short runs keep a tenth of a second."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"


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


def _text(value: object, tz: dt.tzinfo | None = None) -> str:
    """A value as a person reads it in a table cell (a datetime in ``tz``, named)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local_time(value, tz)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_text(v, tz)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_text(v, tz) for v in value)
    return str(value)


def _in_zone(moment: float | dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.fromtimestamp(moment, dt.UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    # astimezone() without a zone is this machine's zone, as TZ sets it, with its name.
    return moment.astimezone(tz)


def _named(when: dt.datetime) -> str:
    return f"{_date(when)}, {_clock(when)} {_zone_name(when)}"


def _date(when: dt.datetime) -> str:
    return f"{when:%b} {when.day}, {when.year}"


def _clock(when: dt.datetime) -> str:
    # Not %I/%p: those follow the locale, and drop nothing ("09:14 AM").
    hour = when.hour % 12 or 12
    return f"{hour}:{when:%M} {'AM' if when.hour < 12 else 'PM'}"


def _zone_name(when: dt.datetime) -> str:
    return when.tzname() or when.strftime("UTC%z")


def _css_class(key: str) -> str:
    return "c-" + re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string that can neither end the string nor the style element."""
    safe = frozenset(" .,:;()/@-_'")
    return '"' + "".join(
        ch if (ch.isalnum() and ch.isascii()) or ch in safe else f"\\{ord(ch):x} " for ch in text
    ) + '"'


def _json_default(value: object) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _label(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def _cells(
    row: Mapping[str, object],
    columns: Sequence[str],
    link_column: str | None,
    tz: dt.tzinfo | None,
) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = []
    for column in columns:
        value = row.get(column)
        if isinstance(value, dt.datetime):
            # In a narrow column the date and the time each keep to a line of their own.
            when = _in_zone(value, tz)
            text = f"{_date(when)},\n{_clock(when)} {_zone_name(when)}"
        else:
            text = _text(value, tz)
        href = _relative_href(text) if column == link_column and text else None
        # A link reads as what it opens ("screenshot", "attempt-2"), not as a long path.
        shown = text.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0] if href else text
        cells.append({"text": shown, "href": href, "key": _css_class(column)})
    return cells


def _relative_href(path_text: str) -> str:
    """A link to a local path that can never become a ``javascript:`` or remote URL."""
    path_text = re.sub(r"^/+", "/", path_text.replace("\\", "/"))
    # Quoting ":" means no scheme can survive; "/" is kept so folders still work.
    return quote(path_text, safe="/")
