"""Practice and training sessions: start, hand out the ID, approve the class, stop."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from mock_portal import PortalConfig
from mock_portal.server import PortalServer
from tests.conftest import PASSWORD, TA, Portal
from tests.e2e.helpers import toms

pytestmark = pytest.mark.browser

MATH5 = "Grade 5 Math Practice Test"
ELA5 = "Grade 5 ELA Practice Test"


def _env(url: str, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMS_")}
    env.update(
        TOMS_PORTAL_URL=url, TOMS_USERNAME=TA, TOMS_PASSWORD=PASSWORD,
        TOMS_EMAIL_CODE_COMMAND=f"{sys.executable} -m mock_portal.outbox {url} {TA}",
        TOMS_STATE_DIR=str(state), TOMS_TIMEOUT_MS="15000",
    )
    return env


def _start(url: str, tmp: Path, *extra: str) -> tuple[str, str | None]:
    done = toms(["practice", "start", "--tests", f"{MATH5}; Grade 5 ELA", *extra],
                _env(url, tmp / "state"), tmp)
    assert done.returncode == 0, done.stderr
    found = re.search(r"^Practice Session ID: (CA-[A-Z]{3}-\d{3})$", done.stdout, re.MULTILINE)
    assert found, done.stdout
    link = re.search(r"^Session Link: (\S+)$", done.stdout, re.MULTILINE)
    return found.group(1), link.group(1) if link else None


def _session(client: httpx.Client, session_id: str) -> dict[str, Any]:
    result: dict[str, Any] = client.get(f"/__mock__/practice/sessions/{session_id}").json()
    return result


def _class_list(path: Path, students: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["first_name", "ssid"])
        writer.writerows(students)
    return path


def test_remote_and_in_person_sessions_admit_a_student_signing_in(
    portal: Portal, page: Page, tmp_path: Path
) -> None:
    session_id, link = _start(portal.url, tmp_path, "--remote")
    state = _session(portal.client, session_id)
    assert state["status"] == "active" and state["remote"] is True
    assert sorted(state["tests"]) == sorted([MATH5, ELA5])
    assert link == state["link"] and session_id in (link or "")
    saved = (tmp_path / "state" / "practice" / session_id / "session.json").read_text()
    assert session_id in saved

    in_person, no_link = _start(portal.url, tmp_path)
    assert in_person != session_id and no_link is None
    assert _session(portal.client, in_person)["remote"] is False

    # A student follows the session link, as the guide's student interface describes.
    assert link is not None
    page.goto(link)
    expect(page.get_by_label("Session ID")).to_have_value(session_id)
    page.get_by_label("First Name").fill("Maya")
    page.get_by_label("SSID").fill("4000000017")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Is This You?")).to_be_visible()
    page.get_by_role("button", name="Yes").click()
    page.get_by_role("radio", name=MATH5).check()
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_role("heading", name="Waiting for Approval")).to_be_visible()

    roster = _class_list(tmp_path / "class.csv", [("Maya", "4000000017")])
    watch = toms(["practice", "approve", "--session", session_id, "--class", str(roster),
                  "--for", "0.08", "--poll-seconds", "0.5"],
                 _env(portal.url, tmp_path / "state"), tmp_path)
    assert watch.returncode == 0, watch.stderr
    assert "Approved Maya (4000000017, Grade 5 Math Practice Test)" in watch.stderr
    expect(page.get_by_role("heading", name="You Are Approved")).to_be_visible(timeout=15000)

    stopped = toms(["practice", "stop", "--session", in_person],
                   _env(portal.url, tmp_path / "state"), tmp_path)
    assert stopped.returncode == 0, stopped.stderr
    assert _session(portal.client, in_person)["status"] == "ended"


@pytest.mark.waits
def test_the_class_is_approved_and_strangers_denied_as_they_arrive(
    built_portal: Portal, tmp_path: Path
) -> None:
    """On each build: the class approved, strangers and guests denied, a returning student
    approved again, the session stopped."""
    portal = built_portal
    session_id, _ = _start(portal.url, tmp_path)
    klass = [(f"Kid{n:02d}", f"51000000{n:02d}") for n in range(25)]
    roster = _class_list(tmp_path / "class.csv", klass)
    strangers = [
        {"first_name": "Olly", "ssid": "5200000001", "guest": False},  # not on the list
        {"first_name": "Pia", "ssid": "5200000002", "guest": False},
        {"first_name": "Quin", "ssid": "5200000003", "guest": False},
        {"first_name": "Mallory", "ssid": "5200000004", "guest": False},
        {"first_name": "Guest", "ssid": None, "guest": True},
    ]
    watcher = subprocess.Popen(
        [sys.executable, "-m", "rpa", "practice", "approve", "--session", session_id,
         "--class", str(roster), "--for", "5", "--poll-seconds", "0.5"],
        env=_env(portal.url, tmp_path / "state"), cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    arrivals = [{"first_name": f, "ssid": s, "guest": False} for f, s in klass]
    arrivals[5:5] = strangers[:3]
    arrivals[17:17] = strangers[3:]
    tokens: dict[str, str] = {}
    for batch in range(0, len(arrivals), 6):  # the class arrives over time, a few at once
        for student in arrivals[batch:batch + 6]:
            made = portal.client.post(
                f"/__mock__/practice/sessions/{session_id}/students", json=student
            ).json()
            tokens[student["first_name"]] = made["token"]
        time.sleep(1.0)  # pacing the arrivals of the simulated class

    def states() -> dict[str, str]:
        return {s["token"]: s["state"] for s in _session(portal.client, session_id)["students"]}

    deadline = time.monotonic() + 40
    while any(s == "waiting" for s in states().values()):
        assert time.monotonic() < deadline, states()
        time.sleep(0.2)
    # One of the class pauses and comes back: she is approved again.
    paused = tokens["Kid07"]
    portal.client.post(f"/__mock__/practice/students/{paused}/pause").raise_for_status()
    portal.client.post(f"/__mock__/practice/students/{paused}/return").raise_for_status()
    while states()[paused] != "approved":
        assert time.monotonic() < deadline, states()
        time.sleep(0.2)
    final = {s["token"]: s for s in _session(portal.client, session_id)["students"]}
    # The administrator stops the session (the guide's last step; its students are logged
    # out): the watch sees it ended and stops too, long before the five minutes it was given.
    stopped = toms(["practice", "stop", "--session", session_id],
                   _env(portal.url, tmp_path / "state"), tmp_path)
    assert stopped.returncode == 0, stopped.stderr
    assert _session(portal.client, session_id)["status"] == "ended"
    _, err = watcher.communicate(timeout=120)
    assert watcher.returncode == 0, err
    assert f"The session {session_id} has ended" in err, err

    for first, _ in klass:
        assert final[tokens[first]]["state"] == "approved", first
    for stranger in strangers:
        record = final[tokens[stranger["first_name"]]]
        assert record["state"] == "denied", record
        assert record["reason"]
    assert "Guests are not admitted" in final[tokens["Guest"]]["reason"]
    log = _session(portal.client, session_id)["log"]
    assert sum(1 for e in log if e["token"] == paused and e["action"] == "approved") == 2
    decisions = (tmp_path / "state" / "practice" / session_id / "decisions.csv").read_text()
    assert decisions.count(",approved,") == 26 and decisions.count(",denied,") == 5
    assert "Denied Mallory" in err and "Approved Kid24" in err


@pytest.fixture()
def quick_idle_portal() -> Generator[str, None, None]:
    with PortalServer(PortalConfig(students=50, practice_idle_timeout_s=6)) as server:
        yield server.url + "/"


def test_watching_keeps_the_session_from_being_logged_off(
    quick_idle_portal: str, tmp_path: Path
) -> None:
    url = quick_idle_portal
    session_id, _ = _start(url, tmp_path)
    roster = _class_list(tmp_path / "class.csv", [("Ana", "5300000001")])
    watch = toms(["practice", "approve", "--session", session_id, "--class", str(roster),
                  "--for", "0.25", "--poll-seconds", "1"], _env(url, tmp_path / "state"), tmp_path)
    assert watch.returncode == 0, watch.stderr
    with httpx.Client(base_url=url) as client:
        assert _session(client, session_id)["status"] == "active"  # 15 s of watching, 6 s limit
        time.sleep(6.5)  # and left alone, it is logged off
        assert _session(client, session_id)["status"] == "ended"
