"""The run journal: a durable work queue, one item per input row, shared by every worker.

Items are taken a group at a time (a student's rows go together). A claim is a lease: the
process that holds it renews it while it works, and every change it records checks first that
the claim is still its own. A claim left to run out (its machine died, or lost the database)
may be taken by any other worker, which is told the step the group had reached, so that it
re-reads the portal before it clicks anything, exactly as a resumed run does.

Every change is committed before the browser acts on it, so a run killed at any point can be
resumed. The same SQL serves SQLite (a file of the state directory, the default) and
PostgreSQL (shared by several machines); only its clock and row locks are spelled differently.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rpa.errors import LeaseLost
from rpa.journal._records import Claim, Item, Standing, is_journal_url
from rpa.journal._schema import (
    DONE,
    MIGRATE,
    NOT_DONE,
    OPEN,
    PENDING,
    RUNNING,
    SCHEMA,
    SCHEMA_VERSION,
    TABLES,
    TAKEN,
)
from rpa.journal._store import Store, Tx, split_script

__all__ = ["Journal"]


class Journal:
    """A run's queue of items: SQLite (a path, the default) or PostgreSQL (a URL).

    Args:
        address: ``journal.sqlite3`` in the state directory, or ``postgresql://...``.
        holder: who claims, in the claims' log and on each claim (default: host and pid).
        seat: what stays the same across restarts of one machine's runs (its state
            directory); :meth:`recover` may then hand back the claims of an earlier process
            of the same seat, which the run lock says is gone.
        lease_s: how long a claim lasts unrenewed.
    """

    def __init__(
        self, address: Path | str, *, holder: str | None = None, seat: str = "",
        lease_s: float = 60.0,
    ) -> None:
        self.address = address
        self._store: Store
        if is_journal_url(address):
            from rpa.journal._postgres import PostgresStore

            self._store = PostgresStore(str(address))
        else:
            from rpa.journal._sqlite import SqliteStore

            self._store = SqliteStore(Path(address))
        self.seat = seat or socket.gethostname()
        self.holder = holder or f"{self.seat}#{os.getpid()}.{secrets.token_hex(2)}"
        self.lease_s = lease_s
        self._d = self._store.dialect
        self._sql_cache: dict[str, str] = {}
        self._ensure_schema()

    @property
    def shared(self) -> bool:
        """Whether several machines may work from this journal (PostgreSQL)."""
        return self._store.shared

    @property
    def where(self) -> str:
        """Where the journal is, to show a person."""
        return self._store.where

    def close(self) -> None:
        """Close the database connection."""
        self._store.close()

    def _q(self, template: str) -> str:
        sql = self._sql_cache.get(template)
        if sql is None:
            sql = self._sql_cache[template] = self._d.sql(template)
        return sql

    def _ensure_schema(self) -> None:
        # Only when something is missing: even CREATE ... IF NOT EXISTS takes locks that
        # would stand in the way of (and deadlock with) the machines already at work.
        if self._store.tables() >= TABLES and self._schema_version() == SCHEMA_VERSION:
            return
        statements = [self._d.sql(s) for s in split_script(SCHEMA)]
        self._store.script(statements)
        with self._store.transaction() as tx:
            tx.lock("toms-rpa journal schema")
            found = tx.rows("SELECT value FROM journal_meta WHERE name = 'schema'")
            if found and found[0]["value"] == SCHEMA_VERSION:
                return
            tx.run(MIGRATE)
            tx.run("DELETE FROM journal_meta WHERE name = 'schema'")
            tx.run("INSERT INTO journal_meta (name, value) VALUES ('schema', ?)",
                   (SCHEMA_VERSION,))

    def _schema_version(self) -> str:
        with self._store.transaction() as tx:
            found = tx.rows("SELECT value FROM journal_meta WHERE name = 'schema'")
        return str(found[0]["value"]) if found else ""

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
        with self._store.transaction() as tx:
            self._create(tx, run_id, kind, fingerprint, source, items, meta)

    def _create(
        self, tx: Tx, run_id: str, kind: str, fingerprint: str, source: str,
        items: Iterable[tuple[str, dict[str, Any]]], meta: dict[str, Any] | None,
    ) -> None:
        tx.run(
            self._q("INSERT INTO runs (run_id, kind, fingerprint, source, created, meta) "
                    "VALUES (?, ?, ?, ?, {now}, ?)"),
            (run_id, kind, fingerprint, source, json.dumps(meta or {})),
        )
        rows = [(grp, payload) for grp, payload in items]
        tx.many(
            self._q("INSERT INTO items (run_id, item_id, grp, payload, status, updated) "
                    "VALUES (?, ?, ?, ?, ?, {now})"),
            [(run_id, n, grp, json.dumps(payload), PENDING)
             for n, (grp, payload) in enumerate(rows, start=1)],
        )
        first: dict[str, int] = {}
        for n, (grp, _) in enumerate(rows, start=1):
            first.setdefault(grp, n)
        tx.many(
            "INSERT INTO item_groups (run_id, grp, first_item, state) VALUES (?, ?, ?, ?)",
            [(run_id, grp, n, OPEN) for grp, n in first.items()],
        )

    def open_run(
        self,
        new_run_id: str,
        *,
        kind: str,
        fingerprint: str,
        source: str,
        items: Iterable[tuple[str, dict[str, Any]]],
        meta: dict[str, Any] | None = None,
        new: bool = False,
    ) -> tuple[str, bool]:
        """Join the unfinished run of this kind and input, or create it as ``new_run_id``.

        Several machines starting at once join one run: the look and the creation are one
        transaction, under a lock named after the input. Returns the run and whether it was
        created. With ``new``, a run is created whatever there is.
        """
        with self._store.transaction() as tx:
            tx.lock(f"toms-rpa run {kind} {fingerprint}")
            if not new:
                found = self._unfinished(tx, kind, fingerprint)
                if found:
                    return found, False
            self._create(tx, new_run_id, kind, fingerprint, source, items, meta)
        return new_run_id, True

    @staticmethod
    def _unfinished(tx: Tx, kind: str, fingerprint: str) -> str | None:
        rows = tx.rows(
            "SELECT run_id FROM runs WHERE kind = ? AND fingerprint = ? AND finished IS NULL "
            "ORDER BY created DESC LIMIT 1",
            (kind, fingerprint),
        )
        return str(rows[0]["run_id"]) if rows else None

    def unfinished_run(self, *, kind: str, fingerprint: str) -> str | None:
        """The latest run of this kind and input that has not finished, if any."""
        with self._store.transaction() as tx:
            return self._unfinished(tx, kind, fingerprint)

    def run_info(self, run_id: str) -> dict[str, Any] | None:
        """The run's record, or ``None`` when there is no such run."""
        with self._store.transaction() as tx:
            rows = tx.rows("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        if not rows:
            return None
        info = dict(rows[0])
        info["meta"] = json.loads(info["meta"])
        return info

    def finish_run(self, run_id: str) -> None:
        """Mark the run finished: a later run of the same input starts afresh."""
        with self._store.transaction() as tx:
            tx.run(self._q("UPDATE runs SET finished = {now} WHERE run_id = ?"), (run_id,))

    def finish_run_if_done(self, run_id: str) -> bool:
        """Mark the run finished if every item is; whether this call was the one that did."""
        with self._store.transaction() as tx:
            return tx.run(
                self._q(
                    "UPDATE runs SET finished = {now} WHERE run_id = ? AND finished IS NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM items WHERE run_id = ? AND {NOT_DONE})"
                ),
                (run_id, run_id),
            ) == 1

    # Claims ---------------------------------------------------------------------------------

    def recover(self, run_id: str, *, seat: str | None = None) -> int:
        """Put the groups of processes known to be gone back in the queue; steps are kept.

        With ``seat``, only the claims of that seat (earlier runs of this machine's state
        directory); without, every claim (a journal only one process uses). Returns how many
        items went back.
        """
        where = "run_id = ? AND state = ?" + (" AND seat = ?" if seat is not None else "")
        params: tuple[Any, ...] = (run_id, TAKEN) + ((seat,) if seat is not None else ())
        count = 0
        with self._store.transaction() as tx:
            taken = tx.rows(
                self._q(f"SELECT grp, claims FROM item_groups WHERE {where} ORDER BY grp"
                        "{for_update}"),
                params,
            )
            for group in taken:
                self._end_claim(tx, run_id, group["grp"], group["claims"], "abandoned")
                tx.run(
                    "UPDATE item_groups SET state = ?, holder = '', seat = '', lease_until = 0 "
                    "WHERE run_id = ? AND grp = ?",
                    (OPEN, run_id, group["grp"]),
                )
                count += tx.run(
                    "UPDATE items SET status = ? WHERE run_id = ? AND grp = ? AND status = ?",
                    (PENDING, run_id, group["grp"], RUNNING),
                )
        return count

    def claim_group(self, run_id: str, *, worker: str = "") -> list[Item]:
        """Take the next group: its unfinished items, marked in progress, under a new lease.

        The next group is the first one waiting, or one whose claim ran out (taken over: its
        items keep their step, and their reason says whose it was). Returns an empty list when
        no group can be taken now (see :meth:`standing` for whether others still work).
        """
        while True:
            with self._store.transaction() as tx:
                found = tx.rows(
                    self._q(
                        "SELECT grp, state, holder, claims, lease_until FROM item_groups "
                        "WHERE run_id = ? AND (state = ? OR (state = ? AND lease_until < {now}))"
                        " ORDER BY first_item LIMIT 1{skip_locked}"
                    ),
                    (run_id, OPEN, TAKEN),
                )
                if not found:
                    return []
                group = found[0]
                grp, n = group["grp"], int(group["claims"]) + 1
                took_over = str(group["holder"]) if group["state"] == TAKEN else ""
                if took_over:
                    # The claim ran out: it ended when its lease did.
                    tx.run(
                        "UPDATE claims SET ended = ?, outcome = 'expired' "
                        "WHERE run_id = ? AND grp = ? AND n = ?",
                        (group["lease_until"], run_id, grp, n - 1),
                    )
                    tx.run(
                        "UPDATE items SET reason = ? WHERE run_id = ? AND grp = ? AND status = ?",
                        (f"taken over from {took_over}, whose claim ran out", run_id, grp,
                         RUNNING),
                    )
                tx.run(
                    self._q("UPDATE item_groups SET state = ?, holder = ?, seat = ?, "
                            "lease_until = {now} + ?, claims = ? WHERE run_id = ? AND grp = ?"),
                    (TAKEN, self.holder, self.seat, self.lease_s, n, run_id, grp),
                )
                tx.run(
                    self._q("INSERT INTO claims (run_id, grp, n, holder, worker, claimed, "
                            "took_over) VALUES (?, ?, ?, ?, ?, {now}, ?)"),
                    (run_id, grp, n, self.holder, worker, took_over),
                )
                tx.run(
                    self._q(f"UPDATE items SET status = ?, updated = {{now}} WHERE run_id = ? "
                            f"AND grp = ? AND {NOT_DONE}"),
                    (RUNNING, run_id, grp),
                )
                rows = tx.rows(
                    "SELECT * FROM items WHERE run_id = ? AND grp = ? AND status = ? "
                    "ORDER BY item_id",
                    (run_id, grp, RUNNING),
                )
                if not rows:  # nothing left in it: close it and take the next one
                    self._close_group(tx, run_id, grp, n, "done")
                    continue
            return [self._item(r, claim=n) for r in rows]

    def _hold(self, tx: Tx, run_id: str, grp: str, n: int) -> bool:
        """Renew claim ``n`` on ``grp`` in this transaction; whether it is still the claim.

        The claim's number fences off everyone else, a worker of this same process too: a
        group taken over, even by a sibling, has a new number.
        """
        return tx.run(
            self._q("UPDATE item_groups SET lease_until = {now} + ? WHERE run_id = ? AND "
                    "grp = ? AND state = ? AND holder = ? AND claims = ?"),
            (self.lease_s, run_id, grp, TAKEN, self.holder, n),
        ) == 1

    def _must_hold(self, tx: Tx, items: Sequence[Item]) -> None:
        for run_id, grp, n in _claims_of(items):
            if not self._hold(tx, run_id, grp, n):
                raise LeaseLost(
                    f"rows {_rows(items)} are no longer this worker's: its claim ran out and "
                    "another worker took them over"
                )

    def renew(self, items: Sequence[Item]) -> bool:
        """Extend the lease of the items' claim; whether the claim is still theirs."""
        with self._store.transaction() as tx:
            return all(self._hold(tx, *claim) for claim in _claims_of(items))

    def _end_claim(self, tx: Tx, run_id: str, grp: str, n: int, outcome: str) -> None:
        tx.run(
            self._q("UPDATE claims SET ended = {now}, outcome = ? "
                    "WHERE run_id = ? AND grp = ? AND n = ? AND ended IS NULL"),
            (outcome, run_id, grp, n),
        )

    def _close_group(self, tx: Tx, run_id: str, grp: str, n: int, outcome: str) -> None:
        tx.run(
            "UPDATE item_groups SET state = ?, holder = '', lease_until = 0 "
            "WHERE run_id = ? AND grp = ?",
            (DONE, run_id, grp),
        )
        self._end_claim(tx, run_id, grp, n, outcome)

    # Recording progress ---------------------------------------------------------------------

    def set_step(self, items: Sequence[Item], step: str) -> None:
        """Record the step the items have reached (committed before the step is taken).

        Raises :class:`LeaseLost`, recording nothing, when the claim is no longer ours: the
        caller must not take the step.
        """
        with self._store.transaction() as tx:
            self._must_hold(tx, items)
            tx.many(
                self._q("UPDATE items SET step = ?, updated = {now} "
                        "WHERE run_id = ? AND item_id = ?"),
                [(step, i.run_id, i.item_id) for i in items],
            )
        for item in items:
            item.step = step

    def finish(
        self, item: Item, status: str, reason: str, result: dict[str, Any],
        *, attempts: int | None = None,
    ) -> None:
        """Record an item's final status (and, when given, how many attempts it took)."""
        self.finish_many([(item, status, reason, result)], attempts=attempts)

    def finish_many(
        self, outcomes: Sequence[tuple[Item, str, str, dict[str, Any]]],
        *, attempts: int | None = None,
    ) -> None:
        """Record final statuses of items of one claim together; a group all done closes.

        Raises :class:`LeaseLost`, recording nothing, when the claim is no longer ours (unless
        these very outcomes were recorded already: a retry after a lost answer).
        """
        items = [o[0] for o in outcomes]
        with self._store.transaction() as tx:
            try:
                self._must_hold(tx, items)
            except LeaseLost:
                if self._already(tx, outcomes):
                    return
                raise
            tx.many(
                self._q("UPDATE items SET status = ?, reason = ?, result = ?, attempts = ?, "
                        "updated = {now} WHERE run_id = ? AND item_id = ?"),
                [
                    (status, reason, json.dumps(result),
                     item.attempts if attempts is None else attempts, item.run_id, item.item_id)
                    for item, status, reason, result in outcomes
                ],
            )
            for run_id, grp, n in _claims_of(items):
                left = tx.rows(
                    f"SELECT COUNT(*) AS n FROM items WHERE run_id = ? AND grp = ? AND {NOT_DONE}",
                    (run_id, grp),
                )
                if int(left[0]["n"]) == 0:
                    self._close_group(tx, run_id, grp, n, "done")
        for item, status, reason, result in outcomes:
            item.status, item.reason, item.result = status, reason, result
            item.attempts = item.attempts if attempts is None else attempts

    @staticmethod
    def _already(tx: Tx, outcomes: Sequence[tuple[Item, str, str, dict[str, Any]]]) -> bool:
        for item, status, _, result in outcomes:
            rows = tx.rows("SELECT status, result FROM items WHERE run_id = ? AND item_id = ?",
                           (item.run_id, item.item_id))
            if not rows or rows[0]["status"] != status or json.loads(rows[0]["result"]) != result:
                return False
        return True

    def release(self, items: Sequence[Item], reason: str, *, count_attempt: bool = True) -> bool:
        """Put items back in the queue after a system failure, counting the attempt.

        Returns ``False``, changing nothing, when the claim is no longer ours (another worker
        took the group over; it will read the portal before it acts).
        """
        step = 1 if count_attempt else 0
        with self._store.transaction() as tx:
            claims = _claims_of(items)
            for claim in claims:
                if not self._hold(tx, *claim):
                    return False
            tx.many(
                self._q("UPDATE items SET status = ?, reason = ?, attempts = attempts + ?, "
                        "updated = {now} WHERE run_id = ? AND item_id = ? AND status = ?"),
                [(PENDING, reason, step, i.run_id, i.item_id, RUNNING) for i in items],
            )
            for run_id, grp, n in claims:
                tx.run(
                    "UPDATE item_groups SET state = ?, holder = '', seat = '', lease_until = 0 "
                    "WHERE run_id = ? AND grp = ?",
                    (OPEN, run_id, grp),
                )
                self._end_claim(tx, run_id, grp, n, "released")
        for item in items:
            item.status, item.reason, item.attempts = PENDING, reason, item.attempts + step
        return True

    # Reading --------------------------------------------------------------------------------

    def items(self, run_id: str) -> list[Item]:
        """Every item of the run, in input order."""
        with self._store.transaction() as tx:
            rows = tx.rows("SELECT * FROM items WHERE run_id = ? ORDER BY item_id", (run_id,))
        return [self._item(r) for r in rows]

    def counts(self, run_id: str) -> dict[str, int]:
        """How many items the run has in each status."""
        with self._store.transaction() as tx:
            rows = tx.rows(
                "SELECT status, COUNT(*) AS n FROM items WHERE run_id = ? GROUP BY status",
                (run_id,),
            )
        return {str(r["status"]): int(r["n"]) for r in rows}

    def standing(self, run_id: str) -> Standing:
        """How far the run is, who holds claims, and when the others' next one runs out."""
        with self._store.transaction() as tx:
            counts = tx.rows(
                f"SELECT COUNT(*) AS total, SUM(CASE WHEN {NOT_DONE} THEN 0 ELSE 1 END) AS done "
                "FROM items WHERE run_id = ?",
                (run_id,),
            )[0]
            held = tx.rows(
                self._q("SELECT holder, lease_until - {now} AS left_s FROM item_groups "
                        "WHERE run_id = ? AND state = ?"),
                (run_id, TAKEN),
            )
        others = [float(h["left_s"]) for h in held if h["holder"] != self.holder]
        return Standing(
            total=int(counts["total"] or 0),
            done=int(counts["done"] or 0),
            holders=frozenset(str(h["holder"]) for h in held),
            held_by_others=len(others),
            next_expiry_s=min(others) if others else None,
        )

    def claims(self, run_id: str) -> list[Claim]:
        """The log of every claim of the run's groups, in the order they were made."""
        with self._store.transaction() as tx:
            rows = tx.rows(
                "SELECT grp, n, holder, worker, claimed, ended, outcome, took_over "
                "FROM claims WHERE run_id = ? ORDER BY claimed, grp, n",
                (run_id,),
            )
        return [
            Claim(
                group=r["grp"], n=int(r["n"]), holder=r["holder"], worker=r["worker"],
                claimed=float(r["claimed"]),
                ended=None if r["ended"] is None else float(r["ended"]),
                outcome=r["outcome"], took_over=r["took_over"],
            )
            for r in rows
        ]

    @staticmethod
    def _item(row: dict[str, Any], *, claim: int = 0) -> Item:
        return Item(
            run_id=row["run_id"],
            item_id=int(row["item_id"]),
            group=row["grp"],
            payload=json.loads(row["payload"]),
            status=row["status"],
            step=row["step"],
            reason=row["reason"],
            result=json.loads(row["result"]),
            attempts=int(row["attempts"]),
            updated=float(row["updated"]),
            claim=claim,
        )


def _claims_of(items: Sequence[Item]) -> list[tuple[str, str, int]]:
    """The claims (run, group, number) the items were handed out under."""
    return sorted({(i.run_id, i.group, i.claim) for i in items})


def _rows(items: Sequence[Item]) -> str:
    return ", ".join(str(i.payload.get("row", i.item_id)) for i in items)
