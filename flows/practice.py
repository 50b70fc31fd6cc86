"""Practice and training test sessions: start one, approve the class as it arrives, stop it.

The test administrator's second job in the guides. ``start`` logs on to the Test Administrator
Training Site, starts an in-person or remote session with the chosen tests and hands out its
Practice Session ID (and link). ``approve`` watches the session's Approvals tab, approving the
students of the class list and denying everyone else with a reason, and by refreshing keeps the
session from being logged off for inactivity. ``stop`` ends it.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Page

from flows.optout.worker import normalize_name as _norm
from flows.pages import screens
from flows.pages.portal import PortalHome
from flows.pages.practice import Approvals, PracticeTestsPage, SessionPage, TaHome, Waiting
from flows.session import CodeProvider, LogonLimits, walk_logon
from rpa.browser import open_browser
from rpa.errors import InputError, RunStopped, SettingsError, SystemFailure
from rpa.files import private_dir, write_private_text
from rpa.settings import Settings
from rpa.tables import read_table

__all__ = [
    "ClassList", "Decision", "approve_session", "decide", "load_class", "start_session",
    "stop_session",
]

log = logging.getLogger(__name__)

NOT_ON_LIST = "Not on the class list for this session."
NAME_DIFFERS = "The first name does not match the class list for this SSID."
NO_GUESTS = "Guests are not admitted to this session."


@dataclass(frozen=True)
class ClassList:
    """The students to admit: SSID -> first name."""

    students: dict[str, str]


def load_class(path: Path) -> ClassList:
    """Read a class list (CSV or Excel with ``first_name`` and ``ssid``); refuse bad rows."""
    table = read_table(path)
    missing = {"first_name", "ssid"} - set(table.columns)
    if missing:
        raise InputError(
            f"The class list {path} needs the columns first_name and ssid; "
            f"missing: {', '.join(sorted(missing))}"
        )
    students: dict[str, str] = {}
    problems = []
    for row in table.rows:
        ssid = row.values.get("ssid", "").replace(" ", "")
        first = row.values.get("first_name", "").strip()
        if not (len(ssid) == 10 and ssid.isdigit()):
            problems.append(f"row {row.line}, column ssid: SSID must be 10 digits, got {ssid!r}")
        elif not first:
            problems.append(f"row {row.line}, column first_name: the first name is empty")
        else:
            students[ssid] = first
    if problems or not students:
        problems = problems or ["the class list has no students"]
        raise InputError(f"The class list {path} has problems:\n  " + "\n  ".join(problems))
    return ClassList(students)


@dataclass(frozen=True)
class Decision:
    """Approve or deny one waiting student, and why."""

    approve: bool
    reason: str


def decide(student: Waiting, roster: ClassList, *, allow_guests: bool) -> Decision:
    """Whom to admit: class members by SSID and first name; guests only when allowed."""
    if student.guest:
        return Decision(allow_guests, "" if allow_guests else NO_GUESTS)
    expected = roster.students.get(student.ssid.strip())
    if expected is None:
        return Decision(False, NOT_ON_LIST)
    if _norm(expected) != _norm(student.first_name):
        return Decision(False, NAME_DIFFERS)
    return Decision(True, "")


@asynccontextmanager
async def _training_site(
    settings: Settings, code_provider: CodeProvider
) -> AsyncIterator[tuple[Page, TaHome]]:
    """Logged on to the Test Administrator Training Site, from the portal home page."""
    settings.require_credentials()
    state_path = settings.state_dir / "training-site-state.json"
    remember = settings.remember_browser
    saved = json.loads(state_path.read_text()) if remember and state_path.is_file() else None
    async with open_browser(settings) as browser:
        # Not traced: the password is typed in this context.
        context = await browser.new_context(storage_state=saved)
        context.set_default_timeout(settings.timeout_ms)
        try:
            page = await context.new_page()
            timeout = settings.timeout_ms
            home_page = PortalHome(page, timeout_ms=timeout)
            await home_page.open(str(settings.portal_url), tile=screens.PortalHome.practice)
            practice = PracticeTestsPage(page, timeout_ms=timeout)
            await practice.open_from_home()
            await practice.start_session()
            home = TaHome(page, timeout_ms=timeout)
            limits = LogonLimits(code_provider)
            for attempt in (1, 2):
                before = limits.passwords
                try:
                    where = await home_page.landed(TaHome.marker())
                    await walk_logon(
                        page, settings, where, credentials=True, code_provider=limits.code,
                        destination=TaHome.marker(), on_password=limits.sent_password,
                    )
                    break
                except SystemFailure as err:
                    if isinstance(err, RunStopped) or attempt == 2:
                        raise
                    limits.failed(err, sent_password=limits.passwords > before)
                    log.warning("Logon to the training site failed (%s); trying again", err)
                    await practice_again(page, settings)
            private_dir(settings.state_dir)
            if remember:
                write_private_text(state_path, json.dumps(await context.storage_state()))
            else:
                state_path.unlink(missing_ok=True)
            yield page, home
        finally:
            await context.close()


async def practice_again(page: Page, settings: Settings) -> None:
    """From the portal home page to the training site's logon, again."""
    timeout = settings.timeout_ms
    await PortalHome(page, timeout_ms=timeout).open(
        str(settings.portal_url), tile=screens.PortalHome.practice
    )
    practice = PracticeTestsPage(page, timeout_ms=timeout)
    await practice.open_from_home()
    await practice.start_session()


