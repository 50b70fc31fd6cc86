"""Shared fixtures: the mock portal on a free port, and a browser Playwright can launch.

Also a check that the tests leave nothing running: a process a test started (a portal, a
browser, a browser server) that is still alive when the session ends fails the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import signal
import sys
import time
import warnings
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import psutil
import pytest
from hypothesis import settings as hypothesis_settings

from mock_portal import PortalConfig
from mock_portal.server import PortalServer
from rpa.browser import find_browser
from rpa.postgres import PrivatePostgres, find_postgres

ROOT = Path(__file__).resolve().parent.parent

# In CI the property tests replay the same examples every run (a landing must not hang on a
# new random draw); on a developer's machine they keep exploring.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
PASSWORD = "demo-password"
LEA = "lea.coordinator@example.org"
SITE = "site.coordinator@example.org"
TA = "ta@example.org"
# Small enough to seed fast, large enough for a 150-row roster and every blocked kind.
TEST_STUDENTS = 400


@dataclass
class Portal:
    """The running mock portal, and a client for its /__mock__/ test endpoints."""

    url: str
    client: httpx.Client

    def students(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.client.get("/__mock__/students").json()
        return result

    def student(self, ssid: str) -> dict[str, Any]:
        result: dict[str, Any] = self.client.get(f"/__mock__/students/{ssid}").json()
        return result

    def audit(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.client.get("/__mock__/audit").json()
        return result

    def faults(self, **faults: Any) -> None:
        self.client.post("/__mock__/faults", json=faults).raise_for_status()

    def code(self, ssid: str, test: str) -> str | None:
        for assignment in self.student(ssid)["assignments"]:
            if assignment["test"] == test:
                code: str | None = assignment["condition_code"]
                return code
        raise AssertionError(f"{ssid} has no assignment {test}")


@pytest.fixture(scope="session")
def portal_server() -> Generator[PortalServer, None, None]:
    with PortalServer(PortalConfig(students=TEST_STUDENTS)) as server:
        yield server


@pytest.fixture()
def portal(portal_server: PortalServer) -> Generator[Portal, None, None]:
    """The mock portal, freshly reseeded for this test."""
    with httpx.Client(base_url=portal_server.url, timeout=30) as client:
        client.post("/__mock__/reset").raise_for_status()
        yield Portal(url=portal_server.url.rstrip("/") + "/", client=client)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches the same Chromium toms-rpa would choose."""
    args = dict(browser_type_launch_args)
    choice = find_browser(Path(os.environ["TOMS_BROWSER_PATH"]) if os.environ.get(
        "TOMS_BROWSER_PATH") else None, headless=args.get("headless", True) is not False)
    if choice.executable is not None:
        args["executable_path"] = str(choice.executable)
    return args


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str | None:
    """``--base-url`` for pytest-playwright's pages, as its own fallback gives it.

    Defined here because that fallback is a session fixture written as a method, which pytest 9
    warns about (PytestRemovedIn10Warning) in every run that opens a page.
    """
    given = pytestconfig.getoption("--base-url", None) or pytestconfig.getini("base_url")
    return str(given) if given else None


# --- a private PostgreSQL -------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Generator[PrivatePostgres, None, None]:
    """A PostgreSQL server of the session's own, on a unix socket in its data folder.

    Stopped with ``pg_ctl -m immediate stop`` when the session ends, so that nothing is left
    running. Where PostgreSQL is not installed the tests that need it are skipped, except in CI
    (``./run`` installs it), where that fails them.
    """
    if find_postgres() is None:
        message = "PostgreSQL is not installed (./run installs Debian's postgresql package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with PrivatePostgres() as server:
        yield server


_databases = itertools.count(1)


@pytest.fixture()
def postgres_url(postgres_server: PrivatePostgres) -> Generator[str, None, None]:
    """An address on the session's PostgreSQL with nothing in it (a schema of its own)."""
    name = f"test_{os.getpid()}_{next(_databases)}"
    url = postgres_server.create_schema(name)
    yield url
    postgres_server.drop_schema(name)


# --- nothing left running -----------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36
LINGER_S = 5.0
"""How long a process the tests started may take to exit after the session ends."""


