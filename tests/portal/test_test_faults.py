"""Test faults for the flows: a SAVE that stores nothing, an e-mail code step nobody can guess,
and the counters that show how often a client logged on and was sent a code."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_portal import PortalConfig, create_app, messages_alt

from .aria import find_role, one
from .conftest import (
    ELA,
    LEA,
    SITE,
    assignment,
    find_student,
    log_on,
    outbox,
    save_form,
    student_id,
    student_json,
    submit_code,
    submit_logon,
)
from .helpers import csrf_token, parse


def _open(s: dict[str, Any]) -> bool:
    return any(a["test"] == ELA for a in s["assignments"]) and all(
        a["status"] == "Assigned" and a["condition_code"] is None for a in s["assignments"]
    )


def _stats(client: FlaskClient) -> dict[str, int]:
    data: dict[str, int] = client.get("/__mock__/stats").get_json()
    return data


def test_silent_save_stores_nothing_and_answers_no_content(client: FlaskClient, app: Flask) -> None:
    log_on(client, SITE)
    student = find_student(client, _open, school="San Clemente High")
    sid = student_id(app, student["ssid"])
    assert client.post("/__mock__/faults", json={"silent_save": True}).status_code == 200
    response = save_form(client, sid, codes={"ELA": "PGE"})
    # 204: a form posted in the frame leaves the page (and its staged table) as it was.
    assert (response.status_code, response.data) == (204, b"")
    assert assignment(student_json(client, student["ssid"]), ELA)["condition_code"] is None
    assert client.get("/__mock__/audit").get_json() == []
    assert _stats(client)["saves_silenced"] == 1
    client.post("/__mock__/faults", json={"silent_save": False})
    assert save_form(client, sid, codes={"ELA": "PGE"}).status_code == 303
    assert assignment(student_json(client, student["ssid"]), ELA)["condition_code"] == "PGE"


def test_silent_save_in_the_alt_view(alt_lea: FlaskClient, alt_app: Flask) -> None:
    student = find_student(alt_lea, _open)
    url = f"/toms/frame/students/{student_id(alt_app, student['ssid'])}/assignments/view"
    alt_lea.post("/__mock__/faults", json={"silent_save": True})
    view = alt_lea.get(url).text
    response = alt_lea.post(
        url,
        data={
            "csrf_token": csrf_token(view),
            "code-ELA": messages_alt.CODE_OPTION_VALUES["PGE"],
        },
    )
    assert response.status_code == 204  # the view's script shows nothing new
    assert assignment(student_json(alt_lea, student["ssid"]), ELA)["condition_code"] is None
    assert alt_lea.get("/__mock__/audit").get_json() == []


def test_silent_save_from_the_start_up_config(config: PortalConfig) -> None:
    config.silent_save = True
    config.code_page = "unknown"
    with create_app(config).test_client() as client:
        faults = client.get("/__mock__/faults").get_json()
        assert (faults["silent_save"], faults["code_page"]) == (True, "unknown")
        client.post("/__mock__/faults", json={"silent_save": False, "code_page": "default"})
        client.post("/__mock__/reset")
        faults = client.get("/__mock__/faults").get_json()
        assert (faults["silent_save"], faults["code_page"]) == (True, "unknown")


@pytest.mark.parametrize(
    "change", [{"silent_save": 1}, {"silent_save": "yes"}, {"code_page": "zorblax"}]
)
def test_bad_fault_values_are_refused(client: FlaskClient, change: dict[str, Any]) -> None:
    assert client.post("/__mock__/faults", json=change).status_code == 400


@pytest.mark.parametrize("build", ["default", "alt"])
def test_unknown_code_page_still_works(config: PortalConfig, build: str) -> None:
    config.build = build  # type: ignore[assignment]
    with create_app(config).test_client() as client:
        client.post("/__mock__/faults", json={"code_page": "unknown"})
        assert submit_logon(client, LEA).headers["Location"] == "/sso/code"
        page = client.get("/sso/code").text
        tree = parse(page)
        one(tree, "heading", "Zorblax check")
        field = one(tree, "textbox", "Quux number")
        assert field.get("name") == "code"
        one(tree, "button", "Frobnicate")
        for usual in ("Email Code", "Verification code", "Verify it", "Submit", "code has been"):
            assert usual not in page
        wrong = submit_code(client, "000000x")
        assert wrong.status_code == 200 and one(wrong.text, "heading", "Zorblax check")
        assert find_role(wrong.text, "alert")
        done = submit_code(client, outbox(client, LEA))
        assert (done.status_code, done.headers["Location"]) == (302, "/toms/")


def test_logons_and_codes_are_counted(client: FlaskClient) -> None:
    submit_logon(client, SITE, "wrong-password")
    assert (_stats(client)["password_logons"], _stats(client)["email_codes_sent"]) == (0, 0)
    log_on(client, SITE)  # a new browser: password, then an e-mailed code
    assert (_stats(client)["password_logons"], _stats(client)["email_codes_sent"]) == (1, 1)
    client.get("/sso/logoff")
    log_on(client, SITE)  # the same browser again: no code this time
    assert (_stats(client)["password_logons"], _stats(client)["email_codes_sent"]) == (2, 1)
    client.post("/__mock__/reset")
    assert (_stats(client)["password_logons"], _stats(client)["email_codes_sent"]) == (0, 0)
