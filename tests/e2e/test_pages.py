"""The opt-out page objects, driven in a real browser: where a step ends when it cannot go on.

The portal can send the whole window to its logon page while a student is open (a session
that ended, an idle timer); a step then fails on a page that is gone. The page objects look at
the window as a person would and say the session ended, so the run logs on again without
counting an attempt, instead of reporting the browser's own "Frame was detached". A control
that never shows on a page that stayed is named in the failure, instead of Playwright's
"Timeout exceeded".
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from flows.pages.portal import Landing, LogonPage, MyTomsHome, PortalHome, RoleDialog
from flows.pages.students import StudentSearch, TestAssignments
from flows.session import STATE_FILE, TomsSession, email_code_provider, enter_toms
from rpa.browser import open_browser
from rpa.errors import PageNotRecognized, SessionExpired
from rpa.settings import Settings, load_settings
from tests.conftest import LEA, PASSWORD, Portal
from tests.run_async import run_async

TIMEOUT_MS = 10_000


def _settable(portal: Portal) -> tuple[str, str]:
    """A student and a test of theirs that can take a condition code."""
    for student in portal.students():
        for assignment in student["assignments"]:
            if assignment["status"] == "Assigned" and assignment["condition_code"] is None:
                return student["ssid"], assignment["test"]
    raise AssertionError("the seed has no settable assignment")


Step = Callable[[StudentSearch, TestAssignments, str, str], Awaitable[Any]]


def _settings(portal: Portal, tmp_path: Path) -> Settings:
    return load_settings(
        portal_url=portal.url, username=LEA, password=PASSWORD, role="LEA CAASPP Coordinator",
        email_code_command=f"{sys.executable} -m mock_portal.outbox {portal.url} {LEA}",
        state_dir=tmp_path, timeout_ms=TIMEOUT_MS,
    )


@asynccontextmanager
async def _logged_on(portal: Portal, tmp_path: Path) -> AsyncIterator[StudentSearch]:
    """A worker's window logged on to TOMS, at the student search."""
    settings = _settings(portal, tmp_path)
    async with open_browser(settings) as browser:
        session = TomsSession(browser, settings, state_path=tmp_path / STATE_FILE,
                              code_provider=email_code_provider(settings))
        await session.start()
        page = await (await session.new_context()).new_page()
        await enter_toms(page, settings)
        await MyTomsHome(page, timeout_ms=TIMEOUT_MS).open_students()
        yield StudentSearch(page, timeout_ms=TIMEOUT_MS)


async def _step_after_the_window_moved(
    portal: Portal, tmp_path: Path, step: Step, *, move: bool = True
) -> None:
    """Open a student's Test Assignments, send the window to the logon page, then do ``step``.

    With ``move=False`` the window stays where it is.
    """
    ssid, test = _settable(portal)
    async with _logged_on(portal, tmp_path) as search:
        await search.search_ssid(ssid)
        profile = await search.open_student(ssid)
        assignments = await profile.open_test_assignments()
        if not move:
            await step(search, assignments, ssid, test)
            return
        # The session ends and the portal shows its logon page in the whole window.
        await search.page.context.clear_cookies()
        await search.page.goto(f"{portal.url}toms/")
        # The logon page is seen as soon as it is there, not once a minute's wait for a
        # control it will never show has run out.
        search.timeout_ms = assignments.timeout_ms = 60_000
        started = time.monotonic()
        try:
            await step(search, assignments, ssid, test)
        finally:
            assert time.monotonic() - started < 30


async def _stage(search: StudentSearch, page: TestAssignments, ssid: str, test: str) -> None:
    await page.stage_code(test, "PGE")  # COND. CODE, a click


async def _search(search: StudentSearch, page: TestAssignments, ssid: str, test: str) -> None:
    await search.search_ssid(ssid)  # typing the SSID


async def _save(search: StudentSearch, page: TestAssignments, ssid: str, test: str) -> None:
    await page.save()  # the bottom SAVE


