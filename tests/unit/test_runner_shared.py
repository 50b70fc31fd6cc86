"""rpa.runner with a journal that other processes share, or that goes out of reach.

The workers are test doubles; what is under test is how the runner claims, renews, waits,
takes over and records when the journal is shared or away for a while. Each test runs on SQLite
(two connections to one file stand for two processes) and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from rpa.errors import JournalUnavailable, LeaseLost, RunStopped
from rpa.journal import PENDING, RUNNING, Item, Journal
from rpa.runner import Outcome, RunPolicy, RunStats, StepRecorder, run_queue
from tests.run_async import run_async

APPLIED = "applied"

Hook = Callable[[Sequence[Item], StepRecorder], Awaitable[None]]
"""What a worker does with a group after recording its first step (before it succeeds)."""


@dataclass
class Seen:
    """One call of ``process``: what the worker was handed, and whether it was stopped."""

    group: str
    steps: list[str]
    reasons: list[str]
    cancelled: bool = False


@dataclass
class HookedWorker:
    """Records a step, runs the group's hook (if any), then applies every item."""

    hooks: dict[str, Hook] = field(default_factory=dict)
    name: str = "w"
    seen: list[Seen] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    recovered: int = 0

    async def process(self, items: Sequence[Item], record_step: StepRecorder) -> list[Outcome]:
        seen = Seen(items[0].group, [i.step for i in items], [i.reason for i in items])
        self.seen.append(seen)
        record_step(items, "working")
        try:
            hook = self.hooks.pop(items[0].group, None)
            if hook is not None:
                await hook(items, record_step)
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            seen.cancelled = True
            raise
        self.completed.append(items[0].group)
        return [Outcome(i, APPLIED, "", {"by": self.name}) for i in items]

    async def keep_evidence(self, folder: Path) -> list[Path]:
        return []

    async def discard_evidence(self) -> None:
        return None

    async def recover(self) -> None:
        self.recovered += 1


