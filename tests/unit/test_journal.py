"""rpa.journal: the durable work queue a run is resumed from, in SQLite and in PostgreSQL.

Every test that takes the ``journal`` fixture runs twice: on a SQLite file, and on a database
of the session's private PostgreSQL (skipped where PostgreSQL is not installed).
"""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import pytest

from rpa.errors import JournalUnavailable, LeaseLost
from rpa.journal import PENDING, RUNNING, Item, Journal
from rpa.journal._sqlite import SqliteStore
from rpa.postgres import PrivatePostgres

Opener = Callable[..., Journal]
"""Opens another journal on the same database (as another process or machine would)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def address(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "state" / "journal.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture()
def opener(address: Path | str) -> Generator[Opener, None, None]:
    opened: list[Journal] = []

    def open_journal(**kwargs: Any) -> Journal:
        journal = Journal(address, **kwargs)
        opened.append(journal)
        return journal

    yield open_journal
    for journal in opened:
        journal.close()


@pytest.fixture()
def journal(opener: Opener) -> Journal:
    return opener(holder="m1")


def make_run(
    journal: Journal,
    run_id: str,
    groups: Sequence[str],
    *,
    kind: str = "apply",
    fingerprint: str = "fp",
) -> None:
    """A run with one item per entry of ``groups``; item n's payload is ``{"row": n + 1}``."""
    journal.create_run(
        run_id,
        kind=kind,
        fingerprint=fingerprint,
        source="roster.csv",
        items=[(grp, {"row": n + 1, "grp": grp}) for n, grp in enumerate(groups)],
        meta={"workers": 2},
    )


def ids(items: Sequence[Item]) -> list[int]:
    return [i.item_id for i in items]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# Runs ---------------------------------------------------------------------------------------


def test_create_run_makes_every_item_pending_in_input_order(journal: Journal) -> None:
    make_run(journal, "r1", ["A", "B", "C"])

    items = journal.items("r1")

    assert ids(items) == [1, 2, 3]
    assert [i.group for i in items] == ["A", "B", "C"]
    assert [i.payload for i in items] == [
        {"row": 1, "grp": "A"}, {"row": 2, "grp": "B"}, {"row": 3, "grp": "C"},
    ]
    assert all(i.status == PENDING and not i.done for i in items)
    assert all((i.step, i.reason, i.result, i.attempts) == ("", "", {}, 0) for i in items)
    assert journal.counts("r1") == {PENDING: 3}


def test_create_run_is_all_or_nothing(journal: Journal) -> None:
    make_run(journal, "r1", ["A"])

    # The same run id again: the insert of the run fails, and no item is added.
    with pytest.raises(Exception, match=r"(?i)unique"):
        make_run(journal, "r1", ["B", "C"])

    assert ids(journal.items("r1")) == [1]


def test_run_info_gives_the_record_with_its_meta(journal: Journal) -> None:
    make_run(journal, "r1", ["A"], kind="plan", fingerprint="abc")

    info = journal.run_info("r1")

    assert info is not None
    assert info["kind"] == "plan"
    assert info["fingerprint"] == "abc"
    assert info["source"] == "roster.csv"
    assert info["meta"] == {"workers": 2}
    assert info["finished"] is None
    assert journal.run_info("no-such-run") is None


def test_finish_run_sets_finished(journal: Journal) -> None:
    make_run(journal, "r1", ["A"])

    journal.finish_run("r1")

    info = journal.run_info("r1")
    assert info is not None
    assert info["finished"] is not None


