"""One browser context applying opt-outs, student by student, as the guide describes."""

from __future__ import annotations

import contextlib
import logging
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError

from flows.optout.roster import RosterRow
from flows.pages.portal import Landing, MyTomsHome
from flows.pages.students import Assignment, StudentSearch, TestAssignments
from flows.session import TomsSession, enter_toms
from rpa.errors import (
    PageNotRecognized,
    PortalUnavailable,
    RunStopped,
    SessionExpired,
    SystemFailure,
)
from rpa.files import private_dir
from rpa.journal import Item
from rpa.runner import Outcome, StepRecorder
from rpa.settings import Settings

__all__ = [
    "ALREADY_SET", "APPLIED", "BLOCKED", "PLANNED", "OptOutWorker", "SaveNotStored",
    "normalize_name", "row_of",
]

log = logging.getLogger(__name__)

APPLIED = "applied"
ALREADY_SET = "already set"
BLOCKED = "blocked"
PLANNED = "set"

STEP_STAGING = "staging"
STEP_SAVING = "saving"


class SaveNotStored(PortalUnavailable):
    """The bottom SAVE was answered, and the codes read back afterwards are not there.

    Tried again (reading the student first) up to three times: a portal that three times
    answers a SAVE without storing it is not slow, it needs a person (or CalTAC).
    """

    max_attempts = 3


def row_of(item: Item) -> RosterRow:
    """The roster row an item was made from."""
    data = dict(item.payload)
    data["duplicate_rows"] = tuple(data.get("duplicate_rows", ()))
    return RosterRow(**data)


def normalize_name(text: str) -> str:
    """Names compared as a person would: case, accents and spacing do not matter."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace(",", " ").split())


def name_matches(row: RosterRow, shown: str) -> bool:
    """Whether the roster's names (where given) match the name TOMS shows ("LAST, FIRST")."""
    last, _, first = shown.partition(",")
    if row.last_name and normalize_name(row.last_name) != normalize_name(last):
        return False
    return not (row.first_name and normalize_name(row.first_name) != normalize_name(first))


def _rows(items: Sequence[Item]) -> str:
    return ", ".join(str(i.payload.get("row", i.item_id)) for i in items)


def _find(assignments: Sequence[Assignment], test: str) -> Assignment | None:
    for assignment in assignments:
        if normalize_name(assignment.test) == normalize_name(test):
            return assignment
    return None


