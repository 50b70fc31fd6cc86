"""The alt build in a real browser: its scripts do what a person expects (a few page loads).

Controls are found by role, label and text only; the content frame as the one iframe of the page.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from mock_portal import PortalConfig, PortalServer, messages_alt

from .conftest import LEA, LEA_ROLE, PASSWORD

pytestmark = pytest.mark.browser

ELA = "Smarter Balanced for English Language Arts/Literacy"


@pytest.fixture(scope="module")
def alt_server(tmp_path_factory: pytest.TempPathFactory) -> Generator[PortalServer, None, None]:
    path: Path = tmp_path_factory.mktemp("alt") / "portal.sqlite3"
    with PortalServer(PortalConfig(db_path=path, students=120, build="alt")) as server:
        yield server


@pytest.fixture
def api(alt_server: PortalServer) -> Generator[httpx.Client, None, None]:
    with httpx.Client(base_url=alt_server.url, timeout=30) as client:
        client.post("/__mock__/reset").raise_for_status()
        yield client


def _settable(api: httpx.Client) -> dict[str, Any]:
    students: list[dict[str, Any]] = api.get("/__mock__/students").json()
    return next(
        s
        for s in students
        if {"test": ELA, "status": "Assigned", "condition_code": None} in s["assignments"]
    )


def test_opt_out_on_the_alt_build(page: Page, alt_server: PortalServer, api: httpx.Client) -> None:
    student = _settable(api)
    page.goto(alt_server.url)
    page.get_by_role("link", name="Test Operations Management System (TOMS)").click()
    page.get_by_label(messages_alt.USERNAME_LABEL).fill(LEA)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Secure Login").click()
    expect(page.get_by_role("heading", name=messages_alt.CODE_TITLE)).to_be_visible()
    page.get_by_label(messages_alt.CODE_LABEL).fill(
        api.get("/__mock__/outbox", params={"to": LEA}).text
    )
    page.get_by_label(messages_alt.CODE_LABEL).press("Enter")
    roles = page.get_by_role("dialog", name="Please select a role")
    roles.get_by_label(LEA_ROLE).check()
    roles.get_by_role("button", name=messages_alt.ROLE_BUTTON).click()

    page.get_by_role("tab", name="Students").click()
    frame = page.frame_locator("iframe")
    frame.get_by_label("SSID", exact=True).fill(student["ssid"])
    frame.get_by_label("SSID", exact=True).press("Enter")  # runs the search, as SEARCH does
    row = frame.get_by_role("grid").get_by_role("row").filter(has_text=student["ssid"])
    expect(row).to_have_count(1)
    row.get_by_role("button").click()  # the magnifying glass
    frame.get_by_role("link", name="Test Assignments").click()
    name = f"{student['first_name']} {student['last_name']}"
    table = frame.get_by_role("table", name=f"Current Active Test Assignments for {name}")
    ela = table.get_by_role("row").filter(has=frame.get_by_role("cell", name=ELA, exact=True))
    ela.get_by_role("button", name="COND. CODE").click()

    dialog = frame.get_by_role("dialog", name="Select Condition Code")
    dialog.get_by_label("Select the condition code for this student. *").select_option(
        label="PGE: Parent/Guardian exemption"
    )
    expect(frame.get_by_role("button", name="SAVE")).to_have_count(2)  # both visible
    dialog.get_by_role("button", name="SAVE").click()
    expect(dialog).to_be_hidden()
    expect(ela.get_by_role("cell").nth(3)).to_have_text("PGE")
    assert (
        api.get(f"/__mock__/students/{student['ssid']}").json()["assignments"][0]["condition_code"]
        is None
    )  # staged only
    frame.get_by_role("button", name="SAVE").click()
    expect(frame.get_by_text(messages_alt.CHANGES_SAVED)).to_be_visible()
    expect(ela.get_by_role("cell").nth(3)).to_have_text("PGE")
    assert [(a["ssid"], a["new_code"]) for a in api.get("/__mock__/audit").json()] == [
        (student["ssid"], "PGE")
    ]

    # An error page lands inside the view; the page around it stays, and is not left busy.
    api.post("/__mock__/faults", json={"error_rate": 1.0})
    frame.get_by_role("button", name="SAVE").click()
    titles = list(messages_alt.ERROR_TITLES.values())
    error = frame.get_by_role("heading", name=titles[0]).or_(
        frame.get_by_role("heading", name=titles[1])
    )
    expect(error).to_be_visible()
    expect(frame.get_by_role("heading", name="Student Profile")).to_be_visible()
    expect(frame.locator("[aria-busy=true]")).to_have_count(0)
    expect(frame.get_by_role("progressbar")).to_have_count(0)
