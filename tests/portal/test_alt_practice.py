"""The alt build of the practice site: the guide's words and roles, other markup and wording."""

from __future__ import annotations

from flask.testing import FlaskClient

from mock_portal import messages, messages_alt

from .aria import by_id, find_role, how_labelled, name_of, names, one
from .conftest import TA, log_on
from .helpers import csrf_token, parse

MATH5 = "Grade 5 Math Practice Test"
ELA5 = "Grade 5 ELA Practice Test"


def _start(client: FlaskClient, *, remote: bool) -> str:
    """Start a session as the alt pages do; return the session page's URL."""
    home = client.get("/ta-training/").text
    started = client.post(
        "/ta-training/start",
        data={"csrf_token": csrf_token(home), "mode": "remote" if remote else "in-person"},
    )
    select = client.get(started.headers["Location"]).text
    values = {name_of(box): box.get("value") for box in find_role(select, "checkbox")}
    created = client.post(
        "/ta-training/tests",
        data={
            "csrf_token": csrf_token(select),
            "mode": "remote" if remote else "in-person",
            "test": [values[MATH5], values[ELA5]],
        },
    )
    assert created.status_code == 303
    return str(created.headers["Location"])


def test_practice_tile_and_start_button(alt_client: FlaskClient) -> None:
    page = alt_client.get("/practice-tests/").text
    one(page, "heading", "Practice and Training Tests")
    button = one(page, "button", "Start a Practice or Training Test Session")
    assert (button.tag, button.get("type"), button.get("data-href")) == (
        "input",
        "button",
        "/ta-training/",
    )
    assert find_role(page, "link", "Start a Practice or Training Test Session") == []


def test_training_site_home_and_test_selection(alt_client: FlaskClient) -> None:
    log_on(alt_client, TA, next_path="/ta-training/")
    home = alt_client.get("/ta-training/").text
    in_person = one(home, "button", "Start an In-Person Session")
    remote = one(home, "button", "Start a Remote Session")
    assert (in_person.tag, in_person.get("data-mode")) == ("span", "in-person")
    assert (remote.tag, remote.get("name"), remote.get("value")) == ("button", "mode", "remote")
    select = alt_client.get("/ta-training/tests?mode=remote").text
    one(select, "heading", messages_alt.SELECT_TITLE)
    boxes = find_role(select, "checkbox")
    assert MATH5 in [name_of(b) for b in boxes] and ELA5 in [name_of(b) for b in boxes]
    assert {how_labelled(b) for b in boxes} == {"wrap", "aria-label"}
    one(select, "button", messages_alt.CREATE_SESSION)
    nothing = alt_client.post(
        "/ta-training/tests", data={"csrf_token": csrf_token(select), "mode": "remote"}
    )
    assert names(nothing.text, "alert") == [messages_alt.SELECT_TEST_REQUIRED]