@pytest.mark.parametrize("step", [_stage, _search, _save], ids=["click", "typing", "save"])
def test_a_step_on_a_page_gone_to_the_logon_page_says_the_session_ended(
    portal: Portal, tmp_path: Path, step: Step
) -> None:
    with pytest.raises(SessionExpired, match="log on again"):
        run_async(_step_after_the_window_moved(portal, tmp_path, step))

    ssid, test = _settable(portal)
    assert portal.code(ssid, test) is None  # nothing was stored on the way


async def _role_after_the_session_ended(portal: Portal, tmp_path: Path) -> None:
    """The logon up to the role, the session ended meanwhile, then the role chosen."""
    settings = _settings(portal, tmp_path)
    async with open_browser(settings) as browser:
        page = await (await browser.new_context()).new_page()
        where = await (await PortalHome(page, timeout_ms=TIMEOUT_MS).open(portal.url)).open_toms()
        logon = LogonPage(page, timeout_ms=TIMEOUT_MS)
        where = await logon.log_on(LEA, PASSWORD)
        if where == Landing.CODE:
            code = portal.client.get("/__mock__/outbox", params={"to": LEA}).text.strip()
            where = await logon.enter_code(code)
        assert where == Landing.ROLE
        portal.client.post("/__mock__/sessions/expire")
        await RoleDialog(page, timeout_ms=TIMEOUT_MS).choose(settings.role)


def test_the_logon_page_after_the_role_says_the_session_ended(
    portal: Portal, tmp_path: Path
) -> None:
    # Not a page nobody knows, which met twice would stop the run: a session that ended,
    # which the run meets by logging on again.
    with pytest.raises(SessionExpired, match="instead of showing TOMS after choosing the role"):
        run_async(_role_after_the_session_ended(portal, tmp_path))


async def _unknown_test(search: StudentSearch, page: TestAssignments, ssid: str, test: str) -> None:
    page.timeout_ms = 1000
    await page.stage_code("Not A Test", "PGE")  # no such row: no COND. CODE to press


async def _unknown_code(search: StudentSearch, page: TestAssignments, ssid: str, test: str) -> None:
    page.timeout_ms = 1000
    await page.stage_code(test, "XYZ")  # the dialog opens; the list has no such code


@pytest.mark.parametrize(
    ("step", "message", "shown"),
    [(_unknown_test, "the portal did not show COND. CODE for Not A Test; the page shows: ",
      '"Current Active Test Assignments for'),
     (_unknown_code, "the condition code list offers -- Select --; NTE; PGE: no code XYZ", "")],
    ids=["button", "choice"],
)
def test_a_control_that_never_shows_is_named_and_nothing_is_stored(
    portal: Portal, tmp_path: Path, step: Step, message: str, shown: str
) -> None:
    """What was looked for, and what the page shows instead: not "the portal was slow"."""
    with pytest.raises(PageNotRecognized) as raised:
        run_async(_step_after_the_window_moved(portal, tmp_path, step, move=False))

    assert str(raised.value).startswith(message), raised.value
    assert shown in str(raised.value)
    ssid, test = _settable(portal)
    assert portal.code(ssid, test) is None


async def _reload_meets_the_end_of_the_session(portal: Portal, tmp_path: Path) -> None:
    """The breadcrumb meets an error page; before the reload, the session ends."""
    ssid, _ = _settable(portal)
    async with _logged_on(portal, tmp_path) as search:
        await search.search_ssid(ssid)
        portal.faults(error_rate=1.0)
        opening = asyncio.ensure_future(search.open())
        # As soon as the error page is served (a reload comes 0.2 s later, then 0.4, 0.6):
        while not portal.client.get("/__mock__/stats").json()["errors_injected"]:
            await asyncio.sleep(0.01)
        portal.faults(error_rate=0.0)
        portal.client.post("/__mock__/sessions/expire").raise_for_status()
        await opening


def test_a_reload_after_an_error_page_that_meets_the_logon_page_says_the_session_ended(
    portal: Portal, tmp_path: Path
) -> None:
    with pytest.raises(SessionExpired, match="log on again"):
        run_async(_reload_meets_the_end_of_the_session(portal, tmp_path))