def test_unfinished_run_is_the_latest_unfinished_run_of_that_kind_and_input(
    journal: Journal,
) -> None:
    make_run(journal, "old", ["A"])
    make_run(journal, "newer", ["A"])
    make_run(journal, "finished", ["A"])
    journal.finish_run("finished")
    make_run(journal, "plan", ["A"], kind="plan")
    make_run(journal, "other-roster", ["A"], fingerprint="other")

    assert journal.unfinished_run(kind="apply", fingerprint="fp") == "newer"
    assert journal.unfinished_run(kind="plan", fingerprint="fp") == "plan"
    assert journal.unfinished_run(kind="apply", fingerprint="other") == "other-roster"
    assert journal.unfinished_run(kind="plan", fingerprint="other") is None

    journal.finish_run("newer")
    journal.finish_run("old")
    assert journal.unfinished_run(kind="apply", fingerprint="fp") is None


# Claiming -----------------------------------------------------------------------------------


def test_claim_takes_a_whole_group_at_once_in_item_order(journal: Journal) -> None:
    make_run(journal, "r1", ["A", "B", "A", "C", "B"])

    first = journal.claim_group("r1")

    assert ids(first) == [1, 3]
    assert {i.group for i in first} == {"A"}
    assert all(i.status == RUNNING for i in first)
    assert [i.status for i in journal.items("r1")] == [
        RUNNING, PENDING, RUNNING, PENDING, PENDING,
    ]
    assert ids(journal.claim_group("r1")) == [2, 5]
    assert ids(journal.claim_group("r1")) == [4]
    assert journal.claim_group("r1") == []
    assert journal.counts("r1") == {RUNNING: 5}


def test_claim_only_takes_items_of_its_own_run(journal: Journal) -> None:
    make_run(journal, "r1", ["A"])
    make_run(journal, "r2", ["A", "B"])

    claimed = journal.claim_group("r2")

    assert [(i.run_id, i.item_id) for i in claimed] == [("r2", 1)]
    assert journal.counts("r1") == {PENDING: 1}
    assert journal.claim_group("no-such-run") == []


def test_claim_leaves_finished_items_of_a_group_alone(journal: Journal) -> None:
    make_run(journal, "r1", ["A", "A"])
    first, second = journal.claim_group("r1")
    journal.finish(first, "applied", "", {})
    journal.release([second], "PortalUnavailable: down")

    again = journal.claim_group("r1")

    assert ids(again) == [2]
    assert again[0].attempts == 1
    assert again[0].reason == "PortalUnavailable: down"


# Recording progress -------------------------------------------------------------------------


def test_set_step_is_committed_and_seen_by_a_new_connection(
    journal: Journal, opener: Opener
) -> None:
    make_run(journal, "r1", ["A", "A", "B"])
    group = journal.claim_group("r1")

    journal.set_step(group, "saving")

    assert [i.step for i in group] == ["saving", "saving"]
    assert [i.step for i in opener().items("r1")] == ["saving", "saving", ""]


def test_recover_puts_items_in_progress_back_in_the_queue_keeping_their_step(
    journal: Journal,
) -> None:
    make_run(journal, "r1", ["A", "B", "C"])
    a = journal.claim_group("r1")
    journal.finish(a[0], "applied", "", {})
    b = journal.claim_group("r1")
    journal.set_step(b, "saving")

    recovered = journal.recover("r1")

    assert recovered == 1
    items = journal.items("r1")
    assert [(i.status, i.step) for i in items] == [
        ("applied", ""), (PENDING, "saving"), (PENDING, ""),
    ]
    # The item keeps its step when it is claimed again: the worker re-reads before clicking.
    again = journal.claim_group("r1")
    assert [(i.item_id, i.step) for i in again] == [(2, "saving")]
    assert journal.recover("r1") == 1
    assert journal.recover("r1") == 0


def test_finish_records_status_reason_and_result(journal: Journal) -> None:
    make_run(journal, "r1", ["A"])
    (item,) = journal.claim_group("r1")

    journal.finish(item, "blocked", "test not assigned", {"code_before": "", "n": 1})

    assert (item.status, item.reason, item.result) == (
        "blocked", "test not assigned", {"code_before": "", "n": 1},
    )
    assert item.done
    (stored,) = journal.items("r1")
    assert (stored.status, stored.reason, stored.result) == (
        "blocked", "test not assigned", {"code_before": "", "n": 1},
    )
    assert stored.done
    assert journal.counts("r1") == {"blocked": 1}


