"""Steps 5 to 13 of the guide: search, the student profile, and Test Assignments.

Every control is found by the guide's words and roles (:mod:`flows.pages.screens`); where the
guide shows nothing (an empty search, the magnifying glass's name), by the control a person
uses next: the row with the SSID, the link in its "Actions" column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.async_api import Frame, Locator, Page

from flows import words
from flows.pages import screens
from flows.pages.base import Expect, acting, arrive, fill, press, replaced
from flows.pages.spec import Spec, content_frame, locate, row_with
from flows.pages.tables import Row, Table, optional_column, read_shown, read_table
from flows.pages.watch import watch
from rpa.errors import PageNotRecognized, PortalUnavailable

__all__ = [
    "Assignment", "SaveOutcome", "SearchResult", "StudentProfile", "StudentSearch",
    "TestAssignments", "pick_code",
]

# A drop-down's option labels as shown (null for a list that is not a drop-down).
_OPTIONS_JS = """
els => els.slice(0, 1).map(el => el.tagName === 'SELECT'
  ? Array.from(el.options).map(o => (o.label || o.text || '').replace(/\\s+/g, ' ').trim())
  : null)
"""
# After the bottom SAVE, a page still showing the table as it was once the portal has been
# quiet this long has not re-rendered it: the student is opened again to read what is stored.
SAVE_SETTLE_S = 1.5
# After SEARCH, a portal that shows nothing at all for an empty search is taken at its word once
# it has been quiet this long (the search was answered, and there was nothing to show).
SEARCH_SETTLE_S = 3.0
CODE_TOKEN = re.compile(r"^\s*([A-Za-z0-9]+)")


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


def _frame(page: Page) -> Frame:
    return content_frame(page)


def pick_code(labels: list[str], code: str) -> str:
    """The one label of a code list that is ``code``: "PGE", or the Code Key's "PGE: ..."."""
    wanted = re.compile(rf"^\s*{re.escape(code)}\b", re.IGNORECASE)
    chosen = [t for t in labels if wanted.match(t)]
    if len(chosen) != 1:
        raise PageNotRecognized(
            f"the condition code list offers {'; '.join(labels)}: "
            f"{'no' if not chosen else 'more than one'} code {code}",
            signature=f"code {code}|the condition code dialog",
        )
    return chosen[0]


