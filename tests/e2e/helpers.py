"""Rosters built from the mock portal's own data, and the toms-rpa command run for real."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.optout.roster import TESTS
from tests.conftest import LEA, PASSWORD, Portal

SHORT = {full: short for short, full in TESTS.items()}
COLUMNS = ["ssid", "first_name", "last_name", "test", "code", "exemption_on_file"]


@dataclass
class Roster:
    """A roster file and what the portal must hold after it is applied."""

    path: Path
    rows: list[dict[str, str]]
    # (ssid, full test name) -> the status the row must end with
    expected_status: dict[tuple[str, str], str] = field(default_factory=dict)
    # (ssid, full test name) -> the code the portal must hold afterwards
    expected_code: dict[tuple[str, str], str | None] = field(default_factory=dict)
    blocked_reason: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def to_set(self) -> int:
        return sum(1 for s in self.expected_status.values() if s == "applied")


def _row(student: dict[str, Any], test: str, code: str, **over: str) -> dict[str, str]:
    row = {
        "ssid": student["ssid"],
        "first_name": student["first_name"],
        "last_name": student["last_name"],
        "test": SHORT.get(test, test),
        "code": code,
        "exemption_on_file": "2026-03-02 letter" if code == "PGE" else "",
    }
    row.update(over)
    return row


def build_roster(
    portal: Portal, path: Path, *, settable: int, blocked: bool = True, skip: int = 0
) -> Roster:
    """``settable`` rows that can be set, plus (when ``blocked``) one row of each other kind."""
    students = portal.students()
    roster = Roster(path=path, rows=[])

    def add(student: dict[str, Any], test: str, code: str, status: str, final: str | None,
            reason: str = "", **over: str) -> None:
        roster.rows.append(_row(student, test, code, **over))
        key = (student["ssid"], test)
        roster.expected_status[key] = status
        roster.expected_code[key] = final
        if reason:
            roster.blocked_reason[key] = reason

    used: set[str] = set()
    count = 0
    for student in students[skip:]:
        free = [
            a for a in student["assignments"]
            if a["status"] == "Assigned" and a["condition_code"] is None
        ]
        if not free or count >= settable:
            continue
        for assignment in free:
            if count >= settable:
                break
            code = "NTE" if count % 10 == 3 else "PGE"
            add(student, assignment["test"], code, "applied", code)
            count += 1
        used.add(student["ssid"])
    assert count == settable, f"the seed has only {count} settable rows"

    if blocked:
        rest = [s for s in students if s["ssid"] not in used]
        kinds = _blocked_kinds(rest)
        for kind, (student, test, code, status, final, over) in kinds.items():
            add(student, test, code, status, final, kind, **over)
    _write(path, roster.rows)
    return roster


def _blocked_kinds(students: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    kinds: dict[str, tuple[Any, ...]] = {}
    ssids = {s["ssid"] for s in students}
    for student in students:
        tests = {a["test"]: a for a in student["assignments"]}
        for a in student["assignments"]:
            if a["status"] == "Submitted" and a["condition_code"] is None:
                kinds.setdefault("test submitted", (student, a["test"], "PGE", "blocked", None, {}))
            if a["condition_code"] in ("PGE", "NTE"):
                code = a["condition_code"]
                kinds.setdefault(
                    "already set", (student, a["test"], code, "already set", code, {})
                )
            if a["condition_code"] and a["condition_code"] != "PGE" and a["status"] == "Assigned":
                kinds.setdefault("another code already set",
                                 (student, a["test"], "PGE", "blocked", a["condition_code"], {}))
        if "California Science Test" not in tests and tests:
            kinds.setdefault(
                "test not assigned", (student, "California Science Test", "PGE", "blocked",
                                      "__absent__", {})
            )
    fake = next(str(n) for n in range(1_000_000_001, 1_000_100_000) if str(n) not in ssids)
    stranger = {"ssid": fake, "first_name": "Nobody", "last_name": "Known", "assignments": []}
    kinds["not found"] = (stranger, SHORT_TO_FULL["ELA"], "PGE", "blocked", "__absent__", {})
    taken = {k[0]["ssid"] for k in kinds.values()}
    victim = next(s for s in students if s["ssid"] not in taken and any(
        a["status"] == "Assigned" and a["condition_code"] is None for a in s["assignments"]))
    test = next(a["test"] for a in victim["assignments"]
                if a["status"] == "Assigned" and a["condition_code"] is None)
    kinds["name mismatch"] = (victim, test, "PGE", "blocked", None, {"last_name": "Wrongname"})
    missing = {"test submitted", "already set", "another code already set", "test not assigned"}
    assert missing <= set(kinds), f"the seed lacks {missing - set(kinds)}"
    return kinds


SHORT_TO_FULL = {v: k for k, v in SHORT.items()}


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def toms_env(portal: Portal, state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMS_")}
    env.update(
        TOMS_PORTAL_URL=portal.url,
        TOMS_USERNAME=LEA,
        TOMS_PASSWORD=PASSWORD,
        TOMS_ROLE="LEA CAASPP Coordinator",
        TOMS_EMAIL_CODE_COMMAND=f"{sys.executable} -m mock_portal.outbox {portal.url} {LEA}",
        TOMS_STATE_DIR=str(state_dir),
        TOMS_TIMEOUT_MS="15000",
    )
    env.update(extra)
    return env


def toms(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 600
         ) -> subprocess.CompletedProcess[str]:
    """Run the toms-rpa command as a user would, and capture what it prints."""
    return subprocess.run(
        [sys.executable, "-m", "rpa", *args], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=timeout, check=False, stdin=subprocess.DEVNULL,  # unattended: no terminal
    )


def results(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "results.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def only_run(state_dir: Path, prefix: str = "apply-") -> Path:
    runs = sorted(p for p in (state_dir / "runs").iterdir() if p.name.startswith(prefix))
    return runs[-1]


def no_password_anywhere(state_dir: Path, *outputs: str) -> None:
    for text in outputs:
        assert PASSWORD not in text
    needles = [PASSWORD.encode(), PASSWORD.encode("utf-16-le"), b"demo%2Dpassword",
               b"ZGVtby1wYXNzd29yZA"]  # plain, UTF-16, URL- and base64-encoded
    checked = 0
    for path in state_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    data = b"".join(archive.read(name) for name in archive.namelist())
            for needle in needles:
                assert needle not in data, f"the password is in {path}"
            checked += 1
    assert checked > 0


def everything_private(state: Path) -> None:
    """Student data, evidence and the saved browser: files 0600, folders 0700."""
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for path in state.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
