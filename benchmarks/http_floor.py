"""The portal's limit: the same roster applied with plain HTTP and the fewest requests it allows.

    python -m benchmarks.http_floor ROSTER --url http://127.0.0.1:8000/ --workers 8

No browser: one logon (form, e-mailed code, role), then W sessions at once sharing its
cookies, as toms-rpa's contexts do. Per student, as toms-rpa groups rows: the search by SSID,
the student's profile (whose Test Assignments panel holds the table and the form), and the
bottom SAVE with every code of the student, whose redirect is the page that reads them back.
Four requests, three documents; nothing else. A code that does not read back is an error, so
the floor does the same work as toms-rpa, not less. Prints one JSON object.

This knows the mock portal's addresses and markup; it is a measuring stick, not a flow.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

from benchmarks.measure import p50_p95
from flows.optout.roster import TESTS, load_roster

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROLE_OPTION = re.compile(r'<option value="(\d+)"[^>]*>([^<]+)</option>')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)" class="assignments-form"')
ASSIGNMENT_ROW = re.compile(
    r"<tr>\s*<td>([^<]+)</td>.*?<td id=\"code-cell-(\w+)\">([^<]*)</td>", re.DOTALL
)
CHECKED = re.compile(r'name="assign" value="(\w+)" checked')


class FloorError(Exception):
    """The portal answered something the floor cannot go on from."""


def _one(pattern: re.Pattern[str], text: str, what: str) -> str:
    found = pattern.search(text)
    if found is None:
        raise FloorError(f"no {what} in the page")
    return html.unescape(found.group(1))


async def log_on(
    client: httpx.AsyncClient, username: str, password: str, role: str, code_command: str
) -> None:
    """The logon form, the e-mailed code (from ``code_command``) and the role."""
    page = await client.get("sso/logon", params={"next": "/toms/"})
    answer = await client.post("sso/logon", data={
        "csrf_token": _one(CSRF, page.text, "logon form"), "username": username,
        "password": password, "next": "/toms/",
    })
    if answer.url.path.endswith("/sso/code"):
        code = subprocess.run(
            code_command.split(), capture_output=True, text=True, check=True
        ).stdout.strip()
        answer = await client.post("sso/code", data={
            "csrf_token": _one(CSRF, answer.text, "code form"), "code": code,
        })
    options = [
        value for value, label in ROLE_OPTION.findall(answer.text)
        if html.unescape(label).startswith(role)
    ]
    if 'name="role_id"' not in answer.text:
        return  # a user with one role goes straight in
    if not options:
        raise FloorError(f"role {role!r} not offered after logon")
    await client.post("toms/role", data={
        "csrf_token": _one(CSRF, answer.text, "role form"), "role_id": options[0], "tab": "",
    })


def _assignments(page: str) -> dict[str, tuple[str, str]]:
    """Program name -> (form key, condition code) from the Test Assignments table."""
    return {
        html.unescape(name).strip(): (key, html.unescape(code).strip())
        for name, key, code in ASSIGNMENT_ROW.findall(page)
    }


async def apply_student(
    client: httpx.AsyncClient, ssid: str, codes: dict[str, str]
) -> tuple[int, int]:
    """Set ``codes`` (program name -> code) for one student; return (requests, documents)."""
    results = await client.get("toms/frame/students", params={"ssid": ssid})
    row = re.search(
        rf"<td>{ssid}</td>.*?<a class=\"icon-link\" href=\"([^\"]+)\"", results.text, re.DOTALL
    )
    if row is None:
        raise FloorError(f"SSID {ssid} not found")
    profile = await client.get(html.unescape(row.group(1)).lstrip("/"))
    current = _assignments(profile.text)
    form: dict[str, str | list[str]] = {
        "csrf_token": _one(CSRF, profile.text, "assignments form"), "assignments_present": "1",
        "assign": CHECKED.findall(profile.text),
    }
    for program, code in codes.items():
        if program not in current:
            raise FloorError(f"{program} is not assigned to {ssid}")
        form[f"code-{current[program][0]}"] = code
    action = _one(FORM_ACTION, profile.text, "bottom SAVE form").lstrip("/")
    saved = await client.post(action, data=form)  # 303, then the page that reads them back
    after = _assignments(saved.text)
    wrong = [p for p, code in codes.items() if after.get(p, ("", ""))[1] != code]
    if saved.status_code != 200 or wrong:
        raise FloorError(f"{ssid}: {', '.join(wrong) or 'the save'} did not read back")
    return 4, 3


async def measure(
    roster: Path, url: str, workers: int, username: str, password: str, role: str,
    code_command: str,
) -> dict[str, float]:
    """Apply the roster with ``workers`` concurrent sessions; return the figures."""
    started = time.monotonic()
    students: dict[str, dict[str, str]] = defaultdict(dict)
    for row in load_roster(roster):
        students[row.ssid][TESTS.get(row.test, row.test)] = row.code
    rows = sum(len(codes) for codes in students.values())
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    durations: list[float] = []
    counts = [0, 0]
    async with httpx.AsyncClient(
        base_url=url, limits=limits, follow_redirects=True, timeout=60
    ) as client:
        await log_on(client, username, password, role, code_command)
        queue = list(students.items())

        async def work() -> None:
            while queue:
                ssid, codes = queue.pop()
                began = time.monotonic()
                requests, documents = await apply_student(client, ssid, codes)
                counts[0] += requests
                counts[1] += documents
                durations.extend([time.monotonic() - began] * len(codes))

        await asyncio.gather(*(work() for _ in range(workers)))
    wall = time.monotonic() - started
    p50, p95 = p50_p95(durations)
    return {
        "rows": rows, "students": len(students), "workers": workers,
        "rows_per_s": round(rows / wall, 3),
        "p50_s": p50, "p95_s": p95,
        "wall_s": round(wall, 2),
        "requests_per_row": round(counts[0] / rows, 2),
        "documents_per_row": round(counts[1] / rows, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roster", type=Path)
    parser.add_argument("--url", required=True, help="the portal's address")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--username", default="lea.coordinator@example.org")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--role", default="LEA CAASPP Coordinator")
    parser.add_argument("--code-command", default=None,
                        help="prints the e-mailed code (default: the mock's outbox)")
    args = parser.parse_args(argv)
    url = args.url if args.url.endswith("/") else args.url + "/"
    command = args.code_command or f"{sys.executable} -m mock_portal.outbox {url} {args.username}"
    figures = asyncio.run(measure(
        args.roster, url, args.workers, args.username, args.password, args.role, command,
    ))
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
