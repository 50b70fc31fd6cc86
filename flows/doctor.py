"""``toms-rpa doctor``: walk every page the flows need, as they would, and change nothing.

A district runs it before the testing window to find a portal change then, not during it. It
checks, in order: the settings, the browser, that the portal answers, the logon and role, and
each TOMS page by its visible text (search form, search results, student profile, Test
Assignments, the condition code dialog). It prints a line per check and stops at the first
failure, with a line saying what it means. It never presses either SAVE: the condition code
dialog is opened, read and closed with CANCEL, and the table is read again to show nothing was
staged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, FrameLocator, Locator, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from flows.pages.base import READ_TABLE_JS, arrive, column, content_frame
from flows.pages.portal import Landing, MyTomsHome, PortalHome
from flows.pages.students import StudentProfile, StudentSearch, TestAssignments
from flows.session import STATE_FILE, CodeProvider, TomsSession, enter_toms
from rpa.browser import find_browser, open_browser, playwright_chromium_version
from rpa.errors import InputError, PortalUnavailable, SessionExpired, SystemFailure
from rpa.files import private_dir
from rpa.report import mask_ssid
from rpa.settings import Settings

__all__ = ["EXIT_BROKEN", "EXIT_OK", "EXIT_SETTINGS", "run_doctor"]

EXIT_OK, EXIT_BROKEN, EXIT_SETTINGS = 0, 1, 2

ASSIGNMENT_COLUMNS = ("Test Program", "Test Assignment Status", "Condition Code", "Action")
RESULT_COLUMNS = ("Name", "SSID", "School", "Grade")
CODES = ("NTE", "PGE")
# Without a given SSID, students found by this search are tried until one has a test whose
# COND. CODE can be pressed; grade 11 takes the CAASPP in every high school district.
SEARCH_GRADE = "11"
SEARCH_LAST_NAME = "A"
MAX_STUDENTS = 5
SSID_PATTERN = re.compile(r"^\d{10}$")

PAGE_ADVICE = (
    "This page is not as toms-rpa expects it, so opt-out runs would stop here. Nothing was "
    "changed in TOMS. Run doctor again in a few minutes; if it fails again, TOMS has changed "
    "and toms-rpa must be updated before the testing window."
)
PORTAL_ADVICE = (
    "The portal did not answer or did not show its TOMS tile: check TOMS_PORTAL_URL and the "
    "network, and try again later. If the portal works in an ordinary browser, its home page "
    "has changed and toms-rpa must be updated."
)
LOGON_ADVICE = (
    "The logon did not lead into TOMS. Try again later; if it keeps failing while you can log "
    "on by hand, the logon pages have changed and toms-rpa must be updated."
)
BROWSER_ADVICE = (
    "The browser could not be started: set TOMS_BROWSER_PATH to a Chromium or Chrome "
    "executable, or run `python -m playwright install chromium`."
)


class _Stop(Exception):
    """A check failed: stop here with this exit status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class _Check:
    name: str
    detail: str = ""


