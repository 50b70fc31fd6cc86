"""rpa.postgres: finding PostgreSQL's programs, installing them, and running them as root."""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

import rpa.postgres
from rpa.postgres import PrivatePostgres, find_postgres


def programs(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("initdb", "pg_ctl", "postgres"):
        path = folder / name
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return folder


def test_the_programs_on_path_come_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = programs(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(folder))

    assert find_postgres() == folder


def test_else_debians_newest_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for version in ("9", "15", "13"):
        programs(tmp_path / "lib" / version / "bin")
    (tmp_path / "lib" / "16" / "bin").mkdir(parents=True)  # a client only: no server
    monkeypatch.setattr(rpa.postgres, "DEBIAN_BINS", str(tmp_path / "lib" / "*" / "bin"))

    assert find_postgres() == tmp_path / "lib" / "15" / "bin"


def test_main_installs_debians_package_without_starting_its_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy-rc.d"
    found: list[Path | None] = [None, tmp_path / "bin"]
    ran: list[tuple[list[str], bool]] = []

    def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        # While apt runs, policy-rc.d tells every package script not to start a service.
        assert policy.read_text() == "#!/bin/sh\nexit 101\n"
        assert stat.S_IMODE(policy.stat().st_mode) == 0o755
        ran.append((cmd, kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"))
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(rpa.postgres, "POLICY_RC", policy)
    monkeypatch.setattr(rpa.postgres, "find_postgres", lambda: found.pop(0))
    monkeypatch.setattr(rpa.postgres, "_can_apt_install", lambda: True)
    monkeypatch.setattr(rpa.postgres.subprocess, "run", run)

    assert rpa.postgres.main() == 0

    assert ran == [
        (["apt-get", "update", "-qq"], True),
        (["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"], True),
    ]
    assert not policy.exists()  # ours, so removed again
    assert capsys.readouterr().out == f"PostgreSQL: {tmp_path / 'bin'}\n"


def test_as_root_the_server_runs_as_the_postgres_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[list[str]] = []

    def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        ran.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(rpa.postgres.subprocess, "run", run)
    server = PrivatePostgres(tmp_path)
    server._as_root = True  # what root's run would be, as any user

    server._run("pg_ctl", "status")

    assert ran == [["runuser", "-u", "postgres", "--", str(tmp_path / "pg_ctl"), "status"]]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="as root only")
def test_the_data_folder_belongs_to_the_server_user_and_no_one_else(
    postgres_server: PrivatePostgres,
) -> None:
    folder = postgres_server.socket_dir
    assert folder.stat().st_uid == pwd.getpwnam("postgres").pw_uid
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(postgres_server.data.stat().st_mode) == 0o700
