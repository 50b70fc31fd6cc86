"""The browser's limit: the same browser and workers loading a minimal local page, nothing else.

    python -m benchmarks.browser_floor --rows 1000 --workers 8 --frame-loads 4 --page-loads 0

On a small machine a headless page load costs real CPU whatever the page. This measures what
the loads alone cost: W contexts in the browser toms-rpa would launch (same settings, same
flags), each with one page whose top document holds an iframe, as TOMS does. Per "row" a worker
navigates the iframe ``--frame-loads`` times and the top document ``--page-loads`` times (the
fractions toms-rpa measured, e.g. 4.02, are kept by spreading the remainder over the rows), to
a tiny page served by a static server in a process of its own. No client doing those loads
can be faster. Prints one JSON object: rows per second, per-row p50 and p95, wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.async_api import Page

from benchmarks.measure import p50_p95
from rpa.browser import open_browser
from rpa.settings import Settings, load_settings

TOP = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>top</title></head>'
    '<body><iframe name="theFrame" title="content" src="frame.html"></iframe></body></html>'
)
FRAME = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>frame</title></head>'
    "<body><h1>Loaded</h1></body></html>"
)


@contextlib.contextmanager
def static_server(frame: str = FRAME) -> Iterator[str]:
    """Serve the top page and ``frame`` from a temporary folder, in a process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "top.html").write_text(TOP)
        Path(tmp, "frame.html").write_text(frame)
        proc = subprocess.Popen(
            # -u: the line that tells the port is read through a pipe, so it must not wait in a
            # buffer
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
             "--directory", tmp],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 41234 (http://...)"
            port = int(line.split(" port ", 1)[1].split()[0])
            url = f"http://127.0.0.1:{port}/"
            httpx.get(url + "top.html", timeout=10).raise_for_status()
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def loads_for(row: int, per_row: float) -> int:
    """Whole loads for row ``row`` so that rows 0..n-1 add up to round(n * per_row)."""
    return math.floor((row + 1) * per_row + 0.5) - math.floor(row * per_row + 0.5)


async def _row(page: Page, url: str, row: int, frame_loads: float, page_loads: float) -> int:
    """One row's loads; return the documents loaded (a top page brings its frame)."""
    documents = 0
    for _ in range(loads_for(row, page_loads)):
        response = await page.goto(f"{url}top.html?r={row}")
        assert response is not None and response.ok
        documents += 2
    frame = page.frame(name="theFrame")
    assert frame is not None
    for n in range(loads_for(row, frame_loads)):
        response = await frame.goto(f"{url}frame.html?r={row}&n={n}")
        assert response is not None and response.ok
        await frame.get_by_role("heading", name="Loaded").wait_for()
        documents += 1
    return documents


async def measure(
    rows: int, workers: int, frame_loads: float, page_loads: float, settings: Settings
) -> dict[str, float]:
    """Do the loads of ``rows`` rows with ``workers`` contexts; return the figures."""
    started = time.monotonic()
    durations: list[float] = []
    documents = [0]
    with static_server() as url:
        async with open_browser(settings) as browser:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for row in range(rows):
                queue.put_nowait(row)

            async def work() -> None:
                context = await browser.new_context()
                page = await context.new_page()
                await page.goto(f"{url}top.html")
                while not queue.empty():
                    row = queue.get_nowait()
                    began = time.monotonic()
                    loaded = await _row(page, url, row, frame_loads, page_loads)
                    documents[0] += loaded  # after the await: the workers share the count
                    durations.append(time.monotonic() - began)
                await context.close()

            await asyncio.gather(*(work() for _ in range(workers)))
    wall = time.monotonic() - started
    p50, p95 = p50_p95(durations)
    return {
        "rows": rows, "workers": workers, "rows_per_s": round(rows / wall, 3),
        "p50_s": p50, "p95_s": p95,
        "wall_s": round(wall, 1),
        # documents loaded, counted as the portal counts them: a top page brings its frame
        "documents": documents[0],
        "loads_per_row": round(documents[0] / rows, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--frame-loads", type=float, default=4.0, help="iframe loads per row")
    parser.add_argument("--page-loads", type=float, default=0.0, help="top loads per row")
    args = parser.parse_args(argv)
    settings = load_settings()
    figures = asyncio.run(
        measure(args.rows, args.workers, args.frame_loads, args.page_loads, settings)
    )
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
