"""The run journal: a durable work queue in SQLite, one item per input row.

Every change of an item is committed before the browser acts on it, so a run killed at any
point can be resumed: items found ``in progress`` keep the step they had reached, and the worker
re-reads the portal before it clicks anything again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rpa.files import FILE_MODE, private_dir

__all__ = ["PENDING", "RUNNING", "Item", "Journal"]

PENDING = "pending"
RUNNING = "in progress"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    source TEXT NOT NULL,
    created REAL NOT NULL,
    finished REAL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    item_id INTEGER NOT NULL,
    grp TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    step TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '{}',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL,
    PRIMARY KEY (run_id, item_id)
);
CREATE INDEX IF NOT EXISTS items_status ON items(run_id, status, grp);
"""


@dataclass
class Item:
    """One unit of work (one input row) and what has happened to it so far."""

    run_id: str
    item_id: int
    group: str
    payload: dict[str, Any]
    status: str
    step: str = ""
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    updated: float = 0.0

    @property
    def done(self) -> bool:
        """Whether the item has reached a final status."""
        return self.status not in (PENDING, RUNNING)


class Journal:
    """A run's queue of items, kept in ``journal.sqlite3`` in the state directory."""

    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        path.touch(mode=FILE_MODE, exist_ok=True)
        path.chmod(FILE_MODE)
        self.path = path
        # One thread at a time, but not always the one that opened it (an event loop may run
        # in a thread of its own).
        self._db = sqlite3.connect(
            path, isolation_level=None, timeout=30, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # A killed process loses nothing committed; only a power cut could, and then the
        # worker re-reads the portal anyway.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # Runs -----------------------------------------------------------------------------------

    def create_run(
        self,
        run_id: str,
        *,
        kind: str,
        fingerprint: str,
        source: str,
        items: Iterable[tuple[str, dict[str, Any]]],
        meta: dict[str, Any] | None = None,
    ) -> None:
        """Create a run with its items, all pending, in one transaction."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs (run_id, kind, fingerprint, source, created, meta) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, kind, fingerprint, source, now, json.dumps(meta or {})),
            )
            db.executemany(
                "INSERT INTO items (run_id, item_id, grp, payload, status, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (run_id, n, grp, json.dumps(payload), PENDING, now)
                    for n, (grp, payload) in enumerate(items, start=1)
                ],
            )

    def unfinished_run(self, *, kind: str, fingerprint: str) -> str | None:
        """The latest run of this kind and input that has not finished, if any."""
        row = self._db.execute(
            "SELECT run_id FROM runs WHERE kind = ? AND fingerprint = ? AND finished IS NULL "
            "ORDER BY created DESC LIMIT 1",
            (kind, fingerprint),
        ).fetchone()
        return None if row is None else str(row["run_id"])

    def run_info(self, run_id: str) -> dict[str, Any] | None:
        """The run's record, or ``None`` when there is no such run."""
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        info = dict(row)
        info["meta"] = json.loads(info["meta"])
        return info

    def finish_run(self, run_id: str) -> None:
        """Mark the run finished: a later run of the same input starts afresh."""
        with self._tx() as db:
            db.execute("UPDATE runs SET finished = ? WHERE run_id = ?", (time.time(), run_id))

    # Items ----------------------------------------------------------------------------------

    def recover(self, run_id: str) -> int:
        """Put items left in progress by a killed run back in the queue; their step is kept."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE items SET status = ? WHERE run_id = ? AND status = ?",
                (PENDING, run_id, RUNNING),
            )
            return cur.rowcount

    def claim_group(self, run_id: str) -> list[Item]:
        """Take every pending item of the next group, marking them in progress.

        Returns an empty list when nothing is left.
        """
        with self._tx() as db:
            row = db.execute(
                "SELECT grp FROM items WHERE run_id = ? AND status = ? ORDER BY item_id LIMIT 1",
                (run_id, PENDING),
            ).fetchone()
            if row is None:
                return []
            rows = db.execute(
                "SELECT * FROM items WHERE run_id = ? AND grp = ? AND status = ? "
                "ORDER BY item_id",
                (run_id, row["grp"], PENDING),
            ).fetchall()
            db.execute(
                "UPDATE items SET status = ?, updated = ? WHERE run_id = ? AND grp = ? "
                "AND status = ?",
                (RUNNING, time.time(), run_id, row["grp"], PENDING),
            )
        items = [self._item(r) for r in rows]
        for item in items:
            item.status = RUNNING
        return items

    def set_step(self, items: Sequence[Item], step: str) -> None:
        """Record the step the items have reached (committed before the step is taken)."""
        with self._tx() as db:
            db.executemany(
                "UPDATE items SET step = ?, updated = ? WHERE run_id = ? AND item_id = ?",
                [(step, time.time(), i.run_id, i.item_id) for i in items],
            )
        for item in items:
            item.step = step

    def finish(
        self, item: Item, status: str, reason: str, result: dict[str, Any],
        *, attempts: int | None = None,
    ) -> None:
        """Record an item's final status (and, when given, how many attempts it took)."""
        attempts = item.attempts if attempts is None else attempts
        with self._tx() as db:
            db.execute(
                "UPDATE items SET status = ?, reason = ?, result = ?, attempts = ?, updated = ? "
                "WHERE run_id = ? AND item_id = ?",
                (status, reason, json.dumps(result), attempts, time.time(), item.run_id,
                 item.item_id),
            )
        item.status, item.reason, item.result, item.attempts = status, reason, result, attempts

    def release(self, items: Sequence[Item], reason: str, *, count_attempt: bool = True) -> None:
        """Put items back in the queue after a system failure, counting the attempt."""
        step = 1 if count_attempt else 0
        with self._tx() as db:
            db.executemany(
                "UPDATE items SET status = ?, reason = ?, attempts = attempts + ?, updated = ? "
                "WHERE run_id = ? AND item_id = ?",
                [(PENDING, reason, step, time.time(), i.run_id, i.item_id) for i in items],
            )
        for item in items:
            item.status, item.reason, item.attempts = PENDING, reason, item.attempts + step

    def items(self, run_id: str) -> list[Item]:
        """Every item of the run, in input order."""
        rows = self._db.execute(
            "SELECT * FROM items WHERE run_id = ? ORDER BY item_id", (run_id,)
        ).fetchall()
        return [self._item(r) for r in rows]

    def counts(self, run_id: str) -> dict[str, int]:
        """How many items the run has in each status."""
        rows = self._db.execute(
            "SELECT status, COUNT(*) AS n FROM items WHERE run_id = ? GROUP BY status", (run_id,)
        ).fetchall()
        return {str(r["status"]): int(r["n"]) for r in rows}

    @staticmethod
    def _item(row: sqlite3.Row) -> Item:
        return Item(
            run_id=row["run_id"],
            item_id=row["item_id"],
            group=row["grp"],
            payload=json.loads(row["payload"]),
            status=row["status"],
            step=row["step"],
            reason=row["reason"],
            result=json.loads(row["result"]),
            attempts=row["attempts"],
            updated=row["updated"],
        )
