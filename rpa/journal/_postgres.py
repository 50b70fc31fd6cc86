"""The journal in PostgreSQL, which several machines share (``TOMS_JOURNAL_URL``).

One connection, opened when first needed and opened again after it broke: the journal is used
from one thread at a time, so a pool would only add threads that keep trying to reach a
database that is down. Every error of reach (refused, reset, the server shutting down, a
network that does not answer within ``tcp_user_timeout``) becomes :class:`JournalUnavailable`,
which the runner retries with backoff.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from rpa.errors import InputError, JournalUnavailable
from rpa.journal._store import Dialect

__all__ = ["PostgresStore", "safe_url", "url_password"]

DIALECT = Dialect(
    now="extract(epoch from clock_timestamp())::double precision",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    for_update=" FOR UPDATE",
    real="DOUBLE PRECISION",
)

# Used unless the address says otherwise: give up on a database that does not answer soon,
# rather than hang the run (a TCP connection to a vanished host can wait for minutes).
CONNECT_DEFAULTS = {
    "connect_timeout": "5",
    "application_name": "toms-rpa",
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "tcp_user_timeout": "10000",
}

REACH_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError)


def safe_url(url: str) -> str:
    """The address to show a person: user, host, port and database, never a password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(an address that cannot be read)"
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def url_password(url: str) -> str:
    """The password written in the address, if any (to keep it out of the logs)."""
    try:
        return str(conninfo_to_dict(url).get("password") or "")
    except psycopg.ProgrammingError:
        return ""


@lru_cache(maxsize=256)
def _pg(sql: str) -> str:
    # The journal writes no literal "?" nor "%" in its SQL.
    return sql.replace("?", "%s")


class _PgTx:
    def __init__(self, cur: psycopg.Cursor[dict[str, Any]]) -> None:
        self._cur = cur

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._cur.execute(_pg(sql), tuple(params))
        return self._cur.rowcount

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self._cur.execute(_pg(sql), tuple(params))
        return list(self._cur.fetchall())

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        if params:
            self._cur.executemany(_pg(sql), [tuple(p) for p in params])

    def lock(self, key: str) -> None:
        self._cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


class PostgresStore:
    """A PostgreSQL database, reached through ``url`` (``postgresql://user@host/db``)."""

    dialect = DIALECT
    shared = True

    def __init__(self, url: str) -> None:
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError:
            raise InputError(
                "TOMS_JOURNAL_URL cannot be read as a PostgreSQL address; write it as "
                "postgresql://USER@HOST/DATABASE"
            ) from None
        for key, value in CONNECT_DEFAULTS.items():
            params.setdefault(key, value)
        self._conninfo = make_conninfo("", **params)
        self.where = safe_url(url)
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[dict[str, Any]] | None = None

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(
                    self._conninfo, autocommit=True, row_factory=dict_row
                )
            except REACH_ERRORS as err:
                raise self._unavailable(err) from err
        return self._conn

    def _unavailable(self, err: Exception) -> JournalUnavailable:
        self._drop()
        # libpq's first line says what failed ("...port 5432 failed: Connection refused");
        # the lines after it are hints.
        lines = str(err).strip().splitlines()
        said = lines[0].rsplit("failed: ", 1)[-1].strip() if lines else type(err).__name__
        # A lost connection has no SQLSTATE, or one of class 08 (connection) or 57 (the
        # server shutting down); class 40 is a transaction undone (a deadlock): tried again too.
        state = getattr(err, "sqlstate", None) or ""
        what = "cannot be reached" if state[:2] in ("", "08", "57") else "undid a transaction"
        return JournalUnavailable(f"the journal database {self.where} {what} ({said})")

    def _drop(self) -> None:
        if self._conn is not None:
            with suppress(*REACH_ERRORS):
                self._conn.close()
            self._conn = None

    @contextmanager
    def transaction(self) -> Iterator[_PgTx]:
        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield _PgTx(cur)
            except REACH_ERRORS as err:
                raise self._unavailable(err) from err

    def script(self, statements: Sequence[str]) -> None:
        with self.transaction() as tx:
            # Several machines may start at once; CREATE ... IF NOT EXISTS is not safe from
            # that by itself.
            tx.lock("toms-rpa journal schema")
            for statement in statements:
                tx.run(statement)

    def tables(self) -> set[str]:
        with self.transaction() as tx:
            rows = tx.rows(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        return {str(r["table_name"]) for r in rows}

    def close(self) -> None:
        with self._lock:
            self._drop()
