"""The demo's report printed to PDF by Chromium: US Letter, the headline on page 1, rows whole."""

from __future__ import annotations

import html as html_lib
import io
import re
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from pypdf import PdfReader

from tests.demo_report import write_demo_report

pytestmark = pytest.mark.browser

LETTER = (612, 792)  # points
HEADLINE = "180 opt-outs entered and read back from TOMS; 3 were already there; 15 need you."


def squeeze(text: str) -> str:
    """Text as compared across a PDF's lines: ligatures undone, whitespace dropped."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def body_rows(page_html: str, section: str) -> list[str]:
    """Each body row of a section's tables, as its cells' text joined in order."""
    start = page_html.index(section)
    part = page_html[start : page_html.index("</section>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", "".join(re.findall(
        r"<tbody>(.*?)</tbody>", part, re.DOTALL)), re.DOTALL)
    return [squeeze(html_lib.unescape(re.sub(r"<[^>]+>", "", row))) for row in rows]


@pytest.fixture()
def printed(browser: Browser, tmp_path: Path, pytestconfig: pytest.Config) -> tuple[str, bytes]:
    """The demo report's HTML, and the PDF Chromium prints of it with the page's own size."""
    if pytestconfig.getoption("--headed", False):
        pytest.skip("page.pdf needs a headless Chromium")
    report = write_demo_report(tmp_path / "state" / "apply-demo")
    page = browser.new_page()
    try:
        page.goto(report.as_uri())
        pdf = page.pdf(prefer_css_page_size=True)
    finally:
        page.close()
    return report.read_text(encoding="utf-8"), pdf


def test_the_demo_report_prints_on_letter_headline_first_every_row_whole(
    printed: tuple[str, bytes],
) -> None:
    page_html, pdf = printed
    reader = PdfReader(io.BytesIO(pdf))
    pages = [squeeze(page.extract_text()) for page in reader.pages]
    count = len(pages)
    assert 2 < count < 20
    for number, page in enumerate(reader.pages, start=1):
        assert (round(page.mediabox.width), round(page.mediabox.height)) == LETTER
        assert f"Page{number}of{count}" in pages[number - 1]

    assert squeeze(HEADLINE) in pages[0]
    assert squeeze("Needs a person (15)") in pages[0]

    # A row cut by a page break would have the rest of its cells' lines on the next page.
    attention = body_rows(page_html, "Needs a person (15)")
    rows = body_rows(page_html, "Every row (198)")
    assert (len(attention), len(rows)) == (15, 198)
    heading = squeeze("Row SSID Student Test Code Result Request on file When TOMS user (role)")
    for row in [*attention, *rows]:
        holding = [n for n, text in enumerate(pages, start=1) if row in text]
        assert len(holding) == 1, f"not whole on one page: {row}"
        if row in rows:  # every page of the table repeats its headings
            assert heading in pages[holding[0] - 1], f"page {holding[0]} has no headings"

    assert squeeze("Details") in pages[-1] and squeeze("Rows per second") in pages[-1]
