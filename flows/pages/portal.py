"""The CAASPP portal home page, the Single Sign-On pages and the TOMS role choice.

Each logon step is recognized by the control a person uses next: the password field, the field
for the e-mailed code, the list of roles, TOMS's Students tab. A page that shows none of them
is named with what it does show.
"""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Locator, Page

from flows import words
from flows.pages import screens
from flows.pages.base import Expect, arrive, fill, press, replaced
from flows.pages.describe import describe
from flows.pages.spec import Spec, locate
from rpa.errors import PageNotRecognized, PortalUnavailable, SettingsError

__all__ = [
    "Landing", "LogonPage", "MyTomsHome", "PortalHome", "RoleDialog", "landings", "pick_role",
]

# Once a logon form is sent, the page it leads to is looked at when the portal has been quiet
# this long with the form still shown (a portal that answers by script, without a new page).
FORM_SETTLE_S = 2.0


class Landing:
    """Names of the pages that may follow a step of the logon."""

    LOGON = "logon"
    CODE = "code"
    ROLE = "role"
    TOMS = "toms"
    REFUSED = "refused"


def _role_page(scope: Frame) -> Locator:
    return locate(scope, screens.RoleStep.field).or_(locate(scope, screens.RoleStep.prompt))


def _logon_page(scope: Frame) -> Locator:
    return locate(scope, screens.Logon.password).or_(locate(scope, screens.Logon.button))


def landings(destination: Expect | None = None) -> dict[str, Expect]:
    """What a person looks for to know where the logon has taken them, in that order.

    ``destination`` marks the system the logon leads to (TOMS's Students tab by default).
    A page with a role to choose is the role step even when TOMS shows behind it.
    """
    return {
        Landing.CODE: Expect.of(screens.CodeStep.field),
        Landing.ROLE: Expect("the list of roles to choose from", _role_page, "role.field"),
        Landing.TOMS: destination or Expect.of(screens.Toms.students),
        Landing.LOGON: Expect("the logon page (its password field)", _logon_page,
                              "logon.password"),
    }


