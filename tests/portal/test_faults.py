"""Injected faults: error pages, latency, frame delay, and the save that went through."""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient

from mock_portal import PortalConfig, create_app, messages

from .conftest import ELA, SITE, assignment, log_on, student_id
from .helpers import parse


def _statuses(config: PortalConfig, n: int = 40) -> list[int]:
    with create_app(config).test_client() as client:
        return [client.get("/").status_code for _ in range(n)]


def test_error_pages_follow_the_fault_seed(config: PortalConfig) -> None:
    config.error_rate = 0.3
    config.fault_seed = 5
    first = _statuses(config)
    assert first == _statuses(config)
    assert set(first) == {200, 500, 503}
    config.fault_seed = 6
    assert _statuses(config) != first


def test_error_page_text(client: FlaskClient) -> None:
    client.post("/__mock__/faults", json={"error_rate": 1.0})
    seen = {}
    for _ in range(20):
        response = client.get("/sso/logon")
        seen[response.status_code] = parse(response.text).find("h1").text
        assert messages.SYSTEM_UNAVAILABLE in response.text
    assert seen == {500: "Internal Server Error", 503: "Service Unavailable"}
    # The test endpoints are never faulted.
    assert client.get("/__mock__/students/0000000000").status_code == 404
    stats = client.get("/__mock__/stats").get_json()
    assert stats["errors_injected"] == 20
    assert stats["total"] == 20


def test_latency_and_frame_delay(client: FlaskClient) -> None:
    log_on(client, SITE)
    client.post("/__mock__/faults", json={"latency_ms": 100})
    start = time.perf_counter()
    client.get("/")
    assert time.perf_counter() - start >= 0.1
    client.post("/__mock__/faults", json={"latency_ms": 0, "iframe_delay_ms": 150})
    start = time.perf_counter()
    client.get("/toms/")
    top = time.perf_counter() - start
    start = time.perf_counter()
    client.get("/toms/frame/home")
    frame = time.perf_counter() - start
    assert top < 0.15 <= frame
    start = time.perf_counter()
    client.get("/__mock__/faults")
    assert time.perf_counter() - start < 0.15


def test_a_failed_post_may_have_been_stored(client: FlaskClient, app: Flask) -> None:
    log_on(client, SITE)
    students = [
        s
        for s in client.get("/__mock__/students?school=San Clemente High&grade=11").get_json()
        if all(a["status"] == "Assigned" and a["condition_code"] is None for a in s["assignments"])
    ]
    outcomes = []
    for seed, student in zip(range(1, 13), students, strict=False):
        sid = student_id(app, student["ssid"])
        page = client.get(f"/toms/frame/students/{sid}/assignments")
        token = parse(page.text).find("input", name="csrf_token").get("value")
        client.post("/__mock__/faults", json={"error_rate": 1.0, "fault_seed": seed})
        response = client.post(
            f"/toms/frame/students/{sid}/assignments",
            data={"csrf_token": token, "code-ELA": "PGE"},
        )
        client.post("/__mock__/faults", json={"error_rate": 0.0})
        assert response.status_code in (500, 503)
        stored = assignment(client.get(f"/__mock__/students/{student['ssid']}").get_json(), ELA)
        outcomes.append(stored["condition_code"] == "PGE")
    assert True in outcomes and False in outcomes
    stats = client.get("/__mock__/stats").get_json()
    assert stats["errors_after_store"] == outcomes.count(True)
