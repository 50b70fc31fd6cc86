"""Tables and grids, read as a person reads them.

A table (``<table>``) or an ARIA grid (``role=grid`` of ``role=row`` and ``gridcell``), read in
one look: its column headers, each row's cells, and the links and buttons in each row with the
cell they are in and whether they can be pressed. Columns are found by the guide's words
(:func:`column`), never by their position in one build of the portal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator

from flows import words
from flows.pages.base import acting
from rpa.errors import PageNotRecognized, PortalUnavailable

__all__ = ["Control", "Row", "Table", "column", "optional_column", "read_shown", "read_table"]

# A table or an ARIA grid read as a person reads it: its header cells, then each row's cells and
# the buttons in it (with whether they can be pressed). Rows not shown are left out, and a
# table inside a region still loading says so, to be read again when it is done.
_READ_TABLE_JS = """
table => {
  const text = el => (el.innerText ?? el.textContent ?? '').replace(/\\s+/g, ' ').trim();
  const shown = el => el.getClientRects().length > 0;
  const tables = 'table, [role=table], [role=grid], [role=treegrid]';
  const rows = Array.from(table.querySelectorAll('tr, [role=row]'))
    .filter(r => r.closest(tables) === table && shown(r));
  const cellSel = 'th, td, [role=cell], [role=gridcell], [role=columnheader], [role=rowheader]';
  // What Playwright's roles "link" and "button" find, in document order.
  const controlSel = 'a[href], area[href], [role=link], button, [role=button], ' +
    'input[type=button], input[type=submit], input[type=reset], input[type=image]';
  const isHead = c => c.getAttribute('role') === 'columnheader' ||
    (c.tagName === 'TH' && c.getAttribute('scope') !== 'row' && !c.getAttribute('role'));
  const out = rows.map(r => {
    const cells = Array.from(r.querySelectorAll(cellSel))
      .filter(c => c.closest('tr, [role=row]') === r);
    const controls = Array.from(r.querySelectorAll(controlSel)).filter(shown).map(b => ({
      cell: cells.findIndex(c => c.contains(b)),
      name: (b.getAttribute('aria-label') || text(b) || b.value || b.title || '').trim(),
      enabled: !(b.disabled === true || b.closest('[aria-disabled=true]')),
    }));
    return {cells: cells.map(text), head: cells.length > 0 && cells.every(isHead), controls};
  });
  const busy = !!(table.closest('[aria-busy=true]') || table.querySelector('[aria-busy=true]'));
  return {rows: out, busy};
}
"""


@dataclass(frozen=True)
class Control:
    """A link or button in a row: the cell it is in, its name, whether it can be pressed."""

    cell: int
    name: str
    enabled: bool


@dataclass(frozen=True)
class Row:
    """One body row: its cell texts, and its links and buttons in document order."""

    cells: tuple[str, ...]
    controls: tuple[Control, ...]


@dataclass(frozen=True)
class Table:
    """A table or grid as shown: its column headers and its body rows."""

    heads: tuple[str, ...]
    rows: tuple[Row, ...]

    def column(self, key: str, where: str) -> int:
        """The index of the column headed by ``key``'s words (see :func:`column`)."""
        return column(self.heads, key, where)


async def read_table(
    table: Locator, *, what: str, timeout_ms: float, wait: bool = True
) -> Table | None:
    """Read ``table`` (one table or grid) in one look, once it is no longer loading.

    Without ``wait``, a table not on the page now is None (one question to the browser).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    async with acting(table.page, timeout_ms=timeout_ms, what=what):
        while True:
            # One look at the first table found (evaluate_all: a third of evaluate's cost).
            found: list[dict[str, Any]] = await table.first.evaluate_all(
                f"ts => ts.slice(0, 1).map({_READ_TABLE_JS.strip()})"
            )
            if not found:
                if not wait:
                    return None
                await table.first.wait_for(state="visible", timeout=timeout_ms)
                continue
            data = found[0]
            if not data["busy"]:
                break
            if loop.time() > deadline:
                raise PortalUnavailable(f"{what} was still loading after "
                                        f"{timeout_ms / 1000:g} s")
            await _not_busy(table, max(1.0, (deadline - loop.time()) * 1000))
    heads: tuple[str, ...] = ()
    rows: list[Row] = []
    for row in data["rows"]:
        cells = tuple(str(c) for c in row["cells"])
        if row["head"] and not heads:
            heads = cells
            continue
        if not cells:
            continue
        controls = tuple(
            Control(int(c["cell"]), str(c["name"]), bool(c["enabled"])) for c in row["controls"]
        )
        rows.append(Row(cells, controls))
    return Table(heads, tuple(rows))


_NOT_BUSY_JS = """
t => !(t.closest('[aria-busy=true]') || t.querySelector('[aria-busy=true]'))
"""


async def _not_busy(table: Locator, timeout_ms: float) -> None:
    """Wait until ``table`` is no longer in (or holding) a region that is loading."""
    with contextlib.suppress(PlaywrightError):
        handle = await table.element_handle(timeout=timeout_ms)
        try:
            frame = await handle.owner_frame()
            if frame is not None:
                await frame.wait_for_function(
                    _NOT_BUSY_JS, arg=handle, timeout=timeout_ms, polling="raf"
                )
        finally:
            await handle.dispose()


def column(heads: Sequence[str], key: str, where: str) -> int:
    """The index of the column headed by ``key``'s words; a portal without it is unknown."""
    for index, head in enumerate(heads):
        if words.matches(key, head):
            return index
    wanted = " / ".join(f'"{w}"' for w in words.texts(key)[:3])
    raise PageNotRecognized(
        f"{where} has no column {wanted} (its columns: {', '.join(heads) or 'none'})",
        signature=f"column {key}|{where}",
    )


def optional_column(table: Table, key: str) -> int | None:
    """The index of the column headed by ``key``'s words, if the table has one."""
    for index, head in enumerate(table.heads):
        if words.matches(key, head):
            return index
    return None


async def read_shown(table: Locator, *, what: str, timeout_ms: float) -> Table:
    """:func:`read_table`, waiting for the table to show."""
    found = await read_table(table, what=what, timeout_ms=timeout_ms)
    assert found is not None
    return found
