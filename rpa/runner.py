"""Working through a journal with several workers at once, on one machine or several.

Each worker takes the next group of items from the journal, processes it, and records the
outcome. Business outcomes (a row that cannot be done) are final. System failures put the group
back in the queue after a backoff; a group that keeps failing ends as ``failed``, and too many
failures in a row, with no success between, stop the run cleanly so it can be resumed.

A claim on a group is a lease, renewed while the group is worked on. The journal out of reach
is a system failure too: every call to it is tried again with backoff, and a run that cannot
reach it for ``journal_outage_s`` stops, resumable; a worker whose claim could not be renewed
in time leaves the group (another worker re-reads it in the portal before acting).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rpa.errors import (
    BusinessError,
    JournalUnavailable,
    LeaseLost,
    PageNotRecognized,
    RunStopped,
    SessionExpired,
    SystemFailure,
)
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
    # A database fails over or restarts in seconds to a minute; past two minutes a person
    # should look, and the run stops (resumable: the journal has every row as it was).
    journal_outage_s: float = 120.0
    journal_retry_max_s: float = 2.0
    # How often a worker with nothing to take looks again while other machines hold claims
    # (it also looks when the first of those claims runs out): a cheap query.
    idle_poll_s: float = 1.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before the next try of a group that failed ``attempt`` times."""
        return float(min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempt - 1)))

    def journal_backoff(self, attempt: int) -> float:
        """Seconds to wait before trying the journal again after ``attempt`` failures."""
        return float(min(self.journal_retry_max_s, 0.1 * 2 ** max(0, attempt - 1)))


@dataclass
class RunStats:
    """Figures of one pass through the queue."""

    processed: int = 0
    system_failures: int = 0
    stopped: str | None = None
    durations: list[float] = field(default_factory=list)
    lost: int = 0
    """Groups left to another worker because this process's claim on them ran out."""


@dataclass
class _Lease:
    """This process's view of its claim on a group: when it last knew the claim was its own."""

    confirmed: float
    lost: str | None = None
    unreachable: bool = False


ProgressCallback = Callable[[Sequence[Outcome]], None]
T = TypeVar("T")


class _Halted(Exception):
    """The run is stopping: the worker that meets this leaves its loop."""


