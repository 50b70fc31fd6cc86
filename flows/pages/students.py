"""Steps 5 to 13 of the guide: search, the student profile, and Test Assignments."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.async_api import Locator, Page

from flows.pages.base import (
    acting,
    activate,
    arrive,
    cells_of,
    column,
    current_frame,
    leaving,
    read_rows,
)
from rpa.errors import PortalUnavailable

__all__ = ["Assignment", "SearchResult", "StudentProfile", "StudentSearch", "TestAssignments"]

SAVED_TEXT = re.compile(r"changes have been saved", re.IGNORECASE)
ASSIGNMENTS_CAPTION = re.compile(r"^\s*Current Active Test Assignments for", re.IGNORECASE)



@dataclass(frozen=True)
class SearchResult:
    """One row of the search results."""

    name: str
    ssid: str
    school: str
    grade: str


@dataclass(frozen=True)
class Assignment:
    """One row of "Current Active Test Assignments"."""

    test: str
    status: str
    code: str
    can_set_code: bool


class StudentSearch:
    """Students > View & Edit Students (steps 5 and 6)."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self._locate()
        self.students_tab = page.get_by_role("link", name="Students", exact=True)

    def _locate(self) -> None:
        frame = current_frame(self.page)
        self.frame = frame
        self.heading = frame.get_by_role("heading", name="Search for Students")
        self.ssid = frame.get_by_label("SSID", exact=True)
        self.search_button = frame.get_by_role("button", name="SEARCH", exact=True)
        self.results = frame.get_by_role("table", name="Search Results")
        self.no_results = frame.get_by_text("No students found.")
        self.alert = frame.get_by_role("alert")
        self.breadcrumb = frame.get_by_role("link", name="View & Edit Students")

    async def open(self) -> StudentSearch:
        """Show an empty search form, by the breadcrumb when there is one, else the tab."""
        # From a results page the heading is already there: wait for that page to go, or
        # what is typed next lands in the page being replaced.
        if await self.breadcrumb.count():
            async with leaving(self.page, timeout_ms=self.timeout_ms):
                await activate(
                    self.breadcrumb.first, timeout_ms=self.timeout_ms,
                    what="the View & Edit Students link",
                )
        else:
            # The tab loads the whole window: the old frame and its heading go with it.
            await self.students_tab.click(timeout=self.timeout_ms)
            await self.page.wait_for_load_state("domcontentloaded", timeout=self.timeout_ms)
            self._locate()
        await arrive(
            self.page, {"search": self.heading}, timeout_ms=self.timeout_ms,
            where="the student search",
        )
        return self

    async def search_ssid(self, ssid: str) -> list[SearchResult]:
        """Search by SSID (step 5); return the rows found, an empty list when none."""
        async with acting(self.page, timeout_ms=self.timeout_ms, what="the SSID field"):
            await self.ssid.fill(ssid, timeout=self.timeout_ms)
        await activate(self.search_button, timeout_ms=self.timeout_ms, what="the SEARCH button")
        # One wait for any answer, then one read: the rows tell whether the student is there.
        answer = self._row(ssid).or_(self.no_results).or_(self.alert)
        await arrive(
            self.page, {"answer": answer}, timeout_ms=self.timeout_ms,
            where="the search results",
        )
        found = self._parse(*await read_rows(self.results))
        if any(result.ssid == ssid for result in found):
            return found
        if await self.alert.first.is_visible():
            message = (await self.alert.first.inner_text()).strip()
            raise PortalUnavailable(f"the search was refused: {message}")
        return []

    def _row(self, ssid: str) -> Locator:
        return self.results.get_by_role("row").filter(
            has=self.frame.get_by_role("cell", name=ssid, exact=True)
        )

    @staticmethod
    def _parse(heads: list[str], body: list[list[str]]) -> list[SearchResult]:
        if not heads:
            return []
        where = "the search results"
        name, ssid = column(heads, "Name", where), column(heads, "SSID", where)
        school, grade = column(heads, "School", where), column(heads, "Grade", where)
        results = []
        for cells in body:
            if len(cells) < len(heads):
                continue
            results.append(SearchResult(cells[name], cells[ssid], cells[school], cells[grade]))
        return results

    async def open_student(self, ssid: str) -> StudentProfile:
        """Click the magnifying glass next to the student (step 6)."""
        link = self._row(ssid).get_by_role("link", name=re.compile(r"view", re.IGNORECASE))
        await activate(
            link.first, timeout_ms=self.timeout_ms, what="the student's magnifying glass"
        )
        profile = StudentProfile(self.page, timeout_ms=self.timeout_ms)
        await arrive(
            self.page, {"profile": profile.assignments_tab}, timeout_ms=self.timeout_ms,
            where="the student profile",
        )
        return profile