def test_session_page_approvals_and_stop(alt_client: FlaskClient) -> None:
    log_on(alt_client, TA, next_path="/ta-training/")
    url = _start(alt_client, remote=True)
    page = alt_client.get(url).text
    tree = parse(page)
    code = url.rsplit("/", 1)[-1]
    labelled = [n for n in tree.iter() if n.get("aria-labelledby") == "x-psid-term"]
    assert [(name_of(n), n.text) for n in labelled] == [("Practice Session ID", code)]
    assert by_id(tree, "x-psid-term").tag == "dt"
    assert names(tree, "tab") == [messages_alt.ROSTER_TAB, "Approvals"]
    assert {t.tag for t in find_role(tree, "tab")} == {"span"}  # navigate by script
    assert one(tree, "tab", "Approvals").get("data-href") == f"{url}/approvals"
    assert messages_alt.NO_STUDENTS_SIGNED_IN in page
    assert messages.NO_STUDENTS_SIGNED_IN not in page
    # Stop: a button, and a confirmation in a div with role=alertdialog, worded otherwise.
    one(tree, "button", messages_alt.STOP_SESSION)
    assert find_role(tree, "button", "Stop Session") == []
    confirm = by_id(tree, "x-stop-dialog")
    assert confirm.tag == "div" and confirm.get("role") == "alertdialog" and confirm.hidden
    assert messages_alt.STOP_SESSION_CONFIRM in parse(page).text
    for student in ({"first_name": "Ana", "ssid": "1234567890"}, {"guest": True}):
        alt_client.post(f"/__mock__/practice/sessions/{code}/students", json=student)
    approvals = alt_client.get(f"{url}/approvals").text
    grid = one(approvals, "grid", messages_alt.GRID_WAITING)
    assert [c.text for c in find_role(grid, "columnheader")] == [
        messages_alt.GRID_STUDENT,
        messages_alt.GRID_SSID,
        messages_alt.GRID_TEST,
        messages_alt.GRID_DECISION,
    ]
    assert len(find_role(grid, "button", messages_alt.APPROVE)) == 2
    deny = find_role(grid, "button", messages_alt.DENY)
    assert len(deny) == 2 and {d.tag for d in deny} == {"span"}
    one(approvals, "button", messages_alt.APPROVE_ALL)
    reason = by_id(parse(approvals), "x-deny-dialog").find("textarea")
    assert name_of(reason) == messages_alt.DENY_REASON_LABEL
    assert how_labelled(reason) == "aria-labelledby"
    assert parse(approvals).find_all("table") == []
    # Deny the first with a reason, admit the other: the same server rules and log.
    first = deny[0].get("data-deny")
    token = csrf_token(approvals)
    alt_client.post(f"{url}/deny", data={"csrf_token": token, "student": first, "reason": "late"})
    alt_client.post(f"{url}/approve-all", data={"csrf_token": token})
    log = alt_client.get(f"/__mock__/practice/sessions/{code}").get_json()["log"]
    assert [(e["action"], e["reason"]) for e in log] == [("denied", "late"), ("approved", None)]
    empty = alt_client.get(f"{url}/approvals").text
    assert messages_alt.NO_STUDENTS_WAITING in empty
    assert messages.NO_STUDENTS_WAITING not in empty
    alt_client.post(f"{url}/stop", data={"csrf_token": token})
    ended = alt_client.get(url).text
    assert names(ended, "status") == [messages_alt.PRACTICE_SESSION_ENDED]
    assert messages.PRACTICE_SESSION_ENDED not in ended


def test_student_interface(alt_client: FlaskClient) -> None:
    log_on(alt_client, TA, next_path="/ta-training/")
    code = _start(alt_client, remote=False).rsplit("/", 1)[-1]
    sign_in = alt_client.get(f"/student/?session={code}").text
    tree = parse(sign_in)
    for label, how in (
        ("First Name", "wrap"),
        ("SSID", "aria-label"),
        ("Session ID", "aria-labelledby"),
    ):
        assert how_labelled(one(tree, "textbox", label)) == how
    assert one(tree, "textbox", "Session ID").get("value") == code
    one(tree, "checkbox", messages_alt.GUEST_LABEL)
    one(tree, "button", messages_alt.JOIN)
    wrong = alt_client.post(
        "/student/",
        data={"csrf_token": csrf_token(sign_in), "first_name": "", "ssid": "", "session_id": code},
    )
    assert names(wrong.text, "alert") == [messages_alt.STUDENT_NAME_REQUIRED]
    alt_client.post(
        "/student/",
        data={
            "csrf_token": csrf_token(sign_in),
            "first_name": "Bo",
            "ssid": "2234567890",
            "session_id": code,
        },
    )
    confirm = alt_client.get("/student/confirm").text
    one(confirm, "heading", "Is This You?")
    assert names(confirm, "button") == [messages_alt.YES_ME, messages_alt.NOT_ME]
