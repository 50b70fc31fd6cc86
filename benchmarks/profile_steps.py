"""Where the time goes: browser and Python CPU of each step of the opt-out, one worker.

    python -m benchmarks.profile_steps --rows 150 --latency-ms 0

One worker goes through the guide's steps with toms-rpa's own page objects, student after
student, on a freshly seeded portal. Each step is timed alone, so its CPU is its own: the
browser side (Chromium's processes and Playwright's driver, from /proc) and the Python side
(this process). The portal's CPU is left out. Prints a table per student, and the same CPU for a
bare page load (:mod:`benchmarks.browser_floor`'s minimal page) to compare the steps with.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import psutil
from playwright.async_api import BrowserContext

from benchmarks.browser_floor import static_server
from benchmarks.bulk_optout import USER, build_roster
from flows.cli import mock_portal_process
from flows.optout.roster import RosterRow, load_roster
from flows.pages.portal import MyTomsHome
from flows.pages.students import StudentSearch
from flows.session import STATE_FILE, TomsSession, email_code_provider, enter_toms
from rpa.browser import open_browser
from rpa.settings import load_settings

T = TypeVar("T")


class StepClock:
    """CPU (browser side, Python side) and wall time, summed by step name."""

    def __init__(self) -> None:
        self.browser: dict[str, float] = defaultdict(float)
        self.python: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._portal: dict[int, bool] = {}

    def _browser_cpu(self) -> float:
        total = 0.0
        for proc in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if proc.pid not in self._portal:
                    cmdline = " ".join(proc.cmdline())
                    self._portal[proc.pid] = "mock_portal" in cmdline or "http.server" in cmdline
                if not self._portal[proc.pid]:
                    times = proc.cpu_times()
                    total += times.user + times.system
        return total

    async def step(self, name: str, work: Awaitable[T]) -> T:
        """Run one step and add what it cost to ``name``."""
        browser, python, wall = self._browser_cpu(), time.process_time(), time.monotonic()
        result = await work
        self.wall[name] += time.monotonic() - wall
        self.python[name] += time.process_time() - python
        self.browser[name] += self._browser_cpu() - browser
        self.calls[name] += 1
        return result

    def table(self, students: int) -> list[str]:
        """Markdown rows: per student, each step's count and milliseconds."""
        lines = [
            "step | per student | browser CPU ms | Python CPU ms | wall ms",
            "--- | --- | --- | --- | ---",
        ]
        for name in self.browser:
            lines.append(
                f"{name} | {self.calls[name] / students:.2f} | "
                f"{self.browser[name] / students * 1000:.0f} | "
                f"{self.python[name] / students * 1000:.1f} | "
                f"{self.wall[name] / students * 1000:.0f}"
            )
        lines.append(
            f"all steps | | {sum(self.browser.values()) / students * 1000:.0f} | "
            f"{sum(self.python.values()) / students * 1000:.1f} | "
            f"{sum(self.wall.values()) / students * 1000:.0f}"
        )
        return lines


async def profile(rows: int, latency_ms: int) -> tuple[StepClock, int, float]:
    """The steps for ``rows`` rows; also the browser CPU of one bare page load."""
    clock = StepClock()
    with mock_portal_process(["--latency-ms", str(latency_ms)]) as url, \
            tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        build_roster(url, rows, roster)
        students: dict[str, list[RosterRow]] = {}
        for row in load_roster(roster):
            students.setdefault(row.ssid, []).append(row)
        settings = load_settings(
            portal_url=url, username=USER, password="demo-password",
            role="LEA CAASPP Coordinator", state_dir=Path(tmp),
            email_code_command=f"{sys.executable} -m mock_portal.outbox {url} {USER}",
        )
        async with open_browser(settings) as browser:
            session = TomsSession(browser, settings, state_path=Path(tmp) / STATE_FILE,
                                  code_provider=email_code_provider(settings))
            await session.start()
            context = await session.new_context()
            page = await context.new_page()
            timeout = settings.timeout_ms
            await enter_toms(page, settings)
            await MyTomsHome(page, timeout_ms=timeout).open_students()
            for index, (ssid, group) in enumerate(students.items()):
                search = StudentSearch(page, timeout_ms=timeout)
                if index:
                    await clock.step("open the search (breadcrumb)", search.open())
                await clock.step("search the SSID, read the results", search.search_ssid(ssid))
                found = await clock.step("open the student (magnifier)",
                                         search.open_student(ssid))
                assignments = await clock.step("Test Assignments tab",
                                               found.open_test_assignments())
                await clock.step("read the assignments", assignments.read())
                for row in group:
                    await clock.step("stage a code (COND. CODE, PGE, SAVE)",
                                     assignments.stage_code(row.test, row.code))
                await clock.step("read the staged codes", assignments.read())
                # The SAVE step reads the table the portal drew anew: what it stored.
                await clock.step("bottom SAVE, read the codes back", assignments.save())
            bare = await _bare_load(context)
    return clock, len(students), bare


async def _bare_load(context: BrowserContext) -> float:
    """Browser CPU of one load of the minimal page in a frame (the browser floor's unit)."""
    page = await context.new_page()
    loads = 100
    with static_server() as url:
        await page.goto(f"{url}top.html")
        frame = page.frame(name="theFrame")
        assert frame is not None
        bare = StepClock()
        for n in range(loads):
            await bare.step("load", frame.goto(f"{url}frame.html?n={n}"))
            await bare.step("load", frame.get_by_role("heading", name="Loaded").wait_for())
    await page.close()
    return bare.browser["load"] / loads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args(argv)
    clock, students, bare = asyncio.run(profile(args.rows, args.latency_ms))
    print(f"{args.rows} rows, {students} students, 1 worker, portal latency {args.latency_ms} ms")
    print("\n".join(clock.table(students)))
    print(f"bare page load in a frame (the browser floor's unit): {bare * 1000:.0f} ms "
          "browser CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
