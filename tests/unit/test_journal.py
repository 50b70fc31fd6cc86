"""rpa.journal: the durable work queue a run is resumed from."""

from __future__ import annotations

import stat
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import pytest

import rpa.journal
from rpa.journal import PENDING, RUNNING, Item, Journal


@pytest.fixture()
def journal(tmp_path: Path) -> Generator[Journal, None, None]:
    j = Journal(tmp_path / "state" / "journal.sqlite3")
    yield j
    j.close()


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
    with pytest.raises(Exception, match="UNIQUE"):
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


class Clock:
    """A stand-in for the ``time`` module: every call is one second later."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def time(self) -> float:
        self.now += 1
        return self.now


def test_unfinished_run_is_the_latest_unfinished_run_of_that_kind_and_input(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real clock may give two runs the same `created`; this one never does.
    monkeypatch.setattr(rpa.journal, "time", Clock())
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
    journal: Journal, tmp_path: Path
) -> None:
    make_run(journal, "r1", ["A", "A", "B"])
    group = journal.claim_group("r1")

    journal.set_step(group, "saving")

    assert [i.step for i in group] == ["saving", "saving"]
    reopened = Journal(journal.path)
    try:
        assert [i.step for i in reopened.items("r1")] == ["saving", "saving", ""]
    finally:
        reopened.close()


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


def test_everything_survives_closing_and_reopening(journal: Journal) -> None:
    make_run(journal, "r1", ["A", "B"])
    journal.finish(journal.claim_group("r1")[0], "applied", "", {"code_after": "PGE"})
    journal.claim_group("r1")
    journal.close()

    reopened = Journal(journal.path)
    try:
        items: list[dict[str, Any]] = [
            {"status": i.status, "result": i.result} for i in reopened.items("r1")
        ]
        assert items == [
            {"status": "applied", "result": {"code_after": "PGE"}},
            {"status": RUNNING, "result": {}},
        ]
    finally:
        reopened.close()


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
