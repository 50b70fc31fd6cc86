"""What every TOMS page object shares: the content frame, and telling pages apart.

A person knows at a glance whether the page in front of them is the one they expected, an
error page, or the logon page after their session ended. :func:`arrive` does the same: it waits
until one of those is visible and raises the matching system failure for the last two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, FrameLocator, Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from rpa.errors import PortalUnavailable, SessionExpired, SystemFailure

__all__ = [
    "ERROR_TEXT", "EXPIRED_TEXT", "READ_TABLE_JS", "acting", "activate", "arrive", "cells_of",
    "column", "content_frame", "current_frame", "leaving", "read_rows",
]

log = logging.getLogger(__name__)

# The real TOMS shows each tab inside an iframe named theFrame.
FRAME_NAME = "theFrame"
CONTENT_FRAME = f'iframe[name="{FRAME_NAME}"]'
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


async def cells_of(rows: Locator) -> list[list[str]]:
    """Each of ``rows``'s cell texts, as shown, in one look.

    It asks for the rows' rendered text, as a person reads them (cells are tab-separated in
    it), and runs where every locator query runs: a page script of our own (like
    :data:`READ_TABLE_JS`) costs the browser about 15 ms more the first time on each page.
    """
    texts = await rows.all_inner_texts()
    return [[" ".join(cell.split()) for cell in text.split("\t")] for text in texts]


async def read_rows(table: Locator) -> tuple[list[str], list[list[str]]]:
    """A table's header texts and each body row's cell texts (see :func:`cells_of`)."""
    rows = await cells_of(table.get_by_role("row"))
    if not rows:
        return [], []
    return rows[0], rows[1:]


def column(heads: list[str], name: str, where: str) -> int:
    """The index of the column headed ``name``; a portal without it is broken for us."""
    for index, head in enumerate(heads):
        if head.strip().lower() == name.lower():
            return index
    raise PortalUnavailable(f"{where} has no column {name!r} (columns: {', '.join(heads)})")


def content_frame(page: Page) -> FrameLocator:
    """The frame in which TOMS shows the current tab, found again at each use."""
    return page.frame_locator(CONTENT_FRAME)


def current_frame(page: Page) -> Frame | FrameLocator:
    """The content frame as it is now: cheaper to ask than :func:`content_frame`.

    Each question asked through a frame locator first finds the iframe in the top page; the
    frame itself skips that (measured: 5 ms of browser CPU a question instead of 8, 9 ms a
    click instead of 14). It stays the same while the frame goes from page to page, and ends
    when the whole window loads another page (a top tab, the logon page): page objects made
    from it serve until then. Before the frame is there, this is the locator.
    """
    frame = page.frame(name=FRAME_NAME)
    if frame is None or frame.is_detached():
        return content_frame(page)
    return frame


@asynccontextmanager
async def leaving(page: Page, *, timeout_ms: float) -> AsyncIterator[None]:
    """Around a click that loads another page in the content frame: wait until it has left.

    Afterwards nothing of the old page can be mistaken for the new one (a results page also
    has the search heading), without asking the browser about the old page at all. A frame
    that goes away (the whole window moved, e.g. to the logon page) is left to :func:`arrive`.
    """
    frame = page.frame(name=FRAME_NAME)
    if frame is None:
        yield
        return
    try:
        async with frame.expect_navigation(wait_until="commit", timeout=timeout_ms):
            yield
    except PlaywrightTimeout:
        raise PortalUnavailable(
            f"the portal did not answer within {timeout_ms / 1000:.0f} s"
        ) from None
    except PlaywrightError as err:
        # The frame went away with its window (the logon page?), or the portal did not answer
        # (Chromium's error page): arrive() tells which and says so.
        log.debug("Leaving the page did not go as planned: %s", err)


async def activate(control: Locator, *, timeout_ms: float, what: str) -> None:
    """Click a link, button or tab found by its role and name, as the page sees a click.

    A role locator matches only what a person can see (hidden elements are left out), so
    this waits until the control is there and shown. What it skips is the pointer
    simulation of :meth:`Locator.click` (scrolling, two animation frames, a hit test, three
    mouse events), which costs the browser three times the CPU of the click itself: measured
    on two cores, 31 ms against 9 to 14 ms a click, nine clicks a student. Buttons that may
    be greyed out are located with ``disabled=False``, so a greyed-out one is never pressed.
    ``what`` names the control for the message when it never shows (see :func:`acting`).
    """
    async with acting(control.page, timeout_ms=timeout_ms, what=what):
        await control.dispatch_event("click", timeout=timeout_ms)


@asynccontextmanager
async def acting(
    page: Page, *, timeout_ms: float, what: str | None = None
) -> AsyncIterator[None]:
    """Around an action on a page: if the page went away meanwhile, say where the window went.

    The portal can send the whole window to its logon page (the session ended) or show an
    error page while a step is under way; the action then fails on a page that is gone, or
    waits in vain for its control. A person would look at the window: so does this, and raises
    :class:`SessionExpired` or :class:`PortalUnavailable` instead of the browser's own message.
    A control that never showed on the expected page is named by ``what`` ("the bottom
    SAVE"); without ``what``, that timeout and other failures pass as they are.
    """
    try:
        yield
    except PlaywrightTimeout as err:
        # The whole time went by already: a window still on its way somewhere gets one slice.
        found = await _where_it_went(page, min(timeout_ms, SLICE_MS))
        if found is not None:
            raise found from err
        if what is None:
            raise
        raise PortalUnavailable(
            f"the portal did not show {what} within {timeout_ms / 1000:g} s"
        ) from None
    except PlaywrightError as err:
        found = await _where_it_went(page, timeout_ms)
        if found is None:
            raise
        raise found from err


async def _where_it_went(page: Page, timeout_ms: float) -> SystemFailure | None:
    try:
        # The frame goes when the window's next page arrives: wait until it is parsed.
        await page.wait_for_load_state("domcontentloaded", timeout=timeout_ms)
        side, top = _elsewhere(page, current_frame(page), logged_on=True)
        key = await _which(top) or await _which(side)
    except PlaywrightError:
        return None  # the window is gone too: the original failure says more
    if key in EXPIRED_KEYS:
        return SessionExpired("the portal asked to log on again in the middle of a step")
    if key in ERROR_KEYS:
        return PortalUnavailable("the portal showed an error page in the middle of a step")
    return None


# The pages that come instead of the expected one: the session ended, or an error page.
EXPIRED_KEYS = ("__expired", "__logon")
ERROR_KEYS = ("__error", "__frame_error")


def _elsewhere(
    page: Page, frame: Frame | FrameLocator, *, logged_on: bool
) -> tuple[dict[str, Locator], dict[str, Locator]]:
    """What the content frame and the window show when the portal went elsewhere.

    With ``logged_on`` the logon page and the "session has expired" message count too.
    """
    side = {"__frame_error": frame.get_by_role("heading", name=ERROR_TEXT)}
    top = {"__error": page.get_by_role("heading", name=ERROR_TEXT)}
    if logged_on:
        side["__expired"] = frame.get_by_text(EXPIRED_TEXT)
        top["__logon"] = page.get_by_role("button", name=LOGON_BUTTON)
    return side, top


def _any_of(locators: Mapping[str, Locator]) -> Locator:
    combined: Locator | None = None
    for locator in locators.values():
        combined = locator if combined is None else combined.or_(locator)
    assert combined is not None
    return combined.first


# How long the expected page may take before the error and logon pages are looked for too.
# Looking only for the expected page costs the browser one query per step; a portal error
# page is rare, and is seen within this slice all the same.
SLICE_MS = 1000


async def _which(candidates: Mapping[str, Locator]) -> str | None:
    """The first of ``candidates`` that is visible now, if any."""
    for key, locator in candidates.items():
        if await locator.first.is_visible():
            return key
    return None


async def _wait_keyed(
    expected: Mapping[str, Locator], others: Sequence[Mapping[str, Locator]], timeout_ms: float
) -> str:
    """Wait for one of ``expected``; in every slice that passes without it, look at ``others``.

    ``expected`` all live in one frame (a single combined wait); each mapping of ``others``
    lives in one frame too (the content frame, the top page). When only one page is expected,
    the usual case costs the browser a single query.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    combined = _any_of(expected)
    while True:
        left = (deadline - loop.time()) * 1000
        if left <= 0:
            raise TimeoutError("nothing appeared")
        slice_ms = max(1.0, min(SLICE_MS, left))
        try:
            await combined.wait_for(state="visible", timeout=slice_ms)
        except PlaywrightError as err:
            gone = not isinstance(err, PlaywrightTimeout)  # the frame went with its window
            for side in others:
                try:
                    if side and await _any_of(side).is_visible():
                        key = await _which(side)
                        if key is not None:
                            return key
                except PlaywrightError:
                    continue  # a side in the frame that went away
            if gone:
                if not others or not others[-1]:
                    raise
                # Watch the window instead until it shows where it went, or time runs out.
                with contextlib.suppress(PlaywrightTimeout):
                    await _any_of(others[-1]).wait_for(state="visible", timeout=slice_ms)
            continue
        if len(expected) == 1:
            return next(iter(expected))
        key = await _which(expected)
        if key is not None:
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
    side, top = _elsewhere(page, current_frame(page), logged_on=logged_on)
    if in_frame:
        wanted, others = dict(expected), [side, top]
    else:
        # One frame for all: a single wait covers the error and logon pages as well.
        wanted, others = {**expected, **top}, []
    reloads = 0
    while True:
        try:
            key = await _wait_keyed(wanted, others, timeout_ms)
        except (TimeoutError, PlaywrightTimeout):
            raise PortalUnavailable(
                f"{where} did not appear within {timeout_ms / 1000:.0f} s"
            ) from None
        if key in EXPIRED_KEYS:
            raise SessionExpired(f"the portal asked to log on again instead of showing {where}")
        if key not in ERROR_KEYS:
            await _parsed(page, in_frame=in_frame, timeout_ms=timeout_ms)
            return key
        if reloads >= reload_on_error:
            raise PortalUnavailable(f"the portal showed an error page instead of {where}")
        reloads += 1
        await asyncio.sleep(0.2 * reloads)  # back off before asking again
        await _reload(page, in_frame=key == "__frame_error", timeout_ms=timeout_ms)


async def _parsed(page: Page, *, in_frame: bool, timeout_ms: float) -> None:
    """Wait until the page that showed up is parsed whole, its scripts run.

    What a person sees first can come before the rest of the page and before the scripts that
    make its buttons work. The browser already knows (no question to the page): this costs
    next to nothing.
    """
    target = page.frame(name=FRAME_NAME) if in_frame else page.main_frame
    if target is None or target.is_detached():
        return
    try:
        await target.wait_for_load_state("domcontentloaded", timeout=timeout_ms)
    except PlaywrightTimeout:
        raise PortalUnavailable("the page did not finish loading") from None


async def _reload(page: Page, *, in_frame: bool, timeout_ms: float) -> None:
    """Ask again for the page that answered with an error (only ever a page request)."""
    try:
        target = page.frame(name=FRAME_NAME) if in_frame else None
        if target is not None and target.url.startswith("chrome-error:"):
            # The frame never reached the portal; its address is gone. Start over instead.
            raise PortalUnavailable("the portal did not answer")
        # The session may have ended meanwhile: the window then leaves for the logon page.
        async with acting(page, timeout_ms=timeout_ms):
            if target is not None:
                await target.goto(target.url, timeout=timeout_ms)
            else:
                await page.reload(timeout=timeout_ms)
    except PlaywrightTimeout:
        raise PortalUnavailable("the portal did not answer a reload") from None
