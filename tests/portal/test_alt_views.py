"""The alt build's script-filled views: fragments, the bottom SAVE by script, errors inside them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_portal import messages, messages_alt

from .aria import find_role, names
from .conftest import (
    ELA,
    LEA,
    LEA_ROLE,
    MATH,
    alt_log_on,
    assignment,
    find_student,
    student_id,
    student_json,
)
from .helpers import csrf_token, parse

PGE = messages_alt.CODE_OPTION_VALUES["PGE"]
NTE = messages_alt.CODE_OPTION_VALUES["NTE"]


def _open(s: dict[str, Any]) -> bool:
    """ELA assigned, and every test open for a code."""
    return any(a["test"] == ELA for a in s["assignments"]) and all(
        a["status"] == "Assigned" and a["condition_code"] is None for a in s["assignments"]
    )


def _url(app: Flask, ssid: str) -> str:
    return f"/toms/frame/students/{student_id(app, ssid)}/assignments/view"


def _save(client: FlaskClient, url: str, **codes: str) -> Any:
    """Post the view's form as its script does (the staged codes are the list's values)."""
    view = client.get(url)
    assert view.status_code == 200
    tree = parse(view.text)
    data: dict[str, Any] = {
        str(i.get("name")): i.get("value") or ""
        for i in tree.find("form").find_all("input", type="hidden")
    }
    data.update({f"code-{key}": value for key, value in codes.items()})
    data["assign"] = [
        str(b.get("value")) for b in tree.find_all("input", type="checkbox") if "checked" in b.attrs
    ]
    return client.post(url, data=data)


def _audit(client: FlaskClient) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = client.get("/__mock__/audit").get_json()
    return data


def test_the_bottom_save_stores_through_the_view(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(alt_lea, lambda s: _open(s) and len(s["assignments"]) >= 2)
    url = _url(alt_app, student["ssid"])
    response = _save(alt_lea, url, ELA=PGE)
    assert response.status_code == 200
    # The answer is the view again, from the stored state, with the alt build's confirmation.
    tree = parse(response.text)
    cells = {r.find("td").text: r.find_all("td")[3].text for r in tree.find("tbody").find_all("tr")}
    assert cells[ELA] == "PGE"
    assert messages_alt.CHANGES_SAVED in tree.text and messages.CHANGES_SAVED not in tree.text
    assert find_role(tree, "status") == []  # said in a live region, not as role=status
    assert assignment(student_json(alt_lea, student["ssid"]), ELA)["condition_code"] == "PGE"
    assert [(a["ssid"], a["test"], a["old_code"], a["new_code"]) for a in _audit(alt_lea)] == [
        (student["ssid"], ELA, None, "PGE")
    ]


def test_the_view_keeps_the_rules(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(alt_lea, lambda s: _open(s) and len(s["assignments"]) >= 2)
    url = _url(alt_app, student["ssid"])
    # A value the list does not offer (the real code's name, say) is not a code.
    rejected = _save(alt_lea, url, ELA="PGE")
    assert rejected.status_code == 400
    assert names(rejected.text, "alert") == [messages_alt.CODE_NOT_ALLOWED]
    assert _save(alt_lea, url, ELA=NTE).status_code == 200
    second = _save(alt_lea, url, ELA=PGE)
    assert second.status_code == 409
    assert names(second.text, "alert") == [messages_alt.CODE_ALREADY_SET]
    submitted = find_student(
        alt_lea, lambda s: any(a["status"] == "Submitted" for a in s["assignments"])
    )
    key = {ELA: "ELA", MATH: "MATH"}.get(
        next(a["test"] for a in submitted["assignments"] if a["status"] == "Submitted"), "CAST"
    )
    refused = _save(alt_lea, _url(alt_app, submitted["ssid"]), **{key: PGE})
    assert refused.status_code == 409
    assert names(refused.text, "alert") == [messages_alt.CODE_ON_SUBMITTED]
    assert [a["new_code"] for a in _audit(alt_lea)] == ["NTE"]


def test_views_need_a_logon_and_send_the_window_back(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(alt_lea, _open)
    url = _url(alt_app, student["ssid"])
    alt_lea.post("/__mock__/sessions/expire")
    for ended in (alt_lea.get(url), alt_lea.get("/toms/frame/students/results?ssid=1")):
        assert ended.status_code == 200
        away = parse(ended.text).find("a", target="_top")  # what the view's script follows
        assert str(away.get("href")).startswith("/sso/logon?")
        assert messages_alt.SESSION_EXPIRED in parse(ended.text).text


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_error_page_lands_in_the_view(alt_lea: FlaskClient, alt_app: Flask, method: str) -> None:
    student = find_student(alt_lea, _open)
    url = _url(alt_app, student["ssid"])
    token = csrf_token(alt_lea.get(url).text)
    alt_lea.post("/__mock__/faults", json={"error_rate": 1.0})
    if method == "GET":
        response = alt_lea.get(url)
    else:
        response = alt_lea.post(url, data={"csrf_token": token, "code-ELA": PGE})
    assert response.status_code in (500, 503)
    # The view shows the content of the portal's error page ([role=main]); the page around stays.
    main = parse(response.text).find(role="main")
    assert main.find("h1").text == messages_alt.ERROR_TITLES[response.status_code]
    results = alt_lea.get("/toms/frame/students/results?ssid=1")
    assert results.status_code in (500, 503)


def test_fragments_are_counted_apart(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(alt_lea, _open)
    alt_lea.post("/__mock__/reset")  # counters from zero (and sessions gone: log on again)
    before = alt_lea.get("/__mock__/stats").get_json()
    assert before["fragments"] == 0
    alt_log_on(alt_lea, LEA, role=LEA_ROLE)
    stats = alt_lea.get("/__mock__/stats").get_json()
    documents = stats["documents"]
    alt_lea.get(_url(alt_app, student["ssid"]))
    alt_lea.get("/toms/frame/students/results", query_string={"ssid": student["ssid"]})
    stats = alt_lea.get("/__mock__/stats").get_json()
    assert (stats["fragments"], stats["documents"]) == (2, documents)


def test_the_default_form_post_works_in_alt_too(alt_lea: FlaskClient, alt_app: Flask) -> None:
    """The server is shared: the default build's bottom SAVE stores in the alt build as well."""
    student = find_student(alt_lea, _open)
    sid = student_id(alt_app, student["ssid"])
    view = alt_lea.get(_url(alt_app, student["ssid"])).text
    response = alt_lea.post(
        f"/toms/frame/students/{sid}/assignments",
        data={"csrf_token": csrf_token(view), "code-ELA": "PGE"},
    )
    assert response.status_code == 303
    assert assignment(student_json(alt_lea, student["ssid"]), ELA)["condition_code"] == "PGE"

    # The alt page itself has no such form: its Test Assignments is a script-filled view.
    page = alt_lea.get(f"/toms/frame/students/{sid}/assignments").text
    assert parse(page).find_all("form") == []
