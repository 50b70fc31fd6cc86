"""Acting only when a person could, and never reading content that is being replaced.

Small pages written into a real Chromium: a button under a loading overlay, greyed out with
aria-disabled, inside a region still loading; a table drawn anew after a save. No portal needed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from flows.pages.base import press, replaced
from flows.pages.tables import read_table
from rpa.browser import LAUNCH_ARGS, find_browser
from tests.run_async import run_async

pytestmark = pytest.mark.browser

# A button that counts its clicks, and a way to make it pressable a moment later.
PAGE = """
<button id=b {attrs}>SAVE</button>{extra}
<p id=clicks>0</p>
<script>
  const b = document.getElementById('b');
  b.addEventListener('click', () => {{
    if (b.getAttribute('aria-disabled') === 'true') return;
    const p = document.getElementById('clicks'); p.textContent = String(+p.textContent + 1);
  }});
  setTimeout(() => {{ {later} }}, 400);
</script>
"""
OVERLAY = ('<div id=o role=progressbar aria-label="Loading" style="position:fixed;inset:0;'
           'background:rgba(255,255,255,.8)"></div>')


@asynccontextmanager
async def _page() -> AsyncIterator[Page]:
    choice = find_browser(install=False)
    executable = str(choice.executable) if choice.executable else None
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


def _run(body: Callable[[Page], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with _page() as page:
            return await body(page)
    return run_async(main())


async def _press_when(page: Page, html: str) -> tuple[str, str]:
    """Press the button as soon as press() allows; what the page showed at that moment."""
    await page.set_content(html)
    button = page.get_by_role("button", name="SAVE")
    await press(button, what="SAVE", timeout_ms=5000)
    clicks = await page.locator("#clicks").inner_text()
    state = await page.evaluate(
        "() => [document.getElementById('o') ? 'covered' : 'clear',"
        " document.getElementById('b').getAttribute('aria-disabled') || '',"
        " document.getElementById('b').closest('[aria-busy=true]') ? 'busy' : ''].join(' ')"
    )
    return clicks, state


@pytest.mark.parametrize(("attrs", "extra", "later"), [
    ("", OVERLAY, "document.getElementById('o').remove()"),
    ("aria-disabled=true", "", "b.removeAttribute('aria-disabled')"),
    ("", "", "b.outerHTML; document.body.removeAttribute('aria-busy')"),
], ids=["covered by a loading overlay", "aria-disabled", "inside a region loading"])
def test_a_control_is_pressed_only_once_a_person_could(attrs: str, extra: str, later: str) -> None:
    html = PAGE.format(attrs=attrs, extra=extra, later=later)
    if "region loading" in later or "aria-busy" in later:
        html = html.replace("<button", "<body aria-busy=true><button")
    clicks, state = _run(lambda page: _press_when(page, html))
    assert clicks == "1"
    assert state.split() == ["clear"], state  # nothing covered it, greyed, or loading


def test_a_control_that_stays_covered_is_never_pressed() -> None:
    html = PAGE.format(attrs="", extra=OVERLAY, later="")

    async def body(page: Page) -> str:
        await page.set_content(html)
        with pytest.raises(Exception, match="covered"):
            await press(page.get_by_role("button", name="SAVE"), what="SAVE", timeout_ms=1200)
        return await page.locator("#clicks").inner_text()

    assert _run(body) == "0"


TABLE = """
<div id=view aria-busy=true>
<table><tr><th>Test Program</th><th>Condition Code</th></tr>
<tr><td>Smarter Balanced for Mathematics</td><td>PGE</td></tr></table></div>
<button>SAVE</button>
<script>
  document.querySelector('button').addEventListener('click', () => {
    setTimeout(() => {
      document.getElementById('view').innerHTML = '<table><tr><th>Test Program</th>' +
        '<th>Condition Code</th></tr><tr><td>Smarter Balanced for Mathematics</td>' +
        '<td>NTE</td></tr></table>';
    }, 300);
  });
  setTimeout(() => document.getElementById('view').removeAttribute('aria-busy'), 300);
</script>
"""


def test_a_table_is_read_once_loaded_and_after_a_save_only_once_drawn_anew() -> None:
    async def body(page: Page) -> tuple[str, str]:
        await page.set_content(TABLE)
        table = page.get_by_role("table")
        first = await read_table(table, what="the table", timeout_ms=5000)  # waits: busy
        async with replaced(table, timeout_ms=5000):
            await press(page.get_by_role("button", name="SAVE"), what="SAVE", timeout_ms=5000)
        after = await read_table(table, what="the table", timeout_ms=5000)
        return first.rows[0].cells[1], after.rows[0].cells[1]

    assert _run(body) == ("PGE", "NTE")  # never the old table as the answer to the save


ASSIGNMENTS = """
<h2>Current Active Test Assignments for DOE, JANE</h2>
<table>
<tr><th>Test Program</th><th>Test Assignment Status</th><th>Condition Code</th>
    <th>Action ?</th></tr>
<tr><td>Smarter Balanced for Mathematics (Braille)</td><td>Assigned</td><td></td>
    <td><button data-row=0>COND. CODE</button></td></tr>
<tr><td>Smarter Balanced for Mathematics</td><td>Assigned</td><td></td>
    <td><button data-row=1>COND. CODE</button></td></tr>
</table>
<div role=dialog aria-labelledby=t hidden><h3 id=t>Select Condition Code</h3>
  <label>Select the condition code for this student. *
    <select><option value="">Choose</option><option value=17>PGEX: not this one</option>
    <option value=18>PGE: Parent/Guardian exemption</option></select></label>
  <button id=cancel>CANCEL</button> <button id=save>SAVE</button></div>
<script>
  let row = null;
  const dialog = document.querySelector('[role=dialog]');
  document.querySelectorAll('button[data-row]').forEach(b => b.addEventListener('click', () => {
    row = b.closest('tr'); dialog.hidden = false;
  }));
  document.getElementById('save').addEventListener('click', () => {
    const s = document.querySelector('select');
    row.cells[2].textContent = s.options[s.selectedIndex].text.split(':')[0];
    dialog.hidden = true;
  });
</script>
"""


def test_cond_code_is_pressed_on_the_test_named_exactly_and_the_code_chosen_by_label() -> None:
    from flows.pages.students import TestAssignments

    async def body(page: Page) -> list[tuple[str, str]]:
        await page.set_content(ASSIGNMENTS)
        assignments = TestAssignments(page, timeout_ms=5000)
        await assignments.stage_code("Smarter Balanced for Mathematics", "PGE")
        return [(a.test, a.code) for a in await assignments.read()]

    assert _run(body) == [
        ("Smarter Balanced for Mathematics (Braille)", ""),
        ("Smarter Balanced for Mathematics", "PGE"),
    ]
