"""Small sync page objects for TOMS, for end-to-end tests written with pytest-playwright.

Each control is found as a coordinator finds it in the quick guides: by role, label and visible
text, inside the frame TOMS shows each tab in. Locators are defined once in ``__init__``; a
method that leads to another page returns that page's object, after checking it is shown.

    toms.students().search(ssid).open(ssid).test_assignments().set_code(ELA, "PGE")
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import FrameLocator, Locator, Page, expect

__all__ = [
    "Logon",
    "PortalHome",
    "SearchResults",
    "StudentProfile",
    "StudentSearch",
    "TestAssignments",
    "Toms",
]

# TOMS shows each tab inside an iframe named theFrame; its documentation names it so.
CONTENT_FRAME = 'iframe[name="theFrame"]'
CHANGES_SAVED = "Your changes have been saved."


class PortalHome:
    """The CAASPP portal's home page, with its tiles."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._heading = page.get_by_role("heading", name="WELCOME TO THE CAASPP PORTAL")
        self._toms_tile = page.get_by_role(
            "link", name="Test Operations Management System (TOMS)"
        )

    def visit(self, url: str) -> PortalHome:
        """Go to the portal at ``url``."""
        self.page.goto(url)
        expect(self._heading).to_be_visible()
        return self

    def open_toms(self) -> Logon:
        """Click the TOMS tile, which asks for a logon first."""
        self._toms_tile.click()
        return Logon(self.page)._shown()


class Logon:
    """The Single Sign-On logon, with its e-mailed code and the role dialog after it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._heading = page.get_by_role("heading", name="Logon", exact=True)
        self._username = page.get_by_label("Username")
        self._password = page.get_by_label("Password", exact=True)
        self._secure_logon = page.get_by_role("button", name="Secure Logon")
        self._code_heading = page.get_by_role("heading", name="Enter Email Code")
        self._code = page.get_by_label("Email Code", exact=True)
        self._submit_code = page.get_by_role("button", name="Submit")
        self._role_heading = page.get_by_role("heading", name="Please select a role")
        self._role = page.get_by_label("Role", exact=True)
        self._continue = page.get_by_role("button", name="Continue")

    def _shown(self) -> Logon:
        expect(self._heading).to_be_visible()
        return self

    def log_on(
        self, username: str, password: str, *, role: str, email_code: Callable[[], str]
    ) -> Toms:
        """Log on and work as ``role``, the option's text, e.g. ``"LEA CAASPP Coordinator -
        Capistrano Unified (30664640000000)"``.

        A browser the portal does not know is asked for the code e-mailed to the user;
        ``email_code`` is called only then, to read it.
        """
        self._username.fill(username)
        self._password.fill(password)
        self._secure_logon.click()
        expect(self._code_heading.or_(self._role_heading)).to_be_visible()
        if self._code_heading.is_visible():
            self._code.fill(email_code())
            self._submit_code.click()
        expect(self._role_heading).to_be_visible()
        self._role.select_option(label=role)
        self._continue.click()
        return Toms(self.page)._shown()


class Toms:
    """TOMS after logon: its tabs, and the frame each tab is shown in."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._tabs = page.get_by_role("navigation", name="Main")
        self._students_tab = self._tabs.get_by_role("link", name="Students", exact=True)
        self._frame = page.frame_locator(CONTENT_FRAME)

    def _shown(self) -> Toms:
        expect(self._tabs).to_be_visible()
        return self

    def students(self) -> StudentSearch:
        """Open the Students tab: the student search."""
        self._students_tab.click()
        return StudentSearch(self._frame)._shown()


