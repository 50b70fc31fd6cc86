"""What every TOMS page object shares: the content frame, and telling pages apart.

A person knows at a glance whether the page in front of them is the one they expected, an
error page, or the logon page after their session ended. :func:`arrive` does the same: it waits
until one of those is visible and raises the matching system failure for the last two.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping

from playwright.async_api import FrameLocator, Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from rpa.errors import PortalUnavailable, SessionExpired

__all__ = [
    "ERROR_TEXT", "EXPIRED_TEXT", "READ_TABLE_JS", "arrive", "column", "content_frame",
]

# The real TOMS shows each tab inside an iframe named theFrame.
CONTENT_FRAME = 'iframe[name="theFrame"]'
ERROR_TEXT = re.compile(
    r"internal server error|service unavailable|temporarily unavailable|an error has occurred"
    # Chromium's own page when the portal does not answer at all
    r"|site can.t be reached|refused to connect",
    re.IGNORECASE,
)
EXPIRED_TEXT = re.compile(r"session has expired", re.IGNORECASE)
LOGON_BUTTON = "Secure Logon"

# Reads a table the way a person reads it: header texts, then each row's cell texts and buttons.
READ_TABLE_JS = """
table => {
  const text = el => (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim();
  const rows = Array.from(table.rows);
  const headRow = rows.find(r => Array.from(r.cells).every(c => c.tagName === 'TH'));
  const heads = headRow ? Array.from(headRow.cells).map(text) : [];
  const body = rows.filter(r => r !== headRow).map(r => ({
    cells: Array.from(r.cells).map(text),
    buttons: Array.from(r.querySelectorAll('button, [role=button]')).map(b => ({
      name: text(b),
      disabled: b.disabled === true || b.getAttribute('aria-disabled') === 'true',
    })),
  }));
  return {caption: table.caption ? text(table.caption) : '', heads, body};
}
"""


def column(heads: list[str], name: str, where: str) -> int:
    """The index of the column headed ``name``; a portal without it is broken for us."""
    for index, head in enumerate(heads):
        if head.strip().lower() == name.lower():
            return index
    raise PortalUnavailable(f"{where} has no column {name!r} (columns: {', '.join(heads)})")


def content_frame(page: Page) -> FrameLocator:
    """The frame in which TOMS shows the current tab."""
    return page.frame_locator(CONTENT_FRAME)


def _any_of(locators: Mapping[str, Locator]) -> Locator:
    combined: Locator | None = None
    for locator in locators.values():
        combined = locator if combined is None else combined.or_(locator)
    assert combined is not None
    return combined.first


async def _wait_first(locators: list[Locator], timeout_ms: float) -> None:
    """Wait until any of ``locators`` is visible (they may live in different frames)."""
    tasks = [
        asyncio.ensure_future(loc.wait_for(state="visible", timeout=timeout_ms))
        for loc in locators
    ]
    try:
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if any(task.exception() is None for task in done):
                return
        raise tasks[0].exception() or TimeoutError("nothing appeared")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _wait_keyed(sides: list[Mapping[str, Locator]], timeout_ms: float) -> str:
    # One combined wait per frame keeps the browser's work per step small; then a quick look
    # tells which candidate it was.
    deadline = asyncio.get_running_loop().time() + timeout_ms / 1000
    while True:
        left = (deadline - asyncio.get_running_loop().time()) * 1000
        if left <= 0:
            raise TimeoutError("nothing appeared")
        await _wait_first([_any_of(side) for side in sides if side], left)
        for side in sides:
            for key, locator in side.items():
                if await locator.first.is_visible():
                    return key


async def arrive(
    page: Page,
    expected: Mapping[str, Locator],
    *,
    timeout_ms: float,
    where: str,
    reload_on_error: int = 3,
    logged_on: bool = True,
    in_frame: bool = True,
) -> str:
    """Wait for one of the ``expected`` locators; raise on an error page or the logon page.

    ``expected`` are all in the content frame (``in_frame``) or all on the page itself.
    ``where`` names the page for messages, e.g. "the search results". An error page that
    answered a page request is reloaded up to ``reload_on_error`` times, as a person presses
    Reload; pass 0 after a form that changes something, whose outcome must be re-read instead.
    With ``logged_on`` (the default) the logon page means the session ended; the logon steps
    pass False and expect it among ``expected`` instead.
    """
    frame = content_frame(page)
    side: dict[str, Locator] = dict(expected)
    top: dict[str, Locator] = {"__error": page.get_by_role("heading", name=ERROR_TEXT)}
    if logged_on:
        top["__logon"] = page.get_by_role("button", name=LOGON_BUTTON)
    if in_frame:
        side["__frame_error"] = frame.get_by_role("heading", name=ERROR_TEXT)
        if logged_on:
            side["__expired"] = frame.get_by_text(EXPIRED_TEXT)
    else:
        side.update(top)
        top = {}
    reloads = 0
    while True:
        try:
            key = await _wait_keyed([side, top], timeout_ms)
        except (TimeoutError, PlaywrightTimeout):
            raise PortalUnavailable(
                f"{where} did not appear within {timeout_ms / 1000:.0f} s"
            ) from None
        if key in ("__expired", "__logon"):
            raise SessionExpired(f"the portal asked to log on again instead of showing {where}")
        if key not in ("__error", "__frame_error"):
            return key
        if reloads >= reload_on_error:
            raise PortalUnavailable(f"the portal showed an error page instead of {where}")
        reloads += 1
        await asyncio.sleep(0.2 * reloads)  # back off before asking again
        await _reload(page, in_frame=key == "__frame_error", timeout_ms=timeout_ms)


async def _reload(page: Page, *, in_frame: bool, timeout_ms: float) -> None:
    """Ask again for the page that answered with an error (only ever a page request)."""
    try:
        target = page.frame(name="theFrame") if in_frame else None
        if target is not None and target.url.startswith("chrome-error:"):
            # The frame never reached the portal; its address is gone. Start over instead.
            raise PortalUnavailable("the portal did not answer")
        if target is not None:
            await target.goto(target.url, timeout=timeout_ms)
        else:
            await page.reload(timeout=timeout_ms)
    except PlaywrightTimeout:
        raise PortalUnavailable("the portal did not answer a reload") from None