@pytest.mark.parametrize(("count_attempt", "attempts"), [(True, 1), (False, 0)])
def test_release_puts_items_back_and_counts_the_attempt_only_when_asked(
    journal: Journal, count_attempt: bool, attempts: int
) -> None:
    make_run(journal, "r1", ["A", "A"])
    group = journal.claim_group("r1")

    journal.release(group, "SessionExpired: logon page", count_attempt=count_attempt)

    for items in (group, journal.items("r1")):
        assert [(i.status, i.reason, i.attempts) for i in items] == [
            (PENDING, "SessionExpired: logon page", attempts),
        ] * 2


def test_attempts_add_up_over_releases(journal: Journal) -> None:
    make_run(journal, "r1", ["A"])
    for _ in range(3):
        journal.release(journal.claim_group("r1"), "down")
    journal.release(journal.claim_group("r1"), "expired", count_attempt=False)

    (item,) = journal.items("r1")
    assert (item.attempts, item.reason, item.status) == (3, "expired", PENDING)


def test_counts_groups_items_by_status(journal: Journal) -> None:
    make_run(journal, "r1", ["A", "B", "C", "D"])
    journal.finish(journal.claim_group("r1")[0], "applied", "", {})
    journal.finish(journal.claim_group("r1")[0], "failed", "down", {})
    journal.claim_group("r1")

    assert journal.counts("r1") == {"applied": 1, "failed": 1, RUNNING: 1, PENDING: 1}
    assert journal.counts("no-such-run") == {}


def test_everything_survives_closing_and_reopening(journal: Journal, opener: Opener) -> None:
    make_run(journal, "r1", ["A", "B"])
    journal.finish(journal.claim_group("r1")[0], "applied", "", {"code_after": "PGE"})
    journal.claim_group("r1")
    journal.close()

    items: list[dict[str, Any]] = [
        {"status": i.status, "result": i.result} for i in opener().items("r1")
    ]
    assert items == [
        {"status": "applied", "result": {"code_after": "PGE"}},
        {"status": RUNNING, "result": {}},
    ]


# Privacy ------------------------------------------------------------------------------------


def test_journal_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "state" / "journal.sqlite3"
    j = Journal(path)
    try:
        make_run(j, "r1", ["A"])  # writes to the WAL, so the -wal and -shm files exist
        assert mode(path) == 0o600
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            assert side.exists()
            assert mode(side) == 0o600, side
        assert mode(path.parent) == 0o700
        assert mode(path.parent.parent) == 0o700
    finally:
        j.close()


def test_an_existing_journal_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)

    Journal(path).close()

    assert mode(path) == 0o600


# Several processes (or machines) on one journal ------------------------------------------

LEASE_S = 0.3


def expire() -> None:
    """Wait until a claim of ``LEASE_S`` seconds, made just now, has run out."""
    time.sleep(LEASE_S + 0.1)  # a lease is a time: nothing else to wait on


