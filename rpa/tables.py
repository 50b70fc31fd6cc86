"""Read a table of values from a CSV or Excel file, as a person typed it.

Every value comes back as a stripped string keyed by its lowercased column name, with the row
number the person sees in their spreadsheet, so that a caller can point at the cell to fix.
Whatever is wrong with the file itself is raised as :class:`~rpa.errors.InputError`.

:func:`match_header` then tells which columns a caller knows, by any of the names people give
them ("SSID", "Student SSID", "Statewide Student Identifier"...), which two columns mean the
same thing, and which are unknown, with the nearest known name.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rpa.errors import InputError

__all__ = [
    "MAX_VALUE_LENGTH",
    "HeaderMatch",
    "Table",
    "TableRow",
    "header_key",
    "match_header",
    "read_table",
    "spreadsheet_safe",
]

MAX_VALUE_LENGTH = 1000
"""Values longer than this are kept whole; callers are expected to refuse them."""

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx"})
_DELIMITERS = (",", ";", "\t")

# Characters that make Excel or LibreOffice read a cell as a formula (OWASP "CSV injection"),
# with the full-width forms that some versions fold to their ASCII twins.
_FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# Stripped from both ends of every value, besides ordinary whitespace.
_INVISIBLE = "\ufeff\u200b"


@dataclass(frozen=True)
class TableRow:
    """One data row: its spreadsheet row number and its values by lowercased column name."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class Table:
    """A header and the non-blank rows below it."""

    header: list[str]
    rows: list[TableRow]

    @property
    def columns(self) -> list[str]:
        """The keys of :attr:`TableRow.values`: the header names lowercased."""
        return [name.lower() for name in self.header]


def header_key(name: str) -> str:
    """A column name as compared: case, spaces and punctuation ignored.

    ``"Cond. Code"``, ``"cond_code"`` and ``" COND CODE "`` all give ``"condcode"``.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@dataclass(frozen=True)
class HeaderMatch:
    """What each column of a table's header means to a caller (see :func:`match_header`)."""

    fields: dict[str, str] = field(default_factory=dict)
    """Column key (as in :attr:`TableRow.values`) -> the field it holds."""
    repeated: list[tuple[str, str, str]] = field(default_factory=list)
    """``(header name, earlier header name, field)`` for a column that means a field an
    earlier column already gives; the earlier one is in :attr:`fields`."""
    unknown: list[tuple[str, str | None]] = field(default_factory=list)
    """``(header name, nearest field or None)`` for each column that means no field."""

    def missing(self, required: Iterable[str]) -> list[str]:
        """The fields of ``required`` that no column gives, in their order."""
        given = set(self.fields.values())
        return [name for name in required if name not in given]


def match_header(table: Table, names: Mapping[str, Iterable[str]]) -> HeaderMatch:
    """Tell which field each column of ``table`` holds, by the names people give the fields.

    Args:
        table: a table from :func:`read_table`.
        names: for each field, in order, the header names that mean it; the field's own name
            always does. Names are compared by :func:`header_key`, so case, spaces and
            punctuation do not matter.

    Returns:
        The columns matched, those repeating a field, and the unknown ones with the nearest
        field (by a known name's prefix, or a close spelling), if any.
    """
    by_key: dict[str, str] = {}
    for field_name, spellings in names.items():
        for spelling in (field_name, *spellings):
            by_key.setdefault(header_key(spelling), field_name)
    match = HeaderMatch()
    first_header: dict[str, str] = {}
    for header_name, key in zip(table.header, table.columns, strict=True):
        name = by_key.get(header_key(header_name))
        if name is None:
            match.unknown.append((header_name, _nearest(header_key(header_name), by_key)))
        elif name in first_header:
            match.repeated.append((header_name, first_header[name], name))
        else:
            first_header[name] = header_name
            match.fields[key] = name
    return match


def _nearest(key: str, by_key: Mapping[str, str]) -> str | None:
    """The field whose name ``key`` most likely misspells or shortens, if any is close."""
    if not key:
        return None
    # A known name shortened ("exemp") or inside a longer one ("conditioncodepge") is a
    # strong hint, which difflib alone scores too low; the longest such name is the best.
    hints = [
        (len(known), name)
        for known, name in by_key.items()
        if (len(key) >= 3 and known.startswith(key))
        or (len(key) > len(known) >= 4 and known in key)
    ]
    if hints:
        return max(hints)[1]
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.7)
    return by_key[close[0]] if close else None


def read_table(path: Path) -> Table:
    """Read the first sheet of an ``.xlsx`` workbook, or a ``.csv``/``.tsv``/``.txt`` file.

    The header is the first non-blank row. Blank rows are skipped but keep their numbers, so
    :attr:`TableRow.line` is the row number a spreadsheet shows (the header is row 1).

    Raises:
        InputError: the file is missing, of an unsupported kind, unreadable, empty, or its
            header names a column twice.
    """
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        records: Iterable[tuple[int, list[str]]] = _xlsx_records(path)
    elif suffix in CSV_SUFFIXES:
        records = _csv_records(path, _decode(path), tab_default=suffix == ".tsv")
    elif suffix in {".xls", ".xlsm", ".xlsb", ".ods", ".numbers"}:
        raise InputError(
            f"{path}: {suffix} files are not supported; save the sheet as .xlsx or .csv"
        )
    else:
        raise InputError(
            f"{path}: unsupported file type {suffix or '(no extension)'!r}; use .xlsx or .csv"
        )
    return _build(path, records)


