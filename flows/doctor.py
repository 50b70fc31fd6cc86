"""``toms-rpa doctor``: walk every page the flows need, with the flows' own page objects.

A district runs it before the testing window to find a portal change then, not during it. It
checks, in order: the settings, the browser, that the portal answers, the logon and role, and
each TOMS page the way the opt-out uses it (search form, search results, student profile,
Test Assignments, the condition code dialog). Since it uses the very page objects of the
flows, it passes exactly where they work and fails where they cannot. Each line says which
entries of the word list matched, so a coordinator whose portal words things differently
knows what to add. It stops at the first failure, naming the step and what the page showed.

It never presses either SAVE: the condition code dialog is opened, read and closed with
CANCEL, and the table is read again to show nothing was staged.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page
from playwright.async_api import Error as PlaywrightError

from flows import words
from flows.pages import screens
from flows.pages.base import MATCHED
from flows.pages.describe import describe
from flows.pages.portal import Landing, MyTomsHome, PortalHome
from flows.pages.spec import Spec, content_frame, locate
from flows.pages.students import Assignment, StudentSearch, TestAssignments
from flows.session import STATE_FILE, CodeProvider, TomsSession, enter_toms
from rpa.browser import find_browser, open_browser, playwright_chromium_version
from rpa.errors import (
    InputError,
    PageNotRecognized,
    PortalUnavailable,
    SessionExpired,
    SystemFailure,
)
from rpa.files import private_dir
from rpa.report import mask_ssid
from rpa.settings import Settings

__all__ = ["CHECKS", "EXIT_BROKEN", "EXIT_OK", "EXIT_SETTINGS", "run_doctor"]

EXIT_OK, EXIT_BROKEN, EXIT_SETTINGS = 0, 1, 2

CHECKS = (
    "settings", "browser", "portal", "logon and role", "MyTOMS Home", "search form",
    "search results", "student profile", "Test Assignments", "condition code dialog",
)
CODES = ("NTE", "PGE")
# Without a given SSID, students found by these searches are tried until one has a test whose
# COND. CODE can be pressed; grade 11 takes the CAASPP in every high school district.
LOOK_AROUND = (
    (screens.Search.grade, "11", "grade"), (screens.Search.last_name, "A", "last name"),
)
MAX_STUDENTS = 5
SSID_PATTERN = re.compile(r"^\d{10}$")

PAGE_ADVICE = (
    "The opt-out would stop here too. Nothing was changed in TOMS. Run doctor again in a few "
    "minutes; if it fails again and the page works in an ordinary browser, the portal words or "
    "builds this page differently: add its words to your word list (TOMS_WORDS_FILE; "
    "`toms-rpa words` lists the entries), or report it so toms-rpa is updated."
)
PORTAL_ADVICE = (
    "The portal did not answer or did not show its TOMS tile: check TOMS_PORTAL_URL and the "
    "network, and try again later. If the portal works in an ordinary browser, its home page "
    "has changed and toms-rpa must be updated."
)
LOGON_ADVICE = (
    "The logon did not lead into TOMS. Try again later; if it keeps failing while you can log "
    "on by hand, the logon pages word things differently: add their words to your word list "
    "(TOMS_WORDS_FILE), or report it so toms-rpa is updated."
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
    matched: list[str] = field(default_factory=list)


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


def _entry(key: str) -> str:
    entry = words.entry(key)
    return f"[{key}: {entry.source}]"


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
        """One line per check: ``ok`` with its detail and the entries matched, or ``FAIL``."""
        check = _Check(name)
        token = MATCHED.set(check.matched)
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
        finally:
            MATCHED.reset(token)
        self.passed += 1
        self.say(f"ok    {name}: {check.detail}")
        seen = [k for k in dict.fromkeys(check.matched) if k not in check.detail]
        if seen:
            self.say("      matched " + ", ".join(_entry(k) for k in seen))

    def warn(self, name: str, text: str) -> None:
        """A line about something to fix that does not stop the checks."""
        self.say(f"warn  {name}: {text}")

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
        self._browser_state_private()
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

    def _browser_state_private(self) -> None:
        """Warn when the remembered browser (a cookie that skips the e-mailed code) is open."""
        folder = self.settings.state_dir
        state = folder / STATE_FILE
        loose = [
            path for path in (folder, state)
            if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077
        ]
        if loose:
            names = " and ".join(str(p) for p in loose)
            self.warn(
                "browser state",
                f"{names} can be read by other users of this machine; {STATE_FILE} lets its "
                "holder into TOMS without the e-mailed code. Run: chmod 700 "
                f"{folder} && chmod 600 {state} (or set TOMS_REMEMBER_BROWSER=false).",
            )

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
                page = await context.new_page()
                await PortalHome(page, timeout_ms=self.timeout).open(url)
                tile = await self._seen(page, screens.PortalHome.toms)
            finally:
                await context.close()
            c.detail = f"{url} shows the home page with {tile}"

    async def _seen(self, page: Page, spec: Spec, *, in_frame: bool = False) -> str:
        """How ``spec`` shows on the page (its role and name) and the entry that matched."""
        scope = content_frame(page) if in_frame else page.main_frame
        locator = locate(scope, spec).first
        try:
            await locator.wait_for(state="visible", timeout=self.timeout)
            snapshot = await locator.aria_snapshot(timeout=self.timeout)
        except PlaywrightError:
            shown = await describe(page)
            raise PageNotRecognized(
                f"the portal did not show {spec.described}; the page shows: {shown}",
                signature=f"doctor|{spec.key}",
            ) from None
        first = snapshot.strip().splitlines()[0].lstrip("- ").rstrip(":") if snapshot else ""
        return f"{first or spec.what} {_entry(spec.key)}"

    async def _pages(self, page: Page, session: TomsSession, ssid: str | None) -> None:
        with self.check("MyTOMS Home") as c:
            where = await enter_toms(page, self.settings)
            if where == Landing.LOGON:
                await session.renew(page.context, session.generation)
                where = await enter_toms(page, self.settings)
            if where == Landing.LOGON:
                raise SessionExpired("TOMS asked to log on again right after the logon")
            tab = await self._seen(page, screens.Toms.students)
            await MyTomsHome(page, timeout_ms=self.timeout).open_students()
            c.detail = f"{tab} opens the student search"
        search = StudentSearch(page, timeout_ms=self.timeout)
        with self.check("search form") as c:
            field_ = await self._seen(page, screens.Search.ssid, in_frame=True)
            button = await self._seen(page, screens.Search.search, in_frame=True)
            c.detail = f"{field_}, {button}"
        with self.check("search results") as c:
            if ssid is None:
                criterion, candidates = await self._find_students(search)
            else:
                criterion, candidates = "", [ssid]
            await self._search(search, candidates[0], given=ssid is not None)
            c.detail = (
                f"the results show SSID {mask_ssid(candidates[0])} with its name, school and "
                f"grade{criterion}"
            )
        assignments = await self._assignments(search, candidates[0])
        with self.check("condition code dialog") as c:
            rows = await assignments.read()
            tried = 1
            while not any(row.can_set_code for row in rows):
                if tried >= len(candidates):
                    raise InputError(_no_settable_help(candidates, given=ssid is not None))
                await search.open()
                await self._search(search, candidates[tried], given=False)
                profile = await search.open_student(candidates[tried])
                assignments = await profile.open_test_assignments()
                rows = await assignments.read()
                tried += 1
            test = next(row.test for row in rows if row.can_set_code)
            offered = await assignments.look_at_code_dialog(test)
            missing = [code for code in CODES
                       if not any(re.match(rf"\s*{code}\b", o, re.IGNORECASE) for o in offered)]
            if missing:
                raise PageNotRecognized(
                    f"the condition code list offers {'; '.join(offered) or 'nothing'}, "
                    f"not {' or '.join(missing)}",
                    signature="doctor|codes",
                )
            after = await assignments.read()
            if [row.code for row in after] != [row.code for row in rows]:
                raise PortalUnavailable("CANCEL left a condition code in the table (not saved)")
            save = await self._seen(page, screens.Assignments.save, in_frame=True)
            c.detail = (
                f"COND. CODE on {test} opens the dialog; the list offers "
                f"{' and '.join(CODES)} ({'; '.join(o for o in offered if o.strip())}); "
                f"CANCEL closed it, nothing staged; {save} is there (not pressed)"
            )

    async def _find_students(self, search: StudentSearch) -> tuple[str, list[str]]:
        """SSIDs of a few students, from a search by grade (else by last name)."""
        for index, (spec, value, by) in enumerate(LOOK_AROUND):
            if index:
                await search.open()
            found = await search.search_by(spec, value)
            if found:
                await search.open()
                ssids = [r.ssid for r in found][:MAX_STUDENTS]
                return f' (found by searching by {by} "{value}")', ssids
        raise InputError(
            "no student was found by searching by grade or last name: give the SSID of a "
            "student whose tests are not yet submitted (--ssid)"
        )

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
        with self.check("student profile") as c:
            profile = await search.open_student(ssid)
            assert self.page is not None
            tab = await self._seen(self.page, screens.Profile.assignments, in_frame=True)
            c.detail = f"the magnifying glass opens the profile with {tab}"
        with self.check("Test Assignments") as c:
            assignments = await profile.open_test_assignments()
            rows: list[Assignment] = await assignments.read()  # checks the columns it reads
            settable = sum(1 for row in rows if row.can_set_code)
            c.detail = (
                f"the table with columns Test Program, Test Assignment Status, Condition Code "
                f"and COND. CODE buttons; {_tests(len(rows))}, {settable} with COND. CODE "
                "available"
            )
        return assignments

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
