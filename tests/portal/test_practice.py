"""Practice and training test sessions: the TA Training Site, the student interface, the API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_portal import messages, practice_state
from mock_portal.practice_catalog import PRACTICE_GROUPS, PRACTICE_TESTS

from .conftest import LEA, TA, FakeClock, log_on
from .helpers import (
    Node,
    csrf_token,
    parse,
    table_headers,
    table_rows,
    title,
    visible_buttons,
    visible_by_role,
)

MATH5 = "Grade 5 Math Practice Test"
ELA5 = "Grade 5 ELA Practice Test"
SSID = "1234567890"
ID_FORMAT = re.compile(r"CA-[A-Z]{3}-[0-9]{3}")


# --- helpers: what a person does, through the pages -------------------------------------------


def h1(response: TestResponse) -> str:
    return parse(response.text).find("h1").text


def value_of_label(html: str, label: str) -> str:
    """The value of the input a <label> with this text points at."""
    tree = parse(html)
    target = next(lab.get("for") for lab in tree.find_all("label") if lab.text == label)
    return str(tree.find("input", id=str(target)).get("value"))


def session_id(html: str) -> str:
    return parse(html).find("output", aria_label="Practice Session ID").text


def ta_client(client: FlaskClient, username: str = TA) -> FlaskClient:
    log_on(client, username, next_path="/ta-training/")
    return client


def start_session(
    client: FlaskClient, *, remote: bool = False, tests: tuple[str, ...] = (MATH5, ELA5)
) -> str:
    """Start a session through the buttons and the Select Tests page; return its ID."""
    home = client.get("/ta-training/")
    mode = "remote" if remote else "in-person"
    response = client.post(
        "/ta-training/start", data={"csrf_token": csrf_token(home.text), "mode": mode}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert h1(page) == "Select Tests"
    chosen = [value_of_label(page.text, name) for name in tests]
    response = client.post(
        "/ta-training/tests",
        data={"csrf_token": csrf_token(page.text), "mode": mode, "test": chosen},
    )
    assert response.status_code == 303, response.text
    code = response.headers["Location"].rsplit("/", 1)[1]
    assert ID_FORMAT.fullmatch(code)
    return code


def post_on_page(client: FlaskClient, page_url: str, action: str, **data: str) -> TestResponse:
    page = client.get(page_url)
    assert page.status_code == 200
    return client.post(action, data={"csrf_token": csrf_token(page.text), **data})


def sign_in(
    student: FlaskClient, code: str, first: str = "Ana", ssid: str = SSID, *, guest: bool = False
) -> TestResponse:
    page = student.get("/student/")
    data = {"csrf_token": csrf_token(page.text), "first_name": first, "ssid": ssid}
    data["session_id"] = code
    if guest:
        data["guest"] = "1"
    return student.post("/student/", data=data)


def answer(student: FlaskClient, yes: bool) -> TestResponse:
    return post_on_page(
        student, "/student/confirm", "/student/confirm", answer="yes" if yes else "no"
    )


def wait_for_approval(
    student: FlaskClient,
    code: str,
    test: str = MATH5,
    *,
    first: str = "Ana",
    ssid: str = SSID,
    guest: bool = False,
) -> None:
    """Sign in, confirm, choose ``test``: the student ends up on Waiting for Approval."""
    assert (
        sign_in(student, code, first, ssid, guest=guest).headers["Location"] == "/student/confirm"
    )
    assert answer(student, yes=True).headers["Location"] == "/student/tests"
    page = student.get("/student/tests")
    response = student.post(
        "/student/tests",
        data={"csrf_token": csrf_token(page.text), "test": value_of_label(page.text, test)},
    )
    assert response.headers["Location"] == "/student/waiting"
    assert h1(student.get("/student/waiting")) == "Waiting for Approval"


def approvals_url(code: str) -> str:
    return f"/ta-training/session/{code}/approvals"


def approvals_table(client: FlaskClient, code: str) -> list[list[str]]:
    return table_rows(client.get(approvals_url(code)).text)


def row_token(client: FlaskClient, code: str, first_name: str) -> str:
    """The hidden student field of the Approve form in ``first_name``'s row."""
    tree = parse(client.get(approvals_url(code)).text)
    row = next(tr for tr in tree.find("tbody").find_all("tr") if tr.find("td").text == first_name)
    return str(row.find("input", name="student").get("value"))


