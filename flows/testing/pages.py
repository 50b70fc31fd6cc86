"""Small sync page objects for TOMS, for end-to-end tests written with pytest-playwright.

They find every control through the same definitions as toms-rpa's own flows
(:mod:`flows.pages.screens`, in the words of :mod:`flows.words`): by role, label, column header
and visible text, in the frame that holds the content. Only the calling differs: Playwright's
sync API here, its async API in the flows. A method that leads to another page returns that
page's object, after checking it is shown.

    toms.students().search(ssid).open(ssid).test_assignments().set_code(ELA, "PGE")
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, Locator, Page, expect

from flows import words
from flows.pages import screens
from flows.pages.spec import Spec, content_frame_sync, locate_sync, row_with_sync

__all__ = [
    "Logon",
    "PortalHome",
    "SearchResults",
    "StudentProfile",
    "StudentSearch",
    "TestAssignments",
    "Toms",
]


def _frame(page: Page) -> Frame:
    return content_frame_sync(page)


def _shown_in_content(page: Page, spec: Spec, timeout_s: float = 10.0) -> Locator:
    """``spec`` once shown in the frame that holds the content.

    The frame is looked for again until it shows it: a tab may load a whole new window, and
    a portal may put its content frame there only a moment after the page.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        found = locate_sync(_frame(page), spec).first
        try:
            expect(found).to_be_visible(timeout=500)
            return found
        except (AssertionError, PlaywrightError):
            if time.monotonic() > deadline:
                raise


class PortalHome:
    """The CAASPP portal's home page, with its tiles."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def visit(self, url: str) -> PortalHome:
        """Go to the portal at ``url``."""
        self.page.goto(url)
        expect(locate_sync(self.page, screens.PortalHome.toms).first).to_be_visible()
        return self

    def open_toms(self) -> Logon:
        """Click the TOMS tile, which asks for a logon first."""
        locate_sync(self.page, screens.PortalHome.toms).first.click()
        return Logon(self.page)._shown()


class Logon:
    """The Single Sign-On logon, with its e-mailed code and the role choice after it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def _shown(self) -> Logon:
        expect(locate_sync(self.page, screens.Logon.password).first).to_be_visible()
        return self

    def log_on(
        self, username: str, password: str, *, role: str, email_code: Callable[[], str]
    ) -> Toms:
        """Log on and work as ``role``, (part of) the role's text, e.g. ``"LEA CAASPP
        Coordinator - Capistrano Unified (30664640000000)"``.

        A browser the portal does not know is asked for the code e-mailed to the user;
        ``email_code`` is called only then, to read it.
        """
        page = self.page
        locate_sync(page, screens.Logon.username).first.fill(username)
        locate_sync(page, screens.Logon.password).first.fill(password)
        locate_sync(page, screens.Logon.button).first.click()
        code = locate_sync(page, screens.CodeStep.field).first
        roles = locate_sync(page, screens.RoleStep.field).or_(page.get_by_role("radio")).first
        tabs = locate_sync(page, screens.Toms.students).first
        expect(code.or_(roles).or_(tabs)).to_be_visible()
        if code.is_visible():
            code.fill(email_code())
            submit = locate_sync(page, screens.CodeStep.submit)
            if submit.count():
                submit.first.click()
            else:
                code.press("Enter")
            expect(roles.or_(tabs)).to_be_visible()
        if roles.is_visible():
            self._choose_role(role)
        return Toms(self.page)._shown()

    def _choose_role(self, role: str) -> None:
        page = self.page
        wanted = re.compile(re.escape(role), re.IGNORECASE)
        field = locate_sync(page, screens.RoleStep.field).first
        if field.count() and field.evaluate("el => el.tagName") == "SELECT":
            labels = [" ".join(t.split()) for t in field.get_by_role("option").all_inner_texts()]
            field.select_option(label=next(t for t in labels if wanted.search(t)))
        else:
            page.get_by_role("radio", name=wanted).first.check()
        submit = locate_sync(page, screens.RoleStep.submit)
        if submit.count():
            submit.first.click()
        else:
            field.press("Enter")


