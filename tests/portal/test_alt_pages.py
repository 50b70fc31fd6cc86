"""The alt build: the guides' words in controls of the guides' roles, other markup and wording.

Each test reads one page (or view) of the alt build as a role locator would: by role and
accessible name. What the guides show must be there word for word; what they do not show must
be worded otherwise than in the default build.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from mock_portal import messages, messages_alt

from .aria import by_id, find_role, how_labelled, name_of, names, one, role_of
from .conftest import (
    ELA,
    LEA,
    LEA_ROLE,
    LEA_SITE_ROLE,
    PASSWORD,
    find_student,
    log_on,
    student_id,
    submit_logon,
)
from .helpers import csrf_token, parse

TOP_TABS = [
    "Organizations",
    "User",
    "Students",
    "Admins",
    "STAIRS",
    "Resources",
    "Links",
    "Reports",
]
RESULT_COLUMNS = [
    "#",
    "Name",
    "SSID",
    "School",
    "Grade",
    "Actions",
    "Unlisted Resources",
    "UR Submitted Date",
]
PROFILE_TABS = [
    "Demographic",
    "Test Assignments",
    "Test Settings",
    "Unlisted Resources",
    "Score Status",
    "Reporting",
]
ASSIGNMENT_COLUMNS = [
    "Test Program",
    "Test Assignment Status",
    "Test Delivery Mode",
    "Condition Code",
    "Action ?",
]


def shown(html: str) -> str:
    """The page's text, entities decoded."""
    return parse(html).text


def test_portal_home(alt_client: FlaskClient) -> None:
    page = alt_client.get("/").text
    one(page, "heading", "WELCOME TO THE CAASPP PORTAL")
    one(page, "link", "Test Operations Management System (TOMS)")
    one(page, "link", "Practice and Training Tests")
    assert "CAASPP" in page and "California Assessment of Student Performance and Progress" in page
    assert "portal.css" not in page


def test_logon_page(alt_client: FlaskClient) -> None:
    page = alt_client.get("/sso/logon").text
    tree = parse(page)
    one(tree, "heading", "Logon")
    one(tree, "heading", "Logon Instructions")
    assert messages.LOGON_INSTRUCTIONS in page
    button = one(tree, "button", "Secure Login")
    assert (button.tag, button.get("type")) == ("input", "submit")
    assert find_role(tree, "button", "Secure Logon") == []
    user = one(tree, "textbox", messages_alt.USERNAME_LABEL)
    assert how_labelled(user) == "aria-labelledby"
    assert user.get("placeholder") == "coordinator@district.example"
    assert how_labelled(one(tree, "textbox", "Password")) == "wrap"
    for link in ("Forgot Your Password?", "Request one now."):
        one(tree, "link", link)
    for text in ("First Time User?", "Need More Help?"):
        assert text in page


def test_logon_messages_are_worded_otherwise(alt_client: FlaskClient) -> None:
    wrong = submit_logon(alt_client, LEA, "not-the-password").text
    assert messages.BAD_CREDENTIALS not in shown(wrong)
    assert names(wrong, "alert") == [messages_alt.BAD_CREDENTIALS]
    expired = alt_client.get("/sso/logon?expired=1").text
    assert names(expired, "alert") == [messages_alt.SESSION_EXPIRED]
    assert messages.SESSION_EXPIRED not in shown(expired)
    off = alt_client.get("/sso/logon?notice=logged-off").text
    assert names(off, "status") == [messages_alt.LOGGED_OFF]
    assert messages.LOGGED_OFF not in shown(off)


def test_email_code_step(alt_client: FlaskClient) -> None:
    assert submit_logon(alt_client, LEA).headers["Location"] == "/sso/code"
    page = alt_client.get("/sso/code").text
    tree = parse(page)
    one(tree, "heading", "Verify it's you")
    field = one(tree, "textbox", "Verification code")
    assert (how_labelled(field), field.get("name")) == ("for", "code")
    verify = one(tree, "button", "Verify")
    assert verify.tag == "a"
    assert messages.CODE_SENT not in shown(page) and "Enter Email Code" not in page
    assert messages_alt.CODE_SENT in shown(page)
    wrong = alt_client.post("/sso/code", data={"csrf_token": csrf_token(page), "code": "x"}).text
    assert names(wrong, "alert") == [messages_alt.CODE_INVALID]