class StudentSearch:
    """Students > View & Edit Students: the search form."""

    def __init__(self, frame: FrameLocator) -> None:
        self._frame = frame
        self._heading = frame.get_by_role("heading", name="Search for Students")
        self._ssid = frame.get_by_label("SSID", exact=True)
        self._search = frame.get_by_role("button", name="SEARCH", exact=True)

    def _shown(self) -> StudentSearch:
        expect(self._heading).to_be_visible()
        return self

    def search(self, ssid: str) -> SearchResults:
        """Search for one student by SSID."""
        self._ssid.fill(ssid)
        self._search.click()
        return SearchResults(self._frame)._shown()


class SearchResults:
    """The search form with its results below: a table, or "No students found."."""

    def __init__(self, frame: FrameLocator) -> None:
        self._frame = frame
        self._table = frame.get_by_role("table", name="Search Results")
        self._none_found = frame.get_by_role("status").filter(has_text="No students found.")

    def _shown(self) -> SearchResults:
        expect(self._table.or_(self._none_found)).to_be_visible()
        return self

    def open(self, ssid: str) -> StudentProfile:
        """Click View Student on the student's row."""
        row = self._table.get_by_role("row").filter(
            has=self._frame.get_by_role("cell", name=ssid, exact=True)
        )
        expect(row).to_have_count(1)
        row.get_by_role("link", name="View Student").click()
        return StudentProfile(self._frame)._shown()


class StudentProfile:
    """A student's profile, with its tabs."""

    def __init__(self, frame: FrameLocator) -> None:
        self._frame = frame
        self._heading = frame.get_by_role("heading", name="Student Profile")
        self._assignments_tab = frame.get_by_role("tab", name="Test Assignments")

    def _shown(self) -> StudentProfile:
        expect(self._heading).to_be_visible()
        return self

    def test_assignments(self) -> TestAssignments:
        """Open the Test Assignments tab."""
        self._assignments_tab.click()
        return TestAssignments(self._frame)._shown()


class TestAssignments:
    """The Test Assignments tab: condition codes are staged one by one, then saved at once."""

    __test__ = False  # a page, not a test class, despite its name

    def __init__(self, frame: FrameLocator) -> None:
        self._frame = frame
        self._table = frame.get_by_role(
            "table", name=re.compile(r"^Current Active Test Assignments for ")
        )
        self._columns = self._table.get_by_role("columnheader")
        self._dialog = frame.get_by_role("dialog", name="Select Condition Code")
        self._code_choice = self._dialog.get_by_label(
            re.compile(r"^Select the condition code for this student")
        )
        self._dialog_save = self._dialog.get_by_role("button", name="SAVE", exact=True)
        # While the dialog is closed, the SAVE at the bottom of the page is the only one shown.
        self._save = frame.get_by_role("button", name="SAVE", exact=True)
        self._saved = frame.get_by_role("status").filter(has_text=CHANGES_SAVED)

    def _shown(self) -> TestAssignments:
        expect(self._table).to_be_visible()
        return self

    def _row(self, test: str) -> Locator:
        return self._table.get_by_role("row").filter(
            has=self._frame.get_by_role("cell", name=test, exact=True)
        )

    def code_of(self, test: str) -> str | None:
        """The condition code shown for ``test`` (its full name), or None if blank."""
        row = self._row(test)
        expect(row).to_have_count(1)
        column = self._columns.all_inner_texts().index("Condition Code")
        code = row.get_by_role("cell").nth(column).inner_text().strip()
        return code or None

    def set_code(self, test: str, code: str) -> None:
        """Stage ``code`` for ``test`` with COND. CODE and the dialog; :meth:`save` stores it."""
        row = self._row(test)
        row.get_by_role("button", name="COND. CODE").click()
        expect(self._dialog).to_be_visible()
        self._code_choice.select_option(code)
        self._dialog_save.click()
        expect(self._dialog).to_be_hidden()
        expect(row.get_by_role("cell", name=code, exact=True)).to_be_visible()

    def save(self) -> None:
        """Click the SAVE at the bottom of the page and wait until TOMS says it saved."""
        self._save.click()
        expect(self._saved).to_be_visible()
