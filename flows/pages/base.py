"""What every page object shares: the content, telling pages apart, acting as a person does.

A person knows at a glance whether the page in front of them is the one they expected, an
error page, or the logon page after their session ended, and whether the page is still busy.
They press a button only when they can see it, it is not greyed out and nothing covers it, and
they read an answer only once the page has stopped changing. The functions here do the same,
with nothing but what every accessible page has: roles, names, labels, and ``aria-busy``.

When the expected page does not come, they say so: what was looked for (role and words) and
what the page shows instead, and whether the portal was still busy (slow) or had settled on
something else (not recognized).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from playwright.async_api import ElementHandle, Frame, Locator, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from flows import words
from flows.pages.describe import describe, first_line
from flows.pages.spec import BUSY, Spec, content_frame, locate
from flows.pages.watch import watch
from rpa.errors import PageNotRecognized, PortalUnavailable, SessionExpired, SystemFailure

__all__ = [
    "MATCHED", "Expect", "ReplacedView", "acting", "arrive", "fill", "press", "replaced",
]

log = logging.getLogger(__name__)

# How long the expected page may take before the error and logon pages are looked for too.
# Looking only for the expected page costs the browser one query per step; an error page is
# rare, and is seen within this slice all the same.
SLICE_MS = 1000
# A page that has stopped loading (no request in flight, nothing busy) for this long and still
# does not show what was expected is not slow: it is another page.
SETTLED_MS = 5000


# --- Acting as a person does ------------------------------------------------------------------

# Press a control only when a person could: shown, enabled (disabled or aria-disabled), not in a
# region still loading, and not covered (a loading overlay, a modal dialog over the page). A
# click event instead of Playwright's pointer simulation costs the browser a third of the CPU;
# this makes the same checks Playwright's click would, and one more (aria-busy).
_PRESS_JS = """
(el, press) => {
  if (!el.isConnected) return 'gone';
  if (el.closest('[aria-busy=true]')) return 'busy';
  if (el.disabled === true || el.matches(':disabled') || el.closest('[aria-disabled=true]'))
    return 'disabled';
  let box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return 'hidden';
  const view = el.ownerDocument.defaultView;
  if (box.top < 0 || box.left < 0 || box.bottom > view.innerHeight || box.right > view.innerWidth) {
    el.scrollIntoView({block: 'center', inline: 'center'});
    box = el.getBoundingClientRect();
  }
  const x = Math.min(Math.max(box.left + box.width / 2, 0), view.innerWidth - 1);
  const y = Math.min(Math.max(box.top + box.height / 2, 0), view.innerHeight - 1);
  const hit = el.ownerDocument.elementFromPoint(x, y);
  if (hit && hit !== el && !el.contains(hit) && !(hit.control && hit.control === el)) {
    const label = (hit.getAttribute('role') || hit.tagName.toLowerCase()) + ' "' +
      ((hit.getAttribute('aria-label') || hit.innerText || '').trim().slice(0, 40)) + '"';
    return 'covered by ' + label;
  }
  if (press) el.click();
  return '';
}
"""
# The same, on what a locator finds, in one call: it must find exactly one. (A locator's
# evaluate_all costs the browser a third of its evaluate, which adopts the element first.)
_PRESS_ALL_JS = f"""
(els, outside) => {{
  if (outside) els = els.filter(e => !e.closest('[role=dialog], [role=alertdialog], dialog'));
  if (els.length === 0) return 'none';
  if (els.length > 1) return 'several';
  return ({_PRESS_JS})(els[0], true);
}}
"""


@asynccontextmanager
async def acting(page: Page, *, timeout_ms: float, what: str) -> AsyncIterator[None]:
    """Around an action on a page: when it fails, say why as a person would.

    The portal can send the whole window to its logon page (the session ended) or show an
    error page while a step is under way; the action then fails on a page that is gone, or
    waits in vain for its control. This looks at the window and raises
    :class:`SessionExpired` or :class:`PortalUnavailable`; a control that never showed on a
    page that had stopped loading is :class:`PageNotRecognized`, naming ``what`` was looked
    for and what the page shows instead.
    """
    try:
        yield
    except PlaywrightTimeout as err:
        # The whole time went by already: a window still on its way somewhere gets one slice.
        found = await _where_it_went(page, min(timeout_ms, SLICE_MS))
        if found is not None:
            raise found from err
        raise await _not_found(page, what, timeout_ms, where="") from None
    except PlaywrightError as err:
        found = await _where_it_went(page, timeout_ms)
        if found is None:
            raise PortalUnavailable(
                f"{first_line(err)} (while using {what})"
            ) from None
        raise found from err


async def _not_found(page: Page, what: str, timeout_ms: float, *, where: str) -> SystemFailure:
    """A slow portal, or a page that is not the one expected: which, and what it shows."""
    on = f" on {where}" if where else ""
    frames = [page.main_frame, content_frame(page)]
    if any(f.url.startswith("chrome-error:") for f in frames if not f.is_detached()):
        return PortalUnavailable(f"the portal did not answer; it did not show {what}{on}")
    if watch(page).quiet_s < 1.0:
        return PortalUnavailable(
            f"the portal was still loading after {timeout_ms / 1000:g} s; it did not show "
            f"{what}{on}"
        )
    shown = await describe(page)
    return PageNotRecognized(
        f"the portal did not show {what}{on}; the page shows: {shown}",
        signature=f"{what}|{where}",
    )


async def press(
    control: Locator, *, what: str, timeout_ms: float, outside_dialogs: bool = False,
    if_shown: bool = False,
) -> bool:
    """Press a button, link or tab found by role and name, once a person could press it.

    ``control`` must find exactly one element (two SAVE buttons shown are not one); with
    ``outside_dialogs``, one not inside a dialog (the page's own SAVE while a dialog's SAVE
    is shown too). With ``if_shown``, a control not on the page is not waited for: returns
    False at once.
    """
    seen = watch(control.page)
    seen.acted()
    async with acting(control.page, timeout_ms=timeout_ms, what=what):
        why = str(await control.evaluate_all(_PRESS_ALL_JS, outside_dialogs))
        if why == "none":
            if if_shown:
                return False
            # Not there yet: wait until it shows (a role locator finds only what is shown).
            await _until_shown(control, timeout_ms)
            why = str(await control.evaluate_all(_PRESS_ALL_JS, outside_dialogs))
        if not why:
            return True
        if why == "several":
            raise PageNotRecognized(
                f"the page shows more than one of {what}; toms-rpa presses only the one a "
                "person would be sure of", signature=f"several|{what}",
            )
        # Not yet pressable: wait until it is (the overlay goes, the region stops loading).
        log.debug("%s is %s; waiting", what, why)
        handle = await control.element_handle(timeout=timeout_ms)
        try:
            frame = await handle.owner_frame()
            if frame is None:
                raise PortalUnavailable(f"{what} went away before it could be pressed")
            try:
                await frame.wait_for_function(
                    f"el => ({_PRESS_JS})(el, false) === ''", arg=handle, timeout=timeout_ms,
                    polling="raf",
                )
            except PlaywrightTimeout:
                raise PortalUnavailable(
                    f"{what} could not be pressed within {timeout_ms / 1000:g} s: it is {why}"
                ) from None
            why = str(await handle.evaluate(_PRESS_JS, True))
        finally:
            with contextlib.suppress(PlaywrightError):
                await handle.dispose()
        if why:
            raise PortalUnavailable(f"{what} could not be pressed: it is {why}")
        return True


async def fill(field_: Locator, value: str, *, what: str, timeout_ms: float) -> None:
    """Type ``value`` into a field (Playwright's fill waits until it is shown and editable)."""
    async with acting(field_.page, timeout_ms=timeout_ms, what=what):
        await _until_shown(field_, timeout_ms)  # at once when it is there
        await field_.fill(value, timeout=timeout_ms)


async def _until_shown(control: Locator, timeout_ms: float) -> None:
    """Wait until ``control`` shows; raise at once when the window went elsewhere instead.

    A person sees the logon page (the session ended) or an error page as soon as it comes;
    waiting the whole time for a control that page will never show would only lose it. Raises
    PlaywrightTimeout when the time runs out (``acting`` then says what the page shows).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    while True:
        left = (deadline - loop.time()) * 1000
        try:
            await control.first.wait_for(state="visible", timeout=max(1.0, min(SLICE_MS, left)))
            return
        except PlaywrightTimeout:
            if left <= SLICE_MS:
                raise
        found = await _where_it_went(control.page, SLICE_MS)
        if found is not None:
            raise found


# --- Arriving on a page -----------------------------------------------------------------------

Factory = Callable[[Frame], Locator]


@dataclass(frozen=True)
class Expect:
    """One page (or answer) that may come next: how to find it, and what to call it."""

    what: str
    find: Factory
    key: str = ""

    @classmethod
    def of(cls, spec: Spec) -> Expect:
        """What a :class:`Spec` finds (``key``: its word list entry)."""
        return cls(spec.described, lambda scope: locate(scope, spec), spec.key)


# When set (by doctor), every arrival adds the word list entry of what it found.
MATCHED: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "matched", default=None
)


# The pages that come instead of the expected one: the session ended, or an error page.
EXPIRED_KEYS = ("__expired", "__logon")
ERROR_KEYS = ("__error", "__frame_error")

_LOGON_BUTTON = Spec.button("the logon button", "logon.button")
_LOGON_PASSWORD = Spec.labelled("the password field", "logon.password")


def _errors(scope: Frame) -> Locator:
    pattern = words.pattern("page.error")
    return (
        scope.get_by_role("heading", name=pattern)
        .or_(scope.get_by_role("alert").filter(has_text=pattern))
        .or_(scope.get_by_role("status").filter(has_text=pattern))
    )


def _elsewhere(
    page: Page, frame: Frame, *, logged_on: bool
) -> tuple[dict[str, Locator], dict[str, Locator]]:
    """What the content and the window show when the portal went elsewhere.

    With ``logged_on`` the logon page and a "session has expired" message count too.
    """
    side: dict[str, Locator] = {}
    if frame != page.main_frame:
        side["__frame_error"] = _errors(frame)
    top = {"__error": _errors(page.main_frame)}
    if logged_on:
        if frame != page.main_frame:
            side["__expired"] = frame.get_by_text(words.pattern("page.expired"))
        top["__logon"] = locate(page.main_frame, _LOGON_PASSWORD).or_(
            locate(page.main_frame, _LOGON_BUTTON)
        )
    return side, top


def _any_of(locators: Sequence[Locator]) -> Locator:
    combined = locators[0]
    for locator in locators[1:]:
        combined = combined.or_(locator)
    return combined.first


async def _which(candidates: Mapping[str, Locator]) -> str | None:
    """The first of ``candidates`` that is visible now, if any."""
    for key, locator in candidates.items():
        if await locator.first.is_visible():
            return key
    return None


async def _where_it_went(page: Page, timeout_ms: float) -> SystemFailure | None:
    try:
        # The frame goes when the window's next page arrives: wait until it is parsed.
        await page.wait_for_load_state("domcontentloaded", timeout=timeout_ms)
        side, top = _elsewhere(page, content_frame(page), logged_on=True)
        key = await _which(top) or await _which(side)
    except PlaywrightError:
        return None  # the window is gone too: the original failure says more
    if key in EXPIRED_KEYS:
        return SessionExpired("the portal asked to log on again in the middle of a step")
    if key in ERROR_KEYS:
        return PortalUnavailable("the portal showed an error page in the middle of a step")
    return None


def _scope(page: Page, in_frame: bool) -> Frame:
    return content_frame(page) if in_frame else page.main_frame


async def arrive(
    page: Page,
    expected: Mapping[str, Expect],
    *,
    timeout_ms: float,
    where: str,
    reload_on_error: int = 3,
    redo: Callable[[], Awaitable[None]] | None = None,
    logged_on: bool = True,
    in_frame: bool = True,
    settled_key: str | None = None,
    settle_s: float = 0.0,
    since: int | None = None,
    which: bool = True,
) -> str:
    """Wait for one of ``expected``; raise on an error page, the logon page, or another page.

    ``expected`` are all in the content (``in_frame``) or all in the window itself; the
    content is looked for again in every slice, since a portal may put it in a frame only a
    moment later. ``where`` names the page for messages, e.g. "the search results".

    An error page is dealt with as a person would. When the error came as a document (the
    frame loaded it), it is reloaded, up to ``reload_on_error`` times; pass 0 after a form
    that changes something, whose outcome must be re-read instead. When it came inside a
    view the portal fills by script (no document of its own, so a reload cannot bring the
    view back), the step is done again with ``redo`` (search again, open the tab again).

    With ``logged_on`` (the default) the logon page means the session ended; the logon steps
    pass False and expect it among ``expected`` instead.

    With ``settled_key``, a page that has answered the action (something happened since the
    :attr:`Watch.events` count ``since``) and then stayed quiet for ``settle_s`` without any of
    ``expected`` returns ``settled_key``: the portal said nothing, and that is its answer.
    """
    seen = watch(page)
    if time.monotonic() - seen.last_action_at < 1.0:
        # Right after a press: look once its answer has come, not while it is on its way.
        await seen.answered(timeout_s=timeout_ms / 1000)
    since = seen.last_action if since is None else since
    settled = (settled_key, settle_s, since) if settled_key else None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    retries = 0
    while True:
        key = await _wait_keyed(page, expected, in_frame=in_frame, logged_on=logged_on,
                                deadline=deadline, settled=settled, since=since, which=which)
        if key is None:
            what = " or ".join(e.what for e in expected.values())
            raise await _not_found(page, what, timeout_ms, where=where)
        if key in EXPIRED_KEYS:
            raise SessionExpired(f"the portal asked to log on again instead of showing {where}")
        if key not in ERROR_KEYS:
            matched = MATCHED.get()
            if matched is not None and key and expected[key].key:
                matched.append(expected[key].key)
            return key
        scope = _scope(page, in_frame) if key == "__frame_error" else page.main_frame
        # An error that came as the document itself is asked for again; one that came inside
        # a view of a page still there is not a document a reload could bring back.
        in_view = redo is not None and not seen.document_failed(scope)
        limit = max(reload_on_error, 1) if in_view else reload_on_error
        if retries >= limit:
            raise PortalUnavailable(f"the portal showed an error page instead of {where}")
        retries += 1
        await asyncio.sleep(0.2 * retries)  # back off before asking again
        since = seen.events
        if in_view and redo is not None:
            log.debug("An error inside the view instead of %s: doing the step again", where)
            await redo()
        else:
            await _reload(page, in_frame=key == "__frame_error", timeout_ms=timeout_ms)
        deadline = loop.time() + timeout_ms / 1000


async def _wait_keyed(
    page: Page,
    expected: Mapping[str, Expect],
    *,
    in_frame: bool,
    logged_on: bool,
    deadline: float,
    settled: tuple[str, float, int] | None = None,
    since: int = 0,
    which: bool = True,
) -> str | None:
    """Wait for one of ``expected``; in every slice that passes without it, look around.

    The usual case costs the browser a single query. Returns None when the time is up, or
    when the page has stopped loading long enough to be sure it is another page.
    """
    loop = asyncio.get_running_loop()
    seen = watch(page)
    while True:
        left = (deadline - loop.time()) * 1000
        if left <= 0:
            return None
        scope = _scope(page, in_frame)
        wanted = {k: e.find(scope) for k, e in expected.items()}
        if not in_frame:
            # One frame for all: a single wait covers the other pages too.
            wanted.update(_elsewhere(page, scope, logged_on=logged_on)[1])
        elif scope == page.main_frame:
            # The window shows no content frame (the logon page after the session ended?):
            # the pages that come instead are looked at first, since they hold alerts too.
            wanted = {**_elsewhere(page, scope, logged_on=logged_on)[1], **wanted}
        try:
            await _any_of(list(wanted.values())).wait_for(
                state="visible", timeout=max(1.0, min(SLICE_MS, left))
            )
        except PlaywrightError as err:
            gone = not isinstance(err, PlaywrightTimeout)  # the frame went with its window
            for others in (_elsewhere(page, scope, logged_on=logged_on) if in_frame else ()):
                with contextlib.suppress(PlaywrightError):
                    found = await _which(others)
                    if found is not None:
                        return found
            if seen.error_since(since) and not await _loading(page):
                # The portal answered with a server error, whatever its page says.
                return "__frame_error" if in_frame else "__error"
            if gone:
                # Watch the window until it shows where it went, or time runs out.
                with contextlib.suppress(PlaywrightError):
                    await page.main_frame.wait_for_load_state(
                        "domcontentloaded", timeout=max(1.0, min(SLICE_MS, left))
                    )
                    top = _elsewhere(page, page.main_frame, logged_on=logged_on)[1]
                    found = await _which(top)
                    if found is not None:
                        return found
            elif settled is not None and seen.events > settled[2] \
                    and seen.quiet_s >= settled[1] and await _settled_without(
                        page, scope, wanted.values(), max(1.0, left)):
                return settled[0]
            elif seen.quiet_s * 1000 >= SETTLED_MS and await _settled_without(
                    page, scope, wanted.values(), max(1.0, left)):
                return None
            continue
        if not which and in_frame and scope != page.main_frame:
            key: str | None = ""
        else:
            key = next(iter(wanted)) if len(wanted) == 1 else await _which(wanted)
        if key is None:
            continue
        await _parsed(page, scope)
        return key


async def _settled_without(
    page: Page, scope: Frame, wanted: Iterable[Locator], timeout_ms: float
) -> bool:
    """Whether the page, quiet now, has truly finished and still shows none of ``wanted``.

    A quiet network is not enough on a starved machine: the page may still be parsing what
    came, or its script drawing it. So: its document parsed, nothing marked as loading, and
    one last look.
    """
    if scope.is_detached():
        return False
    with contextlib.suppress(PlaywrightError):
        await scope.wait_for_load_state("domcontentloaded", timeout=timeout_ms)
    if await _busy(page):
        return False
    try:
        return await _any_of(list(wanted)).count() == 0
    except PlaywrightError:
        return False


async def _loading(page: Page) -> bool:
    """Whether the window is still busy: a request in flight, or a region loading."""
    return watch(page).quiet_s < 0.2 or await _busy(page)


async def _parsed(page: Page, scope: Frame) -> None:
    """Wait until the page that showed up is parsed whole, its scripts run.

    What a person sees first can come before the rest of the page and before the scripts that
    make its buttons work. The browser already knows (no question to the page).
    """
    if scope.is_detached():
        return
    try:
        await scope.wait_for_load_state("domcontentloaded")
    except PlaywrightError:
        raise PortalUnavailable("the page did not finish loading") from None


async def _reload(page: Page, *, in_frame: bool, timeout_ms: float) -> None:
    """Ask again for the page that answered with an error (only ever a page request)."""
    try:
        target = content_frame(page) if in_frame else page.main_frame
        if target.url.startswith("chrome-error:"):
            # The frame never reached the portal; its address is gone. Start over instead.
            raise PortalUnavailable("the portal did not answer")
        # The session may have ended meanwhile: the window then leaves for the logon page.
        async with acting(page, timeout_ms=timeout_ms, what="the page reloaded"):
            if target != page.main_frame:
                await target.goto(target.url, timeout=timeout_ms)
            else:
                await page.reload(timeout=timeout_ms)
    except PlaywrightTimeout:
        raise PortalUnavailable("the portal did not answer a reload") from None


# --- Content that is being replaced ------------------------------------------------------------

@asynccontextmanager
async def replaced(
    stale: Locator, *, timeout_ms: float, settle_s: float = 0.0
) -> AsyncIterator[ReplacedView]:
    """Around an action that replaces what ``stale`` finds: wait until the old one is gone.

    What is shown before the action (the results of the last search, the table with staged
    codes) must never be read as its answer. Before the action this takes hold of what
    ``stale`` shows; after it, it waits until each is gone: its document left, or the portal's
    script put something new in its place. With ``settle_s``, it stops waiting once the page
    has been quiet (no request, nothing busy) that long with the old content still there, and
    says so (:attr:`ReplacedView.unchanged`), instead of waiting the whole timeout.
    """
    page = stale.page
    seen = watch(page)
    handles: list[ElementHandle] = []
    with contextlib.suppress(PlaywrightError):
        handles = await stale.element_handles()
    view = ReplacedView()
    started = seen.events  # before the action: what it sets off counts
    try:
        yield view
        if not handles:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        for handle in handles:
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    view.unchanged = True
                    return
                try:
                    await handle.wait_for_element_state(
                        "hidden", timeout=max(1.0, min(SLICE_MS, left * 1000))
                    )
                    break
                except PlaywrightTimeout:
                    # Quiet since the action, no page loaded since (its document would have
                    # taken the old content with it), nothing loading: the content stayed.
                    moved = any(at > started for at, _ in seen.moves)
                    quiet = seen.events > started and seen.quiet_s >= settle_s and not moved
                    if settle_s and quiet and not await _busy(page):
                        view.unchanged = True
                        return
                except PlaywrightError:
                    break  # its document is gone: replaced
    finally:
        for handle in handles:
            with contextlib.suppress(PlaywrightError):
                await handle.dispose()


@dataclass
class ReplacedView:
    """What :func:`replaced` found: whether the old content was still there at the end."""

    unchanged: bool = False


async def _busy(page: Page) -> bool:
    try:
        return await content_frame(page).locator(BUSY).count() > 0
    except PlaywrightError:
        return False
