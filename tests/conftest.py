"""Shared fixtures: the mock portal on a free port, and a browser Playwright can launch."""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import settings as hypothesis_settings

from mock_portal import PortalConfig
from mock_portal.server import PortalServer
from rpa.browser import find_browser

ROOT = Path(__file__).resolve().parent.parent

# In CI the property tests replay the same examples every run (a landing must not hang on a
# new random draw); on a developer's machine they keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
PASSWORD = "demo-password"
LEA = "lea.coordinator@example.org"
SITE = "site.coordinator@example.org"
TA = "ta@example.org"
# Small enough to seed fast, large enough for a 150-row roster and every blocked kind.
TEST_STUDENTS = 400


@dataclass
class Portal:
    """The running mock portal, and a client for its /__mock__/ test endpoints."""

    url: str
    client: httpx.Client

    def students(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.client.get("/__mock__/students").json()
        return result

    def student(self, ssid: str) -> dict[str, Any]:
        result: dict[str, Any] = self.client.get(f"/__mock__/students/{ssid}").json()
        return result

    def audit(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.client.get("/__mock__/audit").json()
        return result

    def faults(self, **faults: Any) -> None:
        self.client.post("/__mock__/faults", json=faults).raise_for_status()

    def code(self, ssid: str, test: str) -> str | None:
        for assignment in self.student(ssid)["assignments"]:
            if assignment["test"] == test:
                code: str | None = assignment["condition_code"]
                return code
        raise AssertionError(f"{ssid} has no assignment {test}")


@pytest.fixture(scope="session")
def portal_server() -> Generator[PortalServer, None, None]:
    with PortalServer(PortalConfig(students=TEST_STUDENTS)) as server:
        yield server


@pytest.fixture()
def portal(portal_server: PortalServer) -> Generator[Portal, None, None]:
    """The mock portal, freshly reseeded for this test."""
    with httpx.Client(base_url=portal_server.url, timeout=30) as client:
        client.post("/__mock__/reset").raise_for_status()
        yield Portal(url=portal_server.url.rstrip("/") + "/", client=client)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches the same Chromium toms-rpa would choose."""
    args = dict(browser_type_launch_args)
    choice = find_browser(Path(os.environ["TOMS_BROWSER_PATH"]) if os.environ.get(
        "TOMS_BROWSER_PATH") else None, headless=args.get("headless", True) is not False)
    if choice.executable is not None:
        args["executable_path"] = str(choice.executable)
    return args
