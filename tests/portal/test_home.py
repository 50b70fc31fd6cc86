"""The CAASPP portal home page."""

from __future__ import annotations

from flask.testing import FlaskClient

from .helpers import parse, title

NAV = [
    "Home",
    "About",
    "Test Administration",
    "Resources",
    "Training",
    "Get Involved",
    "Calendar",
    "System Status",
]
TILES = [
    "Test Operations Management System (TOMS)",
    "Test Administrator Interface for All Online Tests",
    "Practice and Training Tests",
    "Tools for Teachers",
    "California Educator Reporting System (CERS)",
    "Smarter Balanced Content Explorer",
    "Smarter Balanced Interim Assessments",
]


def test_home_page_has_the_guide_texts(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    tree = parse(response.text)
    assert title(response.text) == "CAASPP Portal"
    assert tree.find("h1").text == "WELCOME TO THE CAASPP PORTAL"
    assert [a.text for a in tree.find("nav", aria_label="Site").find_all("a")] == NAV
    assert "Access information about spring administration on the" in response.text
    news = tree.find("section", class_="news")
    assert news.find("h2").text == "Latest News and Tips for the CAASPP Administration"
    assert [h.text for h in news.find_all("h3")] == [
        "CERS Sandbox Downtime",
        "Second Scoring Requirement Suspended",
    ]
    help_box = tree.find("aside").text
    for text in (
        "Help for LEA CAASPP Coordinators—",
        "Hours: M–F, 7 a.m. to 5 p.m. PT",  # noqa: RUF001 - the portal uses an en dash
        "Phone: 800-955-2954",
        "caltac@ets.org",
    ):
        assert text in help_box


def test_tiles_link_to_toms_and_to_pages_that_exist(client: FlaskClient) -> None:
    tree = parse(client.get("/").text)
    tiles = {a.text: a.get("href") for a in tree.find("nav", aria_label="Systems").find_all("a")}
    assert list(tiles) == TILES
    assert tiles["Test Operations Management System (TOMS)"] == "/toms/"
    for name, href in tiles.items():
        if href != "/toms/":
            page = client.get(str(href))
            assert page.status_code == 200
            assert parse(page.text).find("h1").text == name


def test_unknown_page_is_404(client: FlaskClient) -> None:
    assert client.get("/page/nope").status_code == 404