class Flaky:
    """A journal out of reach while ``down`` (every call raises, as a lost connection does)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.down = False
        self.renew_pretends = False
        self.failed: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.journal, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            if name == "renew" and self.renew_pretends:
                return True  # a renewal that never reaches the database (a stalled process)
            if self.down:
                self.failed[name] += 1
                raise JournalUnavailable("the journal database test cannot be reached (down)")
            return value(*args, **kwargs)

        return call


@pytest.fixture(params=["sqlite", "postgresql"])
def address(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "state" / "journal.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture()
def opener(address: Path | str) -> Generator[Callable[..., Journal], None, None]:
    opened: list[Journal] = []

    def open_journal(**kwargs: Any) -> Journal:
        journal = Journal(address, **kwargs)
        opened.append(journal)
        return journal

    yield open_journal
    for journal in opened:
        journal.close()


def make_run(journal: Journal, groups: Sequence[str]) -> str:
    journal.create_run(
        "r1", kind="apply", fingerprint="fp", source="roster.csv",
        items=[(grp, {"row": n}) for n, grp in enumerate(groups, start=1)],
    )
    return "r1"


def run(
    journal: Journal | Flaky, workers: Sequence[HookedWorker], tmp_path: Path,
    stamp: dict[str, Any] | None = None, **policy: float,
) -> RunStats:
    return run_async(run_queue(
        cast(Journal, journal), "r1", workers, evidence_dir=tmp_path / "run" / "rows",
        policy=RunPolicy(backoff_base_s=0, **policy),  # type: ignore[arg-type]
        stamp=stamp,
    ))


def statuses(journal: Journal) -> list[str]:
    return [i.status for i in journal.items("r1")]


# Other processes -----------------------------------------------------------------------


def test_a_dead_processs_claim_is_waited_for_and_taken_over_with_its_step(
    opener: Callable[..., Journal], tmp_path: Path
) -> None:
    here, dead = opener(holder="here"), opener(holder="dead", lease_s=0.4)
    make_run(here, ["A", "B", "C"])
    # Another machine claimed A, got as far as the save, and died.
    dead.set_step(dead.claim_group("r1"), "saving")
    worker = HookedWorker()

    run(here, [worker], tmp_path, idle_poll_s=5.0)

    # B and C first; then, the queue empty but A held, it waited for A's claim to run out.
    assert [s.group for s in worker.seen] == ["B", "C", "A"]
    taken = worker.seen[-1]
    assert taken.steps == ["saving"]  # the worker re-reads before anything else
    assert taken.reasons == ["taken over from dead, whose claim ran out"]
    assert statuses(here) == [APPLIED] * 3
    log = [c for c in here.claims("r1") if c.group == "A"]
    assert [(c.holder, c.outcome) for c in log] == [("dead", "expired"), ("here", "done")]
    assert log[0].ended is not None and log[0].ended <= log[1].claimed


def test_two_processes_share_the_queue_and_stamp_their_rows(
    opener: Callable[..., Journal], tmp_path: Path
) -> None:
    one, two = opener(holder="one"), opener(holder="two")
    make_run(one, [f"G{n}" for n in range(12)])
    first, second = HookedWorker(name="one"), HookedWorker(name="two")

    # A machine with nothing left looks again every idle_poll_s while the other works.
    policy = RunPolicy(idle_poll_s=0.05)

    async def both() -> None:
        await asyncio.gather(
            run_queue(one, "r1", [first], evidence_dir=tmp_path / "a", policy=policy,
                      stamp={"machine": "one"}),
            run_queue(two, "r1", [second], evidence_dir=tmp_path / "b", policy=policy,
                      stamp={"machine": "two"}),
        )

    run_async(both())

    groups = [s.group for s in first.seen] + [s.group for s in second.seen]
    assert sorted(groups) == sorted(f"G{n}" for n in range(12))  # each once
    assert first.seen and second.seen
    by = {i.group: i.result for i in one.items("r1")}
    assert all(result["machine"] == result["by"] for result in by.values())


def test_a_step_recorded_after_another_took_the_group_over_is_refused(
    opener: Callable[..., Journal], tmp_path: Path
) -> None:
    # The claim ran out under a live worker whose renewals did not get through (a stalled
    # process): the other took the group over; the worker's next step, before its save,
    # is refused, and it records nothing.
    here, thief = opener(holder="here", lease_s=0.3), opener(holder="thief")
    make_run(here, ["A"])
    flaky = Flaky(here)
    flaky.renew_pretends = True

    async def stalled(items: Sequence[Item], record_step: StepRecorder) -> None:
        await asyncio.sleep(0.4)  # past the lease: a time, nothing to wait on
        taken = thief.claim_group("r1")
        thief.finish_many([(i, APPLIED, "by the thief", {"by": "thief"}) for i in taken])
        record_step(items, "saving")

    worker = HookedWorker(hooks={"A": stalled})

    stats = run(flaky, [worker], tmp_path)

    assert stats.lost == 1 and stats.processed == 0 and stats.system_failures == 0
    assert [(i.status, i.reason) for i in here.items("r1")] == [(APPLIED, "by the thief")]
    assert worker.recovered == 1
    assert [(c.holder, c.outcome) for c in here.claims("r1")] == [
        ("here", "expired"), ("thief", "done"),
    ]


# The journal out of reach ----------------------------------------------------------------


def test_the_journal_away_for_a_while_loses_and_doubles_nothing(
    opener: Callable[..., Journal], tmp_path: Path
) -> None:
    journal = opener(holder="here")
    make_run(journal, [f"G{n}" for n in range(6)])
    flaky = Flaky(journal)

    async def outage(items: Sequence[Item], record_step: StepRecorder) -> None:
        flaky.down = True
        asyncio.get_running_loop().call_later(0.5, setattr, flaky, "down", False)

    workers = [HookedWorker(hooks={"G2": outage}, name="one"), HookedWorker(name="two")]

    stats = run(flaky, workers, tmp_path)

    assert flaky.failed["finish_many"] >= 1  # G2's outcome waited for the journal
    # Each group worked through once; a group whose first step could not be recorded was
    # left before anything else (it would have been before any click) and taken again.
    assert Counter(g for w in workers for g in w.completed) == Counter(
        {f"G{n}": 1 for n in range(6)}
    )
    again = {g for g, n in Counter(s.group for w in workers for s in w.seen).items() if n > 1}
    assert len(again) <= flaky.failed["set_step"]
    assert statuses(journal) == [APPLIED] * 6
    assert stats.system_failures == 0 and stats.stopped is None


def test_the_journal_away_too_long_stops_the_run_resumably(
    opener: Callable[..., Journal], tmp_path: Path
) -> None:
    journal = opener(holder="here")
    make_run(journal, ["A", "B", "C"])
    flaky = Flaky(journal)

    async def outage(items: Sequence[Item], record_step: StepRecorder) -> None:
        flaky.down = True

    with pytest.raises(RunStopped, match=r"cannot be reached \(down\), for \d+ s"):
        run(flaky, [HookedWorker(hooks={"B": outage})], tmp_path, journal_outage_s=0.5)

    # Nothing lost: A done, B's outcome never recorded (its claim stays, with its step, for a
    # resumed run to re-read), C untouched.
    assert [(i.status, i.step) for i in journal.items("r1")] == [
        (APPLIED, "working"), (RUNNING, "working"), (PENDING, ""),
    ]
    assert journal.recover("r1") == 1
    resumed = HookedWorker()
    run(journal, [resumed], tmp_path)
    assert [(s.group, s.steps) for s in resumed.seen] == [("B", ["working"]), ("C", [""])]
    assert statuses(journal) == [APPLIED] * 3


def test_a_worker_whose_claim_cannot_be_renewed_is_stopped_before_it_runs_out(
    opener: Callable[..., Journal], tmp_path: Path
) -> None:
    journal = opener(holder="here", lease_s=0.4)
    make_run(journal, ["A", "B"])
    flaky = Flaky(journal)
    worked: list[str] = []

    async def long_work_during_an_outage(items: Sequence[Item], record_step: StepRecorder
                                         ) -> None:
        flaky.down = True
        asyncio.get_running_loop().call_later(0.8, setattr, flaky, "down", False)
        await asyncio.sleep(5)  # would outlive the claim: the runner must stop it first
        worked.append("finished")

    worker = HookedWorker(hooks={"A": long_work_during_an_outage})

    stats = run(flaky, [worker], tmp_path)

    assert worked == []
    first, *rest = worker.seen
    assert (first.group, first.cancelled) == ("A", True)
    # Handed back once the journal answered (not a failure of the row: no attempt counted),
    # then done again from its recorded step.
    assert [(s.group, s.steps) for s in rest] == [("A", ["working"]), ("B", [""])]
    assert [(i.status, i.attempts) for i in journal.items("r1")] == [(APPLIED, 0)] * 2
    assert stats.lost == 1 and stats.system_failures == 0
    assert worker.recovered == 1
    outcomes = [(c.group, c.outcome) for c in journal.claims("r1")]
    assert outcomes == [("A", "released"), ("A", "done"), ("B", "done")]


def test_a_lease_lost_raised_by_the_worker_is_not_a_failure_of_the_row(
    opener: Callable[..., Journal], tmp_path: Path
) -> None:
    journal = opener(holder="here")
    make_run(journal, ["A"])

    async def lost(items: Sequence[Item], record_step: StepRecorder) -> None:
        journal.release(items, "handed back", count_attempt=False)  # as a takeover would
        raise LeaseLost("rows 1 are no longer this worker's")

    worker = HookedWorker(hooks={"A": lost})

    stats = run(journal, [worker], tmp_path)

    assert (stats.lost, stats.system_failures) == (1, 0)
    assert [s.group for s in worker.seen] == ["A", "A"]
    assert [(i.status, i.attempts) for i in journal.items("r1")] == [(APPLIED, 0)]
