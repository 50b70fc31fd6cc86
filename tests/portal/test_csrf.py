"""CSRF: every changing form needs the token; the token survives logon."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_portal import messages

from .conftest import LEA, LEA_ROLE, SITE, find_student, log_on, student_id
from .helpers import csrf_token, parse, visible_by_role


def _assert_rejected(response: Any) -> None:
    assert response.status_code == 400
    assert visible_by_role(response.text, "alert") == [messages.CSRF_FAILED]


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_logon_without_a_valid_token_is_rejected(client: FlaskClient, token: str | None) -> None:
    client.get("/sso/logon")
    data = {"username": SITE, "password": "demo-password"}
    if token:
        data["csrf_token"] = token
    _assert_rejected(client.post("/sso/logon", data=data))
    assert client.get("/__mock__/outbox", query_string={"to": SITE}).status_code == 404


def test_code_and_role_posts_need_the_token(client: FlaskClient) -> None:
    page = client.get("/sso/logon")
    client.post(
        "/sso/logon",
        data={"csrf_token": csrf_token(page.text), "username": LEA, "password": "demo-password"},
    )
    code = client.get("/__mock__/outbox", query_string={"to": LEA}).text
    _assert_rejected(client.post("/sso/code", data={"code": code}))
    assert client.get("/toms/").status_code == 302
    log_on(client, LEA)
    _assert_rejected(client.post("/toms/role", data={"role_id": "1"}))
    assert parse(client.get("/toms/").text).find("title").text == "Select Role"


def test_bottom_save_without_token_stores_nothing(client: FlaskClient, app: Flask) -> None:
    log_on(client, SITE)
    student = find_student(
        client,
        lambda s: s["grade"] == "11" and all(a["condition_code"] is None for a in s["assignments"]),
        school="San Clemente High",
    )
    url = f"/toms/frame/students/{student_id(app, student['ssid'])}/assignments"
    _assert_rejected(client.post(url, data={"code-ELA": "PGE", "assignments_present": "1"}))
    assert client.get(f"/__mock__/students/{student['ssid']}").get_json() == student


def test_token_from_before_logon_stays_valid_after_logon(client: FlaskClient) -> None:
    before = csrf_token(client.get("/sso/logon").text)
    log_on(client, LEA)
    # The role form posted with the token rendered before logon: not rotated.
    page = client.get("/toms/")
    role_id = parse(page.text).find("option").get("value")
    response = client.post("/toms/role", data={"csrf_token": before, "role_id": role_id})
    assert response.status_code == 302


def test_clients_sharing_one_copied_cookie_jar_can_all_save(
    client: FlaskClient, app: Flask
) -> None:
    log_on(client, LEA, role=LEA_ROLE)
    cookies = {name: client.get_cookie(name) for name in ("caaspp_session", "toms_device")}
    students = [
        s
        for s in client.get("/__mock__/students", query_string={"grade": "11"}).get_json()
        if all(a["condition_code"] is None and a["status"] == "Assigned" for a in s["assignments"])
    ][:3]
    workers = []
    for _ in students:
        worker = app.test_client()
        for name, cookie in cookies.items():
            assert cookie is not None
            worker.set_cookie(name, cookie.value)
        workers.append(worker)
    # Interleave: every worker loads its page first, then all post.
    pages = []
    for worker, student in zip(workers, students, strict=True):
        url = f"/toms/frame/students/{student_id(app, student['ssid'])}/assignments"
        page = worker.get(url)
        assert page.status_code == 200
        assert "Set-Cookie" not in page.headers  # the shared session cookie is not rewritten
        pages.append((url, csrf_token(page.text)))
    for worker, (url, token) in zip(workers, pages, strict=True):
        response = worker.post(url, data={"csrf_token": token, "code-ELA": "PGE"})
        assert response.status_code == 303
    for student in students:
        stored = client.get(f"/__mock__/students/{student['ssid']}").get_json()
        assert stored["assignments"][0]["condition_code"] == "PGE"