class OptOutWorker:
    """Applies (or, when planning, only reads) the condition codes of one student at a time."""

    def __init__(
        self,
        context: BrowserContext,
        page: Page,
        session: TomsSession,
        settings: Settings,
        *,
        dry_run: bool,
        run_dir: Path,
    ) -> None:
        self.context = context
        self.page = page
        self.session = session
        self.settings = settings
        self.dry_run = dry_run
        self.run_dir = run_dir
        self.timeout = settings.timeout_ms
        self.generation = session.generation
        self.trace_mode = settings.trace
        self._tracing = False
        self._fresh_search = False

    @classmethod
    async def start(
        cls, session: TomsSession, settings: Settings, *, dry_run: bool, run_dir: Path
    ) -> OptOutWorker:
        """Open a context with the shared logon and go to the student search."""
        context = await session.new_context()
        page = await context.new_page()
        worker = cls(context, page, session, settings, dry_run=dry_run, run_dir=run_dir)
        await worker.recover()
        return worker

    async def close(self) -> None:
        """Close the context (and drop any unsaved trace)."""
        await self.context.close()

    # The runner's Worker protocol ----------------------------------------------------------

    async def recover(self, attempts: int = 5) -> None:
        """From the portal home page to the student search, logging on again if needed.

        A page the flows do not recognize is tried once more, not again and again.
        """
        unknown: set[str] = set()
        for attempt in range(1, attempts + 1):
            try:
                await self._recover_once()
                return
            except SystemFailure as err:
                if attempt == attempts or isinstance(err, RunStopped):
                    raise
                if isinstance(err, PageNotRecognized):
                    if err.signature in unknown:
                        raise
                    unknown.add(err.signature)
                log.info("Getting back to the student search failed (%s); again", err)

    async def _recover_once(self) -> None:
        self._fresh_search = False
        if self.page.is_closed() or self.page.main_frame.url.startswith("chrome-error:"):
            # Chromium's own page for a portal that did not answer reloads itself once the
            # portal answers again, and that reload would take the window away in the middle
            # of the next steps (back to the portal's home page): a new window instead.
            old, self.page = self.page, await self.context.new_page()
            with contextlib.suppress(PlaywrightError):
                await old.close()
        where = await enter_toms(self.page, self.settings)
        for _ in range(3):
            if where != Landing.LOGON:
                break
            # Another worker may have logged on since our cookies were taken: the first renew
            # may only copy its logon; a second one, still refused, logs on afresh.
            self.generation = await self.session.renew(self.context, self.generation)
            where = await enter_toms(self.page, self.settings)
        if where == Landing.LOGON:
            raise SessionExpired("TOMS asked to log on again right after a fresh logon")
        await MyTomsHome(self.page, timeout_ms=self.timeout).open_students()
        self._fresh_search = True

    async def keep_evidence(self, folder: Path) -> list[Path]:
        """A screenshot and the trace of the failed attempt, in ``folder`` (mode 0700)."""
        private_dir(folder)
        files = []
        shot = folder / "screenshot.png"
        if self.settings.screenshot != "off":
            await self.page.screenshot(path=shot, full_page=True)
            shot.chmod(0o600)
            files.append(shot)
        if self._tracing:
            trace = folder / "trace.zip"
            self._tracing = False
            await self.context.tracing.stop(path=trace)
            trace.chmod(0o600)
            files.append(trace)
        return files

    async def discard_evidence(self) -> None:
        """Drop the trace of a group that went well."""
        if self._tracing:
            self._tracing = False
            await self.context.tracing.stop()

    async def _start_trace(self, *, retry: bool) -> None:
        """Record a trace of this attempt when the trace mode asks for one.

        "on" records every attempt; "only-on-failure" records a row's retries, so that a row
        that ends as failed has a trace while rows that go well cost nothing (recording DOM
        snapshots slows a run by about a third on a two-core machine).
        """
        wanted = self.trace_mode == "on" or (self.trace_mode == "only-on-failure" and retry)
        if wanted and not self._tracing:
            await self.context.tracing.start(screenshots=True, snapshots=True)
            self._tracing = True

    async def process(self, items: Sequence[Item], record_step: StepRecorder) -> list[Outcome]:
        """Read the student's assignments and set the codes the rows ask for."""
        await self._start_trace(retry=any(i.attempts > 0 or i.reason for i in items))
        rows = [row_of(i) for i in items]
        ssid = rows[0].ssid
        search = StudentSearch(self.page, timeout_ms=self.timeout)
        if not self._fresh_search:
            await search.open()
        self._fresh_search = False
        found = [r for r in await search.search_ssid(ssid) if r.ssid == ssid]
        if not found:
            return await self._blocked(
                items, rows, f"not found: TOMS has no student with SSID {ssid} in your "
                "organizations", {}
            )
        student = found[0]
        facts: dict[str, Any] = {"name": student.name, "school": student.school}
        mismatched = [r for r in rows if not name_matches(r, student.name)]
        if mismatched:
            given = f"{rows[0].last_name}, {rows[0].first_name}".strip(", ")
            return await self._blocked(
                items, rows, f"name mismatch: the roster says {given!r}, TOMS shows "
                f"{student.name!r} for SSID {ssid}", facts
            )
        profile = await search.open_student(ssid)
        page = await profile.open_test_assignments()
        assignments = await page.read()

        outcomes: list[Outcome] = []
        to_set: list[tuple[Item, RosterRow]] = []
        for item, row in zip(items, rows, strict=True):
            current = _find(assignments, row.test)
            result = dict(facts, code_before=current.code if current else "")
            if current is None:
                outcomes.append(Outcome(item, BLOCKED, f"test not assigned: {row.test}", result))
            elif current.code == row.code:
                confirmed = item.step == STEP_SAVING
                status = APPLIED if confirmed else ALREADY_SET
                reason = "saved by an earlier attempt; confirmed on re-read" if confirmed else ""
                if confirmed:
                    result["code_before"] = ""
                outcomes.append(Outcome(item, status, reason, dict(result, code_after=row.code)))
            elif current.code:
                outcomes.append(Outcome(
                    item, BLOCKED, f"another code already set: {current.code}", result
                ))
            elif not current.can_set_code:
                outcomes.append(Outcome(
                    item, BLOCKED,
                    f"test submitted: COND. CODE is not available ({current.status})", result,
                ))
            else:
                to_set.append((item, row))
        if to_set and self.dry_run:
            outcomes += [Outcome(i, PLANNED, "", dict(facts, code_before="")) for i, _ in to_set]
        elif to_set:
            outcomes += await self._apply(page, assignments, to_set, record_step, facts)
        if any(o.status == BLOCKED for o in outcomes):
            await self._screenshot_blocked(outcomes)
        return sorted(outcomes, key=lambda o: o.item.item_id)

    async def _apply(
        self,
        page: TestAssignments,
        assignments: Sequence[Assignment],
        to_set: list[tuple[Item, RosterRow]],
        record_step: StepRecorder,
        facts: dict[str, Any],
    ) -> list[Outcome]:
        items = [i for i, _ in to_set]
        record_step(items, STEP_STAGING)
        for _, row in to_set:
            shown = _find(assignments, row.test)
            await page.stage_code(shown.test if shown else row.test, row.code)
        # Step 12: the table shows every staged code, and nothing else changed, before
        # anything is stored.
        staged = await page.read()
        wanted = {normalize_name(row.test): row.code for _, row in to_set}
        for before in assignments:
            shown = _find(staged, before.test)
            expected = wanted.get(normalize_name(before.test), before.code)
            if shown is None or shown.code != expected:
                raise PortalUnavailable(
                    f"the table shows {shown.code if shown and shown.code else 'no code'} for "
                    f"{before.test} after COND. CODE, not {expected or 'no code'}; nothing "
                    "was saved"
                )
        # Recorded before the click: if we die now, the next attempt knows a save may have
        # gone through and re-reads before doing anything.
        record_step(items, STEP_SAVING)
        outcome = await page.save()
        confirmed = ""
        if outcome.rendered:
            # The portal showed the table anew after SAVE: it shows what is stored.
            after = await page.read()
        else:
            # The table on screen is the one with the staged codes, which says nothing about
            # what was stored: open the student again and read it there.
            log.info("Rows %s: the page did not change after SAVE%s; opening the student "
                     "again to read what TOMS stored", _rows(items),
                     f" (it says: {outcome.message})" if outcome.message else "")
            after = await self._reopen(to_set[0][1].ssid)
            confirmed = "confirmed by opening the student again"
        missing = []
        outcomes = []
        for item, row in to_set:
            current = _find(after, row.test)
            code_after = current.code if current else ""
            if code_after != row.code:
                missing.append(f"{row.test}: {code_after or 'no code'}")
                continue
            result = dict(facts, code_before="", code_after=code_after)
            outcomes.append(Outcome(item, APPLIED, confirmed, result))
        if missing:
            said = f" It said: {outcome.message}" if outcome.message else ""
            # Nothing is final yet: the next attempt reads the student before anything else,
            # and sets only what is still missing.
            raise SaveNotStored(
                "TOMS did not store the codes after SAVE (it shows " + "; ".join(missing)
                + ")." + said
            )
        return outcomes

    async def _reopen(self, ssid: str) -> list[Assignment]:
        """The student's assignments as TOMS stores them, from a fresh look."""
        search = StudentSearch(self.page, timeout_ms=self.timeout)
        await search.open()
        if not any(r.ssid == ssid for r in await search.search_ssid(ssid)):
            raise PortalUnavailable(f"the student {ssid} was not found when searched again")
        profile = await search.open_student(ssid)
        page = await profile.open_test_assignments()
        return await page.read()

    async def _blocked(
        self, items: Sequence[Item], rows: Sequence[RosterRow], reason: str,
        facts: dict[str, Any],
    ) -> list[Outcome]:
        outcomes = [Outcome(i, BLOCKED, reason, dict(facts)) for i in items]
        await self._screenshot_blocked(outcomes)
        return outcomes

    async def _screenshot_blocked(self, outcomes: Sequence[Outcome]) -> None:
        if self.settings.screenshot == "off":
            return
        blocked = [o for o in outcomes if o.status == BLOCKED]
        first = row_of(blocked[0].item).row
        folder = private_dir(self.run_dir / "rows" / f"row-{first:05d}")
        shot = folder / "screenshot.png"
        await self.page.screenshot(path=shot, full_page=True)
        shot.chmod(0o600)
        for outcome in blocked:
            outcome.result["evidence"] = str(shot.relative_to(self.run_dir))
