"""Fixtures for the mock portal tests: a fresh app per test, a fake clock, a logon helper."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_portal import PortalConfig, create_app, get_state

from .helpers import csrf_token, parse

LEA = "lea.coordinator@example.org"
SITE = "site.coordinator@example.org"
TA = "ta@example.org"
PASSWORD = "demo-password"
LEA_ROLE = "LEA CAASPP Coordinator - Capistrano Unified (30664640000000)"
LEA_SITE_ROLE = "Site CAASPP Coordinator - Dana Hills High (30664643038569)"
DANA_HILLS = "30664643038569"
SAN_CLEMENTE = "30664643036712"


@dataclass
class FakeClock:
    now: float = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default data seeded once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("seeded") / "portal.sqlite3"
    create_app(PortalConfig(db_path=path))
    return path


@pytest.fixture
def config(tmp_path: Path, seeded_db: Path) -> PortalConfig:
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(seeded_db, path)
    return PortalConfig(db_path=path, secret_key="test-secret")


@pytest.fixture
def app(config: PortalConfig) -> Flask:
    return create_app(config)


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    fake = FakeClock()
    get_state(app).clock = fake
    return fake


@pytest.fixture
def client(app: Flask) -> Generator[FlaskClient, None, None]:
    with app.test_client() as test_client:
        yield test_client


def submit_logon(
    client: FlaskClient, username: str, password: str = PASSWORD, next_path: str = "/toms/"
) -> TestResponse:
    page = client.get("/sso/logon", query_string={"next": next_path})
    return client.post(
        "/sso/logon",
        data={
            "csrf_token": csrf_token(page.text),
            "username": username,
            "password": password,
            "next": next_path,
        },
    )


def submit_code(client: FlaskClient, code: str) -> TestResponse:
    page = client.get("/sso/code")
    return client.post("/sso/code", data={"csrf_token": csrf_token(page.text), "code": code})


def outbox(client: FlaskClient, username: str) -> str:
    response = client.get("/__mock__/outbox", query_string={"to": username})
    assert response.status_code == 200
    return response.text


def log_on(
    client: FlaskClient, username: str = LEA, *, role: str | None = None, next_path: str = "/toms/"
) -> None:
    """Log on through the real forms (code step included) and pick ``role`` if asked."""
    response = submit_logon(client, username, next_path=next_path)
    if response.headers.get("Location") == "/sso/code":
        response = submit_code(client, outbox(client, username))
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == next_path
    if role is not None:
        choose_role(client, role)


def choose_role(client: FlaskClient, label: str) -> TestResponse:
    page = client.get("/toms/")
    select = parse(page.text).find("select", id="role")
    value = next(o.get("value") for o in select.find_all("option") if o.text == label)
    return client.post(
        "/toms/role", data={"csrf_token": csrf_token(page.text), "role_id": value, "tab": ""}
    )


def students_json(client: FlaskClient, **filters: str) -> list[dict[str, Any]]:
    response = client.get("/__mock__/students", query_string=filters)
    assert response.status_code == 200
    data: list[dict[str, Any]] = response.get_json()
    return data


def student_json(client: FlaskClient, ssid: str) -> dict[str, Any]:
    response = client.get(f"/__mock__/students/{ssid}")
    assert response.status_code == 200
    data: dict[str, Any] = response.get_json()
    return data


def student_id(app: Flask, ssid: str) -> int:
    """The internal id of a student (what TOMS puts in its URLs)."""
    conn = sqlite3.connect(get_state(app).db_path)
    try:
        row = conn.execute("SELECT id FROM students WHERE ssid = ?", (ssid,)).fetchone()
    finally:
        conn.close()
    assert row is not None
    return int(row[0])


def find_student(
    client: FlaskClient, predicate: Callable[[dict[str, Any]], bool], **filters: str
) -> dict[str, Any]:
    for student in students_json(client, **filters):
        if predicate(student):
            return student
    raise AssertionError("no such student in the seed data")


def assignment(student: dict[str, Any], test: str) -> dict[str, Any]:
    return next(a for a in student["assignments"] if a["test"] == test)


ELA = "Smarter Balanced for English Language Arts/Literacy"
MATH = "Smarter Balanced for Mathematics"
CAST = "California Science Test"
CSA = "California Spanish Assessment"
KEYS = {ELA: "ELA", MATH: "MATH", CAST: "CAST", CSA: "CSA"}


def save_form(
    client: FlaskClient,
    sid: int,
    *,
    codes: dict[str, str] | None = None,
    assign: list[str] | None = None,
) -> TestResponse:
    """Post the bottom SAVE as the page's form would: current checkboxes unless ``assign``."""
    url = f"/toms/frame/students/{sid}/assignments"
    page = client.get(url)
    assert page.status_code == 200, page.text
    tree = parse(page.text)
    data: dict[str, Any] = {"csrf_token": csrf_token(page.text), "assignments_present": "1"}
    for key in ("ELA", "MATH", "CAST", "CSA"):
        data[f"code-{key}"] = (codes or {}).get(key, "")
    if assign is None:
        assign = [
            str(box.get("value"))
            for box in tree.find_all("input", type="checkbox", name="assign")
            if "checked" in box.attrs
        ]
    data["assign"] = assign
    return client.post(url, data=data)


@pytest.fixture
def lea(client: FlaskClient) -> FlaskClient:
    """A client logged on as the LEA coordinator working in the district role."""
    log_on(client, LEA, role=LEA_ROLE)
    return client


@pytest.fixture
def site(client: FlaskClient) -> FlaskClient:
    """A client logged on as the Site coordinator of San Clemente High."""
    log_on(client, SITE)
    return client


# --- the alt build ------------------------------------------------------------------------------


@pytest.fixture
def alt_app(config: PortalConfig) -> Flask:
    """The portal in its alt build (same seed data)."""
    config.build = "alt"
    return create_app(config)


@pytest.fixture
def alt_client(alt_app: Flask) -> Generator[FlaskClient, None, None]:
    with alt_app.test_client() as test_client:
        yield test_client


def alt_choose_role(client: FlaskClient, label: str) -> TestResponse:
    """Pick a role in the alt build's role dialog (radio buttons labelled by the role)."""
    page = client.get("/toms/")
    radio = next(
        lab.find("input")
        for lab in parse(page.text).find_all("label")
        if lab.text == label and lab.find_all("input", type="radio")
    )
    return client.post(
        "/toms/role",
        data={"csrf_token": csrf_token(page.text), "role_id": radio.get("value"), "tab": ""},
    )


def alt_log_on(client: FlaskClient, username: str = LEA, *, role: str | None = None) -> None:
    """Log on through the alt build's forms (same fields) and pick ``role`` if asked."""
    log_on(client, username)
    if role is not None:
        response = alt_choose_role(client, role)
        assert response.status_code == 302, response.text


@pytest.fixture
def alt_lea(alt_client: FlaskClient) -> FlaskClient:
    """A client of the alt build logged on as the LEA coordinator in the district role."""
    alt_log_on(alt_client, LEA, role=LEA_ROLE)
    return alt_client