def test_each_group_is_claimed_once_by_several_processes_at_once(opener: Opener) -> None:
    groups = [f"G{n % 40}" for n in range(120)]
    make_run(opener(), "r1", groups)
    taken: dict[str, list[str]] = {}
    errors: list[Exception] = []
    ready = threading.Barrier(4)

    def machine(name: str) -> None:
        journal = opener(holder=name)
        mine = taken.setdefault(name, [])
        ready.wait()
        try:
            while group := journal.claim_group("r1", worker="w1"):
                mine.append(group[0].group)
                time.sleep(0.002)  # the work, during which the others claim
                journal.finish_many([(i, "applied", "", {"by": name}) for i in group])
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            errors.append(err)

    threads = [threading.Thread(target=machine, args=(f"m{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    claimed = Counter(g for names in taken.values() for g in names)
    assert claimed == Counter({f"G{n}": 1 for n in range(40)})
    assert sum(1 for names in taken.values() if names) >= 2, taken
    check = opener()
    assert check.counts("r1") == {"applied": 120}
    assert check.finish_run_if_done("r1")


def test_a_live_claim_is_not_taken_and_renewing_keeps_it(opener: Opener) -> None:
    one, two = opener(holder="m1", lease_s=LEASE_S), opener(holder="m2", lease_s=LEASE_S)
    make_run(one, "r1", ["A", "B"])
    a = one.claim_group("r1")
    (b,) = two.claim_group("r1")
    two.finish(b, "applied", "", {})
    assert two.claim_group("r1") == []
    for _ in range(3):
        time.sleep(LEASE_S / 2)
        assert one.renew(a)

    assert two.claim_group("r1") == []  # renewed all along: still m1's

    standing = two.standing("r1")
    assert (standing.total, standing.done, standing.held_by_others) == (2, 1, 1)
    assert standing.holders == {"m1"}
    assert standing.next_expiry_s is not None
    assert 0 < standing.next_expiry_s <= LEASE_S


def test_a_claim_that_runs_out_is_taken_over_with_its_step_and_the_old_holder_is_refused(
    opener: Opener,
) -> None:
    dead, alive = opener(holder="dead", lease_s=LEASE_S), opener(holder="alive", lease_s=30)
    make_run(dead, "r1", ["A", "A", "B"])
    group = dead.claim_group("r1", worker="w1")
    dead.set_step(group, "saving")
    expire()

    taken = alive.claim_group("r1", worker="w2")

    # The step tells the new worker a save may have gone through: it re-reads first.
    assert [(i.item_id, i.status, i.step) for i in taken] == [
        (1, RUNNING, "saving"), (2, RUNNING, "saving"),
    ]
    assert all(i.reason == "taken over from dead, whose claim ran out" for i in taken)
    # The old holder can no longer record anything about them.
    with pytest.raises(LeaseLost):
        dead.set_step(group, "saving")
    with pytest.raises(LeaseLost):
        dead.finish(group[0], "applied", "", {})
    assert not dead.renew(group)
    assert not dead.release(group, "down")
    assert [i.status for i in alive.items("r1")] == [RUNNING, RUNNING, PENDING]
    alive.finish_many([(i, "applied", "confirmed on re-read", {}) for i in taken])

    log = alive.claims("r1")
    assert [(c.group, c.n, c.holder, c.worker, c.outcome, c.took_over) for c in log] == [
        ("A", 1, "dead", "w1", "expired", ""), ("A", 2, "alive", "w2", "done", "dead"),
    ]
    first, second = log
    # The dead claim ended when its lease did, and no sooner was the group taken over.
    assert first.ended is not None and second.ended is not None
    assert first.claimed < first.ended <= second.claimed < second.ended


def test_a_sibling_worker_taking_an_expired_claim_over_fences_off_the_first(
    opener: Opener,
) -> None:
    # Both workers of one process: the same holder, but a new claim all the same.
    journal = opener(holder="m1", lease_s=LEASE_S)
    make_run(journal, "r1", ["A"])
    first = journal.claim_group("r1", worker="w1")
    expire()

    second = journal.claim_group("r1", worker="w2")

    assert [i.claim for i in first] == [1] and [i.claim for i in second] == [2]
    with pytest.raises(LeaseLost):
        journal.finish(first[0], "applied", "", {})
    assert not journal.release(first, "journal out of reach")
    assert not journal.renew(first)
    assert journal.renew(second)
    journal.finish(second[0], "applied", "confirmed on re-read", {})
    assert [(c.worker, c.outcome) for c in journal.claims("r1")] == [
        ("w1", "expired"), ("w2", "done"),
    ]


def test_a_holder_whose_lease_ran_out_unclaimed_may_still_finish(opener: Opener) -> None:
    slow = opener(holder="slow", lease_s=LEASE_S)
    make_run(slow, "r1", ["A"])
    group = slow.claim_group("r1")
    expire()

    # Nobody took it over: the claim is still its own.
    slow.set_step(group, "saving")
    slow.finish(group[0], "applied", "", {})

    assert slow.counts("r1") == {"applied": 1}
    assert opener(holder="other").claim_group("r1") == []


def test_finishing_again_after_a_lost_answer_is_accepted(opener: Opener) -> None:
    journal = opener(holder="m1")
    make_run(journal, "r1", ["A"])
    group = journal.claim_group("r1")
    outcome = [(group[0], "applied", "", {"code_after": "PGE"})]
    journal.finish_many(outcome)

    journal.finish_many(outcome)  # the first answer was lost: the same outcome again

    with pytest.raises(LeaseLost):
        journal.finish_many([(group[0], "blocked", "other", {})])
    assert journal.counts("r1") == {"applied": 1}


def test_recover_with_a_seat_hands_back_only_that_seats_claims(opener: Opener) -> None:
    earlier = opener(holder="here#1", seat="here")
    elsewhere = opener(holder="there#1", seat="there")
    make_run(earlier, "r1", ["A", "B", "C"])
    a = earlier.claim_group("r1")
    elsewhere.claim_group("r1")
    earlier.set_step(a, "staging")

    restarted = opener(holder="here#2", seat="here")
    assert restarted.recover("r1", seat="here") == 1

    assert [(i.group, i.status, i.step) for i in restarted.items("r1")] == [
        ("A", PENDING, "staging"), ("B", RUNNING, ""), ("C", PENDING, ""),
    ]
    assert [i.group for i in restarted.claim_group("r1")] == ["A"]
    with pytest.raises(LeaseLost):
        earlier.set_step(a, "saving")
    assert [(c.group, c.holder, c.outcome) for c in restarted.claims("r1")] == [
        ("A", "here#1", "abandoned"), ("B", "there#1", ""), ("A", "here#2", ""),
    ]


def test_machines_starting_together_join_one_run(opener: Opener) -> None:
    runs: list[tuple[str, bool]] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(4, timeout=60)

    def start(n: int) -> None:
        try:
            journal = opener(holder=f"m{n}")
            barrier.wait()
            runs.append(journal.open_run(
                f"run-{n}", kind="apply", fingerprint="fp", source=f"machine{n}/roster.csv",
                items=[("A", {"row": 1}), ("B", {"row": 2})],
            ))
        except Exception as err:  # noqa: BLE001 - each is shown by the assert below
            errors.append(err)
            barrier.abort()  # the others do not wait for one that will never come

    threads = [threading.Thread(target=start, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert len({run for run, _ in runs}) == 1, runs
    assert sorted(created for _, created in runs) == [False, False, False, True]
    (run,) = {run for run, _ in runs}
    journal = opener()
    assert journal.counts(run) == {PENDING: 2}
    # A new run is made only when asked for, or once this one has finished.
    again = journal.open_run("fresh", kind="apply", fingerprint="fp", source="r.csv", items=[])
    assert again == (run, False)
    assert journal.open_run(
        "forced", kind="apply", fingerprint="fp", source="r.csv", items=[], new=True
    ) == ("forced", True)


def test_the_run_is_finished_once_by_whoever_sees_it_done(opener: Opener) -> None:
    one, two = opener(holder="m1"), opener(holder="m2")
    make_run(one, "r1", ["A", "B"])
    a, b = one.claim_group("r1"), two.claim_group("r1")
    one.finish(a[0], "applied", "", {})
    assert not one.finish_run_if_done("r1")  # B is still being worked on

    two.finish(b[0], "blocked", "not found", {})

    assert [two.finish_run_if_done("r1"), one.finish_run_if_done("r1")] == [True, False]
    assert one.unfinished_run(kind="apply", fingerprint="fp") is None


# The database out of reach (PostgreSQL) ------------------------------------------------


def test_postgres_out_of_reach_is_journal_unavailable_without_the_password() -> None:
    url = "postgresql://toms:s3cret-word@/toms?host=/nonexistent&port=5432"

    with pytest.raises(JournalUnavailable) as caught:
        Journal(url)

    said = str(caught.value)
    assert said.startswith(
        "the journal database postgresql://toms@/nonexistent:5432/toms cannot be reached ("
    ), said
    assert "s3cret-word" not in said


def test_postgres_stopped_and_started_again_loses_nothing(
    postgres_server: PrivatePostgres, postgres_url: str
) -> None:
    journal = Journal(postgres_url, holder="m1")
    try:
        make_run(journal, "r1", ["A", "B"])
        group = journal.claim_group("r1")
        journal.set_step(group, "saving")
        postgres_server.stop()
        try:
            with pytest.raises(JournalUnavailable):
                journal.finish(group[0], "applied", "", {})
            with pytest.raises(JournalUnavailable):
                journal.claim_group("r1")
        finally:
            postgres_server.start()

        # The connection is made again; what was committed is there, nothing else.
        assert [(i.status, i.step) for i in journal.items("r1")] == [
            (RUNNING, "saving"), (PENDING, ""),
        ]
        journal.finish(group[0], "applied", "", {})
        assert journal.counts("r1") == {"applied": 1, PENDING: 1}
    finally:
        journal.close()


def test_a_journal_opened_while_another_writes_its_file_waits_for_it(tmp_path: Path) -> None:
    # Several runs that start together: one creates the journal while another opens it. SQLite
    # refuses the switch to write-ahead logging at once, without the wait a transaction gets.
    path = tmp_path / "state" / "journal.sqlite3"
    path.parent.mkdir(mode=0o700)
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE being_made (x)")
    done = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
    done.start()
    try:
        journal = Journal(path, holder="m1")
    finally:
        done.join()
        writer.close()
    try:
        make_run(journal, "r1", ["A"])
        assert journal.counts("r1") == {PENDING: 1}
    finally:
        journal.close()


def test_a_journal_whose_file_stays_locked_says_it_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE being_made (x)")
    try:
        with pytest.raises(JournalUnavailable, match=r"journal\.sqlite3 is busy"):
            SqliteStore(path, busy_s=0.2)
    finally:
        writer.close()


# An older journal --------------------------------------------------------------------------


def test_a_journal_from_before_leases_is_carried_over(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE runs (run_id TEXT PRIMARY KEY, kind TEXT NOT NULL,
                fingerprint TEXT NOT NULL, source TEXT NOT NULL, created REAL NOT NULL,
                finished REAL, meta TEXT NOT NULL DEFAULT '{}');
            CREATE TABLE items (run_id TEXT NOT NULL REFERENCES runs(run_id),
                item_id INTEGER NOT NULL, grp TEXT NOT NULL, payload TEXT NOT NULL,
                status TEXT NOT NULL, step TEXT NOT NULL DEFAULT '',
                reason TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '{}',
                attempts INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL,
                PRIMARY KEY (run_id, item_id));
            INSERT INTO runs VALUES ('r1', 'apply', 'fp', 'roster.csv', 1.0, NULL, '{}');
            INSERT INTO items (run_id, item_id, grp, payload, status, step, updated) VALUES
                ('r1', 1, 'A', '{"row": 1}', 'applied', '', 1.0),
                ('r1', 2, 'B', '{"row": 2}', 'in progress', 'saving', 1.0),
                ('r1', 3, 'A', '{"row": 3}', 'pending', '', 1.0);
        """)
    db.close()
    journal = Journal(path)
    try:
        assert journal.recover("r1") == 0  # no claims yet: the migration opened the groups
        first, second = journal.claim_group("r1"), journal.claim_group("r1")
        assert [(i.item_id, i.step) for i in first] == [(3, "")]
        assert [(i.item_id, i.step) for i in second] == [(2, "saving")]
        assert journal.claim_group("r1") == []
    finally:
        journal.close()
