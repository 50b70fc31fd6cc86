"""Students > View & Edit Students: the search form, validation, results and scope."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mock_portal import messages

from .conftest import DANA_HILLS, SAN_CLEMENTE, find_student, students_json
from .helpers import parse, table_headers, table_rows, visible_buttons, visible_by_role

HEADERS = [
    "#",
    "Name",
    "SSID",
    "School",
    "Grade",
    "Actions",
    "Unlisted Resources",
    "UR Submitted Date",
]
SCHOOLS = [
    "Dana Hills High (30664643038569)",
    "San Clemente High (30664643036712)",
    "Shorecliffs Middle (30664646059261)",
    "Marco Forster Middle (30664646030486)",
    "Del Obispo Elementary (30664646030221)",
    "Hidden Hills Elementary (30664646097524)",
]


def _labels(html: str) -> dict[str, str]:
    return {lab.text: str(lab.get("for")) for lab in parse(html).find_all("label")}


def _options(html: str, label: str) -> list[str]:
    tree = parse(html)
    return [o.text for o in tree.find("select", id=_labels(html)[label]).find_all("option")]


def test_search_form(lea: FlaskClient) -> None:
    page = lea.get("/toms/frame/students")
    assert page.status_code == 200
    tree = parse(page.text)
    crumb = tree.find("nav", aria_label="Breadcrumb")
    assert crumb.text == "Students > View & Edit Students"
    assert crumb.find("a").text == "View & Edit Students"
    assert tree.find("h1").text == "Search for Students"
    assert list(_labels(page.text)) == [
        "SSID",
        "First Name",
        "Last Name",
        "Organization",
        "Grade",
        "Unlisted Resources (UR)",
        "English Language Acquisition Status",
    ]
    assert _options(page.text, "Organization") == ["All", *SCHOOLS]
    assert _options(page.text, "Grade") == ["All", "KN"] + [f"{g:02d}" for g in range(1, 13)]
    assert _options(page.text, "Unlisted Resources (UR)") == ["Any", "Yes", "No"]
    assert _options(page.text, "English Language Acquisition Status") == [
        "Any",
        "EO",
        "IFEP",
        "EL",
        "RFEP",
        "TBD",
    ]
    assert visible_buttons(page.text) == ["SEARCH", "CLEAR"]
    assert visible_by_role(page.text, "alert") == []
    assert "Search Results" not in page.text
    clear = next(b for b in tree.find_all("button") if b.text == "CLEAR")
    clear_form = tree.find("form", id=str(clear.get("form")))
    assert clear_form.get("action") == "/toms/frame/students"
    assert clear_form.find_all("input") == []


def test_site_coordinator_sees_only_their_school(site: FlaskClient) -> None:
    page = site.get("/toms/frame/students")
    assert _options(page.text, "Organization") == ["All", "San Clemente High (30664643036712)"]


def test_empty_search_needs_a_criterion(lea: FlaskClient) -> None:
    query = "ssid=&first_name=&last_name=&org=&grade=&ur=&elas="
    page = lea.get(f"/toms/frame/students?{query}")
    assert visible_by_role(page.text, "alert") == [messages.SEARCH_CRITERION_REQUIRED]
    assert "<table" not in page.text


@pytest.mark.parametrize("ssid", ["123456789", "12345678901", "12345abcde", "\uff11" * 10])
def test_ssid_must_be_ten_digits(lea: FlaskClient, ssid: str) -> None:
    page = lea.get("/toms/frame/students", query_string={"ssid": ssid})
    assert visible_by_role(page.text, "alert") == [messages.SSID_FORMAT]
    assert "<table" not in page.text


def test_search_by_ssid_shows_the_results_table(lea: FlaskClient) -> None:
    student = find_student(lea, lambda s: True, school="Dana Hills High")
    page = lea.get("/toms/frame/students", query_string={"ssid": student["ssid"]})
    assert page.status_code == 200
    tree = parse(page.text)
    assert tree.find("caption").text == "Search Results"
    assert table_headers(page.text) == HEADERS
    rows = table_rows(page.text)
    assert len(rows) == 1
    number, name, ssid, school, grade, actions, _ur, _date = rows[0]
    assert number == "1"
    assert name == f"{student['last_name']}, {student['first_name']}"
    assert ssid == student["ssid"]
    assert school == f"Dana Hills High ({DANA_HILLS})"
    assert grade == student["grade"]
    assert actions == "View Student"
    link = tree.find("tbody").find("a")
    assert link.get("title") == "View Student"
    assert link.find("svg").get("aria-hidden") == "true"
    assert student["ssid"] not in str(link.get("href"))
    assert lea.get(str(link.get("href"))).status_code == 200
    # The form is refilled with what was searched.
    assert tree.find("input", id="ssid").get("value") == student["ssid"]


def test_ssid_with_a_leading_zero(lea: FlaskClient) -> None:
    student = find_student(lea, lambda s: s["ssid"].startswith("0"))
    rows = table_rows(lea.get(f"/toms/frame/students?ssid={student['ssid']}").text)
    assert [r[2] for r in rows] == [student["ssid"]]
    short = lea.get(f"/toms/frame/students?ssid={student['ssid'][1:]}")
    assert visible_by_role(short.text, "alert") == [messages.SSID_FORMAT]


def test_nothing_found(lea: FlaskClient) -> None:
    known = {s["ssid"] for s in students_json(lea)}
    ssid = next(str(n) for n in range(1_000_000_000, 1_000_100_000) if str(n) not in known)
    page = lea.get(f"/toms/frame/students?ssid={ssid}")
    assert visible_by_role(page.text, "status") == [messages.NO_STUDENTS_FOUND]
    assert visible_by_role(page.text, "alert") == []
    assert "<table" not in page.text


def test_names_match_as_case_insensitive_prefixes(lea: FlaskClient) -> None:
    everyone = students_json(lea)
    expected = sorted(s["ssid"] for s in everyone if s["last_name"].lower().startswith("ma"))
    assert 0 < len(expected) <= 50
    rows = table_rows(lea.get("/toms/frame/students?last_name=mA").text)
    assert sorted(r[2] for r in rows) == expected
    both = table_rows(lea.get("/toms/frame/students?last_name=MA&first_name=e").text)
    assert all(r[1].split(", ")[1].lower().startswith("e") for r in both)
    assert all(r[1].lower().startswith("ma") for r in both)
    # Not a substring match.
    inner = table_rows(lea.get("/toms/frame/students?last_name=artin").text)
    assert inner == [] or all(r[1].lower().startswith("artin") for r in inner)


def test_results_are_capped_at_50(lea: FlaskClient) -> None:
    page = lea.get("/toms/frame/students?grade=11")
    rows = table_rows(page.text)
    assert len(rows) == 50
    assert {r[4] for r in rows} == {"11"}
    assert "Showing the first 50 of" in page.text


def test_filters_by_organization_grade_ur_and_elas(lea: FlaskClient) -> None:
    everyone = students_json(lea)
    want = sorted(
        s["ssid"] for s in everyone if s["school"] == "Shorecliffs Middle" and s["grade"] == "07"
    )
    query = {"org": "30664646059261", "grade": "07", "last_name": ""}
    got = sorted(r[2] for r in table_rows(lea.get("/toms/frame/students", query_string=query).text))
    if len(want) <= 50:
        assert got == want
    rows = table_rows(lea.get("/toms/frame/students?ur=yes&grade=11").text)
    assert rows and {r[6] for r in rows} == {"Yes"}
    assert all(r[7] for r in rows)
    el_rows = table_rows(lea.get("/toms/frame/students?elas=TBD").text)
    el_want = {s["ssid"] for s in everyone if s["ssid"] in {r[2] for r in el_rows}}
    assert el_rows and len(el_want) == len(el_rows)


def test_search_is_scoped_to_the_role(site: FlaskClient) -> None:
    outsider = find_student(site, lambda s: True, school="Dana Hills High")
    page = site.get(f"/toms/frame/students?ssid={outsider['ssid']}")
    assert visible_by_role(page.text, "status") == [messages.NO_STUDENTS_FOUND]
    assert outsider["ssid"] not in page.text.split("</form>", 1)[1]
    by_org = site.get(f"/toms/frame/students?org={DANA_HILLS}")
    assert visible_by_role(by_org.text, "status") == [messages.NO_STUDENTS_FOUND]
    rows = table_rows(site.get("/toms/frame/students?grade=09").text)
    assert rows and {r[3] for r in rows} == {f"San Clemente High ({SAN_CLEMENTE})"}
