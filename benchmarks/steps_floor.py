"""The steps' limit: the guide's steps, each by the cheapest located call, on a minimal page.

    python -m benchmarks.steps_floor --rows 1000 --students 477 --workers 8

The browser floor (:mod:`benchmarks.browser_floor`) only loads pages. A flow that follows the
guide also has to find and work each control a person uses, by its role, label or text: type
the SSID, press SEARCH, read the results, press the magnifier, the Test Assignments tab,
COND. CODE, choose the code and SAVE for each test, read the codes, the bottom SAVE, read them
back. Each of those is a question to the page through Playwright, and on a small machine each
costs CPU whatever the page.

This measures that cost with the page taken out of it: the same browser, contexts and flags as
toms-rpa, the four frame loads of a student, and on each loaded page the calls of that student's
steps, made on a minimal page that holds the controls and does nothing when they are used. Each step
takes the cheapest call measured on this machine: one wait per page (the browser floor's), a
click event (a key press measured the same: 13.5 against 13.8 rows per second at 1,000 rows),
``fill``, ``select_option``, a table read in one look. Between this and toms-rpa lies what the
portal's real pages cost to show and to search; between this and the browser floor, what the
steps themselves cost. Prints one JSON object like the browser floor, with the calls made.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter

from playwright.async_api import Locator, Page

from benchmarks.browser_floor import loads_for, static_server
from benchmarks.measure import p50_p95
from rpa.browser import open_browser
from rpa.settings import Settings, load_settings

# One page holds every control of the four pages; what they do is left out on purpose.
PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>steps</title></head>'
    "<body><h1>Search for Students</h1>"
    '<label>SSID <input type="text"></label> <button type="button">SEARCH</button>'
    "<table><caption>Search Results</caption><tr><th>Name</th><th>SSID</th><th>View</th></tr>"
    '<tr><td>Ana</td><td>1000000001</td><td><a href="#student">View</a></td></tr></table>'
    '<button type="button" role="tab">Test Assignments</button>'
    '<button type="button">COND. CODE</button>'
    '<label>Select the condition code <select><option value=""></option>'
    "<option>PGE</option></select></label> "
    '<button type="button">SAVE</button><p role="status">Saved</p>'
    '<a href="#search">View &amp; Edit Students</a></body></html>'
)
SSID = "1000000001"


async def student(page: Page, url: str, key: int, codes: int, calls: Counter[str]) -> None:
    """The four pages of one student with ``codes`` codes, and the calls of its steps."""
    frame = page.frame(name="theFrame")
    assert frame is not None

    async def load(name: str, shown: Locator) -> None:
        """Load the page and wait for what shows it, as the browser floor does."""
        response = await frame.goto(f"{url}frame.html?s={key}&p={name}")
        assert response is not None and response.ok
        await shown.wait_for()
        calls["loads"] += 1

    # The search form: type the SSID, press SEARCH.
    await load("search", frame.get_by_role("heading", name="Search for Students"))
    await frame.get_by_label("SSID", exact=True).fill(SSID)
    await frame.get_by_role("button", name="SEARCH", exact=True).dispatch_event("click")
    calls.update(fills=1, clicks=1)
    # The results: read them, press the magnifier.
    table = frame.get_by_role("table", name="Search Results")
    await load("results", table.get_by_role("cell", name=SSID, exact=True))
    await table.inner_text()
    await table.get_by_role("link", name="View").dispatch_event("click")
    calls.update(reads=1, clicks=1)
    # The student: the tab, read the codes, each code, read them, the bottom SAVE.
    tab = frame.get_by_role("tab", name="Test Assignments")
    await load("student", tab)
    await tab.dispatch_event("click")
    await table.wait_for()
    await table.inner_text()
    for _ in range(codes):
        await frame.get_by_role("button", name="COND. CODE").dispatch_event("click")
        await frame.get_by_label("Select the condition code").select_option("PGE")
        await frame.get_by_role("button", name="SAVE", exact=True).dispatch_event("click")
    await table.inner_text()
    await frame.get_by_role("button", name="SAVE", exact=True).dispatch_event("click")
    calls.update(waits=1, reads=2, clicks=2 + 2 * codes, selects=codes)
    # The saved page: read the codes back, press the breadcrumb.
    await load("saved", frame.get_by_role("status"))
    await table.inner_text()
    await frame.get_by_role("link", name="View & Edit Students").dispatch_event("click")
    calls.update(reads=1, clicks=1)


async def measure(
    rows: int, students: int, workers: int, settings: Settings
) -> dict[str, object]:
    """Do the steps of ``students`` students holding ``rows`` codes with ``workers`` contexts."""
    started = time.monotonic()
    durations: list[float] = []
    calls: Counter[str] = Counter()
    per_student = rows / students
    with static_server(PAGE) as url:
        async with open_browser(settings) as browser:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for key in range(students):
                queue.put_nowait(key)

            async def work() -> None:
                context = await browser.new_context()
                page = await context.new_page()
                await page.goto(f"{url}top.html")
                while not queue.empty():
                    key = queue.get_nowait()
                    codes = loads_for(key, per_student)
                    began = time.monotonic()
                    await student(page, url, key, codes, calls)
                    durations.extend([time.monotonic() - began] * codes)  # each row waits it
                await context.close()

            await asyncio.gather(*(work() for _ in range(workers)))
    wall = time.monotonic() - started
    p50, p95 = p50_p95(durations)
    return {
        "rows": rows, "students": students, "workers": workers,
        "rows_per_s": round(rows / wall, 3), "p50_s": p50, "p95_s": p95,
        "wall_s": round(wall, 1), "documents": calls["loads"],
        "loads_per_row": round(calls["loads"] / rows, 2), "calls": dict(sorted(calls.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--students", type=int, default=477, help="the rows' students")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)
    if not 0 < args.students <= args.rows:
        parser.error("--students must be between 1 and --rows")
    figures = asyncio.run(measure(args.rows, args.students, args.workers, load_settings()))
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
