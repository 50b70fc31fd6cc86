"""The practice and training test session pages (the second quick guide).

Practice and Training Tests, the Test Administrator Training Site (its home, the choice of
tests, the session page and its Approvals tab), as a test administrator sees them. The guide
names the buttons of steps 3 and 5, the Practice Session ID and the Approvals tab; everything
else (the button that confirms the tests, the list of students waiting, approve and deny, the
deny dialog, stopping) is found by several wordings and by what a person uses next: the row of
the student, the dialog's one button that is not a way out.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from playwright.async_api import Frame, Locator, Page

from flows import words
from flows.pages import screens
from flows.pages.base import Expect, arrive, press, replaced
from flows.pages.describe import describe
from flows.pages.spec import cell_with, locate
from flows.pages.tables import read_table
from flows.pages.watch import watch
from rpa.errors import InputError, PageNotRecognized, PortalUnavailable

__all__ = ["Approvals", "PracticeTestsPage", "SelectTests", "SessionPage", "TaHome", "Waiting"]

# A decision or a refresh is answered once the list is replaced, or the portal has been quiet
# this long with it as it was (a portal that takes the student out of the list by script).
LIST_SETTLE_S = 1.5
SSID = re.compile(r"^\d{10}$")
_CHECKBOX = re.compile(r'^\s*-\s+checkbox\s+"((?:[^"\\]|\\.)*)"')


def _main(page: Page) -> Frame:
    return page.main_frame


class PracticeTestsPage:
    """Steps 2 and 3: the Practice and Training Tests page and its session button."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    async def open_from_home(self) -> None:
        """Select the tile on the portal home page."""
        await press(locate(self.page, screens.PortalHome.practice).first,
                    what=screens.PortalHome.practice.described, timeout_ms=self.timeout_ms)
        await arrive(
            self.page, {"page": Expect.of(screens.PracticeTests.start)},
            timeout_ms=self.timeout_ms, where="the Practice and Training Tests page",
            logged_on=False, in_frame=False,
        )

    async def start_session(self) -> None:
        """Select "Start a Practice or Training Test Session" (the logon may follow)."""
        await press(locate(self.page, screens.PracticeTests.start).first,
                    what=screens.PracticeTests.start.described, timeout_ms=self.timeout_ms)


class TaHome:
    """Step 5: the Test Administrator Training Site's home."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    @staticmethod
    def marker() -> Expect:
        """What shows a person they are on this page."""
        return Expect.of(screens.TaHome.in_person)

    async def start(self, *, remote: bool) -> SelectTests:
        """Start an in-person or a remote session; the choice of tests follows."""
        spec = screens.TaHome.remote if remote else screens.TaHome.in_person
        await press(locate(self.page, spec).first, what=spec.described,
                    timeout_ms=self.timeout_ms)
        select = SelectTests(self.page, timeout_ms=self.timeout_ms)
        await arrive(
            self.page, {"select": Expect("the tests to choose (checkboxes)",
                                         lambda scope: scope.get_by_role("checkbox"))},
            timeout_ms=self.timeout_ms, where="the choice of tests", in_frame=False,
            reload_on_error=0,
        )
        return select

    async def open_session(self, session_id: str) -> SessionPage:
        """Open one of the test administrator's active sessions by its ID."""
        named = re.compile(re.escape(session_id), re.IGNORECASE)

        def link(scope: Frame) -> Locator:
            return scope.get_by_role("link", name=named).or_(
                scope.get_by_role("button", name=named))

        key = await arrive(
            self.page, {"link": Expect(f"the session {session_id}", link),
                        "home": self.marker()},
            timeout_ms=self.timeout_ms, where="the training site home", in_frame=False,
        )
        found = link(_main(self.page))
        if key != "link" and not await found.count():
            raise InputError(
                f"There is no active practice session {session_id} for this test administrator"
            )
        await press(found.first, what=f"the session {session_id}", timeout_ms=self.timeout_ms)
        session = SessionPage(self.page, timeout_ms=self.timeout_ms)
        await session.wait()
        return session


