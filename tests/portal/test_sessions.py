"""Logon sessions: idle timeout, maximum lifetime, random expiry; top-level and frame pages."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from mock_portal import messages

from .conftest import LEA, SITE, FakeClock, log_on, student_id
from .helpers import parse, visible_by_role

EXPIRED_TOP = "/sso/logon?next=%2Ftoms%2F%3Ftab%3Dstudents&expired=1"


def test_idle_session_on_top_page_redirects_to_logon_with_message(
    client: FlaskClient, clock: FakeClock
) -> None:
    log_on(client, SITE)
    assert client.get("/toms/?tab=students").status_code == 200
    clock.advance(1201)
    response = client.get("/toms/?tab=students")
    assert response.status_code == 302
    assert response.headers["Location"] == EXPIRED_TOP
    page = client.get(response.headers["Location"])
    assert visible_by_role(page.text, "alert") == [messages.SESSION_EXPIRED]
    # Ended for good: coming back in time does not revive it.
    clock.advance(-1201)
    assert client.get("/toms/").status_code == 302


def test_activity_keeps_the_session_alive(client: FlaskClient, clock: FakeClock) -> None:
    log_on(client, SITE)
    for _ in range(3):
        clock.advance(1100)
        assert client.get("/toms/frame/home").status_code == 200
        assert "MyTOMS Home" in client.get("/toms/frame/home").text


def test_idle_session_on_frame_page_moves_the_top_window(
    client: FlaskClient, clock: FakeClock
) -> None:
    log_on(client, SITE)
    clock.advance(1201)
    response = client.get("/toms/frame/students?last_name=a")
    assert response.status_code == 200
    assert f'<script>window.top.location.href = "{EXPIRED_TOP}"</script>' in response.text
    link = parse(response.text).find("a")
    assert link.text == messages.SESSION_EXPIRED
    assert link.get("target") == "_top"
    assert link.get("href") == EXPIRED_TOP
    assert "Search Results" not in response.text


def test_save_after_expiry_stores_nothing(
    client: FlaskClient, clock: FakeClock, app: Flask
) -> None:
    log_on(client, SITE)
    student = next(
        s
        for s in client.get("/__mock__/students?school=San Clemente High").get_json()
        if s["grade"] == "11"
        and all(a["condition_code"] is None for a in s["assignments"])
        and all(a["status"] == "Assigned" for a in s["assignments"])
    )
    sid = student_id(app, student["ssid"])
    url = f"/toms/frame/students/{sid}/assignments"
    page = client.get(url)
    token = parse(page.text).find("input", name="csrf_token").get("value")
    clock.advance(1201)
    response = client.post(url, data={"csrf_token": token, "code-ELA": "PGE"})
    assert response.status_code == 200
    assert "window.top.location.href" in response.text
    after = client.get(f"/__mock__/students/{student['ssid']}").get_json()
    assert after == student
    assert client.get("/__mock__/audit").get_json() == []


def test_session_lifetime_ends_an_active_session(client: FlaskClient, clock: FakeClock) -> None:
    assert client.post("/__mock__/faults", json={"session_lifetime_s": 60}).status_code == 200
    log_on(client, SITE)
    clock.advance(50)
    assert client.get("/toms/").status_code == 200
    clock.advance(11)
    response = client.get("/toms/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sso/logon?next=%2Ftoms%2F&expired=1"


def test_end_new_sessions_ends_that_many_sessions_at_their_first_request(
    client: FlaskClient,
) -> None:
    assert client.post("/__mock__/faults", json={"end_new_sessions": 2}).status_code == 200
    for left in (1, 0):
        log_on(client, SITE)
        response = client.get("/toms/")
        assert response.status_code == 302
        assert response.headers["Location"] == "/sso/logon?next=%2Ftoms%2F&expired=1"
        assert client.get("/__mock__/faults").get_json()["end_new_sessions"] == left
    log_on(client, SITE)
    assert client.get("/toms/").status_code == 200
    assert client.get("/toms/").status_code == 200


def test_expiry_rate_one_ends_the_session_at_the_next_request(client: FlaskClient) -> None:
    log_on(client, SITE)
    assert client.get("/toms/").status_code == 200
    client.post("/__mock__/faults", json={"session_expiry_rate": 1.0})
    assert client.get("/toms/").status_code == 302
    client.post("/__mock__/faults", json={"session_expiry_rate": 0.0})
    assert client.get("/toms/").status_code == 302  # still ended
    assert client.get("/__mock__/stats").get_json()["sessions_expired"] == 1


def test_forced_expiry_endpoint(client: FlaskClient) -> None:
    log_on(client, SITE)
    assert client.post("/__mock__/sessions/expire").get_json() == {"ended": 1}
    assert client.get("/toms/").status_code == 302


def test_frame_before_a_role_is_chosen_sends_the_top_window_to_toms(
    client: FlaskClient,
) -> None:
    log_on(client, LEA)
    response = client.get("/toms/frame/students")
    assert response.status_code == 200
    assert '<script>window.top.location.href = "/toms/"</script>' in response.text
