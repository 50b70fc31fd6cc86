"""rpa.runner: retries, give-ups and bookkeeping of a run, with a scripted stand-in worker.

The worker here is a test double of the runner's ``Worker`` protocol: what is under test is how
the runner retries and records, not what a browser does.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rpa.errors import BusinessError, PortalUnavailable, RunStopped, SessionExpired
from rpa.journal import PENDING, RUNNING, Item, Journal
from rpa.runner import FAILED, Outcome, RunPolicy, RunStats, StepRecorder, run_queue
from tests.run_async import run_async

APPLIED = "applied"
STEP = "working"

Action = str | Exception
"""What the worker does with a group: end every item with this status, or raise this."""


@dataclass
class Call:
    """One call of ``process``: the group and what the worker was handed."""

    group: str
    item_ids: list[int]
    attempts: list[int]
    steps: list[str]


@dataclass
class ScriptedWorker:
    """Does to each group what ``script`` says, one action per try; then succeeds."""

    script: dict[str, list[Action]] = field(default_factory=dict)
    # Seconds a group's work takes (after its first step is recorded), by group.
    slow: dict[str, float] = field(default_factory=dict)
    evidence: bool = True
    recover_error: Exception | None = None
    evidence_error: Exception | None = None
    name: str = "w"
    calls: list[Call] = field(default_factory=list)
    evidence_folders: list[Path] = field(default_factory=list)
    discarded: int = 0
    recovered: int = 0
    # Shared by every worker of a test: the groups being processed right now.
    active: set[str] = field(default_factory=set)

    async def process(self, items: Sequence[Item], record_step: StepRecorder) -> list[Outcome]:
        group = items[0].group
        assert group not in self.active, f"group {group} handed to two workers at once"
        self.active.add(group)
        try:
            self.calls.append(Call(
                group, [i.item_id for i in items], [i.attempts for i in items],
                [i.step for i in items],
            ))
            record_step(items, STEP)
            # Let the other workers run, as a browser round trip would.
            await asyncio.sleep(0)
            await asyncio.sleep(self.slow.get(group, 0))
            actions = self.script.get(group, [])
            action = actions.pop(0) if actions else APPLIED
            if isinstance(action, Exception):
                raise action
            return [
                Outcome(i, action, f"{action} by {self.name}", {"by": self.name}) for i in items
            ]
        finally:
            self.active.discard(group)

    async def keep_evidence(self, folder: Path) -> list[Path]:
        self.evidence_folders.append(folder)
        if self.evidence_error is not None:
            raise self.evidence_error
        if not self.evidence:
            return []
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / "screenshot.png"
        shot.write_bytes(b"png")
        return [shot]

    async def discard_evidence(self) -> None:
        self.discarded += 1

    async def recover(self) -> None:
        self.recovered += 1
        if self.recover_error is not None:
            raise self.recover_error


@pytest.fixture(params=["sqlite", "postgresql"])
def address(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the journal is: a SQLite file, or a PostgreSQL database (the session's own)."""
    if request.param == "sqlite":
        return tmp_path / "state" / "journal.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture()
def journal(address: Path | str) -> Generator[Journal, None, None]:
    j = Journal(address, holder="here")
    yield j
    j.close()


def make_run(journal: Journal, groups: Sequence[str], run_id: str = "r1") -> str:
    """One item per entry of ``groups``; item n is roster row n + 10."""
    journal.create_run(
        run_id, kind="apply", fingerprint="fp", source="roster.csv",
        items=[(grp, {"row": n + 10}) for n, grp in enumerate(groups, start=1)],
    )
    return run_id


def run(
    journal: Journal,
    run_id: str,
    workers: Sequence[ScriptedWorker],
    tmp_path: Path,
    on_outcomes: list[Sequence[Outcome]] | None = None,
    **policy: int,
) -> RunStats:
    return run_async(run_queue(
        journal, run_id, workers, evidence_dir=tmp_path / "run" / "rows",
        policy=RunPolicy(backoff_base_s=0, **policy),
        on_outcomes=None if on_outcomes is None else on_outcomes.append,
    ))


def state(journal: Journal, run_id: str) -> list[tuple[str, str, int]]:
    return [(i.status, i.reason, i.attempts) for i in journal.items(run_id)]