class StudentSearch:
    """Students > View & Edit Students (steps 5 and 6)."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self._shown: Table | None = None
        self._searched: tuple[Frame, int] | None = None

    def _find(self, spec: Spec) -> Locator:
        return locate(_frame(self.page), spec)

    async def open(self) -> StudentSearch:
        """Show the search form: Students > View & Edit Students where it is, else the tab."""
        way_back = self._find(screens.Search.view_edit).first
        if not await press(way_back, what=screens.Search.view_edit.described,
                           timeout_ms=self.timeout_ms, if_shown=True):
            await press(locate(self.page, screens.Toms.students).first,
                        what=screens.Toms.students.described, timeout_ms=self.timeout_ms)
        await arrive(
            self.page, {"search": Expect.of(screens.Search.ssid)}, timeout_ms=self.timeout_ms,
            where="the student search",
        )
        return self

    def _answers(self, scope: Frame) -> Locator:
        return locate(scope, screens.Search.results).or_(locate(scope, screens.Search.none))

    async def _press_search(self) -> None:
        await press(self._find(screens.Search.search), what=screens.Search.search.described,
                    timeout_ms=self.timeout_ms)

    async def search_ssid(self, ssid: str) -> list[SearchResult]:
        """Search by SSID (step 5); return the rows found, an empty list when none.

        An empty search is told however the portal says it: a message, a row that says so,
        a table without the student, or nothing at all once the portal has answered.
        """
        await fill(self._find(screens.Search.ssid), ssid, what=screens.Search.ssid.described,
                   timeout_ms=self.timeout_ms)

        def found(scope: Frame) -> Locator:
            return row_with(scope, locate(scope, screens.Search.results), ssid)

        return await self._search(Expect(f"the row of SSID {ssid} in the search results", found))

    async def search_by(self, field: Spec, value: str) -> list[SearchResult]:
        """Search by another field of the form (a grade, a last name), for a look around."""
        control = self._find(field).first
        async with acting(self.page, timeout_ms=self.timeout_ms, what=field.described):
            if await control.evaluate("el => el.tagName") == "SELECT":
                await control.select_option(label=value, timeout=self.timeout_ms)
            else:
                await control.fill(value, timeout=self.timeout_ms)
        return await self._search(Expect.of(screens.Search.results))

    async def _search(self, found: Expect) -> list[SearchResult]:
        timeout = self.timeout_ms
        seen = watch(self.page)
        frame = _frame(self.page)
        since = seen.events
        if self._searched == (frame, seen.count(frame)):
            # This page showed a search's answer already, which is not this one's: wait until
            # it is replaced. (A page loaded since holds no answer.)
            async with replaced(self._answers(frame), timeout_ms=timeout):
                await self._press_search()
        else:
            await self._press_search()
        expected = {
            "found": found,
            "none": Expect.of(screens.Search.none),
            "table": Expect.of(screens.Search.results),
            "alert": Expect("a message", lambda scope: scope.get_by_role("alert")),
        }
        key = await arrive(
            self.page, expected, timeout_ms=timeout, where="the search results",
            redo=self._press_search, settled_key="nothing", settle_s=SEARCH_SETTLE_S,
            since=since, which=False,
        )
        if key == "nothing":
            return []
        frame = _frame(self.page)
        self._searched = (frame, seen.count(frame))
        # Whichever answer came: the table tells most, in one look; else a message.
        results = self._find(screens.Search.results).first
        table = await read_table(results, what="the search results", timeout_ms=timeout,
                                 wait=False)
        if table is not None:
            self._shown = table
            return self._parse(table)
        if await self._find(screens.Search.none).count():
            return []
        message = " ".join((await self._find_alert().inner_text()).split())
        if words.matches("results.none", message):
            return []
        raise PortalUnavailable(f"the search was refused: {message}")

    def _find_alert(self) -> Locator:
        return _frame(self.page).get_by_role("alert").first

    @staticmethod
    def _parse(table: Table) -> list[SearchResult]:
        where = "the search results"
        ssid = table.column("results.ssid", where)
        name = table.column("results.name", where)
        school = optional_column(table, "results.school")
        grade = optional_column(table, "results.grade")
        results = []
        for row in table.rows:
            cells = row.cells
            if len(cells) <= max(ssid, name):
                continue  # a row that says something instead ("0 records match")
            results.append(SearchResult(
                cells[name], cells[ssid],
                cells[school] if school is not None and school < len(cells) else "",
                cells[grade] if grade is not None and grade < len(cells) else "",
            ))
        return results

    async def open_student(self, ssid: str) -> StudentProfile:
        """Click the magnifying glass next to the student (step 6)."""
        frame = _frame(self.page)
        results = locate(frame, screens.Search.results).first
        row = row_with(frame, results, ssid).first
        control = await self._magnifier(results, row, ssid)
        await press(control, what=f"the magnifying glass of SSID {ssid}",
                    timeout_ms=self.timeout_ms)
        profile = StudentProfile(self.page, timeout_ms=self.timeout_ms)

        async def again() -> None:
            await press(control, what=f"the magnifying glass of SSID {ssid}",
                        timeout_ms=self.timeout_ms)

        await arrive(
            self.page, {"profile": Expect.of(screens.Profile.assignments)},
            timeout_ms=self.timeout_ms, where="the student profile", redo=again,
        )
        return profile

    async def _magnifier(self, results: Locator, row: Locator, ssid: str) -> Locator:
        """The control a person clicks to open the student: the one in the Actions column.

        Its name is not in the guide (an icon); the column is. Failing that, a control of the
        row named like a magnifying glass, or the row's only one.
        """
        table = self._shown
        if table is None or not _rows_of(table, ssid):
            table = await read_shown(results, what="the search results",
                                     timeout_ms=self.timeout_ms)
        mine = _rows_of(table, ssid)
        actions = optional_column(table, "results.actions")
        controls = mine[0].controls if mine else ()
        chosen = [i for i, c in enumerate(controls) if actions is not None and c.cell == actions]
        if not chosen:
            chosen = [i for i, c in enumerate(controls) if words.matches("results.open", c.name)]
        if not chosen and len(controls) == 1:
            chosen = [0]
        if not chosen:
            raise PageNotRecognized(
                f"the row of SSID {ssid} has no magnifying glass in an \"Actions\" column "
                f"(columns: {', '.join(table.heads)})",
                signature="magnifier|the search results",
            )
        return _controls(row).nth(chosen[0])


def _rows_of(table: Table, ssid: str) -> list[Row]:
    at = table.column("results.ssid", "the search results")
    return [r for r in table.rows if len(r.cells) > at and r.cells[at] == ssid]


def _controls(scope: Locator) -> Locator:
    return scope.get_by_role("link").or_(scope.get_by_role("button"))


class StudentProfile:
    """The Student Profile and its tabs (step 7)."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    async def _press_tab(self) -> None:
        tab = locate(_frame(self.page), screens.Profile.assignments).first
        await press(tab, what=screens.Profile.assignments.described, timeout_ms=self.timeout_ms)

    async def open_test_assignments(self) -> TestAssignments:
        """Select the Test Assignments tab and wait for its table."""
        await self._press_tab()
        assignments = TestAssignments(self.page, timeout_ms=self.timeout_ms)
        await arrive(
            self.page, {"table": Expect.of(screens.Assignments.table)},
            timeout_ms=self.timeout_ms, where="Test Assignments", redo=self._press_tab,
        )
        return assignments


