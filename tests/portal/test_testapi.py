"""The ``/__mock__`` endpoints: shapes, loopback only, reset, faults, outbox."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from .conftest import SITE, log_on, students_json, submit_logon

STUDENT_KEYS = {"ssid", "first_name", "last_name", "school", "grade", "assignments"}


def test_students_shape_and_filters(client: FlaskClient) -> None:
    everyone = students_json(client)
    assert len(everyone) == 1000
    for student in everyone:
        assert set(student) == STUDENT_KEYS
        for a in student["assignments"]:
            assert set(a) == {"test", "status", "condition_code"}
            assert a["status"] in ("Assigned", "Submitted")
    dana = students_json(client, school="Dana Hills High")
    assert dana and {s["school"] for s in dana} == {"Dana Hills High"}
    assert students_json(client, school="30664643038569") == dana
    eleven = students_json(client, grade="11", school="Dana Hills High")
    assert eleven == [s for s in dana if s["grade"] == "11"]
    one = client.get(f"/__mock__/students/{dana[0]['ssid']}")
    assert one.get_json() == dana[0]
    assert client.get("/__mock__/students/1234").status_code == 404


def test_loopback_only(app: Flask) -> None:
    outsider = app.test_client()
    outsider.environ_base = {"REMOTE_ADDR": "10.0.0.5"}
    for path in (
        "/__mock__/students",
        "/__mock__/audit",
        "/__mock__/outbox?to=x",
        "/__mock__/faults",
        "/__mock__/stats",
    ):
        assert outsider.get(path).status_code == 403
    assert outsider.post("/__mock__/reset").status_code == 403
    assert outsider.post("/__mock__/faults", json={"error_rate": 1}).status_code == 403
    assert outsider.get("/").status_code == 200
    ipv6 = app.test_client()
    ipv6.environ_base = {"REMOTE_ADDR": "::1"}
    assert ipv6.get("/__mock__/faults").status_code == 200
    other_loopback = app.test_client()
    other_loopback.environ_base = {"REMOTE_ADDR": "127.0.0.2"}
    assert other_loopback.get("/__mock__/faults").status_code == 200


def test_reset_restores_data_sessions_and_faults(client: FlaskClient) -> None:
    before = students_json(client)
    log_on(client, SITE)
    client.post("/__mock__/faults", json={"latency_ms": 5, "session_expiry_rate": 0.5})
    small = client.post("/__mock__/reset", json={"students": 20, "seed": 7})
    assert small.status_code == 200
    assert len(students_json(client)) == 20
    assert client.get("/toms/").status_code == 302  # sessions are gone
    assert client.get("/__mock__/outbox?to=" + SITE).status_code == 404  # codes too
    assert client.get("/__mock__/faults").get_json()["latency_ms"] == 0
    assert client.post("/__mock__/reset").status_code == 200
    assert students_json(client) == before
    assert client.post("/__mock__/reset", json={"students": "many"}).status_code == 400


def test_faults_endpoint(client: FlaskClient) -> None:
    start = client.get("/__mock__/faults").get_json()
    assert start == {
        "latency_ms": 0,
        "error_rate": 0.0,
        "idle_timeout_s": 1200,
        "session_lifetime_s": None,
        "session_expiry_rate": 0.0,
        "iframe_delay_ms": 0,
        "slow_rate": 0.0,
        "slow_ms": 0,
        "fault_seed": 1,
        "profile_tab_pages": False,
        "silent_save": False,
        "code_page": "default",
        "end_new_sessions": 0,
    }
    changed = client.post("/__mock__/faults", json={"error_rate": 0.25, "idle_timeout_s": 60})
    assert changed.get_json()["error_rate"] == 0.25
    assert changed.get_json()["idle_timeout_s"] == 60
    assert client.post("/__mock__/faults", json={"nope": 1}).status_code == 400
    assert client.post("/__mock__/faults", json={"error_rate": 2}).status_code == 400
    assert client.post("/__mock__/faults", data="x").status_code == 400


def test_outbox_and_stats(client: FlaskClient) -> None:
    assert client.get("/__mock__/outbox?to=" + SITE).status_code == 404
    submit_logon(client, SITE)
    first = client.get("/__mock__/outbox?to=" + SITE)
    assert first.mimetype == "text/plain"
    assert len(first.text) == 6 and first.text.isdigit()
    submit_logon(client, SITE)
    latest = client.get("/__mock__/outbox?to=" + SITE.upper())  # e-mail is case-insensitive
    assert latest.status_code == 200
    assert len(latest.text) == 6 and latest.text.isdigit()
    stats = client.get("/__mock__/stats").get_json()
    assert set(stats) >= {"total", "frame", "errors_injected"}
    assert stats["total"] == 4  # two logon pages, two logon posts
    assert stats["frame"] == 0


def test_audit_is_a_list(client: FlaskClient) -> None:
    assert client.get("/__mock__/audit").get_json() == []