# Groups that go well --------------------------------------------------------------------


def test_every_group_is_processed_once_and_its_outcomes_recorded(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A", "B", "A", "C"])
    worker = ScriptedWorker()
    seen: list[Sequence[Outcome]] = []

    stats = run(journal, run_id, [worker], tmp_path, on_outcomes=seen)

    assert [(c.group, c.item_ids) for c in worker.calls] == [
        ("A", [1, 3]), ("B", [2]), ("C", [4]),
    ]
    assert state(journal, run_id) == [(APPLIED, "applied by w", 0)] * 4
    assert [i.result for i in journal.items(run_id)] == [{"by": "w"}] * 4
    assert stats.processed == 4
    assert stats.system_failures == 0
    assert stats.stopped is None
    assert len(stats.durations) == 4
    assert [[o.item.item_id for o in outcomes] for outcomes in seen] == [[1, 3], [2], [4]]
    assert worker.discarded == 3
    assert worker.recovered == 0
    assert worker.evidence_folders == []


def test_record_step_persists_the_step_in_the_journal(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A", "B"])

    run(journal, run_id, [ScriptedWorker()], tmp_path)

    assert [i.step for i in journal.items(run_id)] == [STEP, STEP]


def test_an_empty_run_does_nothing(journal: Journal, tmp_path: Path) -> None:
    run_id = make_run(journal, [])
    worker = ScriptedWorker()

    stats = run(journal, run_id, [worker], tmp_path)

    assert stats.processed == 0
    assert worker.calls == []


# Business errors ------------------------------------------------------------------------


def test_a_business_error_ends_the_group_with_its_code_and_is_never_retried(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A", "A", "B"])
    worker = ScriptedWorker(script={
        "A": [BusinessError("not found: no such student", code="blocked")],
    })

    stats = run(journal, run_id, [worker], tmp_path)

    assert state(journal, run_id) == [
        ("blocked", "not found: no such student", 0),
        ("blocked", "not found: no such student", 0),
        (APPLIED, "applied by w", 0),
    ]
    assert [c.group for c in worker.calls] == ["A", "B"]
    assert stats.system_failures == 0
    assert worker.recovered == 0
    assert worker.evidence_folders == []


# System failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error", [PortalUnavailable("error page"), RuntimeError("browser crashed"), TimeoutError()]
)
def test_a_system_failure_is_retried_and_counts_an_attempt(
    journal: Journal, tmp_path: Path, error: Exception
) -> None:
    run_id = make_run(journal, ["A", "B"])
    worker = ScriptedWorker(script={"A": [error]})

    stats = run(journal, run_id, [worker], tmp_path)

    assert [(c.group, c.attempts) for c in worker.calls] == [("A", [0]), ("A", [1]), ("B", [0])]
    assert [(i.status, i.attempts) for i in journal.items(run_id)] == [(APPLIED, 1), (APPLIED, 0)]
    assert stats.system_failures == 1
    assert stats.processed == 2
    assert worker.recovered == 1


def test_the_retry_sees_the_step_the_failed_attempt_reached(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A"])
    worker = ScriptedWorker(script={"A": [PortalUnavailable("down")]})

    run(journal, run_id, [worker], tmp_path)

    assert [c.steps for c in worker.calls] == [[""], [STEP]]


def test_a_session_expired_retry_does_not_count_an_attempt(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A"])
    worker = ScriptedWorker(script={
        "A": [SessionExpired("logon page"), SessionExpired("logon page"),
              PortalUnavailable("down"), SessionExpired("logon page")],
    })

    stats = run(journal, run_id, [worker], tmp_path, max_attempts=2)

    # Four failures, but only the PortalUnavailable one was an attempt: not given up at 2.
    assert [c.attempts for c in worker.calls] == [[0], [0], [0], [1], [1]]
    assert [(i.status, i.attempts) for i in journal.items(run_id)] == [(APPLIED, 1)]
    assert stats.system_failures == 4
    assert worker.recovered == 4


def test_after_max_attempts_the_group_fails_with_the_reason_and_its_evidence(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A", "A", "B"])
    error = PortalUnavailable("Timeout 30000ms exceeded.\nCall log:\n  - waiting for locator")
    worker = ScriptedWorker(script={"A": [error, error, error]})
    seen: list[Sequence[Outcome]] = []

    stats = run(journal, run_id, [worker], tmp_path, on_outcomes=seen, max_attempts=3)

    reason = "PortalUnavailable: Timeout 30000ms exceeded. (gave up after 3 attempts)"
    items = journal.items(run_id)
    assert [(i.status, i.reason) for i in items] == [
        (FAILED, reason), (FAILED, reason), (APPLIED, "applied by w"),
    ]
    assert [i.attempts for i in items] == [3, 3, 0]  # the journal agrees with the reason
    # The folder is named after the group's first roster row, relative to the run folder.
    evidence = "rows/row-00011/attempt-3"
    assert [i.result for i in items[:2]] == [{"evidence": evidence}] * 2
    assert (tmp_path / "run" / evidence / "screenshot.png").is_file()
    assert worker.evidence_folders == [
        tmp_path / "run" / "rows" / "row-00011" / f"attempt-{n}" for n in (1, 2, 3)
    ]
    assert [c.group for c in worker.calls] == ["A", "A", "A", "B"]
    assert stats.processed == 3
    assert [[o.status for o in outcomes] for outcomes in seen] == [[FAILED, FAILED], [APPLIED]]


class Stubborn(PortalUnavailable):
    max_attempts = 2


def test_a_failure_that_deserves_fewer_attempts_gives_up_sooner(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A", "B"])
    worker = ScriptedWorker(script={
        "A": [Stubborn("stored nothing")] * 2, "B": [PortalUnavailable("down")] * 2,
    })

    run(journal, run_id, [worker], tmp_path, max_attempts=6)

    assert [(i.status, i.reason) for i in journal.items(run_id)] == [
        (FAILED, "Stubborn: stored nothing (gave up after 2 attempts)"),
        (APPLIED, "applied by w"),  # the run's own limit for every other failure
    ]


def test_a_failed_group_has_no_evidence_path_when_none_was_kept(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A"])
    worker = ScriptedWorker(script={"A": [PortalUnavailable("down")]}, evidence=False)

    run(journal, run_id, [worker], tmp_path, max_attempts=1)

    (item,) = journal.items(run_id)
    assert (item.status, item.result) == (FAILED, {"evidence": ""})
    assert item.reason == "PortalUnavailable: down (gave up after 1 attempts)"
    assert not (tmp_path / "run" / "rows").exists()


def test_evidence_that_cannot_be_kept_does_not_stop_the_run(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A", "B"])
    worker = ScriptedWorker(
        script={"A": [PortalUnavailable("down")]}, evidence_error=OSError("disk full"),
    )

    run(journal, run_id, [worker], tmp_path, max_attempts=1)

    assert [(i.status, i.result) for i in journal.items(run_id)] == [
        (FAILED, {"evidence": ""}), (APPLIED, {"by": "w"}),
    ]


def test_a_worker_that_cannot_recover_does_not_stop_the_run(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A", "B"])
    worker = ScriptedWorker(
        script={"A": [PortalUnavailable("down")]}, recover_error=RuntimeError("no page"),
    )

    run(journal, run_id, [worker], tmp_path)

    assert worker.recovered == 1
    assert [i.status for i in journal.items(run_id)] == [APPLIED, APPLIED]


# Stopping -------------------------------------------------------------------------------


def test_too_many_failures_in_a_row_stop_the_run_leaving_the_rest_resumable(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, ["A", "B", "C", "D"])
    down = [PortalUnavailable("portal down") for _ in range(10)]
    broken = ScriptedWorker(script={"A": list(down), "B": list(down), "C": list(down)})

    with pytest.raises(RunStopped, match="3 system failures in a row; the last: Portal"):
        run(journal, run_id, [broken], tmp_path, max_consecutive_failures=3, max_attempts=10)

    # Nothing finished, nothing left "in progress": a resume takes up every item.
    assert journal.counts(run_id) == {PENDING: 4}
    assert sum(i.attempts for i in journal.items(run_id)) == 3
    assert broken.recovered == 2  # not after the failure that stopped the run

    healthy = ScriptedWorker(name="healthy")
    stats = run(journal, run_id, [healthy], tmp_path)
    assert journal.counts(run_id) == {APPLIED: 4}
    assert stats.processed == 4


def test_session_expiries_in_a_row_stop_the_run_too(journal: Journal, tmp_path: Path) -> None:
    run_id = make_run(journal, ["A"])
    worker = ScriptedWorker(script={"A": [SessionExpired("logon page") for _ in range(5)]})

    with pytest.raises(RunStopped, match="SessionExpired"):
        run(journal, run_id, [worker], tmp_path, max_consecutive_expiries=3)

    assert state(journal, run_id) == [(PENDING, "SessionExpired: logon page", 0)]


def test_a_burst_of_expiries_does_not_count_as_failures_in_a_row(
    journal: Journal, tmp_path: Path
) -> None:
    # All workers lose the shared logon at once: that is one event, not a broken portal.
    run_id = make_run(journal, ["A"])
    worker = ScriptedWorker(script={"A": [SessionExpired("logon page") for _ in range(5)]})

    stats = run(journal, run_id, [worker], tmp_path, max_consecutive_failures=3)

    assert stats.stopped is None
    assert journal.counts(run_id) == {APPLIED: 1}


def test_a_success_resets_the_count_of_failures_in_a_row(
    journal: Journal, tmp_path: Path
) -> None:
    # Every group fails once, then succeeds: never two failures in a row.
    groups = ["A", "B", "C", "D", "E"]
    run_id = make_run(journal, groups)
    worker = ScriptedWorker(script={g: [PortalUnavailable("blip")] for g in groups})

    stats = run(journal, run_id, [worker], tmp_path, max_consecutive_failures=2)

    assert stats.system_failures == 5
    assert stats.stopped is None
    assert journal.counts(run_id) == {APPLIED: 5}


# Several workers ------------------------------------------------------------------------


def test_two_workers_never_get_the_same_group(journal: Journal, tmp_path: Path) -> None:
    groups = [f"G{n % 7}" for n in range(20)]
    run_id = make_run(journal, groups)
    active: set[str] = set()
    # One script for both: G1 and G2 fail once, whichever worker takes them.
    script: dict[str, list[Action]] = {
        "G1": [PortalUnavailable("down")], "G2": [SessionExpired("logon")],
    }
    first = ScriptedWorker(name="one", active=active, script=script)
    second = ScriptedWorker(name="two", active=active, script=script)

    run(journal, run_id, [first, second], tmp_path)

    taken = Counter(
        call.group for worker in (first, second) for call in worker.calls
    )
    # Each group once, plus one retry each for G1 and G2.
    assert taken == Counter({f"G{n}": 1 for n in range(7)} | {"G1": 2, "G2": 2})
    assert first.calls and second.calls, "both workers should have taken work"
    items = journal.items(run_id)
    assert all(i.status == APPLIED for i in items)
    # A group's items are all done by the one worker that took it.
    by_group: dict[str, set[object]] = {}
    for item in items:
        by_group.setdefault(item.group, set()).add(item.result["by"])
    assert all(len(names) == 1 for names in by_group.values())
    assert not any(i.status == RUNNING for i in items)


def test_stopping_with_two_workers_leaves_nothing_in_progress(
    journal: Journal, tmp_path: Path
) -> None:
    run_id = make_run(journal, [f"G{n}" for n in range(6)])
    active: set[str] = set()
    down: dict[str, list[Action]] = {
        f"G{n}": [PortalUnavailable("down") for _ in range(5)] for n in range(6)
    }
    workers = [
        ScriptedWorker(name="one", active=active, script=down),
        ScriptedWorker(name="two", active=active, script=down),
    ]

    with pytest.raises(RunStopped):
        run(journal, run_id, workers, tmp_path, max_consecutive_failures=4, max_attempts=10)

    assert set(journal.counts(run_id)) == {PENDING}


# Policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(0, 0.25), (1, 0.25), (2, 0.5), (3, 1.0), (5, 4.0), (6, 5.0), (40, 5.0)],
)
def test_backoff_doubles_up_to_its_maximum(attempt: int, seconds: float) -> None:
    assert RunPolicy(backoff_base_s=0.25, backoff_max_s=5.0).backoff(attempt) == seconds