def _become_subreaper() -> None:
    """Adopt the orphans of our own descendants (Linux), so that the end-of-session check sees them.

    Without this, a process whose parent was stopped (the browser server's node child, when only
    the Python wrapper is terminated) is adopted by init and escapes a look at our descendants.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _alive(process: psutil.Process) -> bool:
    """Whether ``process`` still runs; an exited child of ours is reaped on the way."""
    try:
        if process.status() != psutil.STATUS_ZOMBIE:
            return process.is_running()
    except psutil.NoSuchProcess:
        return False
    with contextlib.suppress(ChildProcessError):  # another's child: its parent reaps it
        os.waitpid(process.pid, os.WNOHANG)
    return False


def wait_gone(processes: Iterable[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to ``timeout`` seconds for ``processes`` to exit; return those still running."""
    left = list(processes)
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in left if _alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)  # an exit of a process that is not our child cannot be waited on


def stop_process_group(pgid: int, timeout: float = 10) -> None:
    """End every process of the group ``pgid`` (SIGTERM, then SIGKILL), and wait for them."""
    members = [p for p in psutil.process_iter() if _group_of(p) == pgid]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        members = wait_gone(members, timeout)
        if not members:
            return


def _group_of(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, PermissionError):
        return None


def _describe(process: psutil.Process) -> str:
    try:
        command = " ".join(process.cmdline()) or process.name()
    except psutil.Error:
        command = "?"
    return f"pid {process.pid}: {command[:200]}"


def pytest_configure(config: pytest.Config) -> None:
    _become_subreaper()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``./run tests`` runs two workers), the browser tests run one after
    the other on one worker, as they would alone: two of them at once would share the two
    cores and only slow each other. The other tests, and the browser tests marked ``waits``
    (mostly waiting: backoff, a paced class, a lease), run beside them on the other worker.
    """
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("waits"):
            item.add_marker(pytest.mark.xdist_group("browser"))


_workers: set[int] = set()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Remember each pytest-xdist worker's pid, to tell it from a process a test left."""
    pid = getattr(node, "workeroutput", {}).get("pid")
    if isinstance(pid, int):
        _workers.add(pid)


# --- no warning from our own code ---------------------------------------------------------

_our_warnings: list[str] = []


def _ours(warning: warnings.WarningMessage) -> bool:
    """A warning raised in this project's code, or about how its tests use pytest."""
    if issubclass(warning.category, pytest.PytestDeprecationWarning):
        return True
    where = Path(warning.filename).resolve()
    return where.is_relative_to(ROOT) and not where.is_relative_to(ROOT / ".venv")


def pytest_warning_recorded(
    warning_message: warnings.WarningMessage, when: str, nodeid: str, location: object
) -> None:
    if _ours(warning_message):
        _our_warnings.append(
            f"{nodeid or when}: {warning_message.category.__name__}: "
            f"{str(warning_message.message).splitlines()[0]}"
        )


def _fail(session: pytest.Session, title: str, lines: Iterable[str], stat: str) -> None:
    """Make the run fail, saying why under ``title`` (counted as ``stat`` in the last line)."""
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_sep("=", title, red=True)
        shown = list(lines)
        for line in shown:
            reporter.write_line(line)
        # Counted in the last line ("3 passed, 1 left running"); other plugins read every
        # entry of stats as a report, hence an object rather than the text.
        reporter.stats.setdefault(stat, []).extend(
            SimpleNamespace(text=line) for line in shown[:-1] or shown
        )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run on a warning from our code, or a process the tests left running.

    A pytest-xdist worker only tells the controller its pid: the controller checks for all,
    since a worker's orphans come to it (see :func:`_become_subreaper`) when the worker exits,
    and its warnings are passed on to the controller.
    """
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["pid"] = os.getpid()
        return
    if _our_warnings:
        _fail(session, "warnings from our own code", [
            *_our_warnings, "Fix them: the run passes only without a warning of ours."
        ], "warned")
    me = psutil.Process()
    left = wait_gone(
        [p for p in me.children(recursive=True) if p.pid not in _workers], LINGER_S
    )
    if not left:
        return
    _fail(session, "processes the tests started are still running", [
        *(_describe(p) for p in left),
        "Stop what a test starts before it ends (a process group: start_new_session=True, "
        "then os.killpg). These are now killed.",
    ], "left running")
    for process in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    wait_gone(left, LINGER_S)
