"""Working through a journal with several workers at once.

Each worker takes the next group of items from the journal, processes it, and records the
outcome. Business outcomes (a row that cannot be done) are final. System failures put the group
back in the queue after a backoff; a group that keeps failing ends as ``failed``, and too many
failures in a row, with no success between, stop the run cleanly so it can be resumed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rpa.errors import BusinessError, PageNotRecognized, RunStopped, SessionExpired
from rpa.journal import Item, Journal

__all__ = ["FAILED", "Outcome", "RunPolicy", "RunStats", "Worker", "run_queue"]

log = logging.getLogger(__name__)

FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    """What became of one item."""

    item: Item
    status: str
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)


class StepRecorder(Protocol):
    """Records, durably, the step a group of items has reached."""

    def __call__(self, items: Sequence[Item], step: str) -> None: ...


class Worker(Protocol):
    """One browser context working through groups of items."""

    async def process(self, items: Sequence[Item], record_step: StepRecorder) -> list[Outcome]:
        """Do the work for one group; business problems are outcomes, not exceptions."""
        ...

    async def keep_evidence(self, folder: Path) -> list[Path]:
        """Save what the worker sees (screenshot, trace) after a failure; return the files."""
        ...

    async def discard_evidence(self) -> None:
        """Drop what was recorded for a group that went well."""
        ...

    async def recover(self) -> None:
        """Get back to a known page after a system failure (logging on again if needed)."""
        ...


@dataclass(frozen=True)
class RunPolicy:
    """How hard to try before giving up."""

    max_attempts: int = 6
    max_consecutive_failures: int = 20
    # Every worker sharing a logon meets its end at once, so expiries come in bursts; they
    # stop the run only when logging on again keeps failing to get any work done.
    max_consecutive_expiries: int = 60
    backoff_base_s: float = 0.25
    backoff_max_s: float = 5.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before the next try of a group that failed ``attempt`` times."""
        return float(min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempt - 1)))


@dataclass
class RunStats:
    """Figures of one pass through the queue."""

    processed: int = 0
    system_failures: int = 0
    stopped: str | None = None
    durations: list[float] = field(default_factory=list)


ProgressCallback = Callable[[Sequence[Outcome]], None]


async def run_queue(
    journal: Journal,
    run_id: str,
    workers: Sequence[Worker],
    *,
    evidence_dir: Path,
    policy: RunPolicy | None = None,
    on_outcomes: ProgressCallback | None = None,
) -> RunStats:
    """Work through the run's pending items with ``workers`` until none is left.

    Raises :class:`RunStopped` when too many system failures happen in a row; everything not
    finished stays in the journal for ``--resume``.
    """
    policy = policy or RunPolicy()
    stats = RunStats()
    state = {"consecutive": 0, "expiries": 0}
    stop = asyncio.Event()
    # A page not recognized is retried once; met again, it stops the run (trying again and
    # again would only repeat it).
    unrecognized: set[str] = set()

    def halt(reason: str) -> None:
        if not stats.stopped:
            stats.stopped = reason
        stop.set()

    def repeated(err: BaseException) -> bool:
        """Whether ``err`` must stop the run: a stop, or a page not recognized twice."""
        if isinstance(err, RunStopped):
            halt(str(err))
            return True
        if isinstance(err, PageNotRecognized):
            if err.signature in unrecognized:
                halt(f"the same page was not recognized twice: {err}")
                return True
            unrecognized.add(err.signature)
        return False

    def record_step(items: Sequence[Item], step: str) -> None:
        journal.set_step(items, step)

    async def work(worker: Worker) -> None:
        while not stop.is_set():
            group = journal.claim_group(run_id)
            if not group:
                return
            started = time.monotonic()
            try:
                outcomes = await worker.process(group, record_step)
            except BusinessError as err:
                outcomes = [Outcome(item, err.code, str(err)) for item in group]
            except Exception as err:  # noqa: BLE001 - every other failure is a system failure
                await _system_failure(worker, group, err)
                continue
            if stop.is_set() and not outcomes:
                return
            await worker.discard_evidence()
            for outcome in outcomes:
                journal.finish(outcome.item, outcome.status, outcome.reason, outcome.result)
            state["consecutive"] = state["expiries"] = 0
            stats.processed += len(outcomes)
            stats.durations.extend([time.monotonic() - started] * len(outcomes))
            if on_outcomes is not None:
                on_outcomes(outcomes)

    async def _system_failure(worker: Worker, group: list[Item], err: Exception) -> None:
        reason = _describe(err)
        if repeated(err):
            # Not the row's fault: it goes back to the queue as it was, for the resumed run.
            journal.release(group, reason, count_attempt=False)
            return
        stats.system_failures += 1
        # A session that ended is not the row's fault: log on again and retry, without
        # counting an attempt (a run that keeps losing its session still stops, below).
        expired = isinstance(err, SessionExpired)
        state["expiries" if expired else "consecutive"] += 1
        attempt = group[0].attempts + (0 if expired else 1)
        folder = evidence_dir / f"row-{group[0].payload.get('row', group[0].item_id):05d}"
        folder = folder / f"attempt-{attempt}"
        files = await _safe_evidence(worker, folder)
        evidence = str(folder.relative_to(evidence_dir.parent)) if files else ""
        log.warning("Rows %s: %s (attempt %d)", _rows(group), reason, max(attempt, 1))
        if attempt >= policy.max_attempts:
            outcomes = [
                Outcome(i, FAILED, f"{reason} (gave up after {attempt} attempts)",
                        {"evidence": evidence})
                for i in group
            ]
            for outcome in outcomes:
                journal.finish(
                    outcome.item, outcome.status, outcome.reason, outcome.result,
                    attempts=attempt,  # the attempt that gave up counts too
                )
            stats.processed += len(outcomes)
            if on_outcomes is not None:
                on_outcomes(outcomes)
        else:
            journal.release(group, reason, count_attempt=not expired)
        if (
            state["consecutive"] >= policy.max_consecutive_failures
            or state["expiries"] >= policy.max_consecutive_expiries
        ):
            count = max(state["consecutive"], state["expiries"])
            halt(f"{count} system failures in a row; the last: {reason}")
            return
        await asyncio.sleep(policy.backoff(attempt))
        try:
            await worker.recover()
        except Exception as recover_err:  # noqa: BLE001 - the next claim will fail and count
            if repeated(recover_err):
                return
            log.warning("Could not recover the browser: %s", _describe(recover_err))

    await asyncio.gather(*(work(w) for w in workers))
    if stats.stopped:
        raise RunStopped(stats.stopped)
    return stats


async def _safe_evidence(worker: Worker, folder: Path) -> list[Path]:
    try:
        return await worker.keep_evidence(folder)
    except Exception as err:  # noqa: BLE001 - evidence is best effort; the failure is reported
        log.debug("No evidence saved: %s", err)
        return []


def _rows(group: Sequence[Item]) -> str:
    return ", ".join(str(i.payload.get("row", i.item_id)) for i in group)


def _describe(err: BaseException) -> str:
    """A one-line description of a failure, without Playwright's multi-line call log."""
    text = str(err).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__