def practice_json(client: FlaskClient, code: str) -> dict[str, Any]:
    response = client.get(f"/__mock__/practice/sessions/{code}")
    assert response.status_code == 200
    data: dict[str, Any] = response.get_json()
    return data


def states(client: FlaskClient, code: str) -> dict[str, str]:
    return {s["first_name"]: s["state"] for s in practice_json(client, code)["students"]}


# Several browsers at once: no client is kept in a ``with`` block, since a preserved context
# would share its ``g`` (and so its cached CSRF token) with the other clients' requests.


@pytest.fixture
def ta(app: Flask) -> FlaskClient:
    """A browser logged on to the TA Training Site as the test administrator."""
    return ta_client(app.test_client())


@pytest.fixture
def student(app: Flask) -> FlaskClient:
    """A student's browser."""
    return app.test_client()


def tab_names(html: str) -> list[str]:
    return [n.text for n in parse(html).find_all(role="tab")]


def dialog(html: str, heading: str) -> Node:
    tree = parse(html)
    for node in tree.find_all("dialog"):
        if node.find("h2").text == heading:
            return node
    raise AssertionError(f"no dialog {heading!r}")


# --- the way in -----------------------------------------------------------------------------


def test_tile_leads_to_the_page_whose_button_leads_to_the_ta_site(client: FlaskClient) -> None:
    tiles = parse(client.get("/").text).find("nav", aria_label="Systems").find_all("a")
    href = next(a.get("href") for a in tiles if a.text == "Practice and Training Tests")
    assert href == "/practice-tests/"
    page = client.get(href)
    assert title(page.text) == "Practice and Training Tests"
    assert h1(page) == "Practice and Training Tests"
    link = next(
        a
        for a in parse(page.text).find_all("a")
        if a.text == "Start a Practice or Training Test Session"
    )
    assert link.get("href") == "/ta-training/"
    assert client.get("/page/practice-tests").headers["Location"] == "/practice-tests/"