class Toms:
    """TOMS after logon: its tabs, and the frame each tab is shown in."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def _shown(self) -> Toms:
        expect(locate_sync(self.page, screens.Toms.students).first).to_be_visible()
        return self

    def students(self) -> StudentSearch:
        """Open the Students tab: the student search."""
        locate_sync(self.page, screens.Toms.students).first.click()
        return StudentSearch(self.page)._shown()


class StudentSearch:
    """Students > View & Edit Students: the search form."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def _shown(self) -> StudentSearch:
        _shown_in_content(self.page, screens.Search.ssid)
        return self

    def search(self, ssid: str) -> SearchResults:
        """Search for one student by SSID."""
        frame = _frame(self.page)
        locate_sync(frame, screens.Search.ssid).first.fill(ssid)
        locate_sync(frame, screens.Search.search).first.click()
        return SearchResults(self.page)._shown()


class SearchResults:
    """The search form with its results below: a table (or grid), or an empty search."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def _shown(self) -> SearchResults:
        frame = _frame(self.page)
        answer = locate_sync(frame, screens.Search.results).or_(
            locate_sync(frame, screens.Search.none))
        expect(answer.first).to_be_visible()
        return self

    def open(self, ssid: str) -> StudentProfile:
        """Click the magnifying glass in the Actions column of the student's row."""
        frame = _frame(self.page)
        results = locate_sync(frame, screens.Search.results).first
        row = row_with_sync(frame, results, ssid)
        expect(row).to_have_count(1)
        heads = [" ".join(h.split()) for h in results.get_by_role("columnheader")
                 .all_inner_texts()]
        at = next(i for i, h in enumerate(heads) if words.matches("results.actions", h))
        cell = row.get_by_role("cell").or_(row.get_by_role("gridcell")).nth(at)
        cell.get_by_role("link").or_(cell.get_by_role("button")).first.click()
        return StudentProfile(self.page)._shown()


class StudentProfile:
    """A student's profile, with its tabs."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def _shown(self) -> StudentProfile:
        _shown_in_content(self.page, screens.Profile.assignments)
        return self

    def test_assignments(self) -> TestAssignments:
        """Open the Test Assignments tab."""
        locate_sync(_frame(self.page), screens.Profile.assignments).first.click()
        return TestAssignments(self.page)._shown()


class TestAssignments:
    """The Test Assignments tab: condition codes are staged one by one, then saved at once."""

    __test__ = False  # a page, not a test class, despite its name

    def __init__(self, page: Page) -> None:
        self.page = page

    def _table(self) -> Locator:
        return locate_sync(_frame(self.page), screens.Assignments.table).first

    def _shown(self) -> TestAssignments:
        _shown_in_content(self.page, screens.Assignments.table)
        return self

    def _row(self, test: str) -> Locator:
        return row_with_sync(_frame(self.page), self._table(), test)

    def code_of(self, test: str) -> str | None:
        """The condition code shown for ``test`` (its full name), or None if blank."""
        row = self._row(test)
        expect(row).to_have_count(1)
        heads = [" ".join(h.split()) for h in self._table().get_by_role("columnheader")
                 .all_inner_texts()]
        column = next(i for i, h in enumerate(heads) if words.matches("assignments.code", h))
        cells = row.get_by_role("cell").or_(row.get_by_role("gridcell"))
        shown = re.match(r"\s*([A-Za-z0-9]+)", cells.nth(column).inner_text())
        return shown.group(1).upper() if shown else None

    def set_code(self, test: str, code: str) -> None:
        """Stage ``code`` for ``test`` with COND. CODE and the dialog; :meth:`save` stores it."""
        frame = _frame(self.page)
        row = self._row(test)
        locate_sync(row, screens.Assignments.cond_code).click()
        dialog = locate_sync(frame, screens.CodeDialog.dialog).first
        expect(dialog).to_be_visible()
        choice = locate_sync(frame, screens.CodeDialog.code).first
        labels = [" ".join(t.split()) for t in choice.get_by_role("option").all_inner_texts()]
        wanted = re.compile(rf"^\s*{re.escape(code)}\b", re.IGNORECASE)
        choice.select_option(label=next(t for t in labels if wanted.match(t)))
        locate_sync(frame, screens.CodeDialog.save).first.click()
        expect(dialog).to_be_hidden()
        expect(row).to_contain_text(code)

    def save(self) -> None:
        """Click the SAVE at the bottom of the page; wait until the portal shows the table
        again (a new page, or the view drawn anew), which shows what it stored."""
        before = self._table().element_handle()
        locate_sync(_frame(self.page), screens.Assignments.save).last.click()
        # Its page gone (an error here) or the view drawn anew: either way, replaced.
        with contextlib.suppress(PlaywrightError):
            before.wait_for_element_state("hidden")
        with contextlib.suppress(PlaywrightError):
            before.dispose()
        self._shown()