class StudentProfile:
    """The Student Profile and its tabs (step 7)."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.assignments_tab = current_frame(page).get_by_role("tab", name="Test Assignments")

    async def open_test_assignments(self) -> TestAssignments:
        """Select the Test Assignments tab."""
        await activate(
            self.assignments_tab, timeout_ms=self.timeout_ms, what="the Test Assignments tab"
        )
        assignments = TestAssignments(self.page, timeout_ms=self.timeout_ms)
        await assignments.wait()
        return assignments


class TestAssignments:
    """Test Assignments: the table, COND. CODE, its dialog, and the bottom SAVE (8 to 13)."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        frame = current_frame(page)
        self.frame = frame
        self.table = frame.get_by_role("table", name=ASSIGNMENTS_CAPTION)
        self.dialog = frame.get_by_role("dialog", name="Select Condition Code")
        self.dialog_code = self.dialog.get_by_label(re.compile(r"Select the condition code"))
        self.dialog_save = self.dialog.get_by_role(
            "button", name="SAVE", exact=True, disabled=False
        )
        self.save_button = frame.get_by_role("button", name="SAVE", exact=True, disabled=False)
        self.saved = frame.get_by_role("status").filter(has_text=SAVED_TEXT)
        self.alert = frame.get_by_role("alert")

    async def wait(self) -> None:
        """Wait for the assignments table."""
        await arrive(
            self.page, {"table": self.table}, timeout_ms=self.timeout_ms,
            where="Test Assignments",
        )

    async def read(self, *, buttons: bool = True) -> list[Assignment]:
        """Every row of the assignments table, and whether its COND. CODE can be pressed.

        ``buttons=False`` skips the look at the buttons (``can_set_code`` is then False), for
        reads that only check the codes shown.
        """
        heads, body = await read_rows(self.table)
        where = "Current Active Test Assignments"
        test, status = column(heads, "Test Program", where), column(
            heads, "Test Assignment Status", where
        )
        code = column(heads, "Condition Code", where)
        enabled: set[tuple[str, ...]] = set()
        if buttons:
            rows = self.table.get_by_role("row").filter(has=self.frame.get_by_role(
                "button", name="COND. CODE", disabled=False
            ))
            enabled = {tuple(cells) for cells in await cells_of(rows)}
        return [
            Assignment(cells[test], cells[status], cells[code], tuple(cells) in enabled)
            for cells in body
            if len(cells) >= len(heads)
        ]

    def _row(self, test: str) -> Locator:
        return self.table.get_by_role("row").filter(
            has=self.frame.get_by_role("cell", name=test, exact=True)
        )

    async def stage_code(self, test: str, code: str) -> None:
        """COND. CODE, choose the code, SAVE in the dialog (steps 9 to 11).

        The table shows the staged code at once; :meth:`read` before the bottom SAVE checks
        all of them in one look (step 12).
        """
        row = self._row(test)
        button = row.get_by_role("button", name="COND. CODE", disabled=False)
        await activate(button, timeout_ms=self.timeout_ms, what=f"COND. CODE for {test}")
        async with acting(
            self.page, timeout_ms=self.timeout_ms, what=f"the condition code {code} to choose"
        ):
            await self.dialog_code.select_option(code, timeout=self.timeout_ms)
        await activate(
            self.dialog_save, timeout_ms=self.timeout_ms, what="SAVE in the condition code dialog"
        )

    async def save(self) -> None:
        """The bottom SAVE (step 13): wait for the portal to confirm, or raise."""
        await activate(self.save_button, timeout_ms=self.timeout_ms, what="the bottom SAVE")
        key = await arrive(
            self.page,
            {"saved": self.saved, "refused": self.alert},
            timeout_ms=self.timeout_ms,
            where="the confirmation of the save",
            reload_on_error=0,
        )
        if key == "refused":
            message = (await self.alert.first.inner_text()).strip()
            raise PortalUnavailable(f"the portal refused the save: {message}")
        # The confirmation is part of the page that holds the table: read() finds it there.