def spreadsheet_safe(value: str) -> str:
    """Return ``value`` so that a spreadsheet shows it as text rather than run it as a formula.

    A value starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return (or a full-width
    form of those) is prefixed with a single quote, as OWASP advises for CSV exports.
    """
    if not value:
        return value
    first = value.lstrip(" ")[:1] or value[0]
    if value[0] in _FORMULA_TRIGGERS or first in _FORMULA_TRIGGERS:
        return "'" + value
    return value


def _clean(value: str) -> str:
    return value.strip().strip(_INVISIBLE).strip()


def _build(path: Path, records: Iterable[tuple[int, list[str]]]) -> Table:
    rows_iter = iter(records)
    header: list[str] | None = None
    for _number, cells in rows_iter:
        if any(cells):
            header = cells
            break
    if header is None:
        raise InputError(f"{path}: the file is empty (no header row)")

    # Unnamed columns at the end are common (formatting in Excel, a trailing delimiter);
    # an unnamed column with values in it is an error, reported below.
    while header and not header[-1]:
        header.pop()
    keys = [name.lower() for name in header]
    seen: set[str] = set()
    for name, key in zip(header, keys, strict=True):
        if key and key in seen:
            raise InputError(f"{path}: the header names the column {name!r} more than once")
        seen.add(key)
    unnamed = [i for i, key in enumerate(keys) if not key]

    rows: list[TableRow] = []
    for number, cells in rows_iter:
        if not any(cells):
            continue
        for i in unnamed:
            if i < len(cells) and cells[i]:
                raise InputError(
                    f"{path}: row {number} has a value in column {_column_letter(i)}, "
                    "which has no name in the header row"
                )
        if any(cells[len(keys) :]):
            raise InputError(
                f"{path}: row {number} has {len(cells)} values, more than the "
                f"{len(keys)} columns in the header row"
            )
        values = {key: (cells[i] if i < len(cells) else "") for i, key in enumerate(keys) if key}
        rows.append(TableRow(line=number, values=values))
    return Table(header=[name for name in header if name], rows=rows)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- CSV ----------------------------------------------------------------------------------


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read the file ({err.strerror})") from err
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{path}: this is an Excel workbook, not a text file; give it the .xlsx extension"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_as(path, data[3:], "utf-8")
    # Excel's "Unicode Text" export is UTF-16 with a byte order mark.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_as(path, data, "utf-16")
    if b"\x00" in data:
        raise InputError(f"{path}: this is not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: most likely saved by Excel on Windows ("CSV (Comma delimited)").
        return _decode_as(path, data, "cp1252")


def _decode_as(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: cannot read the text (byte {err.start} is not valid {encoding}); "
            "save it as CSV UTF-8"
        ) from err


def _sniff_delimiter(text: str, *, tab_default: bool) -> str:
    """Pick the delimiter that splits the first non-blank line into the most fields."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    best = "\t" if tab_default else ","
    best_count = 1
    for delimiter in _DELIMITERS:
        try:
            fields = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(fields) > best_count:
            best, best_count = delimiter, len(fields)
    return best


def _csv_records(path: Path, text: str, *, tab_default: bool) -> Iterator[tuple[int, list[str]]]:
    delimiter = _sniff_delimiter(text, tab_default=tab_default)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    try:
        # A record is a spreadsheet row, even when a quoted value spans several lines.
        for number, record in enumerate(reader, start=1):
            yield number, [_clean(cell) for cell in record]
    except csv.Error as err:
        raise InputError(f"{path}: row {number + 1} cannot be read as CSV ({err})") from err


# --- XLSX ---------------------------------------------------------------------------------


def _xlsx_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    # Imported here so that reading a CSV does not pay for openpyxl.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    # openpyxl raises a wide range of exceptions for a damaged or fake workbook (zip, XML,
    # KeyError for missing parts...); all of them mean the same thing to the user.
    except Exception as err:
        raise InputError(f"{path}: not a valid .xlsx workbook ({type(err).__name__})") from err
    try:
        if not workbook.worksheets:
            raise InputError(f"{path}: the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            # The stored dimensions can be wrong; without this, rows past them are ignored.
            sheet.reset_dimensions()
        try:
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_cell_text(cell) for cell in cells]
        except InputError:
            raise
        except Exception as err:
            raise InputError(f"{path}: cannot read the first sheet ({type(err).__name__})") from err
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """Render a cell value as the person sees it, never in scientific notation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return _clean(str(value))


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")
