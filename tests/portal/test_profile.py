"""Student Profile: tabs, demographic data, and scope on hand-made URLs."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_portal import messages

from .conftest import find_student, student_id
from .helpers import parse, visible_by_role

TABS = [
    "Demographic",
    "Test Assignments",
    "Test Settings",
    "Unlisted Resources",
    "Score Status",
    "Reporting",
]


def test_demographic_tab(lea: FlaskClient, app: Flask) -> None:
    student = find_student(lea, lambda s: s["grade"] == "07")
    sid = student_id(app, student["ssid"])
    page = lea.get(f"/toms/frame/students/{sid}")
    assert page.status_code == 200
    tree = parse(page.text)
    assert tree.find("h1").text == "Student Profile"
    assert f"{student['first_name']} {student['last_name']}" in page.text
    tablist = tree.find(role="tablist")
    tabs = tablist.find_all("a", role="tab")
    assert [t.text for t in tabs] == TABS
    assert [t.text for t in tabs if t.get("aria-selected") == "true"] == ["Demographic"]
    facts = dict(
        zip(
            [d.text for d in tree.find_all("dt")],
            [d.text for d in tree.find_all("dd")],
            strict=True,
        )
    )
    assert facts["SSID"] == student["ssid"]
    assert facts["First Name"] == student["first_name"]
    assert facts["Last Name"] == student["last_name"]
    assert facts["Grade"] == "07"
    assert facts["School"].startswith(student["school"] + " (")
    assert facts["English Language Acquisition Status"] in ("EO", "IFEP", "EL", "RFEP", "TBD")
    for tab in tabs:
        assert student["ssid"] not in str(tab.get("href"))
        other = lea.get(str(tab.get("href")))
        assert other.status_code == 200
        selected = parse(other.text).find(role="tablist").find_all(aria_selected="true")
        assert [t.text for t in selected] == [tab.text]


@pytest.mark.parametrize("suffix", ["", "/assignments", "/settings", "/reporting"])
def test_student_of_another_school_is_not_found(site: FlaskClient, app: Flask, suffix: str) -> None:
    outsider = find_student(site, lambda s: True, school="Dana Hills High")
    page = site.get(f"/toms/frame/students/{student_id(app, outsider['ssid'])}{suffix}")
    assert page.status_code == 404
    assert visible_by_role(page.text, "alert") == [messages.STUDENT_NOT_FOUND]
    assert outsider["ssid"] not in page.text
    assert outsider["last_name"] not in page.text


def test_unknown_student_is_not_found(lea: FlaskClient) -> None:
    page = lea.get("/toms/frame/students/999999")
    assert page.status_code == 404
    assert visible_by_role(page.text, "alert") == [messages.STUDENT_NOT_FOUND]


def test_ssid_in_an_internal_url_is_not_found(lea: FlaskClient) -> None:
    student = find_student(lea, lambda s: True)
    assert lea.get(f"/toms/frame/students/{student['ssid']}").status_code == 404


def test_test_assignments_panel_comes_with_the_profile_hidden(lea: FlaskClient, app: Flask) -> None:
    # Selecting the tab only shows the panel: no second request, as in a single-page portal.
    student = find_student(lea, lambda s: bool(s["assignments"]))
    tree = parse(lea.get(f"/toms/frame/students/{student_id(app, student['ssid'])}").text)
    panels = {p.get("id"): p for p in tree.find_all(role="tabpanel")}
    assert set(panels) == {"panel-demographic", "panel-assignments"}
    assert not panels["panel-demographic"].hidden
    assert panels["panel-assignments"].hidden
    assert panels["panel-assignments"].find("caption").text.startswith(
        "Current Active Test Assignments for"
    )
    controls = {t.text: t.get("aria-controls") for t in tree.find_all("a", role="tab")}
    assert controls["Test Assignments"] == "panel-assignments"
    assert controls["Test Settings"] is None  # still a page of its own
    scripts = [s.get("src") for s in tree.find_all("script")]
    assert "/static/profile.js" in scripts


def test_style_sheets_are_cached_and_pages_are_not(lea: FlaskClient) -> None:
    css = lea.get("/static/portal.css")
    assert "max-age=3600" in css.headers["Cache-Control"]
    assert lea.get("/toms/frame/students").headers["Cache-Control"] == "no-store"


def test_a_build_whose_profile_tabs_are_pages(lea: FlaskClient, app: Flask) -> None:
    lea.post("/__mock__/faults", json={"profile_tab_pages": True})
    student = find_student(lea, lambda s: bool(s["assignments"]))
    sid = student_id(app, student["ssid"])
    tree = parse(lea.get(f"/toms/frame/students/{sid}").text)
    assert [p.get("id") for p in tree.find_all(role="tabpanel")] == ["panel-demographic"]
    controls = {t.text: t.get("aria-controls") for t in tree.find_all("a", role="tab")}
    assert controls["Test Assignments"] is None  # a link: the frame loads the tab's page
    page = parse(lea.get(f"/toms/frame/students/{sid}/assignments").text)
    panels = page.find_all(role="tabpanel")
    assert [p.get("id") for p in panels] == ["panel-assignments"] and not panels[0].hidden
    assert lea.post("/__mock__/faults", json={"profile_tab_pages": 1}).status_code == 400
