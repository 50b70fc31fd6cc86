"""The CAASPP portal home page and its placeholder pages."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from werkzeug.wrappers import Response

from .faults import apply_faults, finish_faults
from .pages import render

__all__ = ["bp"]

bp = Blueprint("caaspp", __name__)
bp.before_request(apply_faults)
bp.after_request(finish_faults)

# slug -> title of the pages that only exist so the links go somewhere
PLACEHOLDERS = {
    "about": "About",
    "test-administration": "Test Administration",
    "resources": "Resources",
    "training": "Training",
    "get-involved": "Get Involved",
    "calendar": "Calendar",
    "system-status": "System Status",
    "ta-interface": "Test Administrator Interface for All Online Tests",
    "practice-tests": "Practice and Training Tests",
    "tools-for-teachers": "Tools for Teachers",
    "cers": "California Educator Reporting System (CERS)",
    "content-explorer": "Smarter Balanced Content Explorer",
    "interim-assessments": "Smarter Balanced Interim Assessments",
    "spring-guidance": "Spring Administration/Remote Testing Guidance",
    "spring-parents": "Spring Administration for Parent/Guardian",
    "chat": "Chat with CalTAC",
}
NAV = (
    "about",
    "test-administration",
    "resources",
    "training",
    "get-involved",
    "calendar",
    "system-status",
)
TILES = (
    "ta-interface",
    "practice-tests",
    "tools-for-teachers",
    "cers",
    "content-explorer",
    "interim-assessments",
)


# slug -> endpoint of the tiles that lead to a page the mock models
MODELLED = {"practice-tests": "caaspp.practice_tests"}


@bp.get("/")
def home() -> str:
    """The portal home page with the system tiles."""
    links = {
        slug: url_for(MODELLED[slug])
        if slug in MODELLED
        else url_for("caaspp.placeholder", slug=slug)
        for slug in TILES
    }
    return render("home.html", placeholders=PLACEHOLDERS, nav=NAV, tiles=TILES, links=links)


@bp.get("/practice-tests/")
def practice_tests() -> str:
    """Practice and Training Tests, with the way to the Test Administrator Training Site."""
    return render("practice/index.html", placeholders=PLACEHOLDERS, nav=NAV)


@bp.get("/page/<slug>")
def placeholder(slug: str) -> str | Response:
    """A page of the portal that the mock does not model."""
    if slug in MODELLED:
        return redirect(url_for(MODELLED[slug]))
    if slug not in PLACEHOLDERS:
        abort(404)
    return render("placeholder.html", title=PLACEHOLDERS[slug], placeholders=PLACEHOLDERS, nav=NAV)