class SelectTests:
    """Step 6: the practice or training tests of the session."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    async def available(self) -> list[str]:
        """The names of every test offered, as a screen reader reads them."""
        snapshot = await self.page.locator("body").aria_snapshot(timeout=self.timeout_ms)
        names = []
        for line in snapshot.splitlines():
            match = _CHECKBOX.match(line)
            if match:
                names.append(match.group(1).replace('\\"', '"'))
        return names

    async def choose(self, wanted: list[str]) -> SessionPage:
        """Tick the tests named (exactly, or by a part that names just one) and start."""
        offered = await self.available()
        chosen = [_pick(name, offered) for name in wanted]
        for name in chosen:
            await self.page.get_by_role("checkbox", name=name, exact=True).check(
                timeout=self.timeout_ms
            )
        await press(locate(self.page, screens.SelectTests.submit).first,
                    what=screens.SelectTests.submit.described, timeout_ms=self.timeout_ms)
        session = SessionPage(self.page, timeout_ms=self.timeout_ms)
        await session.wait(after_form=True)
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
        """Whether the student signed in as a guest (with no SSID to show)."""
        return not SSID.match(self.ssid.strip())


def _dialog(scope: Frame) -> Locator:
    return scope.get_by_role("dialog").or_(scope.get_by_role("alertdialog")).first


async def _dialog_button(page: Page, confirm_key: str, *, what: str) -> Locator:
    """The open dialog's button that goes ahead: named so, else its one button not a way out."""
    dialog = _dialog(_main(page))
    named = dialog.get_by_role("button", name=words.pattern(confirm_key))
    if await named.count() == 1:
        return named.first
    names = await dialog.get_by_role("button").evaluate_all(
        "bs => bs.map(b => (b.getAttribute('aria-label') || b.innerText || b.value || '')"
        ".replace(/\\s+/g, ' ').trim())"
    )
    ahead = [i for i, name in enumerate(names) if not words.matches("practice.cancel", name)]
    if len(ahead) == 1:
        return dialog.get_by_role("button").nth(ahead[0])
    shown = await describe(page)
    raise PageNotRecognized(
        f"the dialog for {what} has no button that goes ahead (buttons: "
        f"{', '.join(names) or 'none'}); the page shows: {shown}",
        signature=f"dialog|{what}",
    )


