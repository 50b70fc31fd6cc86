"""The journal's tables, the same in SQLite and PostgreSQL (a few words spelled per database).

    runs          one row per run: its kind, the fingerprint of its input, when it was made
                  and finished
    items         one row per input row: its payload, status, step, reason and result
    item_groups   the queue: one row per group (a student's rows), open, taken under a lease
                  by a holder (the claim numbered ``claims``), or done
    claims        the log of every claim: who held which group, from when to when, how it
                  ended (done, released, expired, abandoned) and whom it took over from
    journal_meta  the schema's version
"""

from __future__ import annotations

__all__ = [
    "DONE", "MIGRATE", "NOT_DONE", "OPEN", "PENDING", "RUNNING", "SCHEMA", "SCHEMA_VERSION",
    "TABLES", "TAKEN",
]

PENDING = "pending"
RUNNING = "in progress"

# Group states: open (waiting for a worker), taken (claimed, with a lease), done.
OPEN, TAKEN, DONE = "open", "taken", "done"

SCHEMA_VERSION = "2"
TABLES = {"runs", "items", "item_groups", "claims", "journal_meta"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    source TEXT NOT NULL,
    created {real} NOT NULL,
    finished {real},
    meta TEXT NOT NULL DEFAULT '{{}}'
);
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    item_id INTEGER NOT NULL,
    grp TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    step TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '{{}}',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated {real} NOT NULL,
    PRIMARY KEY (run_id, item_id)
);
CREATE INDEX IF NOT EXISTS items_status ON items(run_id, status, grp);
CREATE INDEX IF NOT EXISTS items_group ON items(run_id, grp);
CREATE TABLE IF NOT EXISTS item_groups (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    grp TEXT NOT NULL,
    first_item INTEGER NOT NULL,
    state TEXT NOT NULL,
    holder TEXT NOT NULL DEFAULT '',
    seat TEXT NOT NULL DEFAULT '',
    lease_until {real} NOT NULL DEFAULT 0,
    claims INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, grp)
);
CREATE INDEX IF NOT EXISTS groups_queue ON item_groups(run_id, state, first_item);
CREATE TABLE IF NOT EXISTS claims (
    run_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    n INTEGER NOT NULL,
    holder TEXT NOT NULL,
    worker TEXT NOT NULL,
    claimed {real} NOT NULL,
    ended {real},
    outcome TEXT NOT NULL DEFAULT '',
    took_over TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, grp, n)
);
CREATE TABLE IF NOT EXISTS journal_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""

# Journals made before claims had leases have items but no groups: make them.
MIGRATE = """
INSERT INTO item_groups (run_id, grp, first_item, state)
SELECT i.run_id, i.grp, MIN(i.item_id),
       CASE WHEN SUM(CASE WHEN i.status IN ('pending', 'in progress') THEN 1 ELSE 0 END) > 0
            THEN 'open' ELSE 'done' END
FROM items i
WHERE NOT EXISTS (SELECT 1 FROM item_groups g WHERE g.run_id = i.run_id AND g.grp = i.grp)
GROUP BY i.run_id, i.grp
"""

NOT_DONE = "status IN ('pending', 'in progress')"
