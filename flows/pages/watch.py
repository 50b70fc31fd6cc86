"""What the window is doing, as its own events tell: requests in flight, pages loaded.

Kept by listening to the page's events (no question to the browser), so that a step can tell a
portal still at work from one that has settled on an unexpected page, look at a page once the
answer to a press has come rather than while it is on its way, and tell an error that came as
a page of its own from one that came inside a view.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Page, Request, Response

__all__ = ["Watch", "watch"]


@dataclass
class Watch:
    """The requests a page has in flight and its frames' navigations, as they happen.

    Kept by listening to the page's own events (no question to the browser), so that a step
    can tell a portal still at work from one that has settled on an unexpected page, and a
    view that loaded after a click from the one that was there before it.
    """

    inflight: dict[Request, float] = field(default_factory=dict)
    last: float = field(default_factory=time.monotonic)
    navigations: dict[Frame, int] = field(default_factory=dict)
    status: dict[Frame, int] = field(default_factory=dict)
    events: int = 0
    # The event count when a control was last pressed, and when the portal last answered with
    # a server error (5xx), to a page or to a script's request.
    last_action: int = 0
    last_action_at: float = 0.0
    last_error: int = -1
    # (event count, frame) of each navigation, the latest last; and a signal for every event.
    moves: list[tuple[int, Frame]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def _request(self, request: Request) -> None:
        self.inflight[request] = time.monotonic()
        self._touch()

    def _failed(self, request: Request) -> None:
        # The portal did not answer at all (refused, reset): a server error by another name.
        self.inflight.pop(request, None)
        self._touch()
        if request.is_navigation_request() or request.resource_type in ("fetch", "xhr"):
            if request.is_navigation_request():
                with contextlib.suppress(PlaywrightError):
                    self.status[request.frame] = 599
            self.last_error = self.events

    def _response(self, response: Response) -> None:
        request = response.request
        self.inflight.pop(request, None)
        if request.is_navigation_request():
            self.status[response.frame] = response.status
        if response.status >= 500 and (
            request.is_navigation_request() or request.resource_type in ("fetch", "xhr")
        ):
            self._touch()
            self.last_error = self.events

    def error_since(self, mark: int) -> bool:
        """Whether the portal answered with a server error since the event count ``mark``."""
        return self.last_error > mark

    def document_failed(self, frame: Frame) -> bool:
        """Whether the document ``frame`` shows came with an error status (5xx, 4xx)."""
        return self.status.get(frame, 200) >= 400

    def _navigated(self, frame: Frame) -> None:
        self.navigations[frame] = self.navigations.get(frame, 0) + 1
        self._touch()
        self.moves = [*self.moves[-9:], (self.events, frame)]

    def _touch(self) -> None:
        self.last = time.monotonic()
        self.events += 1
        self.changed.set()
        self.changed = asyncio.Event()

    def acted(self) -> None:
        """Note that a control was just pressed: what follows is its answer."""
        self.last_action = self.events
        self.last_action_at = time.monotonic()

    async def answered(self, *, timeout_s: float, idle_s: float = 0.015) -> None:
        """Wait until the window has answered the last press, as far as its events tell.

        A press that loads a page is answered once that page's document is parsed; one that
        asks the portal by script, once those requests are done; one that changes the page
        by itself (a tab shown), after a moment without any request. This waits on the
        page's own events, asking the browser nothing, so that the page is looked at once
        its answer is there rather than again and again while it loads.
        """
        mark = self.last_action
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return
            moved = [frame for at, frame in self.moves if at > mark]
            if moved and not self.inflight:
                frame = moved[-1]
                if not frame.is_detached():
                    with contextlib.suppress(PlaywrightError):
                        await frame.wait_for_load_state("domcontentloaded", timeout=left * 1000)
                return
            if self.events > mark and not self.inflight and not moved:
                return
            waited = idle_s if self.events == mark else left
            changed = self.changed
            try:
                await asyncio.wait_for(changed.wait(), timeout=min(waited, left))
            except TimeoutError:
                if self.events == mark or not self.inflight:
                    return

    def count(self, frame: Frame) -> int:
        """How many documents ``frame`` has loaded so far."""
        return self.navigations.get(frame, 0)

    @property
    def quiet_s(self) -> float:
        """Seconds since the page last asked for or received anything (0 while it waits)."""
        # Long-lived requests (a poll the page keeps open) do not make it busy for ever.
        now = time.monotonic()
        if any(now - started < 30 for started in self.inflight.values()):
            return 0.0
        return now - self.last


_WATCHES: weakref.WeakKeyDictionary[Page, Watch] = weakref.WeakKeyDictionary()


def watch(page: Page) -> Watch:
    """The :class:`Watch` of ``page``, started on first use."""
    found = _WATCHES.get(page)
    if found is None:
        found = _WATCHES[page] = Watch()
        # Four events a request at most (a response counts as its end: the body of a page
        # of the portal follows at once), each one Python call and no question to the page.
        page.on("request", found._request)
        page.on("response", found._response)
        page.on("requestfailed", found._failed)
        page.on("framenavigated", found._navigated)
    return found


