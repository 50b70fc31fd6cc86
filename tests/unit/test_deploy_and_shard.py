"""The scheduling examples in deploy/ are well formed, and --shard splits a roster exactly."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from flows.optout.roster import RosterRow
from flows.optout.shard import parse_shard, shard_rows
from rpa.errors import InputError

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


def test_cron_line_runs_the_watch_every_five_minutes() -> None:
    lines = [
        ln for ln in (DEPLOY / "toms-rpa.cron").read_text().splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert fields[:5] == ["*/5", "*", "*", "*", "*"]
    command = shlex.split(fields[5])
    assert "toms-rpa" in " ".join(command) and "watch" in command and "--json" in command


def test_systemd_service_and_timer() -> None:
    service = _unit("toms-rpa-watch.service")
    assert service["Service"]["Type"] == "oneshot"
    exec_start = shlex.split(service["Service"]["ExecStart"])
    assert exec_start[0].endswith("/toms-rpa") and exec_start[1:3] == ["optout", "watch"]
    assert service["Service"]["UMask"] == "0077"
    assert "EnvironmentFile" in service["Service"]
    timer = _unit("toms-rpa-watch.timer")
    assert timer["Timer"]["Unit"] == "toms-rpa-watch.service"
    assert timer["Timer"]["OnUnitActiveSec"] == "5min"
    assert timer["Install"]["WantedBy"] == "timers.target"


def _rows(n: int) -> list[RosterRow]:
    return [
        RosterRow(row=i + 2, ssid=f"{1000000000 + i // 2}", first_name="", last_name="",
                  test="ELA" if i % 2 else "Math", code="PGE", exemption_on_file="x")
        for i in range(n)
    ]


def test_three_shards_are_disjoint_exact_and_keep_a_student_together() -> None:
    rows = _rows(300)
    parts = [shard_rows(rows, k, 3) for k in (1, 2, 3)]
    keys = [{(r.ssid, r.test) for r in part} for part in parts]
    assert all(keys)  # every machine gets work
    assert sum(len(k) for k in keys) == len(rows)
    assert set().union(*keys) == {(r.ssid, r.test) for r in rows}
    owners = [{r.ssid for r in part} for part in parts]
    assert not (owners[0] & owners[1] or owners[0] & owners[2] or owners[1] & owners[2])
    assert shard_rows(list(reversed(rows)), 2, 3) == list(reversed(parts[1]))  # order-proof


@pytest.mark.parametrize("text", ["0/3", "4/3", "a/b", "3", ""])
def test_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="K/N"):
        parse_shard(text)


def test_shard_is_parsed() -> None:
    assert parse_shard(" 2 / 3 ") == (2, 3)
