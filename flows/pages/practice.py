"""The practice and training test session pages (the second quick guide).

Practice and Training Tests, the Test Administrator Training Site (its home, Select Tests, the
session page and its Approvals tab), as a test administrator sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.async_api import Locator, Page

from flows.pages.base import READ_TABLE_JS, arrive, column
from rpa.errors import InputError, PortalUnavailable

__all__ = ["Approvals", "PracticeTestsPage", "SelectTests", "SessionPage", "TaHome", "Waiting"]

PRACTICE_TILE = "Practice and Training Tests"
START_SESSION_LINK = "Start a Practice or Training Test Session"
GUEST = "Guest"


class PracticeTestsPage:
    """Steps 2 and 3: the Practice and Training Tests page and its session button."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.tile = page.get_by_role("link", name=PRACTICE_TILE, exact=True)
        self.start_link = page.get_by_role("link", name=START_SESSION_LINK)

    async def open_from_home(self) -> None:
        """Select the tile on the portal home page."""
        await self.tile.click(timeout=self.timeout_ms)
        await arrive(
            self.page, {"page": self.start_link}, timeout_ms=self.timeout_ms,
            where="the Practice and Training Tests page", logged_on=False, in_frame=False,
        )

    async def start_session(self) -> None:
        """Select "Start a Practice or Training Test Session" (the logon may follow)."""
        await self.start_link.click(timeout=self.timeout_ms)


class TaHome:
    """Step 5: the Test Administrator Training Site's home."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.in_person = page.get_by_role("button", name="Start an In-Person Session")
        self.remote = page.get_by_role("button", name="Start a Remote Session")
        self.home_link = page.get_by_role("link", name="Training Site Home")

    @property
    def marker(self) -> Locator:
        """What shows a person they are on this page."""
        return self.in_person

    async def start(self, *, remote: bool) -> SelectTests:
        """Start an in-person or a remote session; the test selection follows."""
        await (self.remote if remote else self.in_person).click(timeout=self.timeout_ms)
        select = SelectTests(self.page, timeout_ms=self.timeout_ms)
        await arrive(
            self.page, {"select": select.heading}, timeout_ms=self.timeout_ms,
            where="Select Tests", in_frame=False,
        )
        return select

    async def open_session(self, session_id: str) -> SessionPage:
        """Open one of "Your Active Sessions" by its ID."""
        link = self.page.get_by_role("link", name=session_id, exact=True)
        key = await arrive(
            self.page, {"link": link, "home": self.in_person}, timeout_ms=self.timeout_ms,
            where="the training site home", in_frame=False,
        )
        if key != "link" and not await link.count():
            raise InputError(
                f"There is no active practice session {session_id} for this test administrator"
            )
        await link.click(timeout=self.timeout_ms)
        session = SessionPage(self.page, timeout_ms=self.timeout_ms)
        await session.wait()
        return session


class SelectTests:
    """Step 6: the practice or training tests of the session."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.heading = page.get_by_role("heading", name="Select Tests")
        self.checkboxes = page.get_by_role("checkbox")
        self.submit = page.get_by_role("button", name="Start Session")

    async def available(self) -> list[str]:
        """The names of every test offered."""
        names = []
        for box in await self.checkboxes.all():
            label = await box.evaluate(
                "b => (b.labels && b.labels[0] ? b.labels[0].innerText : '').trim()"
            )
            if label:
                names.append(str(label))
        return names

    async def choose(self, wanted: list[str]) -> SessionPage:
        """Tick the tests named (exactly, or by a part that names just one) and start."""
        offered = await self.available()
        chosen = [_pick(name, offered) for name in wanted]
        for name in chosen:
            await self.page.get_by_role("checkbox", name=name, exact=True).check(
                timeout=self.timeout_ms
            )
        await self.submit.click(timeout=self.timeout_ms)
        session = SessionPage(self.page, timeout_ms=self.timeout_ms)
        await session.wait()
        return session


def _pick(wanted: str, offered: list[str]) -> str:
    """The offered test a person means by ``wanted``: the exact name, or the one it is part of."""
    norm = " ".join(wanted.replace("\u2013", "-").split()).casefold()
    exact = [o for o in offered if " ".join(o.replace("\u2013", "-").split()).casefold() == norm]
    if exact:
        return exact[0]
    partial = [o for o in offered if norm in o.replace("\u2013", "-").casefold()]
    if len(partial) == 1:
        return partial[0]
    found = "several" if partial else "none"
    sample = "; ".join(partial[:5] if partial else offered[:8])
    raise InputError(
        f"The test {wanted!r} matches {found} of the tests offered ({sample}...). "
        "Give the name as the training site shows it."
    )


@dataclass(frozen=True)
class Waiting:
    """A student waiting for approval, as the Approvals tab lists them."""

    first_name: str
    ssid: str
    test: str

    @property
    def guest(self) -> bool:
        """Whether the student signed in as a guest."""
        return self.ssid.strip().casefold() == GUEST.casefold()


