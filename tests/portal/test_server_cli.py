"""The threaded server, the command line, the outbox helper and the sample roster."""

from __future__ import annotations

import csv
import re
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mock_portal import PortalConfig, PortalServer
from mock_portal.cli import build_parser, config_from_args
from mock_portal.make_sample_roster import main as make_roster
from mock_portal.outbox import main as outbox_main
from mock_portal.seed import generate

from .conftest import LEA, LEA_ROLE
from .helpers import csrf_token, parse

ROSTERS = Path(__file__).resolve().parents[2] / "fixtures" / "rosters"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Generator[PortalServer, None, None]:
    path = tmp_path_factory.mktemp("server") / "portal.sqlite3"
    with PortalServer(PortalConfig(db_path=path, students=300)) as running:
        yield running


def _log_on(http: httpx.Client, base: str) -> None:
    page = http.get(f"{base}/sso/logon?next=/toms/")
    response = http.post(
        f"{base}/sso/logon",
        data={
            "csrf_token": csrf_token(page.text),
            "username": LEA,
            "password": "demo-password",
            "next": "/toms/",
        },
    )
    assert response.headers["location"] == "/sso/code"
    code = http.get(f"{base}/__mock__/outbox", params={"to": LEA}).text
    page = http.get(f"{base}/sso/code")
    http.post(f"{base}/sso/code", data={"csrf_token": csrf_token(page.text), "code": code})
    page = http.get(f"{base}/toms/")
    role = next(o for o in parse(page.text).find_all("option") if o.text == LEA_ROLE)
    http.post(
        f"{base}/toms/role",
        data={"csrf_token": csrf_token(page.text), "role_id": role.get("value")},
    )


def test_server_serves_and_stops(tmp_path: Path) -> None:
    running = PortalServer(PortalConfig(db_path=tmp_path / "p.sqlite3", students=10))
    with pytest.raises(RuntimeError):
        _ = running.url
    running.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.url)
        assert httpx.get(running.url + "/").status_code == 200
    finally:
        running.stop()
    running.stop()  # idempotent


def test_browser_contexts_sharing_one_cookie_jar_save_concurrently(server: PortalServer) -> None:
    base = server.url
    with httpx.Client() as first:
        _log_on(first, base)
        jar = first.cookies
        students = [
            s
            for s in first.get(f"{base}/__mock__/students?grade=11").json()
            if all(
                a["status"] == "Assigned" and a["condition_code"] is None for a in s["assignments"]
            )
        ][:8]
        ids = {}
        for s in students:
            page = first.get(f"{base}/toms/frame/students", params={"ssid": s["ssid"]})
            ids[s["ssid"]] = parse(page.text).find("tbody").find("a").get("href")

    def save(ssid: str) -> int:
        with httpx.Client(cookies=httpx.Cookies(jar)) as worker:
            url = f"{base}{ids[ssid]}/assignments"
            page = worker.get(url)
            response = worker.post(
                url, data={"csrf_token": csrf_token(page.text), "code-MATH": "PGE"}
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(save, [s["ssid"] for s in students]))
    assert codes == [303] * len(students)
    audit = httpx.get(f"{base}/__mock__/audit").json()
    assert sorted(a["ssid"] for a in audit) == sorted(s["ssid"] for s in students)


def test_outbox_command(server: PortalServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert outbox_main([server.url, "nobody@example.org"]) == 1
    with httpx.Client() as http:
        page = http.get(f"{server.url}/sso/logon")
        http.post(
            f"{server.url}/sso/logon",
            data={
                "csrf_token": csrf_token(page.text),
                "username": "ta@example.org",
                "password": "demo-password",
            },
        )
    capsys.readouterr()
    assert outbox_main([server.url, "ta@example.org"]) == 0
    assert re.fullmatch(r"\d{6}\n", capsys.readouterr().out)
    assert outbox_main(["only-one-argument"]) == 2


def test_command_line_options() -> None:
    args = build_parser().parse_args(
        [
            "--port",
            "0",
            "--students",
            "50",
            "--seed",
            "3",
            "--db",
            "x.sqlite3",
            "--latency-ms",
            "20",
            "--error-rate",
            "0.1",
            "--idle-timeout",
            "60",
        ]
    )
    config = config_from_args(args)
    assert (
        config.students,
        config.seed,
        config.latency_ms,
        config.error_rate,
        config.idle_timeout_s,
        config.db_path,
    ) == (50, 3, 20, 0.1, 60, Path("x.sqlite3"))
    assert args.port == 0


def test_sample_roster_is_up_to_date_and_its_rows_are_what_they_claim(tmp_path: Path) -> None:
    out, expected = tmp_path / "sample.csv", tmp_path / "expected.csv"
    assert make_roster([str(out), str(expected)]) == 0
    assert out.read_text() == (ROSTERS / "sample.csv").read_text()
    assert expected.read_text() == (ROSTERS / "sample.expected.csv").read_text()
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with expected.open(newline="") as fh:
        outcomes = [r["expected"] for r in csv.DictReader(fh)]
    assert list(rows[0]) == ["ssid", "first_name", "last_name", "test", "code", "exemption_on_file"]
    assert 150 <= len(rows) <= 250
    short = {"ELA": "ELA", "Math": "MATH", "CAST": "CAST", "CSA": "CSA"}
    full = {
        "Smarter Balanced for English Language Arts/Literacy": "ELA",
        "Smarter Balanced for Mathematics": "MATH",
        "California Science Test": "CAST",
        "California Spanish Assessment": "CSA",
    }
    by_ssid = {s.ssid: s for s in generate(2026, 1000).students}
    kinds = []
    for row, outcome in zip(rows, outcomes, strict=True):
        student = by_ssid.get(row["ssid"])
        key = short.get(row["test"]) or full[row["test"]]
        if student is None:
            kind = "not_found"
        elif student.last_name != row["last_name"]:
            kind = "name_mismatch"
        else:
            found = next((a for a in student.assignments if a.test == key), None)
            if found is None:
                kind = "not_assigned"
            elif found.status == "Submitted":
                kind = "submitted"
            elif found.condition_code == row["code"]:
                kind = "already_set"
            elif found.condition_code is not None:
                kind = "code_conflict"
            else:
                kind = "settable"
        assert kind == outcome, row
        assert row["code"] in ("PGE", "NTE")
        kinds.append(kind)
    counts = {k: kinds.count(k) for k in set(kinds)}
    assert counts["settable"] > 150
    for kind in (
        "not_found",
        "name_mismatch",
        "not_assigned",
        "submitted",
        "code_conflict",
        "already_set",
    ):
        assert counts[kind] >= 3