def test_role_choice(alt_client: FlaskClient) -> None:
    log_on(alt_client, LEA)
    page = alt_client.get("/toms/").text
    tree = parse(page)
    dialog = one(tree, "dialog", messages.SELECT_ROLE)
    assert dialog.tag == "div"
    assert names(dialog, "radio") == [LEA_ROLE, LEA_SITE_ROLE]
    assert all(how_labelled(r) == "wrap" for r in find_role(dialog, "radio"))
    assert names(dialog, "button") == ["OK"]
    assert tree.find_all("select") == []


def test_toms_top_page(alt_lea: FlaskClient) -> None:
    page = alt_lea.get("/toms/?tab=students").text
    tree = parse(page)
    tabs = find_role(tree, "tab")
    assert [name_of(t) for t in tabs] == TOP_TABS
    assert {t.tag for t in tabs} == {"span"}
    assert [name_of(t) for t in tabs if t.get("aria-selected") == "true"] == ["Students"]
    assert find_role(tree, "link", "Students") == []
    frame = tree.find("iframe")
    assert frame.get("name") not in (None, "theFrame")
    # The frame's address comes from a script after a delay, not from the markup.
    assert "src" not in frame.attrs
    assert frame.get("data-src") == "/toms/frame/students"
    assert 200 <= int(str(frame.get("data-delay-ms"))) <= 400
    assert f"{messages_alt.SIGNED_IN_AS} " in page and "Logged on as" not in page
    assert f"{messages_alt.WORKING_AS} {LEA_ROLE}" in shown(page)


def test_mytoms_home(alt_lea: FlaskClient) -> None:
    page = alt_lea.get("/toms/frame/home").text
    for heading in ("MyTOMS Home", "MyTOMS at a Glance", "Notifications"):
        one(page, "heading", heading)


def test_search_page(alt_lea: FlaskClient) -> None:
    page = alt_lea.get("/toms/frame/students?last_name=a").text
    tree = parse(page)
    one(tree, "heading", "Search for Students")
    assert "Students > View & Edit Students" in tree.find(role="navigation").text
    one(tree, "link", "View & Edit Students")
    labelled = {
        "SSID": ("textbox", "for"),
        "First Name": ("textbox", "wrap"),
        "Last Name": ("textbox", "aria-labelledby"),
        "Organization": ("combobox", "aria-label"),
        "Grade": ("combobox", "for"),
        "Unlisted Resources (UR)": ("combobox", "aria-labelledby"),
        "English Language Acquisition Status": ("combobox", "for"),
    }
    for label, (role, how) in labelled.items():
        assert how_labelled(one(tree, role, label)) == how, label
    search, clear = one(tree, "button", "SEARCH"), one(tree, "button", "CLEAR")
    assert (search.tag, search.get("tabindex")) == ("span", "0")
    assert (clear.tag, clear.get("type")) == ("input", "button")
    # The results are not in the page: its script fetches them (a query runs it at once).
    form = tree.find("form")
    assert (
        "data-autorun" in form.attrs and form.get("data-view-url") == "/toms/frame/students/results"
    )
    assert find_role(tree, "grid") == [] and tree.find_all("table") == []
    assert "Search Results" not in page


def _results(client: FlaskClient, **criteria: str) -> str:
    response = client.get("/toms/frame/students/results", query_string=criteria)
    assert response.status_code == 200
    return response.text


