"""``toms-rpa doctor`` against the mock portal: healthy, with a changed page, and misconfigured."""

from __future__ import annotations

import sys
from collections.abc import Generator
from pathlib import Path

import pytest
from flask import Response

from flows.doctor import run_doctor
from flows.session import email_code_provider
from mock_portal import PortalConfig, PortalServer, create_app
from rpa.settings import Settings, load_settings
from tests.conftest import LEA, PASSWORD, Portal
from tests.run_async import run_async

CHECKS = [
    "settings", "browser", "portal", "logon and role", "MyTOMS Home", "search form",
    "search results", "student profile", "Test Assignments", "condition code dialog",
]
COLUMN = "Test Program"


def _settings(url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "portal_url": url,
        "username": LEA,
        "password": PASSWORD,
        "role": "LEA CAASPP Coordinator",
        "state_dir": tmp_path / "state",
        "email_code_command": f"{sys.executable} -m mock_portal.outbox {url} {LEA}",
        "timeout_ms": 15_000,
    }
    values.update(overrides)
    return load_settings(**values)


def _doctor(settings: Settings, ssid: str | None = None) -> tuple[int, list[str]]:
    lines: list[str] = []
    status = run_async(run_doctor(
        settings, code_provider=email_code_provider(settings), ssid=ssid, say=lines.append
    ))
    return status, lines


def _check_names(lines: list[str]) -> list[str]:
    return [line[6:].split(":", 1)[0] for line in lines if line.startswith(("ok    ", "FAIL  "))]


@pytest.fixture()
def changed_portal() -> Generator[str, None, None]:
    """A portal whose Test Assignments table no longer has the guide's "Test Program" column,
    as after a TOMS release that renames it."""
    app = create_app(PortalConfig(students=60))

    @app.after_request
    def rename_column(response: Response) -> Response:
        if response.mimetype == "text/html" and not response.direct_passthrough:
            html = response.get_data(as_text=True)
            response.set_data(html.replace(f">{COLUMN}<", ">Assessment<"))
        return response

    with PortalServer(app=app) as server:
        yield server.url + "/"


@pytest.mark.browser
def test_healthy_portal_passes_every_check_and_changes_nothing(
    built_portal: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On each build (default, alt): every check passes, naming the entries that matched."""
    portal = built_portal
    monkeypatch.chdir(tmp_path)
    students_before, audit_before = portal.students(), portal.audit()

    status, lines = _doctor(_settings(portal.url, tmp_path))

    output = "\n".join(lines)
    assert status == 0, output
    assert _check_names(lines) == CHECKS, output
    assert all(line.startswith(("ok    ", "      matched ")) for line in lines[:-1]), output
    assert lines[-1].startswith("All 10 checks passed"), output
    # Which entry of the word list matched, with its source, at each step.
    assert "[search.ssid: opt-out-quick-guide.txt:84]" in output, output
    assert "[assignments.save: opt-out-quick-guide.txt:155]" in output, output
    assert "[code.field: assumed]" in output, output  # the e-mailed code step
    assert PASSWORD not in output
    assert portal.audit() == audit_before
    assert portal.students() == students_before  # no condition code stored anywhere


@pytest.mark.browser
def test_changed_assignments_page_fails_there_and_stops(
    changed_portal: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    status, lines = _doctor(_settings(changed_portal, tmp_path, timeout_ms=8_000))

    output = "\n".join(lines)
    assert status == 1, output
    assert _check_names(lines) == CHECKS[:CHECKS.index("Test Assignments") + 1], output
    fail = next(line for line in lines if line.startswith("FAIL"))
    # What was looked for, and what the page shows instead.
    assert fail.startswith("FAIL  Test Assignments: the portal did not show"), output
    assert f'"{COLUMN}"' in fail and "the page shows:" in fail, output
    assert "word list" in output and "Nothing was changed" in output


def test_missing_password_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    status, lines = _doctor(_settings("http://127.0.0.1:9/", tmp_path, password=""))

    assert status == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("FAIL  settings: TOMS_PASSWORD is not set")