class SessionPage:
    """Step 7: the session, its Practice Session ID, link and tabs; stopping it."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    async def wait(self, *, after_form: bool = False) -> None:
        """Wait for the session page (its Practice Session ID)."""
        expected = {
            "session": Expect.of(screens.PracticeSession.session_id),
            "text": Expect.of(screens.PracticeSession.session_id_text),
        }
        await arrive(
            self.page, expected, timeout_ms=self.timeout_ms,
            where="the practice session page", in_frame=False,
            reload_on_error=0 if after_form else 3,
        )

    async def read(self) -> tuple[str, str | None]:
        """The Practice Session ID and, for a remote session, the session link."""
        session_id = await self._session_id()
        hrefs: list[str] = await self.page.get_by_role("link").evaluate_all(
            "ls => ls.map(l => l.href)"
        )
        link = next((h for h in hrefs if session_id in h), None)
        return session_id, link

    async def _session_id(self) -> str:
        labelled = locate(self.page, screens.PracticeSession.session_id)
        for text in await labelled.all_inner_texts():
            token = _token(text)
            if token:
                return token
        # "Practice Session ID: CA-ABC-123" in the text of the page itself.
        body = await self.page.locator("body").inner_text()
        pattern = words.pattern("practice.session_id")
        for line in body.splitlines():
            found = pattern.search(line)
            if found:
                token = _token(line[found.end():])
                if token:
                    return token
        shown = await describe(self.page)
        raise PageNotRecognized(
            f"the session page shows no Practice Session ID; the page shows: {shown}",
            signature="session id|the practice session page",
        )

    async def open_approvals(self) -> Approvals:
        """The Approvals tab (step 8)."""
        approvals = Approvals(self.page, timeout_ms=self.timeout_ms)
        await approvals.open_tab()
        return approvals

    async def ended(self) -> bool:
        """Whether the page says the session has ended."""
        return await locate(self.page, screens.PracticeSession.ended).count() > 0

    async def stop(self) -> None:
        """Stop the session, and confirm."""
        if await self.ended():
            return
        await press(locate(self.page, screens.PracticeSession.stop).first,
                    what=screens.PracticeSession.stop.described, timeout_ms=self.timeout_ms)
        await arrive(
            self.page, {"dialog": Expect("the dialog to confirm", _dialog),
                        "ended": Expect.of(screens.PracticeSession.ended)},
            timeout_ms=self.timeout_ms, where="the confirmation of stopping", in_frame=False,
            reload_on_error=0,
        )
        if await _dialog(_main(self.page)).is_visible():
            confirm = await _dialog_button(self.page, "practice.confirm_stop",
                                           what="stopping the session")
            await press(confirm, what="the confirmation of stopping",
                        timeout_ms=self.timeout_ms)
        await arrive(
            self.page, {"ended": Expect.of(screens.PracticeSession.ended),
                        "home": TaHome.marker()},
            timeout_ms=self.timeout_ms, where="the end of the session", in_frame=False,
            reload_on_error=0,
        )


def _token(text: str) -> str:
    found = re.search(r"[A-Z0-9][A-Z0-9-]{3,}", text.strip(" :\t\n"))
    return found.group(0) if found else ""


class Approvals:
    """The Approvals tab: students waiting, approve, deny with a reason, refresh."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    def _list(self) -> Locator:
        return locate(self.page, screens.Approvals.waiting).first

    async def _press_tab(self) -> None:
        await press(locate(self.page, screens.PracticeSession.approvals).first,
                    what=screens.PracticeSession.approvals.described,
                    timeout_ms=self.timeout_ms)

    async def open_tab(self) -> str:
        """Select the Approvals tab and wait for its list; return its state."""
        since = watch(self.page).events
        await self._press_tab()
        return await self.wait(since=since, redo=self._press_tab)

    async def wait(self, *, since: int | None = None,
                   redo: Callable[[], Awaitable[None]] | None = None,
                   after_form: bool = False) -> str:
        """Wait for the tab; return "waiting", "none" or "ended"."""
        expected = {
            "waiting": Expect.of(screens.Approvals.waiting),
            "none": Expect.of(screens.Approvals.none),
            "ended": Expect.of(screens.PracticeSession.ended),
        }
        key = await arrive(
            self.page, expected, timeout_ms=self.timeout_ms, where="the Approvals tab",
            in_frame=False, redo=redo, reload_on_error=0 if after_form else 3,
            settled_key="none", settle_s=LIST_SETTLE_S, since=since,
        )
        return key

    async def refresh(self) -> str:
        """Ask for the list again (Refresh, else the page reloaded, as a person does)."""
        if await locate(self.page, screens.PracticeSession.ended).count():
            return "ended"
        since = watch(self.page).events
        button = locate(self.page, screens.Approvals.refresh)
        async with replaced(self._list(), timeout_ms=self.timeout_ms, settle_s=LIST_SETTLE_S):
            if await button.count():
                await press(button.first, what=screens.Approvals.refresh.described,
                            timeout_ms=self.timeout_ms)
            else:
                await self.page.reload(timeout=self.timeout_ms)
        state = await self.wait(since=since)
        if state == "none" and await locate(self.page, screens.PracticeSession.approvals).count():
            # The reload may have shown the session's first tab: the Approvals tab again.
            selected = await locate(self.page, screens.PracticeSession.approvals).first \
                .get_attribute("aria-selected")
            if selected == "false":
                return await self.open_tab()
        return state

    async def read(self) -> list[Waiting]:
        """The students waiting, in the order listed."""
        table = await read_table(self._list(), what="the students waiting",
                                 timeout_ms=self.timeout_ms, wait=False)
        if table is None:
            return []
        where = "the students waiting for approval"
        ssid = table.column("practice.ssid", where)
        first = table.column("practice.first_name", where)
        test = _optional(table.heads, "practice.test")
        out = []
        for row in table.rows:
            if len(row.cells) <= max(ssid, first):
                continue  # a row that says the list is empty
            out.append(Waiting(row.cells[first], row.cells[ssid],
                               row.cells[test] if test is not None else ""))
        return out

    def _row(self, student: Waiting) -> Locator:
        rows = self._list().get_by_role("row")
        main = _main(self.page)
        for text in (student.first_name, student.ssid, student.test):
            if text:
                rows = rows.filter(has=cell_with(main, text))
        return rows.first

    async def approve(self, student: Waiting) -> None:
        """Approve one student."""
        row = self._row(student)
        async with replaced(row, timeout_ms=self.timeout_ms, settle_s=LIST_SETTLE_S):
            await press(locate(row, screens.Approvals.approve).first,
                        what=f"{screens.Approvals.approve.what} {student.first_name}",
                        timeout_ms=self.timeout_ms)
        await self._after_decision()

    async def deny(self, student: Waiting, reason: str) -> None:
        """Deny one student, giving the reason."""
        row = self._row(student)
        await press(locate(row, screens.Approvals.deny).first,
                    what=f"{screens.Approvals.deny.what} {student.first_name}",
                    timeout_ms=self.timeout_ms)
        await arrive(self.page, {"dialog": Expect("the deny dialog", _dialog)},
                     timeout_ms=self.timeout_ms, where="the deny dialog", in_frame=False,
                     reload_on_error=0)
        dialog = _dialog(_main(self.page))
        field = dialog.get_by_role("textbox", name=words.pattern("practice.reason"))
        if not await field.count():
            field = dialog.get_by_role("textbox")
        if await field.count() == 1 and reason:
            await field.first.fill(reason, timeout=self.timeout_ms)
        confirm = await _dialog_button(self.page, "practice.deny", what="denying the student")
        async with replaced(row, timeout_ms=self.timeout_ms, settle_s=LIST_SETTLE_S):
            await press(confirm, what="the deny dialog's button", timeout_ms=self.timeout_ms)
        await self._after_decision()

    async def _after_decision(self) -> None:
        # The decision is a form: an error page here is not reloaded; the next refresh
        # shows whether it went through (the student is then no longer waiting).
        try:
            await self.wait(after_form=True)
        except PortalUnavailable:
            await self.refresh()


def _optional(heads: tuple[str, ...], key: str) -> int | None:
    for index, head in enumerate(heads):
        if words.matches(key, head):
            return index
    return None