def test_results_view(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(alt_lea, lambda s: True, school="Dana Hills High")
    tree = parse(_results(alt_lea, ssid=student["ssid"]))
    assert tree.find_all("html") == []  # a fragment, not a page
    grid = one(tree, "grid", messages_alt.RESULTS_LABEL)
    assert [c.text for c in find_role(grid, "columnheader")] == RESULT_COLUMNS
    rows = [r for r in find_role(grid, "row") if find_role(r, "gridcell")]
    assert len(rows) == 1
    cells = [c.text for c in find_role(rows[0], "gridcell")]
    name = f"{student['last_name']}, {student['first_name']}"
    assert cells[:5] == [
        "1",
        name,
        student["ssid"],
        "Dana Hills High (30664643038569)",
        student["grade"],
    ]
    magnifier = find_role(rows[0], "button")
    assert len(magnifier) == 1 and magnifier[0].tag == "span"
    assert name_of(magnifier[0]) not in ("View Student", "")
    sid = student_id(alt_app, student["ssid"])
    assert magnifier[0].get("data-href") == f"/toms/frame/students/{sid}"


def test_results_view_empty_and_invalid(alt_lea: FlaskClient) -> None:
    empty = _results(alt_lea, last_name="zzzzzz")
    grid = one(empty, "grid", messages_alt.RESULTS_LABEL)
    assert [c.text for c in find_role(grid, "gridcell")] == ["0 records match your criteria"]
    assert messages.NO_STUDENTS_FOUND not in empty
    assert names(_results(alt_lea), "alert") == [messages_alt.SEARCH_CRITERION_REQUIRED]
    assert names(_results(alt_lea, ssid="123"), "alert") == [messages_alt.SSID_FORMAT]
    many = _results(alt_lea, grade="11")
    assert re.search(r"Results 1–50 of \d+\.", many)  # noqa: RUF001


def _open(s: dict[str, Any]) -> bool:
    return any(
        a["test"] == ELA and a["status"] == "Assigned" and a["condition_code"] is None
        for a in s["assignments"]
    )


def test_student_profile(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(alt_lea, _open)
    sid = student_id(alt_app, student["ssid"])
    page = alt_lea.get(f"/toms/frame/students/{sid}").text
    tree = parse(page)
    one(tree, "heading", "Student Profile")
    # The profile's tabs are plain links here; none is a tab.
    sections = one(tree, "navigation", messages_alt.PROFILE_SECTIONS)
    assert names(sections, "link") == PROFILE_TABS
    assert find_role(tree, "tab") == [] and find_role(tree, "tablist") == []
    full = f"{student['first_name']} {student['last_name']}"
    line = messages_alt.PROFILE_LINE.format(name=full, ssid=student["ssid"])
    assert line in shown(page) and f"SSID: {student['ssid']}" not in page
    # Test Assignments is an empty view in the page, filled by script from its own URL.
    view = by_id(tree, "x-assignments-view")
    assert view.get("data-view-url") == f"/toms/frame/students/{sid}/assignments/view"
    assert view.text == "" and view.hidden
    direct = parse(alt_lea.get(f"/toms/frame/students/{sid}/assignments").text)
    view = by_id(direct, "x-assignments-view")
    assert not view.hidden and "data-autoload" in view.attrs and view.get("aria-busy") == "true"


def _view(client: FlaskClient, app: Flask, ssid: str) -> str:
    response = client.get(f"/toms/frame/students/{student_id(app, ssid)}/assignments/view")
    assert response.status_code == 200
    return response.text


def test_test_assignments_view(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(alt_lea, _open)
    html = _view(alt_lea, alt_app, student["ssid"])
    tree = parse(html)
    one(tree, "heading", "Test Assignments")
    one(tree, "heading", "Add/Remove Test Assignments")
    full = f"{student['first_name']} {student['last_name']}"
    table = one(tree, "table", f"Current Active Test Assignments for {full}")
    assert table.find_all("caption") == [] and how_labelled(table) == "aria-labelledby"
    assert [name_of(h) for h in find_role(table, "columnheader")] == ASSIGNMENT_COLUMNS
    rows = table.find("tbody").find_all("tr")
    assert [r.find("td").text for r in rows] == [a["test"] for a in student["assignments"]]
    assert all([td.text for td in r.find_all("td")][1:3] == ["Assigned ✓", "Online"] for r in rows)
    cond = find_role(table, "button", "COND. CODE")
    assert len(cond) == len(rows) and {b.tag for b in cond} == {"a"}
    # The dialog: a div with role=dialog, not modal, closed until COND. CODE opens it.
    dialog = one(
        parse(html.replace("data-cc-dialog hidden", "data-cc-dialog")),
        "dialog",
        "Select Condition Code",
    )
    assert dialog.tag == "div" and "aria-modal" not in dialog.attrs
    select = one(dialog, "combobox", "Select the condition code for this student. *")
    assert how_labelled(select) == "aria-labelledby"
    options = [(o.get("value"), o.text) for o in select.find_all("option") if o.get("value")]
    assert [text for _, text in options] == [
        "NTE: Not tested medical emergency",
        "PGE: Parent/Guardian exemption",
    ]
    assert all(str(value).isdigit() for value, _ in options)  # opaque
    one(dialog, "heading", "Code Key")
    assert "NTE: Not tested medical emergency" in dialog.text
    cancel, save = one(dialog, "button", "CANCEL"), one(dialog, "button", "SAVE")
    assert (cancel.tag, save.tag) == ("input", "button")
    # With the dialog open, its SAVE and the page's bottom SAVE are both there to be seen.
    opened = parse(html.replace("data-cc-dialog hidden", "data-cc-dialog"))
    saves = find_role(opened, "button", "SAVE")
    assert [(b.tag, b.get("type")) for b in saves] == [("button", "button"), ("input", "submit")]
    assert len(find_role(tree, "button", "SAVE")) == 1  # closed: only the bottom one
    boxes = find_role(tree, "checkbox")
    assert {how_labelled(b) for b in boxes} == {"wrap"}
    assert ELA in [name_of(b) for b in boxes]


def test_submitted_test_greyed_out(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(
        alt_lea, lambda s: any(a["status"] == "Submitted" for a in s["assignments"])
    )
    tree = parse(_view(alt_lea, alt_app, student["ssid"]))
    submitted = next(a["test"] for a in student["assignments"] if a["status"] == "Submitted")
    row = next(r for r in tree.find("tbody").find_all("tr") if r.find("td").text == submitted)
    button = one(row, "button", "COND. CODE")
    assert button.tag == "a" and button.get("aria-disabled") == "true"
    assert "href" not in button.attrs and "data-cc" not in button.attrs
    assert row.find_all("td")[1].text == messages_alt.STATUS_SUBMITTED != "Submitted"


def test_error_and_message_pages(alt_client: FlaskClient) -> None:
    alt_client.post("/__mock__/faults", json={"error_rate": 1.0})
    seen = {}
    for _ in range(12):
        response = alt_client.get("/")
        seen[response.status_code] = parse(response.text).find("h1").text
        for default in ("Internal Server Error", "Service Unavailable", "temporarily unavailable"):
            assert default not in response.text
    assert seen == {500: "Something went wrong", 503: "We'll be right back"}
    alt_client.post("/__mock__/faults", json={"error_rate": 0.0})
    missing = alt_client.get("/no-such-page")
    assert missing.status_code == 404
    assert names(missing.text, "alert") == [messages_alt.PAGE_NOT_FOUND]
    assert messages.PAGE_NOT_FOUND not in shown(missing.text)


def test_frame_messages(alt_lea: FlaskClient) -> None:
    missing = alt_lea.get("/toms/frame/students/99999999")
    assert missing.status_code == 404
    assert parse(missing.text).find("h1").text == messages_alt.TITLES["Student Not Found"]
    assert names(missing.text, "alert") == [messages_alt.STUDENT_NOT_FOUND]


def test_logon_with_the_password_field_as_a_person_fills_it(alt_client: FlaskClient) -> None:
    """The alt logon form posts the same fields: a person who fills it in gets in."""
    page = alt_client.get("/sso/logon?next=/toms/").text
    fields = {n.get("name") for n in parse(page).find("form").find_all("input")}
    assert {"username", "password", "csrf_token", "next"} <= fields
    response = alt_client.post(
        "/sso/logon",
        data={
            "csrf_token": csrf_token(page),
            "username": LEA,
            "password": PASSWORD,
            "next": "/toms/",
        },
    )
    assert response.headers["Location"] == "/sso/code"
    assert role_of(parse(page).find("input", type="submit")) == "button"