def test_ta_site_needs_the_sso_logon_and_no_role_choice(client: FlaskClient) -> None:
    response = client.get("/ta-training/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sso/logon?next=%2Fta-training%2F"
    # The LEA coordinator holds two roles: TOMS would ask for one, this site does not.
    log_on(client, LEA, next_path="/ta-training/")
    home = client.get("/ta-training/")
    assert title(home.text) == "Test Administrator Training Site"
    assert h1(home) == "Test Administrator Training Site"
    assert "Logged on as Lea Coordinator" in parse(home.text).find("header").text
    assert visible_buttons(home.text) == ["Start an In-Person Session", "Start a Remote Session"]


def test_expired_sso_session_sends_the_ta_to_log_on_again(
    ta: FlaskClient, clock: FakeClock
) -> None:
    code = start_session(ta)
    clock.advance(1201)
    response = ta.get(f"/ta-training/session/{code}")
    assert response.headers["Location"] == (
        f"/sso/logon?next=%2Fta-training%2Fsession%2F{code}&expired=1"
    )


# --- starting a session ------------------------------------------------------------------


def test_select_tests_lists_the_catalog_by_program(ta: FlaskClient) -> None:
    home = ta.get("/ta-training/")
    response = ta.post(
        "/ta-training/start", data={"csrf_token": csrf_token(home.text), "mode": "remote"}
    )
    page = ta.get(response.headers["Location"])
    tree = parse(page.text)
    fieldsets = tree.find_all("fieldset")
    assert [f.find("legend").text for f in fieldsets] == list(PRACTICE_GROUPS)
    labels = [lab.text for f in fieldsets for lab in f.find_all("label")]
    assert labels == [t.name for t in PRACTICE_TESTS]
    assert labels[:2] == ["Grade 3 ELA Practice Test", "Grade 3 Math Practice Test"]
    assert "Grade 11 Math Practice Test" in labels
    assert "Grades 3–5 ELA Training Test" in labels  # noqa: RUF001 - the site's en dash
    assert "High School Science Practice Test" in labels
    assert visible_buttons(page.text) == ["Start Session"]


def test_no_test_chosen_is_an_alert(ta: FlaskClient) -> None:
    page = ta.get("/ta-training/tests?mode=in-person")
    response = ta.post(
        "/ta-training/tests", data={"csrf_token": csrf_token(page.text), "mode": "in-person"}
    )
    assert response.status_code == 400
    assert visible_by_role(response.text, "alert") == [messages.SELECT_TEST_REQUIRED]
    assert ta.get("/__mock__/practice/sessions").get_json() == []


def test_in_person_session_page(ta: FlaskClient) -> None:
    code = start_session(ta)
    page = ta.get(f"/ta-training/session/{code}")
    tree = parse(page.text)
    assert h1(page) == "Practice Session"
    assert session_id(page.text) == code
    assert f"Practice Session ID: {code}" in tree.find("p", class_="session-id").text
    assert "Session Link" not in page.text
    assert [li.text for li in tree.find("section").find_all("li")] == [ELA5, MATH5]
    assert tab_names(page.text) == ["Students", "Approvals (0)"]
    assert visible_by_role(page.text, "status") == [messages.NO_STUDENTS_SIGNED_IN]
    assert visible_buttons(page.text) == ["Stop Session"]
    stop = dialog(page.text, "Stop Session")
    assert messages.STOP_SESSION_CONFIRM in stop.text
    assert [b.text for b in stop.find_all("button")] == ["Yes, Stop Session", "Cancel"]
    assert practice_json(ta, code)["remote"] is False
    assert practice_json(ta, code)["link"] is None


def test_remote_session_link_fills_in_the_session_id(ta: FlaskClient, student: FlaskClient) -> None:
    code = start_session(ta, remote=True)
    page = ta.get(f"/ta-training/session/{code}")
    link = parse(page.text).find("a", aria_label="Session Link")
    assert link.get("href") == f"http://localhost/student/?session={code}"
    assert "Session Link:" in page.text
    assert practice_json(ta, code)["link"] == link.get("href")
    sign_in_page = student.get(f"/student/?session={code}")
    assert value_of_label(sign_in_page.text, "Session ID") == code


def test_session_ids_are_unique_among_active_sessions(
    ta: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = iter(["CA-AAA-111", "CA-AAA-111", "CA-BBB-222", "CA-AAA-111"])
    monkeypatch.setattr(practice_state, "random_session_id", lambda: next(drawn))
    assert start_session(ta) == "CA-AAA-111"
    assert start_session(ta) == "CA-BBB-222"  # the taken ID was drawn again and skipped
    post_on_page(ta, "/ta-training/session/CA-AAA-111", "/ta-training/session/CA-AAA-111/stop")
    # Once that session has ended its ID may come up again.
    assert start_session(ta) == "CA-AAA-111"
    assert practice_json(ta, "CA-AAA-111")["status"] == "active"
    listed = ta.get("/__mock__/practice/sessions").get_json()
    assert [(s["id"], s["status"]) for s in listed] == [
        ("CA-AAA-111", "ended"),
        ("CA-BBB-222", "active"),
        ("CA-AAA-111", "active"),
    ]


def test_real_ids_have_the_format(ta: FlaskClient) -> None:
    codes = {start_session(ta) for _ in range(3)}
    assert len(codes) == 3
    assert all(ID_FORMAT.fullmatch(c) for c in codes)
    home = ta.get("/ta-training/")
    assert {a.text for a in parse(home.text).find("section").find_all("a")} == codes


# --- the student interface ------------------------------------------------------------------


def test_sign_in_page(student: FlaskClient) -> None:
    page = student.get("/student/")
    assert h1(page) == "Student Sign In"
    labels = [lab.text for lab in parse(page.text).find_all("label")]
    assert labels == ["First Name", "SSID", "Session ID", "Guest User"]
    assert visible_buttons(page.text) == ["Sign In"]


@pytest.mark.parametrize(
    ("first", "ssid", "code", "message"),
    [
        ("Ana", SSID, "CA-ZZZ-999", messages.PRACTICE_SESSION_INVALID),
        ("Ana", SSID, "", messages.PRACTICE_SESSION_INVALID),
        ("", SSID, None, messages.STUDENT_NAME_REQUIRED),
        ("Ana", "", None, messages.STUDENT_NAME_REQUIRED),
        ("Ana", "12345", None, messages.SSID_FORMAT),
        ("Ana", "12345678901", None, messages.SSID_FORMAT),
        ("Ana", "12345abcde", None, messages.SSID_FORMAT),
    ],
)
def test_sign_in_errors(
    ta: FlaskClient, student: FlaskClient, first: str, ssid: str, code: str | None, message: str
) -> None:
    real = start_session(ta)
    response = sign_in(student, real if code is None else code, first, ssid)
    assert response.status_code in (400, 404)
    assert visible_by_role(response.text, "alert") == [message]
    assert value_of_label(response.text, "First Name") == first
    assert practice_json(ta, real)["students"] == []


def test_any_ten_digit_ssid_works_and_is_this_you_shows_it(
    ta: FlaskClient, student: FlaskClient
) -> None:
    code = start_session(ta)
    response = sign_in(student, code.lower(), "Ana", "0000000001")
    assert response.headers["Location"] == "/student/confirm"
    page = student.get("/student/confirm")
    assert h1(page) == "Is This You?"
    facts = [n.text for n in parse(page.text).find("dl").find_all()]
    assert facts == ["First Name", "Ana", "SSID", "0000000001", "Session ID", code]
    assert visible_buttons(page.text) == ["Yes", "No"]
    assert states(ta, code) == {"Ana": "signing-in"}
    response = answer(student, yes=False)
    assert response.headers["Location"] == f"/student/?session={code}"
    assert states(ta, code) == {"Ana": "logged-out"}
    assert student.get("/student/confirm").headers["Location"] == "/student/"


def test_choose_a_test_offers_the_session_tests(ta: FlaskClient, student: FlaskClient) -> None:
    code = start_session(ta)
    sign_in(student, code)
    answer(student, yes=True)
    page = student.get("/student/tests")
    assert h1(page) == "Choose a Test"
    radios = parse(page.text).find_all("input", type="radio")
    assert [value_of_label(page.text, n) for n in (ELA5, MATH5)] == [r.get("value") for r in radios]
    response = student.post("/student/tests", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 400
    assert visible_by_role(response.text, "alert") == [messages.SELECT_ONE_TEST]


# --- approvals ------------------------------------------------------------------------------


def test_waiting_student_is_listed_in_approvals(ta: FlaskClient, student: FlaskClient) -> None:
    code = start_session(ta)
    wait_for_approval(student, code)
    waiting = student.get("/student/waiting")
    assert messages.WAITING_FOR_APPROVAL in waiting.text
    assert visible_buttons(waiting.text) == ["Check Again"]
    assert 'src="/static/practice.js"' in waiting.text
    assert student.get("/student/status").get_json() == {"state": "waiting"}
    page = ta.get(approvals_url(code))
    assert tab_names(page.text) == ["Students", "Approvals (1)"]
    assert parse(page.text).find("caption").text == "Students Awaiting Approval"
    assert table_headers(page.text) == ["First Name", "SSID", "Test", "Action"]
    assert table_rows(page.text) == [["Ana", SSID, MATH5, "Approve Deny"]]
    assert visible_buttons(page.text) == [
        "Stop Session",
        "Refresh",
        "Approve All Students",
        "Approve",
        "Deny",
    ]
    assert 'data-refresh-seconds="30"' in page.text
    deny = dialog(page.text, "Deny Student")
    assert [lab.text for lab in deny.find_all("label")] == ["Reason (optional)"]
    assert deny.find("textarea", id=str(deny.find("label").get("for"))).get("name") == "reason"
    assert [b.text for b in deny.find_all("button")] == ["Deny", "Cancel"]
    students_tab = ta.get(f"/ta-training/session/{code}")
    assert table_rows(students_tab.text) == [["Ana", SSID, MATH5, "Waiting for Approval"]]


def test_nobody_waiting(ta: FlaskClient) -> None:
    code = start_session(ta)
    page = ta.get(approvals_url(code))
    assert visible_by_role(page.text, "status") == [messages.NO_STUDENTS_WAITING]
    assert "<table" not in page.text


def test_approve_one_then_the_student_begins_and_sees_the_test(
    ta: FlaskClient, student: FlaskClient, app: Flask
) -> None:
    code = start_session(ta)
    wait_for_approval(student, code)
    other = app.test_client()
    wait_for_approval(other, code, ELA5, first="Ben", ssid="2222222222")
    response = post_on_page(
        ta,
        approvals_url(code),
        f"/ta-training/session/{code}/approve",
        student=row_token(ta, code, "Ana"),
    )
    assert response.headers["Location"] == approvals_url(code)
    assert approvals_table(ta, code) == [["Ben", "2222222222", ELA5, "Approve Deny"]]
    assert states(ta, code) == {"Ana": "approved", "Ben": "waiting"}
    assert student.get("/student/status").get_json() == {"state": "approved"}
    assert student.get("/student/waiting").headers["Location"] == "/student/approved"
    approved = student.get("/student/approved")
    assert h1(approved) == "You Are Approved"
    assert f"Test: {MATH5}" in approved.text
    assert visible_buttons(approved.text) == ["Begin Test"]
    test_page = student.get("/student/test")
    assert h1(test_page) == MATH5
    assert visible_buttons(test_page.text) == ["Pause Test"]
    log = practice_json(ta, code)["log"]
    assert [(e["first_name"], e["action"], e["by"]) for e in log] == [("Ana", "approved", TA)]


def test_approve_all(ta: FlaskClient, app: Flask) -> None:
    code = start_session(ta)
    for i, name in enumerate(("Ana", "Ben", "Cy")):
        browser = app.test_client()
        wait_for_approval(browser, code, first=name, ssid=f"{i}" * 10)
    assert tab_names(ta.get(approvals_url(code)).text)[1] == "Approvals (3)"
    response = post_on_page(ta, approvals_url(code), f"/ta-training/session/{code}/approve-all")
    assert response.status_code == 303
    assert states(ta, code) == {"Ana": "approved", "Ben": "approved", "Cy": "approved"}
    page = ta.get(approvals_url(code))
    assert tab_names(page.text)[1] == "Approvals (0)"
    assert visible_by_role(page.text, "status") == [messages.NO_STUDENTS_WAITING]


def test_deny_with_a_reason_the_student_sees_then_asks_again(
    ta: FlaskClient, student: FlaskClient
) -> None:
    code = start_session(ta)
    wait_for_approval(student, code)
    post_on_page(
        ta,
        approvals_url(code),
        f"/ta-training/session/{code}/deny",
        student=row_token(ta, code, "Ana"),
        reason="  Wrong   session ",
    )
    assert states(ta, code) == {"Ana": "denied"}
    assert student.get("/student/status").get_json() == {"state": "denied"}
    response = student.get("/student/waiting")
    assert response.headers["Location"] == "/student/"
    page = student.get("/student/")
    assert visible_by_role(page.text, "alert") == [
        f"{messages.STUDENT_DENIED} Reason: Wrong session"
    ]
    assert visible_by_role(student.get("/student/").text, "alert") == []  # said once
    # Asking again: the same row, a new choice, waiting again.
    wait_for_approval(student, code, ELA5)
    found = practice_json(ta, code)
    assert [(s["state"], s["test"], s["reason"]) for s in found["students"]] == [
        ("waiting", ELA5, None)
    ]
    assert [(e["action"], e["reason"]) for e in found["log"]] == [("denied", "Wrong session")]


def test_deny_without_a_reason(ta: FlaskClient, student: FlaskClient) -> None:
    code = start_session(ta)
    wait_for_approval(student, code)
    post_on_page(
        ta,
        approvals_url(code),
        f"/ta-training/session/{code}/deny",
        student=row_token(ta, code, "Ana"),
        reason="",
    )
    student.get("/student/waiting")
    assert visible_by_role(student.get("/student/").text, "alert") == [messages.STUDENT_DENIED]


def test_guests_show_as_guest(ta: FlaskClient, app: Flask) -> None:
    code = start_session(ta)
    one = app.test_client()
    two = app.test_client()
    wait_for_approval(one, code, first="", ssid="", guest=True)
    confirm = sign_in(two, code, "Dee", "not-an-ssid", guest=True)
    assert confirm.headers["Location"] == "/student/confirm"
    page = two.get("/student/confirm")
    assert [n.text for n in parse(page.text).find("dl").find_all("dd")][:2] == ["Dee", "Guest"]
    answer(two, yes=True)
    page = two.get("/student/tests")
    two.post(
        "/student/tests",
        data={"csrf_token": csrf_token(page.text), "test": value_of_label(page.text, ELA5)},
    )
    assert approvals_table(ta, code) == [
        ["Guest", "Guest", MATH5, "Approve Deny"],
        ["Dee", "Guest", ELA5, "Approve Deny"],
    ]
    students = practice_json(ta, code)["students"]
    assert [(s["first_name"], s["ssid"], s["guest"]) for s in students] == [
        ("Guest", None, True),
        ("Dee", None, True),
    ]


def test_pause_and_return_needs_a_new_approval(ta: FlaskClient, student: FlaskClient) -> None:
    code = start_session(ta)
    wait_for_approval(student, code)
    post_on_page(ta, approvals_url(code), f"/ta-training/session/{code}/approve-all")
    response = post_on_page(student, "/student/test", "/student/pause")
    assert response.headers["Location"] == "/student/"
    page = student.get("/student/")
    assert visible_by_role(page.text, "status") == [messages.TEST_PAUSED]
    assert states(ta, code) == {"Ana": "paused"}
    assert student.get("/student/test").headers["Location"] == "/student/"
    # Signing in again with the same SSID returns to the test: straight to waiting.
    sign_in(student, code)
    assert answer(student, yes=True).headers["Location"] == "/student/waiting"
    assert states(ta, code) == {"Ana": "waiting"}
    assert approvals_table(ta, code) == [["Ana", SSID, MATH5, "Approve Deny"]]
    assert len(practice_json(ta, code)["students"]) == 1


def test_a_paused_guest_cannot_return(ta: FlaskClient, student: FlaskClient) -> None:
    code = start_session(ta)
    wait_for_approval(student, code, guest=True)
    post_on_page(ta, approvals_url(code), f"/ta-training/session/{code}/approve-all")
    post_on_page(student, "/student/test", "/student/pause")
    assert visible_by_role(student.get("/student/").text, "status") == [messages.GUEST_TEST_PAUSED]
    token = practice_json(ta, code)["students"][0]["token"]
    response = ta.post(f"/__mock__/practice/students/{token}/return")
    assert response.status_code == 409


# --- ending a session -----------------------------------------------------------------------


def test_stop_session_logs_students_out_and_refuses_new_ones(
    ta: FlaskClient, student: FlaskClient, app: Flask
) -> None:
    code = start_session(ta)
    wait_for_approval(student, code)
    response = post_on_page(ta, f"/ta-training/session/{code}", f"/ta-training/session/{code}/stop")
    assert response.headers["Location"] == f"/ta-training/session/{code}"
    page = ta.get(f"/ta-training/session/{code}")
    assert messages.PRACTICE_SESSION_ENDED in visible_by_role(page.text, "status")
    assert visible_buttons(page.text) == []
    assert table_rows(page.text) == [["Ana", SSID, MATH5, "Logged Out"]]
    approvals = ta.get(approvals_url(code))
    assert visible_buttons(approvals.text) == []
    assert practice_json(ta, code)["status"] == "ended"
    assert states(ta, code) == {"Ana": "logged-out"}
    assert student.get("/student/waiting").headers["Location"] == "/student/"
    assert visible_by_role(student.get("/student/").text, "status") == [
        messages.STUDENT_SESSION_ENDED
    ]
    late = app.test_client()
    refused = sign_in(late, code, "Ben", "2222222222")
    assert visible_by_role(refused.text, "alert") == [messages.PRACTICE_SESSION_INVALID]
    assert ta.get("/ta-training/").text.count(code) == 0  # no longer among the active sessions


def test_idle_ta_ends_the_session_and_logs_students_out(
    ta: FlaskClient, student: FlaskClient, clock: FakeClock
) -> None:
    ta.post("/__mock__/faults", json={"idle_timeout_s": 100_000})  # keep the SSO logon alive
    code = start_session(ta)
    wait_for_approval(student, code)
    for _ in range(2):  # the TA's visits keep the session alive; the student's polls them
        clock.advance(1000)
        assert ta.get(approvals_url(code)).status_code == 200
        assert student.get("/student/status").get_json() == {"state": "waiting"}
    clock.advance(1801)
    assert student.get("/student/status").get_json() == {"state": "logged-out"}
    page = ta.get(f"/ta-training/session/{code}")
    assert messages.PRACTICE_SESSION_ENDED in visible_by_role(page.text, "status")
    assert practice_json(ta, code)["status"] == "ended"
    assert student.get("/student/waiting").headers["Location"] == "/student/"
    assert visible_by_role(student.get("/student/").text, "status") == [
        messages.STUDENT_SESSION_ENDED
    ]


def test_idle_student_is_logged_out(
    ta: FlaskClient, student: FlaskClient, clock: FakeClock, app: Flask
) -> None:
    ta.post("/__mock__/faults", json={"idle_timeout_s": 100_000})
    code = start_session(ta)
    wait_for_approval(student, code)
    clock.advance(1000)
    assert ta.get(approvals_url(code)).status_code == 200
    other = app.test_client()
    wait_for_approval(other, code, first="Ben", ssid="2222222222")
    clock.advance(900)
    assert ta.get(approvals_url(code)).status_code == 200
    assert states(ta, code) == {"Ana": "logged-out", "Ben": "waiting"}
    assert approvals_table(ta, code) == [["Ben", "2222222222", MATH5, "Approve Deny"]]
    assert student.get("/student/waiting").headers["Location"] == "/student/"
    assert visible_by_role(student.get("/student/").text, "status") == [messages.STUDENT_IDLE]


# --- boundaries -----------------------------------------------------------------------------


def test_another_tas_session_is_not_found(ta: FlaskClient, app: Flask) -> None:
    code = start_session(ta)
    lea = app.test_client()
    ta_client(lea, LEA)
    assert lea.get(f"/ta-training/session/{code}").status_code == 404
    assert lea.get(approvals_url(code)).status_code == 404
    token = csrf_token(lea.get("/ta-training/").text)
    for action in ("stop", "approve-all", "approve", "deny"):
        response = lea.post(f"/ta-training/session/{code}/{action}", data={"csrf_token": token})
        assert response.status_code == 404
    assert code not in lea.get("/ta-training/").text
    assert practice_json(ta, code)["status"] == "active"


def test_ta_posts_need_the_csrf_token(ta: FlaskClient, student: FlaskClient) -> None:
    code = start_session(ta)
    wait_for_approval(student, code)
    token = row_token(ta, code, "Ana")
    for url, data in (
        ("/ta-training/start", {"mode": "remote"}),
        ("/ta-training/tests", {"mode": "remote", "test": "sb-pt-5-math"}),
        (f"/ta-training/session/{code}/approve", {"student": token}),
        (f"/ta-training/session/{code}/deny", {"student": token}),
        (f"/ta-training/session/{code}/approve-all", {}),
        (f"/ta-training/session/{code}/stop", {}),
    ):
        response = ta.post(url, data=data)
        assert response.status_code == 400, url
        assert visible_by_role(response.text, "alert") == [messages.CSRF_FAILED]
    found = practice_json(ta, code)
    assert found["status"] == "active"
    assert states(ta, code) == {"Ana": "waiting"}
    assert len(ta.get("/__mock__/practice/sessions").get_json()) == 1
    assert student.post("/student/", data={"session_id": code, "guest": "1"}).status_code == 400


# --- the test API ---------------------------------------------------------------------------

SESSION_KEYS = {"id", "status", "remote", "link", "tests", "ta", "students", "log"}
STUDENT_KEYS = {"token", "first_name", "ssid", "guest", "test", "state", "reason"}
LOG_KEYS = {"token", "first_name", "ssid", "action", "reason", "by", "at"}


def test_api_shapes_sign_in_pause_and_return(ta: FlaskClient, clock: FakeClock) -> None:
    code = start_session(ta, remote=True, tests=(MATH5,))
    api = f"/__mock__/practice/sessions/{code}/students"
    created = ta.post(api, json={"first_name": "Ana", "ssid": SSID, "guest": False, "test": MATH5})
    assert created.status_code == 201
    ana = created.get_json()
    assert set(ana) == STUDENT_KEYS
    assert ana | {"token": None} == {
        "token": None,
        "first_name": "Ana",
        "ssid": SSID,
        "guest": False,
        "test": MATH5,
        "state": "waiting",
        "reason": None,
    }
    guest = ta.post(api, json={"guest": True}).get_json()
    assert (guest["first_name"], guest["ssid"], guest["test"]) == ("Guest", None, MATH5)
    assert ta.post(api, json={"first_name": "X", "ssid": "1"}).status_code == 400
    assert ta.post(api, json={"guest": True, "test": ELA5}).status_code == 400
    assert ta.post("/__mock__/practice/sessions/CA-NOP-000/students", json={}).status_code == 404
    assert ta.get("/__mock__/practice/sessions/CA-NOP-000").status_code == 404

    post_on_page(
        ta, approvals_url(code), f"/ta-training/session/{code}/approve", student=ana["token"]
    )
    paused = ta.post(f"/__mock__/practice/students/{ana['token']}/pause")
    assert paused.get_json()["state"] == "paused"
    assert ta.post(f"/__mock__/practice/students/{ana['token']}/pause").status_code == 409
    back = ta.post(f"/__mock__/practice/students/{ana['token']}/return")
    assert back.get_json()["state"] == "waiting"
    assert ta.post("/__mock__/practice/students/nope/pause").status_code == 404

    found = practice_json(ta, code)
    assert set(found) == SESSION_KEYS
    assert (found["id"], found["status"], found["remote"], found["ta"]) == (
        code,
        "active",
        True,
        TA,
    )
    assert found["link"] == f"http://localhost/student/?session={code}"
    assert found["tests"] == [MATH5]
    assert [s["state"] for s in found["students"]] == ["waiting", "waiting"]
    assert len(found["log"]) == 1
    assert set(found["log"][0]) == LOG_KEYS
    assert found["log"][0]["at"] == "2026-05-28T20:26:40Z"
    assert ta.get("/__mock__/practice/sessions").get_json() == [found]


def test_reset_clears_practice_sessions(ta: FlaskClient) -> None:
    code = start_session(ta)
    ta.post(f"/__mock__/practice/sessions/{code}/students", json={"guest": True})
    assert ta.post("/__mock__/reset", json={"students": 20}).status_code == 200
    assert ta.get("/__mock__/practice/sessions").get_json() == []
    browser = ta.application.test_client()
    refused = sign_in(browser, code, guest=True)
    assert visible_by_role(refused.text, "alert") == [messages.PRACTICE_SESSION_INVALID]


def test_practice_api_is_loopback_only(app: Flask) -> None:
    outsider = app.test_client()
    outsider.environ_base = {"REMOTE_ADDR": "10.0.0.5"}
    assert outsider.get("/__mock__/practice/sessions").status_code == 403
    assert outsider.post("/__mock__/practice/students/x/pause").status_code == 403
