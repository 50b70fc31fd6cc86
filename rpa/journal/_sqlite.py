"""The journal in SQLite: a private file of the state directory, for one machine."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rpa.errors import JournalUnavailable
from rpa.files import FILE_MODE, private_dir
from rpa.journal._store import Dialect

__all__ = ["SqliteStore"]

DIALECT = Dialect(now="journal_now()", skip_locked="", for_update="", real="REAL")


class _SqliteTx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, tuple(params)).rowcount

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql, tuple(params)).fetchall()]

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, [tuple(p) for p in params])

    def lock(self, key: str) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already holds the whole file's write lock."""


class SqliteStore:
    """``journal.sqlite3``, private to its owner (0600 in a 0700 folder)."""

    dialect = DIALECT
    shared = False

    def __init__(self, path: Path, *, busy_s: float = 30.0) -> None:
        private_dir(path.parent)
        path.touch(mode=FILE_MODE, exist_ok=True)
        path.chmod(FILE_MODE)
        self.path = path
        self.where = str(path)
        # One thread at a time (the lock), but not always the one that opened it: an event
        # loop may run in a thread of its own.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            path, isolation_level=None, timeout=busy_s, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        # The journal's clock, as PostgreSQL has its own: SQLite's julianday() is only to the
        # millisecond.
        self._db.create_function("journal_now", 0, time.time)
        self._write_ahead_log(busy_s)
        # A killed process loses nothing committed; only a power cut could, and then the
        # worker re-reads the portal anyway.
        self._db.execute("PRAGMA synchronous=NORMAL")

    def _write_ahead_log(self, timeout_s: float) -> None:
        """Switch the file to write-ahead logging, waiting for whoever holds it.

        SQLite answers "database is locked" at once, without waiting as it does for a
        transaction, when another connection writes to the file while this one asks for WAL
        (several runs that start together and create the journal): try again until the
        writer is done.
        """
        deadline = time.monotonic() + timeout_s
        pause = 0.01
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() >= deadline:
                    self._db.close()
                    raise JournalUnavailable(
                        f"the journal {self.where} is busy: {err}"
                    ) from err
            # Another connection holds the file for one short transaction: nothing to wait
            # on but the file itself.
            time.sleep(pause)
            pause = min(pause * 2, 0.25)

    @contextmanager
    def transaction(self) -> Iterator[_SqliteTx]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:  # "database is locked" after busy_s
                raise JournalUnavailable(f"the journal {self.where} is busy: {err}") from err
            try:
                yield _SqliteTx(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def script(self, statements: Sequence[str]) -> None:
        with self.transaction() as tx:
            for statement in statements:
                tx.run(statement)

    def tables(self) -> set[str]:
        with self.transaction() as tx:
            rows = tx.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(r["name"]) for r in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()
