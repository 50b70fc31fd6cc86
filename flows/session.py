"""Logging on to TOMS once, outside any trace, and sharing the logon with every worker.

The logon (username, password, e-mailed code, role) happens in a browser context of its own
that is never traced or recorded, so the password cannot end up in a trace or screenshot. Its
storage state, which includes the portal's "remembered browser" cookie, is saved in the state
directory with mode 0600 and given to each worker's context. A worker whose session ends asks
for a fresh logon; several workers asking at once cause a single logon.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page

from flows.pages.base import Expect
from flows.pages.portal import Landing, LogonPage, PortalHome, RoleDialog
from rpa.errors import (
    LogonFailed,
    PageNotRecognized,
    PortalUnavailable,
    RunStopped,
    SettingsError,
    SystemFailure,
)
from rpa.files import write_private_text
from rpa.settings import Settings

__all__ = [
    "STATE_FILE", "CodeProvider", "LogonLimits", "TomsSession", "email_code_provider",
    "enter_toms", "walk_logon",
]

log = logging.getLogger(__name__)

CodeProvider = Callable[[], Awaitable[str]]
STATE_FILE = "browser-state.json"
"""The saved, logged-on browser state, in the state directory."""
StorageState = dict[str, Any]


def email_code_provider(settings: Settings) -> CodeProvider:
    """Where the e-mailed logon code comes from: the configured command, else a prompt."""

    async def from_command() -> str:
        proc = await asyncio.create_subprocess_shell(
            settings.email_code_command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
        except TimeoutError:
            proc.kill()
            raise SettingsError(
                "TOMS_EMAIL_CODE_COMMAND did not finish within 120 s",
                variable="TOMS_EMAIL_CODE_COMMAND",
            ) from None
        lines = [ln.strip() for ln in out.decode(errors="replace").splitlines() if ln.strip()]
        if proc.returncode != 0 or not lines:
            raise SettingsError(
                f"TOMS_EMAIL_CODE_COMMAND printed no code (exit status {proc.returncode})",
                variable="TOMS_EMAIL_CODE_COMMAND",
            )
        return lines[-1]

    async def from_prompt() -> str:
        return (await asyncio.to_thread(input, "TOMS sent a code to your e-mail. Code: ")).strip()

    async def unavailable() -> str:
        raise SettingsError(
            "The portal asked for the code it e-mailed, and there is no terminal to ask you: "
            "set TOMS_EMAIL_CODE_COMMAND to a command that prints the code, or run once on a "
            "terminal so this browser is remembered",
            variable="TOMS_EMAIL_CODE_COMMAND",
        )

    if settings.email_code_command:
        return from_command
    if sys.stdin is not None and sys.stdin.isatty():
        return from_prompt
    return unavailable


async def walk_logon(
    page: Page,
    settings: Settings,
    where: str,
    *,
    credentials: bool,
    code_provider: CodeProvider | None,
    destination: Expect | None = None,
    on_password: Callable[[], None] | None = None,
) -> str:
    """From the page ``where`` names through the logon steps to the destination (TOMS).

    Without ``credentials`` the browser must already be logged on: landing on the logon page
    returns :data:`Landing.LOGON` instead of typing anything, so that worker contexts, which
    may be traced, never see the password. ``on_password`` is called each time the password
    is sent.
    """
    timeout = settings.timeout_ms
    logon = LogonPage(page, timeout_ms=timeout, destination=destination)
    if where == Landing.LOGON:
        if not credentials:
            return Landing.LOGON
        if on_password is not None:
            on_password()
        where = await logon.log_on(settings.username, settings.password.get_secret_value())
    if where == Landing.CODE:
        if code_provider is None:
            raise SettingsError(
                "the portal asked for an e-mail code", variable="TOMS_EMAIL_CODE_COMMAND"
            )
        where = await logon.enter_code(await code_provider())
    if where == Landing.ROLE:
        await RoleDialog(page, timeout_ms=timeout).choose(settings.role)
        where = Landing.TOMS
    if where != Landing.TOMS:
        raise PortalUnavailable(f"the logon ended on the {where} page, not where it leads")
    return where


async def enter_toms(
    page: Page,
    settings: Settings,
    *,
    credentials: bool = False,
    code_provider: CodeProvider | None = None,
    on_password: Callable[[], None] | None = None,
) -> str:
    """From the portal home page into TOMS, as a person would (guide steps 1 to 4)."""
    timeout = settings.timeout_ms
    landing = await PortalHome(page, timeout_ms=timeout).open(str(settings.portal_url))
    where = await landing.open_toms()
    return await walk_logon(
        page, settings, where, credentials=credentials, code_provider=code_provider,
        on_password=on_password,
    )


class LogonLimits:
    """What one run allows itself at the logon, so that a portal it does not understand
    never locks the account or floods the coordinator's inbox.

    The password is sent at most twice for the same failure, and the e-mailed code is asked
    for at most twice in a run.
    """

    MAX_SAME_FAILURE = 2
    MAX_CODES = 2

    def __init__(self, code_provider: CodeProvider) -> None:
        self._provider = code_provider
        self.codes = 0
        self.passwords = 0
        self.failures: Counter[str] = Counter()

    async def code(self) -> str:
        """The e-mailed code, unless two were asked for already."""
        if self.codes >= self.MAX_CODES:
            raise LogonFailed(
                f"could not log on to TOMS: the portal asked for an e-mailed code "
                f"{self.codes + 1} times in this run; toms-rpa stops rather than ask for more. "
                "Log on once in an ordinary browser to check the account, then run again."
            )
        self.codes += 1
        return await self._provider()

    def sent_password(self) -> None:
        """Count a password sent."""
        self.passwords += 1

    def failed(self, err: SystemFailure, *, sent_password: bool) -> None:
        """Record a failed logon; raise :class:`LogonFailed` at the second of its kind.

        A page the flows do not recognize counts, the same one twice is the end: trying again
        would only repeat it, and after the password it could lock the account. An error page
        or a portal that does not answer is met again by a person too, who tries again.
        """
        if not isinstance(err, PageNotRecognized):
            return
        self.failures[err.signature] += 1
        if self.failures[err.signature] >= self.MAX_SAME_FAILURE:
            sent = (
                f" (the password was sent {self.passwords} times)" if sent_password else ""
            )
            raise LogonFailed(
                f"could not log on to TOMS: the same page came twice{sent}: {err}. toms-rpa "
                "stopped rather than try again and again. If that page is a step of your "
                "portal, add its words to your word list (TOMS_WORDS_FILE; `toms-rpa words` "
                "lists the entries) and run again."
            ) from err


class TomsSession:
    """One logon shared by all workers, renewed on demand."""

    def __init__(
        self,
        browser: Browser,
        settings: Settings,
        *,
        state_path: Path,
        code_provider: CodeProvider,
    ) -> None:
        self.browser = browser
        self.settings = settings
        self.state_path = state_path
        self.code_provider = code_provider
        self.state: StorageState | None = None
        self.generation = 0
        self.limits = LogonLimits(code_provider)
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Reuse the saved logon if it still works, else log on."""
        saved: StorageState | None = None
        if self.settings.remember_browser and self.state_path.is_file():
            try:
                saved = json.loads(self.state_path.read_text())
            except (OSError, ValueError):
                saved = None
        await self._sign_in(saved)

    async def refresh(self, seen_generation: int) -> None:
        """Log on again, unless another worker already did since ``seen_generation``."""
        async with self._lock:
            if self.generation != seen_generation:
                return
            log.info("The TOMS session ended; logging on again")
            await self._sign_in(self.state)

    async def new_context(self) -> BrowserContext:
        """A browser context that carries the shared logon."""
        context = await self.browser.new_context(storage_state=self.state)  # type: ignore[arg-type]
        context.set_default_timeout(self.settings.timeout_ms)
        return context

    async def _sign_in(self, saved: StorageState | None, attempts: int = 8) -> None:
        # What the browser kept from a failed attempt goes into the next one, as a person's
        # browser keeps it: above all the cookie of a browser the portal now remembers, so
        # that a logon that failed after the e-mailed code does not ask for another one.
        kept: list[StorageState | None] = [saved]
        for attempt in range(1, attempts + 1):
            before = self.limits.passwords
            try:
                await self._sign_in_once(kept)
                return
            except SystemFailure as err:
                if isinstance(err, RunStopped):
                    raise
                self.limits.failed(err, sent_password=self.limits.passwords > before)
                if attempt == attempts:
                    raise
                log.warning("Logon attempt %d failed (%s); trying again", attempt, err)
                await asyncio.sleep(0.5 * attempt)

    async def _sign_in_once(self, kept: list[StorageState | None]) -> None:
        """One logon from the browser state ``kept[0]``, which it replaces with its own."""
        # Never traced, never recorded: this context sees the password.
        context = await self.browser.new_context(
            storage_state=kept[0]  # type: ignore[arg-type]
        )
        context.set_default_timeout(self.settings.timeout_ms)
        try:
            page = await context.new_page()
            await enter_toms(
                page, self.settings, credentials=True, code_provider=self.limits.code,
                on_password=self.limits.sent_password,
            )
            state: StorageState = await context.storage_state()  # type: ignore[assignment]
        except Exception:
            with contextlib.suppress(Exception):
                left: StorageState = await context.storage_state()  # type: ignore[assignment]
                kept[0] = left
            raise
        finally:
            await context.close()
        if self.settings.remember_browser:
            write_private_text(self.state_path, json.dumps(state))
        else:
            # Kept for this run only: the next run asks for a new e-mailed code.
            self.state_path.unlink(missing_ok=True)
        self.state = state
        self.generation += 1

    async def renew(self, context: BrowserContext, seen_generation: int) -> int:
        """Give ``context`` a fresh logon; return the generation it now carries."""
        await self.refresh(seen_generation)
        assert self.state is not None
        await context.clear_cookies()
        await context.add_cookies(self.state["cookies"])
        return self.generation