class PortalHome:
    """Steps 1 and 2 of the guide: the CAASPP portal and its TOMS tile."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    async def open(self, url: str, tile: Spec | None = None) -> PortalHome:
        """Go to the portal home page (asking again, as a person would, after an error page)."""
        try:
            await self.page.goto(url, timeout=self.timeout_ms)
        except PlaywrightError as err:
            raise PortalUnavailable(f"the portal at {url} did not answer: {err.message}") from None
        await arrive(
            self.page, {"home": Expect.of(tile or screens.PortalHome.toms)},
            timeout_ms=self.timeout_ms, where="the CAASPP portal home page", logged_on=False,
            in_frame=False,
        )
        return self

    async def open_toms(self) -> str:
        """Select the TOMS tile; return where it led (a :class:`Landing` name)."""
        await press(
            locate(self.page, screens.PortalHome.toms).first, what="the TOMS tile",
            timeout_ms=self.timeout_ms,
        )
        return await self.landed()

    async def landed(self, destination: Expect | None = None) -> str:
        """Which logon page, or the destination itself (TOMS by default), is showing now."""
        return await arrive(
            self.page, landings(destination), timeout_ms=self.timeout_ms,
            where="the page after the TOMS tile (the logon, or TOMS)", logged_on=False,
            in_frame=False,
        )


class LogonPage:
    """Step 3: the Single Sign-On logon page, and the e-mail code step that may follow."""

    def __init__(
        self, page: Page, *, timeout_ms: float, destination: Expect | None = None
    ) -> None:
        self.page = page
        self.timeout_ms = timeout_ms
        self.destination = destination

    async def log_on(self, username: str, password: str) -> str:
        """Type the credentials and press Secure Login; return where it led."""
        page, timeout = self.page, self.timeout_ms
        user_field = locate(page, screens.Logon.username).first
        password_field = locate(page, screens.Logon.password).first
        await fill(user_field, username, what=screens.Logon.username.described,
                   timeout_ms=timeout)
        try:
            await password_field.fill(password, timeout=timeout)
        except PlaywrightError:
            # Playwright's message would repeat the value typed: drop it.
            raise PortalUnavailable(
                f"could not type into {screens.Logon.password.described}"
            ) from None
        async with replaced(password_field, timeout_ms=timeout, settle_s=FORM_SETTLE_S):
            await press(locate(page, screens.Logon.button).first,
                        what=screens.Logon.button.described, timeout_ms=timeout)
        return await self._after(Landing.LOGON, "the page after the logon")

    async def enter_code(self, code: str) -> str:
        """Type the e-mailed code and send it; return where it led."""
        page, timeout = self.page, self.timeout_ms
        field = locate(page, screens.CodeStep.field).first
        await fill(field, code, what=screens.CodeStep.field.described, timeout_ms=timeout)
        async with replaced(field, timeout_ms=timeout, settle_s=FORM_SETTLE_S):
            submit = locate(page, screens.CodeStep.submit)
            if await submit.count():
                await press(submit.first, what=screens.CodeStep.submit.described,
                            timeout_ms=timeout)
            else:
                # No button a person would recognize: Enter sends the form, as it would for them.
                await field.press("Enter", timeout=timeout)
        return await self._after(Landing.CODE, "the page after the e-mailed code")

    async def _after(self, current: str, where: str) -> str:
        candidates = {k: v for k, v in landings(self.destination).items() if k != current}
        alert = self.page.get_by_role("alert")
        candidates[Landing.REFUSED] = Expect("a message on the same page", lambda _: alert)
        if current == Landing.CODE:
            candidates[Landing.LOGON] = landings()[Landing.LOGON]
        # An error page after a form is not reloaded: the caller starts the logon again from
        # the home page instead of posting twice.
        key = await arrive(
            self.page, candidates, timeout_ms=self.timeout_ms, where=where, reload_on_error=0,
            logged_on=False, in_frame=False,
        )
        if key == Landing.REFUSED:
            message = " ".join((await alert.first.inner_text()).split())
            if words.matches("page.expired", message):
                # Not a refusal: the session the logon opened ended at once (the portal lost
                # it, or a clock ran out). Another try is what a person would make.
                raise PortalUnavailable(
                    f"the portal came back to its logon page saying the session ended "
                    f"({message}) {where.replace('the page ', '', 1)}"
                )
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
        if key == Landing.LOGON and current == Landing.CODE:
            raise PortalUnavailable("the portal went back to its logon page after the code")
        return key


class RoleDialog:
    """The "Please select a role" choice TOMS shows to a user with several roles."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    def _choices(self, kind: str) -> Locator:
        return self.page.get_by_role("radio") if kind == "radio" else self.page.get_by_role(
            "option")

    async def _options(self) -> tuple[str, list[str]]:
        """How the roles are offered (a drop-down, a list, radio buttons) and their texts."""
        field = locate(self.page, screens.RoleStep.field).first
        if await field.count():
            tag = await field.evaluate("el => el.tagName")
            if tag == "SELECT":
                texts = await field.get_by_role("option").all_inner_texts()
                return "select", [" ".join(t.split()) for t in texts]
        for kind in ("radio", "option"):
            names = await self._choices(kind).evaluate_all(
                "els => els.map(e => (e.labels && e.labels[0] ? e.labels[0].innerText :"
                " (e.getAttribute('aria-label') || e.innerText || '')).replace(/\\s+/g, ' ')"
                ".trim())"
            )
            if names:
                return kind, [str(n) for n in names]
        shown = await describe(self.page)
        raise PageNotRecognized(
            f"the portal asked for a role but showed no list of roles; the page shows: {shown}",
            signature="role list|role step",
        )

    async def choose(self, wanted: str) -> None:
        """Pick the role whose text contains ``wanted`` (case-insensitive) and confirm."""
        kind, offered = await self._options()
        chosen = pick_role(offered, wanted)
        timeout = self.timeout_ms
        field = locate(self.page, screens.RoleStep.field).first
        if kind == "select":
            await field.select_option(label=offered[offered.index(chosen)], timeout=timeout)
        else:
            control = (
                self.page.get_by_role("radio", name=chosen, exact=True) if kind == "radio"
                else self.page.get_by_role("option", name=chosen, exact=True)
            ).first
            await press(control, what=f"the role {chosen!r}", timeout_ms=timeout)
        submit = locate(self.page, screens.RoleStep.submit)
        stale = field if kind == "select" else self._choices(kind).first
        async with replaced(stale, timeout_ms=timeout, settle_s=FORM_SETTLE_S):
            if await submit.count():
                await press(submit.first, what=screens.RoleStep.submit.described,
                            timeout_ms=timeout)
            elif kind == "select":
                await field.press("Enter", timeout=timeout)
        # The logon page here means the session the logon opened has ended already: a
        # session that ended (tried again), not a page nobody knows (which stops the run).
        await arrive(
            self.page, {Landing.TOMS: Expect.of(screens.Toms.students)}, timeout_ms=timeout,
            where="TOMS after choosing the role", reload_on_error=0, logged_on=True,
            in_frame=False,
        )


def pick_role(offered: list[str], wanted: str) -> str:
    """The one role offered whose text contains ``wanted`` (TOMS_ROLE), case and spacing aside.

    Raises :class:`SettingsError` naming every role when none or several match, or when
    ``wanted`` is empty and there is a choice to make.
    """
    options = [
        t for t in offered
        if t and not re.fullmatch(r"[-\s]*(select.*|choose.*)?[-\s]*", t, re.IGNORECASE)
    ]
    if not wanted:
        raise SettingsError(
            "This user has several roles in TOMS: " + "; ".join(options)
            + ". Set TOMS_ROLE to (part of) the one to use.",
            variable="TOMS_ROLE",
        )
    pattern = re.compile(re.escape(" ".join(wanted.split())), re.IGNORECASE)
    matches = [t for t in options if pattern.search(" ".join(t.split()))]
    if len(matches) != 1:
        found = "none" if not matches else "several"
        raise SettingsError(
            f"TOMS_ROLE {wanted!r} matches {found} of this user's roles: " + "; ".join(options),
            variable="TOMS_ROLE",
        )
    return matches[0]


class MyTomsHome:
    """Step 4: MyTOMS Home and its row of tabs."""

    def __init__(self, page: Page, *, timeout_ms: float) -> None:
        self.page = page
        self.timeout_ms = timeout_ms

    async def open_students(self) -> None:
        """Select the Students tab and wait for the student search."""
        await press(
            locate(self.page, screens.Toms.students).first, what=screens.Toms.students.described,
            timeout_ms=self.timeout_ms,
        )
        await arrive(
            self.page, {"search": Expect.of(screens.Search.ssid)}, timeout_ms=self.timeout_ms,
            where="the student search",
        )
