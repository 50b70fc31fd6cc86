"""pytest plugin: the mock TOMS portal and a logged-on TOMS page for end-to-end tests.

Fixtures:

- ``toms_portal``: the mock portal, reseeded before each test; ``.url``, ``.client`` (an
  ``httpx.Client`` on that url) and helpers over its ``/__mock__/`` test API.
- ``toms_accounts``: the seeded accounts by username (``fixtures/portal/accounts.csv``).
- ``toms``: a :class:`~flows.testing.pages.Toms` page, logged on as the LEA coordinator, built
  on pytest-playwright's ``page``.
- ``toms_portal_config`` and ``toms_portal_server``: how the portal is seeded, and the running
  server; override ``toms_portal_config`` in a ``conftest.py`` to seed it differently.

Session fixtures live once per process, so under pytest-xdist each worker runs its own portal
on its own free port (and pytest-playwright gives it its own browser). The plugin also makes
pytest-playwright launch the Chromium toms-rpa would choose, unless told otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page

from flows.testing.pages import PortalHome, Toms
from mock_portal import PortalConfig, PortalServer
from mock_portal.seed import Account, load_accounts, load_schools
from rpa.browser import find_browser

if TYPE_CHECKING:
    import httpx

__all__ = [
    "TomsPortal",
    "toms",
    "toms_accounts",
    "toms_portal",
    "toms_portal_config",
    "toms_portal_server",
]

LEA_ROLE = "LEA CAASPP Coordinator"
# Small enough to reseed quickly before every test, large enough for every kind of student.
STUDENTS = 400


class TomsPortal:
    """The running mock portal, and its ``/__mock__/`` test API through ``client``."""

    def __init__(self, url: str, client: httpx.Client) -> None:
        self.url = url
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        self.client = client
        """An ``httpx.Client`` whose ``base_url`` is :attr:`url`."""

    def reset(self) -> None:
        """Reseed all data and end every session; faults back to the start-up ones."""
        self.client.post("/__mock__/reset").raise_for_status()

    def students(
        self, *, school: str | None = None, grade: str | None = None
    ) -> list[dict[str, Any]]:
        """Every student with their test assignments, optionally of one school or grade."""
        params = {k: v for k, v in (("school", school), ("grade", grade)) if v is not None}
        response = self.client.get("/__mock__/students", params=params)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def student(self, ssid: str) -> dict[str, Any]:
        """One student with their test assignments; an HTTP 404 error if there is none."""
        response = self.client.get(f"/__mock__/students/{ssid}")
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    def code(self, ssid: str, test: str) -> str | None:
        """The stored condition code of ``ssid``'s ``test`` (its full name), or None."""
        for assignment in self.student(ssid)["assignments"]:
            if assignment["test"] == test:
                code: str | None = assignment["condition_code"]
                return code
        raise LookupError(f"student {ssid} has no assignment {test!r}")

    def audit(self) -> list[dict[str, Any]]:
        """Every code stored with the bottom SAVE, oldest first: ssid, test, old_code,
        new_code, user and at."""
        response = self.client.get("/__mock__/audit")
        response.raise_for_status()
        changes: list[dict[str, Any]] = response.json()
        return changes

    def email_code(self, username: str) -> str:
        """The latest logon code the portal e-mailed to ``username``."""
        response = self.client.get("/__mock__/outbox", params={"to": username})
        response.raise_for_status()
        return response.text.strip()

    def faults(self, **changes: Any) -> dict[str, Any]:
        """Change the injected faults (e.g. ``latency_ms=200``); returns them all."""
        if changes:
            response = self.client.post("/__mock__/faults", json=changes)
        else:
            response = self.client.get("/__mock__/faults")
        response.raise_for_status()
        faults: dict[str, Any] = response.json()
        return faults


@pytest.fixture(scope="session")
def toms_portal_config() -> PortalConfig:
    """How the mock portal is seeded; override this fixture to seed it differently."""
    return PortalConfig(students=STUDENTS)