async def run_queue(
    journal: Journal,
    run_id: str,
    workers: Sequence[Worker],
    *,
    evidence_dir: Path,
    policy: RunPolicy | None = None,
    on_outcomes: ProgressCallback | None = None,
    stamp: Mapping[str, Any] | None = None,
) -> RunStats:
    """Work through the run's pending items with ``workers`` until none is left.

    With a journal that other machines share, a worker with nothing to take waits while
    others hold claims, and takes over those that run out. Every group is held under a lease
    that is renewed while it is worked on; a worker whose lease cannot be renewed in time is
    stopped before another may take the group over. ``stamp`` is added to every result
    (which machine, which user).

    Raises :class:`RunStopped` when too many system failures happen in a row, or when the
    journal cannot be reached for ``policy.journal_outage_s``; everything not finished stays in
    the journal for ``--resume``.
    """
    policy = policy or RunPolicy()
    stamp = dict(stamp or {})
    stats = RunStats()
    state = {"consecutive": 0, "expiries": 0}
    outage: dict[str, float] = {}
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

    async def durable(call: Callable[[], T]) -> T:
        """A journal call, tried again with backoff while the journal cannot be reached."""
        attempt = 0
        while True:
            try:
                value = call()
            except JournalUnavailable as err:
                now = time.monotonic()
                if "since" not in outage:
                    outage["since"] = now
                    log.warning("%s; trying again for up to %.0f s", err, policy.journal_outage_s)
                if stop.is_set() or now - outage["since"] >= policy.journal_outage_s:
                    halt(f"{err}, for {now - outage['since']:.0f} s")
                    raise _Halted from err
                attempt += 1
                await asyncio.sleep(policy.journal_backoff(attempt))
                continue
            if outage.pop("since", None) is not None:
                log.info("The journal answers again")
            return value

    async def take(name: str) -> tuple[list[Item], float]:
        """The next group for worker ``name`` and when it was asked for; none: nothing left."""
        asked = time.monotonic()

        def claim() -> list[Item]:
            nonlocal asked
            asked = time.monotonic()
            return journal.claim_group(run_id, worker=name)

        while not stop.is_set():
            group = await durable(claim)
            if group:
                if group[0].reason.startswith("taken over from"):
                    log.info("Rows %s: %s; reading TOMS before anything else", _rows(group),
                             group[0].reason)
                return group, asked
            standing = await durable(lambda: journal.standing(run_id))
            if not standing.held_by_others:
                return [], asked
            # Other machines hold claims: wait for their groups to end, or for the first of
            # their claims to run out (a machine that died), then look again.
            wait = policy.idle_poll_s
            if standing.next_expiry_s is not None:
                wait = min(wait, max(0.05, standing.next_expiry_s + 0.05))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
        return [], asked

    async def keep(group: list[Item], lease: _Lease, task: asyncio.Task[Any]) -> None:
        """Renew the claim while ``task`` works; stop the task before the claim may run out.

        Another worker may take the group over ``journal.lease_s`` after the last renewal this
        process got through; the task is stopped half that time after it, so that what it sent
        the portal has landed before anyone reads the student again.
        """
        every, give_up = journal.lease_s / 4, journal.lease_s / 2
        while not task.done():
            await asyncio.sleep(every if not lease.unreachable else min(every, 0.5))
            if task.done():
                return
            sent = time.monotonic()
            try:
                held = journal.renew(group)
            except JournalUnavailable as err:
                lease.unreachable = True
                if time.monotonic() - lease.confirmed >= give_up:
                    lease.lost = f"its claim could not be renewed for {give_up:.0f} s ({err})"
                    task.cancel()
                    return
                continue
            lease.unreachable = False
            if not held:
                lease.lost = "another worker took them over"
                task.cancel()
                return
            lease.confirmed = sent

    async def work(worker: Worker, name: str) -> None:
        try:
            while not stop.is_set():
                group, asked = await take(name)
                if not group:
                    return
                await process(worker, group, _Lease(confirmed=asked))
        except _Halted:
            return

    async def process(worker: Worker, group: list[Item], lease: _Lease) -> None:
        def record_step(items: Sequence[Item], step: str) -> None:
            sent = time.monotonic()
            journal.set_step(items, step)
            lease.confirmed = max(lease.confirmed, sent)

        started = time.monotonic()
        task = asyncio.ensure_future(worker.process(group, record_step))
        keeper = asyncio.ensure_future(keep(group, lease, task))
        try:
            outcomes = await task
        except asyncio.CancelledError:
            if lease.lost is None:
                raise
            await _lost(worker, group, lease)
            return
        except BusinessError as err:
            outcomes = [Outcome(item, err.code, str(err)) for item in group]
        except (LeaseLost, JournalUnavailable) as err:
            await _lost(worker, group, _Lease(0.0, str(err), isinstance(err, JournalUnavailable)))
            return
        except Exception as err:  # noqa: BLE001 - every other failure is a system failure
            await _system_failure(worker, group, err)
            return
        finally:
            keeper.cancel()
        if stop.is_set() and not outcomes:
            return
        await worker.discard_evidence()
        if outcomes:
            try:
                await durable(lambda: journal.finish_many(_results(outcomes, stamp)))
            except LeaseLost as err:
                log.warning("Rows %s: not recorded: %s", _rows(group), err)
                stats.lost += 1
                return
        state["consecutive"] = state["expiries"] = 0
        stats.processed += len(outcomes)
        stats.durations.extend([time.monotonic() - started] * len(outcomes))
        if on_outcomes is not None:
            on_outcomes(outcomes)

    async def _lost(worker: Worker, group: list[Item], lease: _Lease) -> None:
        """The claim is gone, or cannot be confirmed: leave the rows, get the browser back."""
        stats.lost += 1
        log.warning("Rows %s: left to another worker: %s", _rows(group), lease.lost)
        await _safe_discard(worker)
        if lease.unreachable:
            # Still ours in the journal, maybe: hand it back as soon as the journal answers,
            # so that it need not wait for the claim to run out. Not the row's fault.
            await durable(lambda: journal.release(group, str(lease.lost), count_attempt=False))
        await _safe_recover(worker)

    async def _safe_recover(worker: Worker) -> None:
        try:
            await worker.recover()
        except Exception as recover_err:  # noqa: BLE001 - the next claim will fail and count
            if repeated(recover_err):
                return
            log.warning("Could not recover the browser: %s", _describe(recover_err))

    async def _system_failure(worker: Worker, group: list[Item], err: Exception) -> None:
        reason = _describe(err)
        if repeated(err):
            # Not the row's fault: it goes back to the queue as it was, for the resumed run.
            await durable(lambda: journal.release(group, reason, count_attempt=False))
            return
        stats.system_failures += 1
        # A session that ended is not the row's fault: log on again and retry, without
        # counting an attempt (a run that keeps losing its session still stops, below).
        expired = isinstance(err, SessionExpired)
        state["expiries" if expired else "consecutive"] += 1
        attempt = group[0].attempts + (0 if expired else 1)
        folder = evidence_dir / f"row-{group[0].payload.get('row', group[0].item_id):05d}"
        folder = folder / f"attempt-{attempt}"
        # An ended session says nothing about the row: no screenshot of the logon page (it
        # costs the browser time the next logon needs); the trace recorded so far is dropped.
        if expired:
            files: list[Path] = []
            with contextlib.suppress(Exception):
                await worker.discard_evidence()
        else:
            files = await _safe_evidence(worker, folder)
        evidence = str(folder.relative_to(evidence_dir.parent)) if files else ""
        log.warning("Rows %s: %s (attempt %d)", _rows(group), reason, max(attempt, 1))
        limit = policy.max_attempts
        if isinstance(err, SystemFailure) and err.max_attempts is not None:
            limit = min(limit, err.max_attempts)
        if attempt >= limit:
            outcomes = [
                Outcome(i, FAILED, f"{reason} (gave up after {attempt} attempts)",
                        {"evidence": evidence})
                for i in group
            ]
            try:
                # The attempt that gave up counts too.
                await durable(
                    lambda: journal.finish_many(_results(outcomes, stamp), attempts=attempt)
                )
            except LeaseLost as lost:
                log.warning("Rows %s: not recorded: %s", _rows(group), lost)
                return
            stats.processed += len(outcomes)
            if on_outcomes is not None:
                on_outcomes(outcomes)
        elif not await durable(
            lambda: journal.release(group, reason, count_attempt=not expired)
        ):
            log.warning("Rows %s: another worker took them over meanwhile", _rows(group))
        if (
            state["consecutive"] >= policy.max_consecutive_failures
            or state["expiries"] >= policy.max_consecutive_expiries
        ):
            count = max(state["consecutive"], state["expiries"])
            halt(f"{count} system failures in a row; the last: {reason}")
            return
        await asyncio.sleep(policy.backoff(attempt))
        await _safe_recover(worker)

    await asyncio.gather(*(work(w, f"w{n}") for n, w in enumerate(workers, start=1)))
    if stats.stopped:
        raise RunStopped(stats.stopped)
    return stats


def _results(
    outcomes: Sequence[Outcome], stamp: Mapping[str, Any]
) -> list[tuple[Item, str, str, dict[str, Any]]]:
    return [(o.item, o.status, o.reason, {**o.result, **stamp}) for o in outcomes]


async def _safe_discard(worker: Worker) -> None:
    try:
        await worker.discard_evidence()
    except Exception as err:  # noqa: BLE001 - a trace that cannot be dropped is no matter
        log.debug("Could not drop the trace: %s", err)


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