@dataclass(frozen=True)
class SaveOutcome:
    """What the page showed after the bottom SAVE.

    ``rendered``: the portal showed the table again (a new page, or a view its script drew
    anew), so what it shows now is what it stored. Otherwise the table is as it was before
    the SAVE, staged codes and all, and tells nothing. ``message`` is what the portal said,
    if anything (at most a hint).
    """

    rendered: bool
    message: str = ""


class TestAssignments:
    """Test Assignments: the table, COND. CODE, its dialog, and the bottom SAVE (8 to 13)."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        # The table as the portal showed it after the bottom SAVE, read once (by save()).
        self._after_save: Table | None = None
        # The code list's labels, the same in every dialog of the page.
        self._labels: list[str] | None = None

    def _table(self) -> Locator:
        return locate(_frame(self.page), screens.Assignments.table).first

    async def read(self) -> list[Assignment]:
        """Every row of the assignments table, and whether its COND. CODE can be pressed."""
        table = self._after_save or await read_shown(
            self._table(), what=screens.Assignments.table.described, timeout_ms=self.timeout_ms
        )
        self._after_save = None
        where = "Current Active Test Assignments"
        test = table.column("assignments.test", where)
        status = table.column("assignments.status", where)
        code = table.column("assignments.code", where)
        out = []
        for row in table.rows:
            if len(row.cells) <= max(test, status, code):
                continue
            enabled = any(
                c.enabled and words.matches("assignments.cond_code", c.name)
                for c in row.controls
            )
            shown = CODE_TOKEN.match(row.cells[code])
            out.append(Assignment(row.cells[test], row.cells[status],
                                  shown.group(1).upper() if shown else "", enabled))
        return out

    async def stage_code(self, test: str, code: str) -> None:
        """COND. CODE, choose the code, SAVE in the dialog (steps 9 to 11).

        The table shows the staged code at once; :meth:`read` before the bottom SAVE checks
        all of them in one look (step 12).
        """
        timeout = self.timeout_ms
        frame = _frame(self.page)
        row = row_with(frame, self._table(), test)
        button = locate(row, screens.Assignments.cond_code)
        await press(button, what=f"COND. CODE for {test}", timeout_ms=timeout)
        # The dialog's list is what a person uses next: choosing waits for it.
        await self._choose(code)
        await press(locate(frame, screens.CodeDialog.save).first,
                    what=screens.CodeDialog.save.described, timeout_ms=timeout)
        # The table shows the staged code once the dialog has closed; read() checks them all
        # before the bottom SAVE, and a dialog still open covers the next COND. CODE.

    async def _choose(self, code: str) -> None:
        """The code whose label starts with it ("PGE: Parent/Guardian exemption", "PGE")."""
        frame = _frame(self.page)
        field = locate(frame, screens.CodeDialog.code)
        wanted = re.compile(rf"^\s*{re.escape(code)}\b", re.IGNORECASE)
        async with acting(self.page, timeout_ms=self.timeout_ms,
                          what=f"the condition code {code} in the list"):
            labels = self._labels
            if labels is None:
                # What the list offers, in one look: a drop-down's option labels.
                offered: list[list[str] | None] = await field.first.evaluate_all(_OPTIONS_JS)
                if not offered:
                    await field.first.wait_for(state="visible", timeout=self.timeout_ms)
                    offered = await field.first.evaluate_all(_OPTIONS_JS)
                labels = self._labels = offered[0] if offered else None
            if labels is not None:
                await field.first.select_option(label=pick_code(labels, code),
                                                timeout=self.timeout_ms)
                return
            # A list or radio buttons drawn by the portal: the option named by the code.
            dialog = locate(frame, screens.CodeDialog.dialog).first
            option = dialog.get_by_role("option", name=wanted).or_(
                dialog.get_by_role("radio", name=wanted)
            )
            await press(option.first, what=f"the condition code {code}",
                        timeout_ms=self.timeout_ms)

    async def look_at_code_dialog(self, test: str) -> list[str]:
        """Open COND. CODE for ``test``, read the codes offered, and CANCEL: nothing staged."""
        timeout = self.timeout_ms
        frame = _frame(self.page)
        row = row_with(frame, self._table(), test)
        await press(locate(row, screens.Assignments.cond_code), what=f"COND. CODE for {test}",
                    timeout_ms=timeout)
        await arrive(
            self.page, {"dialog": Expect.of(screens.CodeDialog.dialog)}, timeout_ms=timeout,
            where=f"the condition code dialog for {test}", reload_on_error=0,
        )
        field = locate(frame, screens.CodeDialog.code).first
        async with acting(self.page, timeout_ms=timeout,
                          what=screens.CodeDialog.code.described):
            offered = [" ".join(t.split()) for t in await field.get_by_role("option")
                       .all_inner_texts()]
        await press(locate(frame, screens.CodeDialog.cancel).first,
                    what=screens.CodeDialog.cancel.described, timeout_ms=timeout)
        async with acting(self.page, timeout_ms=timeout, what="the dialog closing on CANCEL"):
            await locate(frame, screens.CodeDialog.dialog).first.wait_for(
                state="hidden", timeout=timeout)
        return offered

    async def save(self) -> SaveOutcome:
        """The bottom SAVE (step 13); say whether the portal showed the table anew."""
        timeout = self.timeout_ms
        frame = _frame(self.page)
        save = locate(frame, screens.Assignments.save)
        async with replaced(self._table(), timeout_ms=timeout, settle_s=SAVE_SETTLE_S) as view:
            await press(save, what=screens.Assignments.save.described, timeout_ms=timeout,
                        outside_dialogs=True)
        if view.unchanged:
            return SaveOutcome(rendered=False, message=await self._message())
        await arrive(
            self.page,
            {"table": Expect.of(screens.Assignments.table),
             "message": Expect("a message", lambda scope: scope.get_by_role("alert"))},
            timeout_ms=timeout, where="Test Assignments after SAVE", reload_on_error=0,
            which=False,
        )
        shown = await read_table(self._table(), what=screens.Assignments.table.described,
                                 timeout_ms=timeout, wait=False)
        if shown is not None:
            self._after_save = shown
            return SaveOutcome(rendered=True)
        return SaveOutcome(rendered=False, message=await self._message())

    async def _message(self) -> str:
        """What the portal says now (an alert or a status), as a hint for the log."""
        frame = _frame(self.page)
        said = frame.get_by_role("alert").or_(frame.get_by_role("status"))
        texts = [" ".join(t.split()) for t in await said.all_inner_texts()]
        return " ".join(t for t in texts if t)

