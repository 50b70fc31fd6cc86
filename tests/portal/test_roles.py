"""Roles: the role dialog, the TOMS frame page, and who may see students."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from mock_portal import messages

from .conftest import (
    LEA,
    LEA_ROLE,
    LEA_SITE_ROLE,
    SITE,
    TA,
    choose_role,
    find_student,
    log_on,
    student_id,
)
from .helpers import csrf_token, parse, title, visible_by_role

TABS = ["Organizations", "User", "Students", "Admins", "STAIRS", "Resources", "Links", "Reports"]


def test_user_with_two_roles_gets_the_role_dialog(client: FlaskClient) -> None:
    log_on(client, LEA)
    page = client.get("/toms/")
    assert page.status_code == 200
    tree = parse(page.text)
    assert title(page.text) == "Select Role"
    dialog = tree.find(role="dialog")
    heading = tree.find(id=str(dialog.get("aria-labelledby")))
    assert heading.tag == "h2"
    assert heading.text == "Please select a role"
    label = dialog.find("label")
    assert label.text == "Role"
    select = dialog.find("select", id=str(label.get("for")))
    assert [o.text for o in select.find_all("option")] == [LEA_ROLE, LEA_SITE_ROLE]
    assert [b.text for b in dialog.find_all("button")] == ["Continue"]
    assert tree.find_all("iframe") == []


def test_chosen_role_shows_toms_with_tabs_and_frame(client: FlaskClient) -> None:
    log_on(client, LEA)
    response = choose_role(client, LEA_SITE_ROLE)
    assert response.status_code == 302
    page = client.get("/toms/?tab=students")
    tree = parse(page.text)
    assert title(page.text) == "TOMS"
    assert "Logged on as Lea Coordinator" in [p.text for p in tree.find_all("p")]
    assert LEA_SITE_ROLE in page.text
    nav = tree.find("nav", aria_label="Main")
    links = nav.find_all("a")
    assert [a.text for a in links] == TABS
    assert links[2].get("href") == "/toms/?tab=students"
    assert [a.text for a in links if a.get("aria-current") == "page"] == ["Students"]
    frame = tree.find("iframe")
    assert frame.get("name") == "theFrame"
    assert frame.get("title") == "TOMS content"
    assert frame.get("src") == "/toms/frame/students"
    assert any(a.text == "Log Off" for a in tree.find_all("a"))


def test_home_frame_without_tab(client: FlaskClient) -> None:
    log_on(client, SITE)
    tree = parse(client.get("/toms/").text)
    assert tree.find("iframe").get("src") == "/toms/frame/home"
    assert not [
        a for a in tree.find("nav", aria_label="Main").find_all("a") if a.get("aria-current")
    ]
    home = parse(client.get("/toms/frame/home").text)
    assert home.find("h1").text == "MyTOMS Home"
    assert [h.text for h in home.find_all("h2")] == ["MyTOMS at a Glance", "Notifications"]


def test_other_tabs_are_placeholders(client: FlaskClient) -> None:
    log_on(client, SITE)
    names = dict(
        zip(
            [
                "organizations",
                "user",
                "students",
                "admins",
                "stairs",
                "resources",
                "links",
                "reports",
            ],
            TABS,
            strict=True,
        )
    )
    for tab, name in names.items():
        if tab == "students":
            continue
        page = parse(client.get(f"/toms/?tab={tab}").text)
        src = str(page.find("iframe").get("src"))
        assert src == f"/toms/frame/{tab}"
        assert parse(client.get(src).text).find("h1").text == name


def test_single_role_is_chosen_automatically(client: FlaskClient) -> None:
    log_on(client, SITE)
    page = client.get("/toms/")
    assert title(page.text) == "TOMS"
    assert "Site CAASPP Coordinator - San Clemente High (30664643036712)" in page.text


def test_role_of_another_user_cannot_be_chosen(client: FlaskClient) -> None:
    log_on(client, LEA)
    page = client.get("/toms/")
    response = client.post("/toms/role", data={"csrf_token": csrf_token(page.text), "role_id": "3"})
    assert response.status_code == 400
    assert title(client.get("/toms/").text) == "Select Role"


def test_test_administrator_may_not_view_or_edit_students(client: FlaskClient, app: Flask) -> None:
    log_on(client, TA)
    assert title(client.get("/toms/").text) == "TOMS"
    page = client.get("/toms/frame/students")
    assert page.status_code == 403
    assert visible_by_role(page.text, "alert") == [messages.NO_PERMISSION]
    search = client.get("/toms/frame/students?last_name=a")
    assert search.status_code == 403
    assert "Search Results" not in search.text
    student = find_student(client, lambda s: True, school="Dana Hills High")
    sid = student_id(app, student["ssid"])
    profile = client.get(f"/toms/frame/students/{sid}")
    assert profile.status_code == 403
    assert student["ssid"] not in profile.text
    post = client.post(
        f"/toms/frame/students/{sid}/assignments",
        data={"csrf_token": csrf_token(client.get("/sso/logon").text), "code-ELA": "PGE"},
    )
    assert post.status_code == 403
    assert client.get(f"/__mock__/students/{student['ssid']}").get_json() == student
