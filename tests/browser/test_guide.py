"""The opt-out quick guide, steps 1 to 13, by hand: what a coordinator sees and clicks.

Only role, label and text locators are used (and the frame TOMS is documented to use), as a
person follows the guide. The stored result is then checked through the portal's test API.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from tests.conftest import LEA, PASSWORD, Portal

pytestmark = pytest.mark.browser

ELA = "Smarter Balanced for English Language Arts/Literacy"


def _settable(portal: Portal) -> dict[str, Any]:
    """A student whose ELA test can take a condition code."""
    for student in portal.students():
        for assignment in student["assignments"]:
            if (
                assignment["test"] == ELA
                and assignment["status"] == "Assigned"
                and assignment["condition_code"] is None
            ):
                return student
    raise AssertionError("the seed has no settable ELA assignment")


def _log_on(page: Page, portal: Portal) -> None:
    """Steps 1 to 3, with the e-mail code and the role dialog this user meets."""
    page.goto(portal.url)
    expect(page.get_by_role("heading", name="WELCOME TO THE CAASPP PORTAL")).to_be_visible()
    page.get_by_role("link", name="Test Operations Management System (TOMS)").click()
    page.get_by_label("Username").fill(LEA)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Secure Logon").click()
    code_heading = page.get_by_role("heading", name="Enter Email Code")
    role_heading = page.get_by_role("heading", name="Please select a role")
    expect(code_heading.or_(role_heading)).to_be_visible()
    if code_heading.is_visible():
        code = portal.client.get("/__mock__/outbox", params={"to": LEA}).text.strip()
        page.get_by_label("Email Code", exact=True).fill(code)
        page.get_by_role("button", name="Submit").click()
    expect(role_heading).to_be_visible()
    page.get_by_label("Role", exact=True).select_option(
        label="LEA CAASPP Coordinator - Capistrano Unified (30664640000000)"
    )
    page.get_by_role("button", name="Continue").click()


def _to_test_assignments(page: Page, student: dict[str, Any]) -> FrameLocator:
    """Steps 4 to 8."""
    page.get_by_role("link", name="Students", exact=True).click()
    frame = page.frame_locator('iframe[name="theFrame"]')
    expect(frame.get_by_role("heading", name="Search for Students")).to_be_visible()
    frame.get_by_label("SSID", exact=True).fill(student["ssid"])
    frame.get_by_role("button", name="SEARCH").click()
    results = frame.get_by_role("table", name="Search Results")
    row = results.get_by_role("row").filter(has_text=student["ssid"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{student['last_name']}, {student['first_name']}")
    row.get_by_role("link", name="View Student").click()
    frame.get_by_role("tab", name="Test Assignments").click()
    name = f"{student['first_name']} {student['last_name']}"
    table = frame.get_by_role("table", name=f"Current Active Test Assignments for {name}")
    expect(table).to_be_visible()
    return frame


def _stage_pge(frame: FrameLocator) -> None:
    """Steps 9 to 12."""
    row = frame.get_by_role("row").filter(has=frame.get_by_role("cell", name=ELA, exact=True))
    row.get_by_role("button", name="COND. CODE").click()
    dialog = frame.get_by_role("dialog", name="Select Condition Code")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("PGE: Parent/Guardian exemption")).to_be_visible()
    dialog.get_by_label(re.compile("Select the condition code for this student")).select_option(
        "PGE"
    )
    dialog.get_by_role("button", name="SAVE").click()
    expect(dialog).to_be_hidden()
    expect(row.get_by_role("cell", name="PGE", exact=True)).to_be_visible()


def test_guide_steps_1_to_13_store_the_code_and_audit_it(page: Page, portal: Portal) -> None:
    student = _settable(portal)
    _log_on(page, portal)
    frame = _to_test_assignments(page, student)
    _stage_pge(frame)
    frame.get_by_role("button", name="SAVE", exact=True).click()  # step 13, the bottom SAVE
    saved = frame.get_by_role("status").filter(has_text="Your changes have been saved.")
    expect(saved).to_be_visible()

    assert portal.code(student["ssid"], ELA) == "PGE"
    changes = [a for a in portal.audit() if a["ssid"] == student["ssid"]]
    assert len(changes) == 1
    assert changes[0]["test"] == ELA
    assert changes[0]["old_code"] is None
    assert changes[0]["new_code"] == "PGE"
    assert changes[0]["user"] == LEA


def test_a_code_not_saved_with_the_bottom_save_is_lost(page: Page, portal: Portal) -> None:
    student = _settable(portal)
    _log_on(page, portal)
    frame = _to_test_assignments(page, student)
    _stage_pge(frame)
    page.get_by_role("link", name="Students", exact=True).click()  # leave without saving
    expect(frame.get_by_role("heading", name="Search for Students")).to_be_visible()

    assert portal.code(student["ssid"], ELA) is None
    assert portal.audit() == []


def test_email_code_on_a_new_browser_only(browser: Browser, portal: Portal) -> None:
    first = browser.new_context()
    page = first.new_page()
    page.goto(portal.url)
    page.get_by_role("link", name="Test Operations Management System (TOMS)").click()
    page.get_by_label("Username").fill(LEA)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Secure Logon").click()
    expect(page.get_by_role("heading", name="Enter Email Code")).to_be_visible()
    expect(page.get_by_text("The code will expire after 15 minutes.")).to_be_visible()
    page.get_by_label("Email Code", exact=True).fill("000000")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid email code. Please try again")
    code = portal.client.get("/__mock__/outbox", params={"to": LEA}).text.strip()
    page.get_by_label("Email Code", exact=True).fill(code)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Please select a role")).to_be_visible()
    remembered = first.storage_state()
    first.close()

    # The same browser, remembered by its device cookie, logs on with no code step. The saved
    # state is stripped of its session so that a real logon is needed.
    cookies = [c for c in remembered["cookies"] if c["name"] == "toms_device"]
    assert cookies, "the portal set no device cookie"
    second = browser.new_context()
    second.add_cookies(cookies)  # type: ignore[arg-type]
    page = second.new_page()
    page.goto(portal.url)
    page.get_by_role("link", name="Test Operations Management System (TOMS)").click()
    page.get_by_label("Username").fill(LEA)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Secure Logon").click()
    expect(page.get_by_role("heading", name="Please select a role")).to_be_visible()
    expect(page.get_by_role("heading", name="Enter Email Code")).to_have_count(0)
    second.close()
