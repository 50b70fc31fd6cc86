"""The CAASPP portal home page, the Single Sign-On pages and the TOMS role dialog."""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from flows.pages.base import arrive, content_frame
from rpa.errors import PortalUnavailable, SettingsError

__all__ = [
    "Landing", "LogonPage", "MyTomsHome", "PortalHome", "RoleDialog", "landing_candidates",
    "toms_marker",
]

TOMS_TILE = "Test Operations Management System (TOMS)"


class Landing:
    """Names of the pages that may follow a step of the logon."""

    LOGON = "logon"
    CODE = "code"
    ROLE = "role"
    TOMS = "toms"
    REFUSED = "refused"


def toms_marker(page: Page) -> Locator:
    """What shows a person they are in TOMS: its Students tab."""
    return page.get_by_role("link", name="Students", exact=True)


def landing_candidates(page: Page, destination: Locator | None = None) -> dict[str, Locator]:
    """What a person looks for to know where the portal has taken them.

    ``destination`` marks the system the logon leads to (TOMS by default).
    """
    return {
        Landing.LOGON: page.get_by_role("button", name="Secure Logon"),
        Landing.CODE: page.get_by_role("heading", name="Enter Email Code"),
        Landing.ROLE: page.get_by_role("heading", name="Please select a role"),
        Landing.TOMS: destination if destination is not None else toms_marker(page),
    }


class PortalHome:
    """Step 1 and 2 of the guide: the CAASPP portal and its TOMS tile."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.toms_link = page.get_by_role("link", name=TOMS_TILE)

    async def open(self, url: str) -> PortalHome:
        """Go to the portal home page (asking again, as a person would, after an error page)."""
        try:
            await self.page.goto(url, timeout=self.timeout_ms)
        except PlaywrightError as err:
            raise PortalUnavailable(f"the portal at {url} did not answer: {err.message}") from None
        await arrive(
            self.page, {"home": self.toms_link}, timeout_ms=self.timeout_ms,
            where="the CAASPP portal home page", logged_on=False, in_frame=False,
        )
        return self

    async def open_toms(self) -> str:
        """Select the TOMS tile; return where it led (a :class:`Landing` name)."""
        await self.toms_link.click(timeout=self.timeout_ms)
        return await self.landed()

    async def landed(self, destination: Locator | None = None) -> str:
        """Which logon page, or the destination itself (TOMS by default), is showing now."""
        return await _arrive_logon(
            self.page, landing_candidates(self.page, destination), self.timeout_ms,
            after_form=False,
        )


class LogonPage:
    """Step 3: the Single Sign-On logon page, and the e-mail code step that may follow."""

    def __init__(
        self, page: Page, *, timeout_ms: float, destination: Locator | None = None
    ) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.destination = destination
        self.username = page.get_by_label("Username")
        self.password = page.get_by_label("Password", exact=True)
        self.submit = page.get_by_role("button", name="Secure Logon")
        self.code = page.get_by_label("Email Code", exact=True)
        self.code_submit = page.get_by_role("button", name="Submit")
        self.alert = page.get_by_role("alert")

    async def log_on(self, username: str, password: str) -> str:
        """Type the credentials and press Secure Logon; return where it led."""
        await self.username.fill(username, timeout=self.timeout_ms)
        try:
            await self.password.fill(password, timeout=self.timeout_ms)
        except PlaywrightError:
            # Playwright's message would repeat the value typed: drop it.
            raise PortalUnavailable("could not type into the Password field") from None
        await self.submit.click(timeout=self.timeout_ms)
        return await self._after(Landing.LOGON)

    async def enter_code(self, code: str) -> str:
        """Type the e-mailed code and submit it; return where it led."""
        await self.code.fill(code, timeout=self.timeout_ms)
        await self.code_submit.click(timeout=self.timeout_ms)
        return await self._after(Landing.CODE)

    async def _after(self, current: str) -> str:
        candidates = {
            k: v for k, v in landing_candidates(self.page, self.destination).items()
            if k != current
        }
        candidates[Landing.REFUSED] = self.alert
        # The logon page itself comes back with an alert when the credentials are refused.
        key = await _arrive_logon(self.page, candidates, self.timeout_ms, after_form=True)
        if key == Landing.REFUSED:
            message = (await self.alert.first.inner_text()).strip()
            if current == Landing.LOGON:
                raise SettingsError(
                    f"The portal refused the logon: {message} "
                    "Check TOMS_USERNAME and TOMS_PASSWORD.",
                    variable="TOMS_PASSWORD",
                )
            raise SettingsError(
                f"The portal refused the e-mail code: {message} "
                "Check TOMS_EMAIL_CODE_COMMAND.",
                variable="TOMS_EMAIL_CODE_COMMAND",
            )
        return key


async def _arrive_logon(
    page: Page, candidates: dict[str, Locator], timeout_ms: float, *, after_form: bool
) -> str:
    # An error page after a page request is reloaded; after a form it is not (the caller
    # starts the logon again from the home page instead of posting twice).
    return await arrive(
        page, candidates, timeout_ms=timeout_ms, where="the next logon page",
        reload_on_error=0 if after_form else 3, logged_on=False, in_frame=False,
    )


class RoleDialog:
    """The "Please select a role" dialog TOMS shows to a user with several roles."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.role = page.get_by_label("Role", exact=True)
        self.submit = page.get_by_role("button", name="Continue")

    async def choose(self, wanted: str) -> None:
        """Pick the role whose text contains ``wanted`` (case-insensitive) and continue."""
        options = [t.strip() for t in await self.role.locator("option").all_inner_texts()]
        options = [t for t in options if t and not t.startswith("--")]
        if not wanted:
            raise SettingsError(
                "This user has several roles in TOMS: " + "; ".join(options)
                + ". Set TOMS_ROLE to (part of) the one to use.",
                variable="TOMS_ROLE",
            )
        pattern = re.compile(re.escape(wanted.strip()), re.IGNORECASE)
        matches = [t for t in options if pattern.search(t)]
        if len(matches) != 1:
            found = "none" if not matches else "several"
            raise SettingsError(
                f"TOMS_ROLE {wanted!r} matches {found} of this user's roles: "
                + "; ".join(options),
                variable="TOMS_ROLE",
            )
        await self.role.select_option(label=matches[0], timeout=self.timeout_ms)
        await self.submit.click(timeout=self.timeout_ms)
        await _arrive_logon(
            self.page, {Landing.TOMS: landing_candidates(self.page)[Landing.TOMS]},
            self.timeout_ms, after_form=True,
        )


class MyTomsHome:
    """Step 4: MyTOMS Home and its row of tabs."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.students_tab = page.get_by_role("link", name="Students", exact=True)
        self.search_heading = content_frame(page).get_by_role(
            "heading", name="Search for Students"
        )

    async def open_students(self) -> None:
        """Select the Students tab and wait for the student search."""
        await self.students_tab.click(timeout=self.timeout_ms)
        await arrive(
            self.page,
            {"search": self.search_heading},
            timeout_ms=self.timeout_ms,
            where="the student search",
        )