class SessionPage:
    """Step 7: the session, its Practice Session ID, link and tabs; stopping it."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.heading = page.get_by_role("heading", name="Practice Session", exact=True)
        self.session_id = page.get_by_label("Practice Session ID")
        self.link = page.get_by_role("link", name="Session Link")
        self.approvals_tab = page.get_by_role("tab", name=re.compile(r"^Approvals"))
        self.stop_button = page.get_by_role("button", name="Stop Session", exact=True)
        self.confirm_stop = page.get_by_role("button", name="Yes, Stop Session")
        self.ended = page.get_by_text("This session has ended.")

    async def wait(self) -> None:
        """Wait for the session page."""
        await arrive(
            self.page, {"session": self.session_id}, timeout_ms=self.timeout_ms,
            where="the practice session page", in_frame=False,
        )

    async def read(self) -> tuple[str, str | None]:
        """The Practice Session ID and, for a remote session, the session link."""
        session_id = (await self.session_id.inner_text()).strip()
        link = await self.link.get_attribute("href") if await self.link.count() else None
        if link and not link.startswith("http"):
            link = re.sub(r"/+$", "", self.page.url.split("/ta-training", 1)[0]) + link
        return session_id, link

    async def open_approvals(self) -> Approvals:
        """The Approvals tab (step 8)."""
        await self.approvals_tab.click(timeout=self.timeout_ms)
        approvals = Approvals(self.page, timeout_ms=self.timeout_ms)
        await approvals.wait()
        return approvals

    async def stop(self) -> None:
        """Stop Session, and confirm."""
        if await self.ended.count():
            return
        await self.stop_button.click(timeout=self.timeout_ms)
        async with self.page.expect_navigation(timeout=self.timeout_ms):
            await self.confirm_stop.click(timeout=self.timeout_ms)
        await arrive(
            self.page, {"ended": self.ended}, timeout_ms=self.timeout_ms,
            where="the end of the session", in_frame=False, reload_on_error=0,
        )


class Approvals:
    """The Approvals tab: students waiting, approve, deny with a reason, refresh."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.table = page.get_by_role("table", name="Students Awaiting Approval")
        self.none_waiting = page.get_by_text("No students are waiting for approval.")
        self.refresh_button = page.get_by_role("button", name="Refresh")
        self.ended = page.get_by_text("This session has ended.")
        self.deny_dialog = page.get_by_role("dialog", name="Deny Student")

    async def wait(self) -> str:
        """Wait for the tab; return "waiting", "none" or "ended"."""
        return await arrive(
            self.page,
            {"waiting": self.table, "none": self.none_waiting, "ended": self.ended},
            timeout_ms=self.timeout_ms, where="the Approvals tab", in_frame=False,
        )

    async def refresh(self) -> str:
        """Press Refresh and wait for the list."""
        if await self.ended.count():
            return "ended"
        async with self.page.expect_navigation(timeout=self.timeout_ms):
            await self.refresh_button.click(timeout=self.timeout_ms)
        return await self.wait()

    async def read(self) -> list[Waiting]:
        """The students waiting, in the order listed."""
        if not await self.table.count():
            return []
        table = await self.table.evaluate(READ_TABLE_JS)
        heads: list[str] = table["heads"]
        where = "Students Awaiting Approval"
        first = column(heads, "First Name", where)
        ssid, test = column(heads, "SSID", where), column(heads, "Test", where)
        return [
            Waiting(row["cells"][first], row["cells"][ssid], row["cells"][test])
            for row in table["body"]
            if len(row["cells"]) >= len(heads)
        ]

    def _row(self, student: Waiting) -> Locator:
        cells = self.table.get_by_role("row")
        for text in (student.first_name, student.ssid, student.test):
            cells = cells.filter(has=self.page.get_by_role("cell", name=text, exact=True))
        return cells.first

    async def approve(self, student: Waiting) -> None:
        """Approve one student."""
        row = self._row(student)
        async with self.page.expect_navigation(timeout=self.timeout_ms):
            await row.get_by_role("button", name="Approve").click(timeout=self.timeout_ms)
        await self._after_decision()

    async def deny(self, student: Waiting, reason: str) -> None:
        """Deny one student, giving the reason."""
        row = self._row(student)
        await row.get_by_role("button", name="Deny").click(timeout=self.timeout_ms)
        await self.deny_dialog.get_by_label("Reason (optional)").fill(reason)
        async with self.page.expect_navigation(timeout=self.timeout_ms):
            await self.deny_dialog.get_by_role("button", name="Deny", exact=True).click(
                timeout=self.timeout_ms
            )
        await self._after_decision()

    async def _after_decision(self) -> None:
        # The decision is a form: an error page here is not reloaded; the next refresh
        # shows whether it went through (the student is then no longer waiting).
        try:
            await arrive(
                self.page, {"waiting": self.table, "none": self.none_waiting,
                            "ended": self.ended},
                timeout_ms=self.timeout_ms, where="the Approvals tab", in_frame=False,
                reload_on_error=0,
            )
        except PortalUnavailable:
            await self.refresh()