def _session_dir(settings: Settings, session_id: str) -> Path:
    return private_dir(settings.state_dir / "practice" / session_id)


async def start_session(
    settings: Settings, tests: list[str], *, remote: bool, code_provider: CodeProvider
) -> dict[str, object]:
    """Start a session with ``tests``; return (and save) its ID, link and tests."""
    if not tests:
        raise InputError("Name at least one practice or training test with --tests")
    async with _training_site(settings, code_provider) as (_, home):
        select = await home.start(remote=remote)
        session = await select.choose(tests)
        session_id, link = await session.read()
    info: dict[str, object] = {
        "session_id": session_id, "link": link, "remote": remote, "tests": tests,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "portal": str(settings.portal_url),
    }
    folder = _session_dir(settings, session_id)
    write_private_text(folder / "session.json", json.dumps(info, indent=2))
    write_private_text(settings.state_dir / "practice" / "current.json", json.dumps(info))
    return info


async def stop_session(settings: Settings, session_id: str, *, code_provider: CodeProvider) -> None:
    """Stop the session."""
    async with _training_site(settings, code_provider) as (_, home):
        session = await home.open_session(session_id)
        await session.stop()


DecisionCallback = Callable[[Waiting, Decision], None]


async def approve_session(
    settings: Settings,
    session_id: str,
    roster: ClassList,
    *,
    until: float,
    allow_guests: bool,
    code_provider: CodeProvider,
    poll_s: float = 2.0,
    on_decision: DecisionCallback | None = None,
) -> Counter[str]:
    """Watch the Approvals tab until ``until`` (a time.time()), deciding for each student."""
    log_path = _session_dir(settings, session_id) / "decisions.csv"
    counts: Counter[str] = Counter()
    async with _training_site(settings, code_provider) as (_, home):
        session: SessionPage = await home.open_session(session_id)
        approvals: Approvals = await session.open_approvals()
        state = "open"
        while time.time() < until:
            for student in await approvals.read():
                decision = decide(student, roster, allow_guests=allow_guests)
                if decision.approve:
                    await approvals.approve(student)
                else:
                    await approvals.deny(student, decision.reason)
                counts["approved" if decision.approve else "denied"] += 1
                _record(log_path, student, decision)
                log.info(
                    "%s %s (%s, %s)%s", "Approved" if decision.approve else "Denied",
                    student.first_name, student.ssid, student.test,
                    f": {decision.reason}" if decision.reason else "",
                )
                if on_decision is not None:
                    on_decision(student, decision)
                break  # the page reloaded: read it again
            else:
                # Nobody waiting: the portal has no push, so ask again after a short pause.
                # Each refresh is also activity that keeps the session from timing out.
                await asyncio.sleep(min(poll_s, max(0.0, until - time.time())))
                state = await approvals.refresh()
                if state == "ended":
                    log.warning("The session %s has ended", session_id)
                    break
    return counts


def _record(path: Path, student: Waiting, decision: Decision) -> None:
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as fh:
        if new:
            path.chmod(0o600)
        writer = csv.writer(fh)
        if new:
            writer.writerow(["time", "first_name", "ssid", "test", "decision", "reason"])
        writer.writerow([
            datetime.now(UTC).isoformat(timespec="seconds"), student.first_name, student.ssid,
            student.test, "approved" if decision.approve else "denied", decision.reason,
        ])


def parse_until(until: str | None, minutes: float | None) -> float:
    """The end of the watch: ``--until HH:MM`` (today, local time) or ``--for MINUTES``."""
    if until and minutes:
        raise InputError("Give --until or --for, not both")
    if minutes:
        return time.time() + minutes * 60
    if until:
        try:
            hour, minute = (int(p) for p in until.split(":", 1))
            now = datetime.now().astimezone()
            end = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        except ValueError:
            raise InputError(f"--until takes a time of day like 14:30, not {until!r}") from None
        if end <= now:
            raise InputError(f"--until {until} is already past")
        return end.timestamp()
    raise SettingsError("Say how long to watch: --until HH:MM or --for MINUTES")
