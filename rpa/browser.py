"""Finding and launching Chromium.

The choice, in order: ``TOMS_BROWSER_PATH``; the Chromium that ``playwright install`` put in
place; a system Chromium (``/usr/bin/chromium`` or one on ``PATH``); and, for root on a
Debian-like system, Debian's ``chromium`` package installed with apt. Otherwise the user is told
exactly what to run.

Headless runs prefer Chromium's headless shell, as Playwright itself does with its own build:
the same engine without the desktop browser around it. On a two-core machine it does a page
load for about 60% of the CPU (measured with ``python -m benchmarks.browser_floor``), so the
system's ``chromium-headless-shell`` comes first when there is one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Browser, Playwright, async_playwright

from rpa.errors import SettingsError
from rpa.settings import Settings

__all__ = [
    "BrowserChoice", "find_browser", "is_headless_shell", "launch_browser", "open_browser",
]

log = logging.getLogger(__name__)

SYSTEM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Debian's package puts the program in /usr/lib/chromium and a shell wrapper in /usr/bin:
# the program itself spares a shell per launch.
SHELL_CANDIDATES = (
    "/usr/lib/chromium/chromium-headless-shell", "/usr/bin/chromium-headless-shell",
)
SHELL_NAMES = ("chromium-headless-shell", "chrome-headless-shell")
# Chromium keeps calling home otherwise; on a closed network each call fails noisily.
QUIET_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# V8's lite mode, which Chrome itself runs on phones with little memory: no optimizing
# compiler, type feedback allocated only for functions that run often, a heap kept small.
# A page here lives a second or two, so optimizing its scripts (and Playwright's) never pays
# back. Measured on two cores, 8 workers, 400 rows: 1,468 -> 1,246 MB for the whole process
# tree (renderers 981 -> 754 MB), and a few % less CPU than full optimization.
LEAN_ARGS = ["--js-flags=--lite-mode"]
LAUNCH_ARGS = [*QUIET_ARGS, *LEAN_ARGS]
MISSING_BROWSER_HELP = (
    "No Chromium was found. Install one with `python -m playwright install chromium`, "
    "or with your system's package manager (Debian/Ubuntu: `sudo apt-get install chromium`), "
    "or set TOMS_BROWSER_PATH to a Chromium or Chrome executable."
)


@dataclass(frozen=True)
class BrowserChoice:
    """The executable to launch (``None`` means Playwright's own build) and why."""

    executable: Path | None
    source: str


def _playwright_chromium() -> Path | None:
    """The path of Playwright's own Chromium, if ``playwright install`` has put it there."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            path = Path(p.chromium.executable_path)
    except Exception:  # noqa: BLE001 - a broken driver means "not installed" here
        return None
    return path if path.is_file() else None


def _first_executable(candidates: tuple[str, ...], names: tuple[str, ...]) -> Path | None:
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return Path(candidate)
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def _system_chromium(headless: bool = False) -> Path | None:
    """A system Chromium; for headless runs its headless shell first, when installed."""
    shell = _first_executable(SHELL_CANDIDATES, SHELL_NAMES) if headless else None
    return shell or _first_executable(SYSTEM_CANDIDATES, PATH_NAMES)


def is_headless_shell(path: Path | None) -> bool:
    """Whether ``path`` is a Chromium headless shell (which cannot show a window)."""
    return path is not None and "headless" in path.name and "shell" in path.name


def _can_apt_install() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_install_chromium() -> None:
    log.warning("No Chromium found: installing Debian's chromium package with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        subprocess.run(cmd, check=True, env=env, stdout=sys.stderr)
    _apt_install_headless_shell()


def _apt_install_headless_shell() -> None:
    """Add Debian's headless shell if the release has it (older ones do not: no harm)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "chromium-headless-shell"]
    done = subprocess.run(cmd, check=False, env=env, stdout=sys.stderr, stderr=sys.stderr)
    if done.returncode != 0:  # maybe only the package lists are old
        update = ["apt-get", "update", "-qq"]
        subprocess.run(update, check=False, env=env, stdout=sys.stderr, stderr=sys.stderr)
        done = subprocess.run(cmd, check=False, env=env, stdout=sys.stderr, stderr=sys.stderr)
    if done.returncode != 0:
        log.warning("Debian's chromium-headless-shell could not be installed; using chromium")


def find_browser(
    override: Path | None = None, *, install: bool = True, headless: bool = True
) -> BrowserChoice:
    """Choose the Chromium to launch, installing Debian's package if allowed and needed.

    ``headless`` runs may use a headless shell; a run that shows its window never does.
    """
    if override is not None:
        if not (override.is_file() and os.access(override, os.X_OK)):
            raise SettingsError(
                f"TOMS_BROWSER_PATH points to {override}, which is not an executable file",
                variable="TOMS_BROWSER_PATH",
            )
        if not headless and is_headless_shell(override):
            raise SettingsError(
                f"TOMS_BROWSER_PATH points to {override}, a headless shell, which cannot show "
                "a window, and TOMS_HEADLESS is false: point TOMS_BROWSER_PATH at a full "
                "Chromium, or run headless",
                variable="TOMS_BROWSER_PATH",
            )
        return BrowserChoice(override, "TOMS_BROWSER_PATH")
    if _playwright_chromium() is not None:
        return BrowserChoice(None, "Playwright's Chromium")
    system = _system_chromium(headless)
    if system is not None:
        return BrowserChoice(system, _system_source(system))
    if install and _can_apt_install():
        _apt_install_chromium()
        system = _system_chromium(headless)
        if system is not None:
            return BrowserChoice(system, "Debian's chromium (just installed)")
    raise SettingsError(MISSING_BROWSER_HELP, variable="TOMS_BROWSER_PATH")


def _system_source(path: Path) -> str:
    return "system Chromium headless shell" if is_headless_shell(path) else "system Chromium"


_logged_once = False


async def launch_browser(playwright: Playwright, settings: Settings) -> Browser:
    """Launch (or connect to) the browser the settings ask for, logging which one once."""
    global _logged_once
    if settings.browser_endpoint:
        headers = {}
        if settings.browser_path is not None:
            # The path of the browser on the server's machine; the server must allow it
            # (`playwright run-server --unsafe`). Otherwise it launches its own Chromium.
            options = {
                "executablePath": str(settings.browser_path),
                "args": LAUNCH_ARGS,
                "headless": settings.headless,
            }
            headers["x-playwright-launch-options"] = json.dumps(options)
        browser = await playwright.chromium.connect(settings.browser_endpoint, headers=headers)
        source = f"remote browser at {settings.browser_endpoint}"
    else:
        choice = find_browser(settings.browser_path, headless=settings.headless)
        browser = await playwright.chromium.launch(
            executable_path=choice.executable,
            headless=settings.headless,
            args=LAUNCH_ARGS,
        )
        source = choice.source + (f" ({choice.executable})" if choice.executable else "")
    if not _logged_once:
        log.info("Browser: %s, version %s", source, browser.version)
        expected = playwright_chromium_version()
        if expected and abs(_major(expected) - _major(browser.version)) > MAX_MAJOR_GAP:
            log.warning(
                "This Playwright was built for Chromium %s; Chromium %s may behave differently. "
                "If pages misbehave, run `python -m playwright install chromium`.",
                expected, browser.version,
            )
        _logged_once = True
    return browser


MAX_MAJOR_GAP = 5


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def playwright_chromium_version() -> str | None:
    """The Chromium version this Playwright was built and tested with, if it says."""
    import playwright

    path = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    try:
        browsers = json.loads(path.read_text())["browsers"]
    except (OSError, ValueError, KeyError):
        return None
    for entry in browsers:
        if entry.get("name") == "chromium":
            return str(entry.get("browserVersion", "")) or None
    return None


@asynccontextmanager
async def open_browser(settings: Settings) -> AsyncIterator[Browser]:
    """Start Playwright and the browser; close both on the way out."""
    async with async_playwright() as playwright:
        browser = await launch_browser(playwright, settings)
        try:
            yield browser
        finally:
            await browser.close()


def main() -> int:
    """``python -m rpa.browser``: make sure a browser is available and say which."""
    override = os.environ.get("TOMS_BROWSER_PATH")
    try:
        choice = find_browser(Path(override) if override else None)
        if choice.executable is not None and not override and not is_headless_shell(
            choice.executable
        ) and _can_apt_install():
            # Set-up time, as root: add the headless shell that makes headless runs cheaper.
            _apt_install_headless_shell()
            choice = find_browser()
    except SettingsError as err:
        print(err, file=sys.stderr)
        return 2
    where = f" at {choice.executable}" if choice.executable else ""
    print(f"Browser: {choice.source}{where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
