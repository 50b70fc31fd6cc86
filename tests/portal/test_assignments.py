"""Test Assignments: the page, the condition code dialog, and the bottom SAVE rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import mock_portal
from mock_portal import messages

from .conftest import (
    CAST,
    ELA,
    MATH,
    FakeClock,
    assignment,
    find_student,
    save_form,
    student_id,
    student_json,
)
from .helpers import parse, table_headers, table_rows, visible_buttons, visible_by_role

HEADERS = [
    "Test Program",
    "Test Assignment Status",
    "Test Delivery Mode",
    "Condition Code",
    "Action",
]


def _open(s: dict[str, Any]) -> bool:
    """Every test open, ELA among them."""
    return any(a["test"] == ELA for a in s["assignments"]) and all(
        a["status"] == "Assigned" and a["condition_code"] is None for a in s["assignments"]
    )


def _with(status: str | None = None, code: str | None = None) -> Any:
    def predicate(s: dict[str, Any]) -> bool:
        return any(
            (status is None or a["status"] == status)
            and (code is None or a["condition_code"] == code)
            for a in s["assignments"]
        )

    return predicate


def _audit(client: FlaskClient) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = client.get("/__mock__/audit").get_json()
    return data


def test_assignments_page(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, lambda s: _open(s) and s["grade"] == "08")
    sid = student_id(app, student["ssid"])
    page = lea.get(f"/toms/frame/students/{sid}/assignments")
    assert page.status_code == 200
    tree = parse(page.text)
    assert "Test Assignments" in [h.text for h in tree.find_all("h2")]
    name = f"{student['first_name']} {student['last_name']}"
    assert tree.find("caption").text == f"Current Active Test Assignments for {name}"
    assert table_headers(page.text) == HEADERS
    rows = table_rows(page.text)
    assert [r[0] for r in rows] == [a["test"] for a in student["assignments"]]
    assert ELA in [r[0] for r in rows] and CAST in [r[0] for r in rows]
    assert all(r[1:] == ["Assigned ✓", "Online", "", "COND. CODE"] for r in rows)
    # Closed dialog: its SAVE is hidden, so only the bottom SAVE is visible.
    assert visible_buttons(page.text) == ["COND. CODE"] * len(rows) + ["SAVE"]
    assert visible_by_role(page.text, "alert") == []
    assert visible_by_role(page.text, "status") == []
    # Add/Remove Test Assignments
    assert tree.find_all("h2")[-1].text == "Add/Remove Test Assignments"
    legends = [f.find("legend").text for f in tree.find_all("fieldset")]
    assert legends == [
        "General Assessments",
        "California Science Test",
        "California Spanish Assessment",
    ]
    boxes = {
        tree.find("label", for_=str(box.get("id"))).text: "checked" in box.attrs
        for box in tree.find_all("input", type="checkbox")
    }
    assigned = {a["test"] for a in student["assignments"]}
    assert boxes == {t: t in assigned for t in (ELA, MATH, CAST, "California Spanish Assessment")}
    form = tree.find("form", method="post")
    assert [b.text for b in form.find_all("button")] == ["SAVE"]
    assert form.find("input", name="csrf_token").get("value")


def test_condition_code_dialog_markup(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, _open)
    page = lea.get(f"/toms/frame/students/{student_id(app, student['ssid'])}/assignments")
    tree = parse(page.text)
    dialog = tree.find("dialog")
    assert dialog.get("role") == "dialog"
    assert "open" not in dialog.attrs
    heading = tree.find(id=str(dialog.get("aria-labelledby")))
    assert (heading.tag, heading.text) == ("h2", "Select Condition Code")
    label = dialog.find("label")
    assert label.text == "Select the condition code for this student. *"
    select = dialog.find("select", id=str(label.get("for")))
    assert "required" in select.attrs
    options = [(o.get("value"), o.text) for o in select.find_all("option")]
    assert options == [("", "-- Select --"), ("NTE", "NTE"), ("PGE", "PGE")]
    assert [li.text for li in dialog.find_all("li")] == [
        "NTE: Not tested medical emergency",
        "PGE: Parent/Guardian exemption",
    ]
    assert "Code Key" in dialog.text
    assert [b.text for b in dialog.find_all("button")] == ["CANCEL", "SAVE"]
    alert = dialog.find(role="alert")
    assert (alert.text, "hidden" in alert.attrs) == (messages.SELECT_CODE_REQUIRED, True)
    unsaved = tree.find(id="unsaved-notice")
    assert (unsaved.get("role"), unsaved.text) == ("status", messages.UNSAVED_CHANGES)
    assert "hidden" in unsaved.attrs


def test_staging_script_keeps_nothing_in_browser_storage() -> None:
    script = (Path(mock_portal.__file__).parent / "static" / "assignments.js").read_text()
    assert "showModal" in script
    for storage in ("localStorage", "sessionStorage", "document.cookie", "fetch(", "XMLHttp"):
        assert storage not in script


def test_submitted_test_has_a_disabled_button(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, _with(status="Submitted"))
    page = lea.get(f"/toms/frame/students/{student_id(app, student['ssid'])}/assignments")
    buttons = {
        b.get("data-test-key"): "disabled" in b.attrs
        for b in parse(page.text).find_all("button")
        if b.text == "COND. CODE"
    }
    rows = table_rows(page.text)
    for row, a in zip(rows, student["assignments"], strict=True):
        assert row[1] == ("Submitted" if a["status"] == "Submitted" else "Assigned ✓")
    disabled = [a["status"] == "Submitted" for a in student["assignments"]]
    assert list(buttons.values()) == disabled


def test_bottom_save_stores_the_code_and_audits_it(
    lea: FlaskClient, app: Flask, clock: FakeClock
) -> None:
    student = find_student(lea, _open)
    sid = student_id(app, student["ssid"])
    response = save_form(lea, sid, codes={"ELA": "PGE"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/toms/frame/students/{sid}/assignments?saved=1"
    page = lea.get(response.headers["Location"])
    assert visible_by_role(page.text, "status") == [messages.CHANGES_SAVED]
    assert table_rows(page.text)[0][3] == "PGE"
    stored = student_json(lea, student["ssid"])
    assert assignment(stored, ELA)["condition_code"] == "PGE"
    assert assignment(stored, MATH)["condition_code"] is None
    assert _audit(lea) == [
        {
            "ssid": student["ssid"],
            "test": ELA,
            "old_code": None,
            "new_code": "PGE",
            "user": "lea.coordinator@example.org",
            "at": "2026-05-28T20:26:40Z",
        }
    ]
    assert clock.now == 1_780_000_000.0


def test_nothing_is_stored_until_the_bottom_save(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, _open)
    sid = student_id(app, student["ssid"])
    page = parse(lea.get(f"/toms/frame/students/{sid}/assignments").text)
    # The staged codes travel only in these hidden inputs, empty until the dialog fills them.
    hidden = {
        i.get("name"): i.get("value")
        for i in page.find_all("input", type="hidden")
        if str(i.get("name")).startswith("code-")
    }
    assert hidden == {"code-ELA": "", "code-MATH": "", "code-CAST": "", "code-CSA": ""}
    assert lea.get(f"/toms/frame/students/{sid}/assignments").status_code == 200
    response = save_form(lea, sid)  # the unchanged form
    assert response.status_code == 303
    assert student_json(lea, student["ssid"]) == student
    assert _audit(lea) == []


@pytest.mark.parametrize("code", ["NEL", "INC0", "XYZ", "pge"])
def test_only_nte_and_pge(lea: FlaskClient, app: Flask, code: str) -> None:
    student = find_student(lea, _open)
    response = save_form(lea, student_id(app, student["ssid"]), codes={"ELA": code})
    assert response.status_code == 400
    assert visible_by_role(response.text, "alert") == [messages.CODE_NOT_ALLOWED]
    assert student_json(lea, student["ssid"]) == student
    assert _audit(lea) == []


def test_no_code_for_a_submitted_test(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, _with(status="Submitted"))
    test = next(a["test"] for a in student["assignments"] if a["status"] == "Submitted")
    key = {ELA: "ELA", MATH: "MATH", CAST: "CAST"}.get(test, "CSA")
    response = save_form(lea, student_id(app, student["ssid"]), codes={key: "PGE"})
    assert response.status_code == 409
    assert visible_by_role(response.text, "alert") == [messages.CODE_ON_SUBMITTED]
    assert student_json(lea, student["ssid"]) == student


@pytest.mark.parametrize("stored", ["NTE", "NEL"])
def test_one_code_per_test(lea: FlaskClient, app: Flask, stored: str) -> None:
    student = find_student(lea, _with(code=stored))
    test = next(a["test"] for a in student["assignments"] if a["condition_code"] == stored)
    key = {ELA: "ELA", MATH: "MATH", CAST: "CAST"}.get(test, "CSA")
    response = save_form(lea, student_id(app, student["ssid"]), codes={key: "PGE"})
    assert response.status_code == 409
    assert visible_by_role(response.text, "alert") == [messages.CODE_ALREADY_SET]
    assert student_json(lea, student["ssid"]) == student
    assert _audit(lea) == []


def test_same_code_again_changes_nothing(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, _with(code="PGE"))
    test = next(a["test"] for a in student["assignments"] if a["condition_code"] == "PGE")
    key = {ELA: "ELA", MATH: "MATH", CAST: "CAST"}.get(test, "CSA")
    response = save_form(lea, student_id(app, student["ssid"]), codes={key: "PGE"})
    assert response.status_code == 303
    assert student_json(lea, student["ssid"]) == student
    assert _audit(lea) == []


def test_a_rejected_save_stores_none_of_its_changes(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, lambda s: _open(s) and s["grade"] == "05")
    sid = student_id(app, student["ssid"])
    response = save_form(lea, sid, codes={"ELA": "PGE", "MATH": "NEL"})
    assert response.status_code == 400
    assert student_json(lea, student["ssid"]) == student
    assert _audit(lea) == []


def test_code_for_a_test_not_assigned(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, lambda s: _open(s) and s["grade"] == "06")
    response = save_form(lea, student_id(app, student["ssid"]), codes={"CAST": "PGE"})
    assert response.status_code == 409
    assert visible_by_role(response.text, "alert") == [messages.CODE_TEST_NOT_ASSIGNED]


def test_assignments_can_be_added_and_removed(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, lambda s: _open(s) and s["grade"] == "06")
    sid = student_id(app, student["ssid"])
    assert save_form(lea, sid, assign=["ELA", "CAST"]).status_code == 303
    tests = [a["test"] for a in student_json(lea, student["ssid"])["assignments"]]
    assert tests == [ELA, CAST]


@pytest.mark.parametrize("kind", ["Submitted", "coded"])
def test_submitted_or_coded_assignment_cannot_be_removed(
    lea: FlaskClient, app: Flask, kind: str
) -> None:
    predicate = _with(status="Submitted") if kind == "Submitted" else _with(code="PGE")
    student = find_student(lea, predicate)
    response = save_form(lea, student_id(app, student["ssid"]), assign=[])
    assert response.status_code == 409
    assert visible_by_role(response.text, "alert") == [messages.CANNOT_REMOVE_ASSIGNMENT]
    assert student_json(lea, student["ssid"]) == student


def test_site_coordinator_cannot_save_for_another_school(site: FlaskClient, app: Flask) -> None:
    outsider = find_student(site, _open, school="Dana Hills High")
    sid = student_id(app, outsider["ssid"])
    own = find_student(site, _open, school="San Clemente High")
    page = site.get(f"/toms/frame/students/{student_id(app, own['ssid'])}/assignments")
    token = parse(page.text).find("input", name="csrf_token").get("value")
    response = site.post(
        f"/toms/frame/students/{sid}/assignments",
        data={"csrf_token": token, "code-ELA": "PGE", "assignments_present": "1"},
    )
    assert response.status_code == 404
    assert visible_by_role(response.text, "alert") == [messages.STUDENT_NOT_FOUND]
    assert student_json(site, outsider["ssid"]) == outsider
