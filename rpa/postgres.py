"""A private PostgreSQL server: for the tests, and to try a shared journal on one computer.

The server runs from a data folder of its own, serves only on a unix socket inside that folder
(no port, no network), trusts the folder's owner (no password anywhere), and is stopped with
``pg_ctl -m immediate stop``. As root, PostgreSQL refuses to run, so the folder belongs to the
``postgres`` user and every server command runs as that user through ``runuser``.

``python -m rpa.postgres`` makes sure the server's programs are there (as root on Debian or
Ubuntu it installs Debian's ``postgresql`` package with apt, starting no system service) and
says where they are.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

__all__ = ["PrivatePostgres", "find_postgres", "main"]

log = logging.getLogger(__name__)

PROGRAMS = ("initdb", "pg_ctl", "postgres")
SERVER_USER = "postgres"
DB_USER = "toms"
PORT = 5432
"""Only names the socket file (``.s.PGSQL.5432``): the server listens on no TCP port."""

POLICY_RC = Path("/usr/sbin/policy-rc.d")
DEBIAN_BINS = "/usr/lib/postgresql/*/bin"


def find_postgres() -> Path | None:
    """The folder with ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``.

    ``PATH`` first, then Debian's versioned folders (newest version first).
    """
    on_path = [shutil.which(p) for p in PROGRAMS]
    if all(on_path):
        return Path(str(on_path[0])).resolve().parent
    versions = sorted(
        glob.glob(DEBIAN_BINS),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in versions:
        if all(os.access(Path(folder) / p, os.X_OK) for p in PROGRAMS):
            return Path(folder)
    return None


def _can_apt_install() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_install() -> None:
    """Debian's ``postgresql``, without starting the cluster its package makes as a service."""
    log.warning("PostgreSQL not found: installing Debian's postgresql package with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # policy-rc.d answering 101 is Debian's way to install a service without starting it.
    ours = not POLICY_RC.exists()
    if ours:
        POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC.chmod(0o755)
    try:
        for cmd in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        ):
            subprocess.run(cmd, check=True, env=env, stdout=sys.stderr)
    finally:
        if ours:
            POLICY_RC.unlink(missing_ok=True)


class PrivatePostgres:
    """A PostgreSQL server of our own, on a unix socket in its data folder.

    Use as a context manager: ``with PrivatePostgres() as pg: pg.url`` (the server is
    stopped and its folder removed on the way out). :meth:`stop` and :meth:`start` stop it
    and start it again, with its data, as an outage would.
    """

    def __init__(self, bin_dir: Path | None = None, *, fast: bool = True) -> None:
        found = bin_dir or find_postgres()
        if found is None:
            raise FileNotFoundError(
                "PostgreSQL's programs (initdb, pg_ctl, postgres) were not found; install "
                "Debian's postgresql package (`apt-get install postgresql`)"
            )
        self.bin_dir = found
        self.fast = fast
        self.folder: Path | None = None
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0

    # Paths ----------------------------------------------------------------------------------

    @property
    def data(self) -> Path:
        """The data folder, which also holds the socket."""
        if self.folder is None:
            raise RuntimeError("the server has not been set up")
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the server's unix socket is."""
        if self.folder is None:
            raise RuntimeError("the server has not been set up")
        return self.folder

    def url(self, database: str = DB_USER, *, schema: str | None = None) -> str:
        """A ``postgresql://`` address of ``database`` on this server (through its socket).

        With ``schema``, tables are made and found in that schema of the database.
        """
        params = {"host": str(self.socket_dir), "port": str(PORT)}
        if schema is not None:
            params["options"] = f"-c search_path={schema}"
        query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return f"postgresql://{DB_USER}@/{database}?{query}"

    # Life cycle -----------------------------------------------------------------------------

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        return subprocess.run(
            cmd, check=check, capture_output=True, text=True, stdin=subprocess.DEVNULL,
            cwd="/",  # a folder the server's user can enter
        )

    def setup(self) -> None:
        """Make the data folder (``initdb``), owned by the server's user, private to it."""
        # Not under a test's tmp_path: root's temporary folders are 0700, out of the server
        # user's reach. Its own mkdtemp folder (0700) is given to that user instead.
        self.folder = Path(tempfile.mkdtemp(prefix="toms-rpa-pg-"))
        if self._as_root:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        done = self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", DB_USER, "-E", "UTF8",
            "--no-instructions", "--locale=C.UTF-8", check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {(done.stderr or done.stdout).strip()}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = [f"-k {self.socket_dir}", f"-p {PORT}", "-c listen_addresses=''"]
        if self.fast:
            # Tests only: a crash of the computer could lose data, a crash of the server not.
            options += ["-c fsync=off", "-c full_page_writes=off"]
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-o", " ".join(options),
            "-l", str(self.socket_dir / "server.log"), "-w", "-t", "60", "start", check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {self.log_tail()}")
        self._createdb(DB_USER)

    def stop(self) -> None:
        """Stop the server at once (``-m immediate``), as a crash would; its data is kept."""
        if self.folder is not None and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop",
                      check=False)

    def _createdb(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return
            # FILE_COPY: a fifth of the time of the default WAL_LOG on a small server.
            conn.execute(
                sql.SQL("CREATE DATABASE {} STRATEGY FILE_COPY").format(sql.Identifier(name))
            )

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its address."""
        self._createdb(name)
        return self.url(name)

    def create_schema(self, name: str) -> str:
        """A new, empty schema of the server's own database; returns an address that uses it.

        A few milliseconds, against tens for a database: the tests make one each.
        """
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        return self.url(schema=name)

    def drop_schema(self, name: str) -> None:
        """Remove a schema and everything in it."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))

    def drop_database(self, name: str) -> None:
        """Remove a database, ending its connections."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server's log, to explain a failure."""
        if self.folder is None:
            return ""
        with contextlib.suppress(OSError):
            text = (self.socket_dir / "server.log").read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        return ""

    def close(self) -> None:
        """Stop the server and remove its folder."""
        self.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PrivatePostgres:
        try:
            self.setup()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def main() -> int:
    """``python -m rpa.postgres``: make sure PostgreSQL's programs are there and say where."""
    found = find_postgres()
    if found is None and _can_apt_install():
        try:
            _apt_install()
        except subprocess.CalledProcessError as err:
            print(f"PostgreSQL could not be installed with apt ({' '.join(err.cmd)} exited "
                  f"with {err.returncode}).", file=sys.stderr)
        found = find_postgres()
    if found is None:
        print(
            "PostgreSQL: not found; the tests of the shared journal will be skipped. Install "
            "it with your package manager (Debian/Ubuntu: `apt-get install postgresql`).",
            file=sys.stderr,
        )
        return 0
    print(f"PostgreSQL: {found}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