@pytest.fixture(scope="session")
def toms_portal_server(toms_portal_config: PortalConfig) -> Generator[PortalServer, None, None]:
    """The mock portal on a free port, one per test process (so one per xdist worker)."""
    with PortalServer(toms_portal_config) as server:
        yield server


@pytest.fixture()
def toms_portal(toms_portal_server: PortalServer) -> Generator[TomsPortal, None, None]:
    """The mock portal, freshly reseeded for this test."""
    # httpx is a test dependency, not one of toms-rpa's: import it only when it is used, so
    # that this plugin, loaded into every pytest run, never breaks one that does not use it.
    import httpx

    with httpx.Client(base_url=toms_portal_server.url, timeout=30) as client:
        portal = TomsPortal(toms_portal_server.url, client)
        portal.reset()
        yield portal


@pytest.fixture(scope="session")
def toms_accounts() -> Mapping[str, Account]:
    """The seeded accounts by username, each with its password and (role, CDS) pairs."""
    return MappingProxyType({account.username: account for account in load_accounts()})


def _role_option(account: Account, role: str) -> str:
    """The text of ``account``'s ``role`` in the role dialog: "Role - Organization (CDS)"."""
    names = {school.cds: school.name for school in load_schools()}
    for held, cds in account.roles:
        if held == role:
            return f"{held} - {names[cds]} ({cds})"
    raise LookupError(f"{account.username} does not hold the role {role!r}")


@pytest.fixture()
def toms(page: Page, toms_portal: TomsPortal, toms_accounts: Mapping[str, Account]) -> Toms:
    """TOMS in pytest-playwright's ``page``, logged on as the LEA coordinator.

    The logon goes the way a person goes: portal home, the TOMS tile, the logon form, the
    e-mailed code (read from the portal's outbox) and the role dialog. It is done for each
    test, not once per worker with a saved storage state, because ``toms_portal`` reseeds the
    portal before each test, and a reseed ends every logon session and forgets every device.
    """
    account = next(a for a in toms_accounts.values() if any(r == LEA_ROLE for r, _ in a.roles))
    return (
        PortalHome(page)
        .visit(toms_portal.url)
        .open_toms()
        .log_on(
            account.username,
            account.password,
            role=_role_option(account, LEA_ROLE),
            email_code=lambda: toms_portal.email_code(account.username),
        )
    )


class _TomsChromium:
    """Holds the ``browser_type_launch_args`` override (see :func:`pytest_configure`)."""

    @pytest.fixture(scope="session")
    @classmethod
    def browser_type_launch_args(
        cls, browser_type_launch_args: dict[str, Any], browser_name: str | None
    ) -> dict[str, Any]:
        """pytest-playwright's launch options, with the Chromium toms-rpa would choose.

        Left as they are when the user chose a browser (``--browser``, ``--browser-channel``,
        an indirect ``executable_path`` parameter), or when Playwright's own Chromium is there.
        A ``conftest.py`` override of this fixture receives these options and has the last word.
        """
        if (
            browser_name not in (None, "chromium")
            or "channel" in browser_type_launch_args
            or "executable_path" in browser_type_launch_args
        ):
            return browser_type_launch_args
        override = os.environ.get("TOMS_BROWSER_PATH")
        # No apt-get from inside a test run: without any Chromium this fails with what to run.
        headless = browser_type_launch_args.get("headless", True) is not False
        choice = find_browser(
            Path(override) if override else None, install=False, headless=headless
        )
        if choice.executable is None:
            return browser_type_launch_args
        return {**browser_type_launch_args, "executable_path": str(choice.executable)}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``browser_type_launch_args`` override after pytest-playwright.

    Of two plugins defining the same fixture, the one registered later wins. This module may
    be registered before pytest-playwright (``-p`` is read before the entry points are loaded),
    but every plugin is registered by the time this hook runs. A ``conftest.py`` override still
    wins over both, and may ask for this one's value as its own ``browser_type_launch_args``.
    """
    config.pluginmanager.register(_TomsChromium(), "toms_rpa.browser")