async def run_doctor(
    settings: Settings,
    *,
    code_provider: CodeProvider,
    ssid: str | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Check that toms-rpa can do its work in TOMS, changing nothing; return the exit status.

    Args:
        settings: The settings the flows would use.
        code_provider: Where the e-mailed logon code comes from, if the portal asks for one.
        ssid: A student to check the pages with; by default one found by searching.
        say: Receives each line of the report.

    Returns:
        0 when every check passed, 1 when the portal or one of its pages is not as the flows
        need it, 2 when the settings, the given SSID or the browser are the problem.
    """
    doctor = _Doctor(settings, code_provider=code_provider, say=say)
    try:
        await doctor.run(ssid.strip() if ssid else None)
    except _Stop as stop:
        return stop.status
    say(f"All {doctor.passed} checks passed: every page the flows need was found; "
        "nothing was changed.")
    return EXIT_OK


class _Doctor:
    def __init__(
        self, settings: Settings, *, code_provider: CodeProvider, say: Callable[[str], None]
    ) -> None:
        self.settings = settings
        self.timeout = settings.timeout_ms
        self.say = say
        self.codes_asked = 0
        self.passed = 0
        self.page: Page | None = None
        self.student_name = ""

        async def counting_provider() -> str:
            self.codes_asked += 1
            return await code_provider()

        self.code_provider: Callable[[], Awaitable[str]] = counting_provider

    @contextmanager
    def check(
        self, name: str, advice: str = PAGE_ADVICE, *, broken: int = EXIT_BROKEN
    ) -> Iterator[_Check]:
        """One line per check: ``ok`` with its detail, or ``FAIL`` and what it means."""
        check = _Check(name)
        try:
            yield check
        except InputError as err:
            # Settings errors already say which variable to fix and how.
            self.say(f"FAIL  {name}: {err}")
            raise _Stop(EXIT_SETTINGS) from err
        except (SystemFailure, PlaywrightError) as err:
            self.say(f"FAIL  {name}: {_first_line(err)}")
            self.say(f"      {advice}")
            raise _Stop(broken) from err
        self.passed += 1
        self.say(f"ok    {name}: {check.detail}")

    async def run(self, ssid: str | None) -> None:
        settings = self.settings
        with self.check("settings") as c:
            settings.require_credentials()
            if ssid is not None and not SSID_PATTERN.match(ssid):
                raise InputError(f"the SSID to check with, {mask_ssid(ssid)}, is not 10 digits")
            codes = "from TOMS_EMAIL_CODE_COMMAND" if settings.email_code_command else "asked"
            c.detail = (
                f"portal {settings.portal_url}, user {settings.username}, "
                f"role {settings.role or '(the only one)'}, password set, e-mail code {codes}"
            )
        async with AsyncExitStack() as stack:
            browser = await self._browser(stack)
            await self._portal(browser)
            with self.check("logon and role", LOGON_ADVICE) as c:
                session = TomsSession(
                    browser, settings, state_path=settings.state_dir / STATE_FILE,
                    code_provider=self.code_provider,
                )
                await session.start()
                how = "e-mail code entered" if self.codes_asked else "no e-mail code needed"
                c.detail = f"TOMS reached as {settings.username} ({how}); logon saved"
            context = await session.new_context()
            stack.push_async_callback(context.close)
            self.page = await context.new_page()
            try:
                await self._pages(self.page, session, ssid)
            except _Stop as stop:
                shot = await self.screenshot() if stop.status == EXIT_BROKEN else None
                if shot is not None:
                    self.say(f"      The page as doctor left it: {shot} (it may show student "
                             "names: keep it private).")
                raise

    async def _browser(self, stack: AsyncExitStack) -> Browser:
        settings = self.settings
        with self.check("browser", BROWSER_ADVICE, broken=EXIT_SETTINGS) as c:
            if settings.browser_endpoint:
                source = f"remote browser at {settings.browser_endpoint}"
            else:
                choice = find_browser(
                    settings.browser_path, install=False, headless=settings.headless
                )
                where = f" {choice.executable}" if choice.executable else ""
                source = f"{choice.source}{where}"
            browser = await stack.enter_async_context(open_browser(settings))
            c.detail = f"{source}, version {browser.version}"
            built_for = playwright_chromium_version()
            if built_for and built_for.split(".")[0] != browser.version.split(".")[0]:
                c.detail += f" (this Playwright was built for Chromium {built_for})"
        return browser

    async def _portal(self, browser: Browser) -> None:
        url = str(self.settings.portal_url)
        with self.check("portal", PORTAL_ADVICE) as c:
            context = await browser.new_context()
            try:
                await PortalHome(await context.new_page(), timeout_ms=self.timeout).open(url)
            finally:
                await context.close()
            c.detail = f"{url} shows the home page with the TOMS tile"

    async def _pages(self, page: Page, session: TomsSession, ssid: str | None) -> None:
        with self.check("MyTOMS Home") as c:
            where = await enter_toms(page, self.settings)
            if where == Landing.LOGON:
                await session.renew(page.context, session.generation)
                where = await enter_toms(page, self.settings)
            if where == Landing.LOGON:
                raise SessionExpired("TOMS asked to log on again right after the logon")
            await MyTomsHome(page, timeout_ms=self.timeout).open_students()
            c.detail = 'the Students tab opens "Search for Students"'
        search = StudentSearch(page, timeout_ms=self.timeout)
        with self.check("search form") as c:
            await _shown(search.ssid, 'no field labelled "SSID"', self.timeout)
            await _shown(search.search_button, 'no "SEARCH" button', self.timeout)
            c.detail = 'field "SSID" and button "SEARCH"'
        with self.check("search results") as c:
            if ssid is None:
                criterion, candidates = await self._find_students(search)
                await self._fresh_form(search)
            else:
                criterion, candidates = "", [ssid]
            await self._search(search, candidates[0], given=ssid is not None)
            c.detail = (
                f'table "Search Results" with columns {", ".join(RESULT_COLUMNS)}; '
                f"SSID {mask_ssid(candidates[0])} found{criterion}"
            )
        assignments = await self._assignments(search, candidates[0])
        with self.check("condition code dialog") as c:
            tried = 1
            while not await _has_settable(assignments):
                if tried >= len(candidates):
                    raise InputError(_no_settable_help(candidates, given=ssid is not None))
                await self._fresh_form(search)
                await self._search(search, candidates[tried], given=False)
                profile = await search.open_student(candidates[tried])
                assignments = await profile.open_test_assignments()
                tried += 1
            test = await self._cancelled_dialog(assignments)
            c.detail = (
                f'"Select Condition Code" opened on {test}: drop-down offers '
                f"{' and '.join(CODES)}, Code Key shown; CANCEL closed it, nothing staged"
            )

    async def _find_students(self, search: StudentSearch) -> tuple[str, list[str]]:
        """SSIDs of a few students, from a search by grade (else by last name)."""
        frame = search.frame
        attempts = [("Grade", SEARCH_GRADE), ("Last Name", SEARCH_LAST_NAME)]
        for index, (label, value) in enumerate(attempts):
            if index:
                await self._fresh_form(search)
            field = frame.get_by_label(label, exact=True)
            await _shown(field, f'no field labelled "{label}"', self.timeout)
            if await field.evaluate("el => el.tagName") == "SELECT":
                await field.select_option(label=value, timeout=self.timeout)
            else:
                await field.fill(value, timeout=self.timeout)
            await search.search_button.click(timeout=self.timeout)
            ssids = await self._result_ssids(search)
            if ssids:
                return f' by searching by {label} "{value}"', ssids[:MAX_STUDENTS]
        raise InputError(
            "no student was found by searching by grade or last name: give the SSID of a "
            "student whose tests are not yet submitted"
        )

    async def _fresh_form(self, search: StudentSearch) -> None:
        """An empty search form, in a new document: never the results page still showing.

        ``StudentSearch.open`` may return while the frame still shows the old results page,
        whose heading is the same; typing there would be lost when the new form arrives.
        """
        await search.open()
        for old in (search.results, search.no_results, search.alert):
            await old.first.wait_for(state="hidden", timeout=self.timeout)
        await _shown(search.heading, 'no heading "Search for Students"', self.timeout)

    async def _result_ssids(self, search: StudentSearch) -> list[str]:
        key = await arrive(
            search.page,
            {"found": search.results, "none": search.no_results, "alert": search.alert},
            timeout_ms=self.timeout, where="the search results",
        )
        if key == "alert":
            message = (await search.alert.first.inner_text()).strip()
            raise PortalUnavailable(f"the search was refused: {message}")
        if key == "none":
            return []
        table: dict[str, Any] = await search.results.evaluate(READ_TABLE_JS)
        heads: list[str] = table["heads"]
        for name in RESULT_COLUMNS:
            column(heads, name, "the search results")
        at = column(heads, "SSID", "the search results")
        return [row["cells"][at] for row in table["body"] if len(row["cells"]) > at]

    async def _search(self, search: StudentSearch, ssid: str, *, given: bool) -> None:
        found = [r for r in await search.search_ssid(ssid) if r.ssid == ssid]
        if not found and given:
            raise InputError(
                f"TOMS has no student with SSID {mask_ssid(ssid)} in your organizations: "
                "give another SSID, or none to let doctor find a student"
            )
        if not found:
            raise PortalUnavailable(
                f"searching by SSID {mask_ssid(ssid)} did not find the student that the "
                "search by grade or name listed"
            )
        self.student_name = found[0].name

    async def _assignments(self, search: StudentSearch, ssid: str) -> TestAssignments:
        profile: StudentProfile
        with self.check("student profile") as c:
            profile = await search.open_student(ssid)
            c.detail = 'the magnifying glass opens the profile with its "Test Assignments" tab'
        with self.check("Test Assignments") as c:
            try:
                assignments = await profile.open_test_assignments()
            except PortalUnavailable as err:
                seen = await _table_names(content_frame(search.page), self.student_name)
                if not seen:
                    raise
                raise PortalUnavailable(
                    'no table "Current Active Test Assignments for …" (tables on the page: '
                    + ", ".join(f'"{name}"' for name in seen) + ")"
                ) from err
            rows = await assignments.read()  # checks the columns it reads
            table: dict[str, Any] = await assignments.table.evaluate(READ_TABLE_JS)
            column(table["heads"], "Action", "Current Active Test Assignments")
            settable = sum(1 for row in rows if row.can_set_code)
            c.detail = (
                f'table "Current Active Test Assignments for …" with columns '
                f"{', '.join(ASSIGNMENT_COLUMNS)}; {_tests(len(rows))}, {settable} with "
                "COND. CODE available"
            )
        return assignments

    async def _cancelled_dialog(self, assignments: TestAssignments) -> str:
        """Open the dialog on the first enabled COND. CODE, read it, CANCEL; return the test."""
        before = await assignments.read()
        test = next(row.test for row in before if row.can_set_code)
        button = assignments.table.get_by_role("button", name="COND. CODE", disabled=False)
        await button.first.click(timeout=self.timeout)
        dialog = assignments.dialog
        await _shown(dialog, 'no dialog "Select Condition Code" after COND. CODE', self.timeout)
        await _shown(assignments.dialog_code, "no condition code drop-down", self.timeout)
        options = [t.strip() for t in await assignments.dialog_code.locator("option")
                   .all_inner_texts()]
        missing = [code for code in CODES
                   if not any(re.match(rf"{code}\b", option) for option in options)]
        if missing:
            raise PortalUnavailable(
                f"the condition code drop-down offers {', '.join(options) or 'nothing'}, "
                f"not {' or '.join(missing)}"
            )
        key = dialog.get_by_role("heading", name="Code Key")
        await _shown(key, 'no "Code Key" in the dialog', self.timeout)
        cancel = dialog.get_by_role("button", name="CANCEL", exact=True)
        await _shown(cancel, 'no "CANCEL" button in the dialog', self.timeout)
        await cancel.click(timeout=self.timeout)
        try:
            await dialog.wait_for(state="hidden", timeout=self.timeout)
        except PlaywrightTimeout:
            raise PortalUnavailable("CANCEL did not close the dialog") from None
        after = await assignments.read()
        if [row.code for row in after] != [row.code for row in before]:
            raise PortalUnavailable("CANCEL left a condition code in the table (not saved)")
        return test

    async def screenshot(self) -> Path | None:
        """A full-page screenshot of where the checks stopped, private, when wanted."""
        if self.page is None or self.settings.screenshot == "off":
            return None
        path = private_dir(self.settings.state_dir / "doctor") / "screenshot.png"
        try:
            await self.page.screenshot(path=path, full_page=True)
        except PlaywrightError:
            return None
        path.chmod(0o600)
        return path


async def _shown(locator: Locator, missing: str, timeout_ms: float) -> None:
    """Wait until ``locator`` is visible; raise :class:`PortalUnavailable` with ``missing``."""
    try:
        await locator.first.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightTimeout:
        raise PortalUnavailable(missing) from None


async def _has_settable(assignments: TestAssignments) -> bool:
    rows = await assignments.read()
    return any(row.can_set_code for row in rows)


async def _table_names(frame: FrameLocator, student_name: str) -> list[str]:
    """The captions of the tables in the frame, with the student's name left out."""
    names: list[str] = await frame.get_by_role("table").evaluate_all(
        "ts => ts.map(t => ((t.caption && t.caption.innerText) || t.getAttribute('aria-label')"
        " || '').replace(/\\s+/g, ' ').trim())"
    )
    words = [w for w in re.split(r"[\s,]+", student_name) if len(w) > 1]
    for word in words:
        names = [re.sub(rf"\b{re.escape(word)}\b", "…", n, flags=re.IGNORECASE) for n in names]
    return [re.sub(r"…(\s*…)+", "…", n) or "(no caption)" for n in names]


def _tests(count: int) -> str:
    return f"{count} test" if count == 1 else f"{count} tests"


def _no_settable_help(candidates: list[str], *, given: bool) -> str:
    if given:
        return (
            f"SSID {mask_ssid(candidates[0])} has no test whose COND. CODE can be pressed "
            "(none assigned, or all submitted): give the SSID of a student with a test not "
            "yet submitted"
        )
    return (
        f"none of the {len(candidates)} students found has a test whose COND. CODE can be "
        "pressed: give the SSID of a student with a test not yet submitted"
    )


def _first_line(err: BaseException) -> str:
    # Playwright's messages go on with a call log; the first line says what went wrong.
    text = getattr(err, "message", None) or str(err)
    return str(text).strip().splitlines()[0] if str(text).strip() else type(err).__name__
