"""The bulk opt-out: roster in, verified condition codes out (plan, apply, resume, report)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from flows.optout.outputs import write_outputs
from flows.optout.roster import RosterRow, load_roster, roster_fingerprint
from flows.optout.shard import shard_rows
from flows.optout.worker import ALREADY_SET, APPLIED, PLANNED, OptOutWorker
from flows.session import STATE_FILE, CodeProvider, TomsSession, email_code_provider
from rpa.browser import open_browser
from rpa.errors import InputError, JournalUnavailable, LogonFailed, RunStopped, SystemFailure
from rpa.files import private_dir
from rpa.journal import Item, Journal
from rpa.lock import run_lock, seat_of
from rpa.progress import RunProgress
from rpa.runner import Outcome, RunPolicy, run_queue
from rpa.settings import Settings

__all__ = [
    "EXIT_BLOCKED", "EXIT_OK", "EXIT_STOPPED", "RunResult", "open_journal", "report_run",
    "run_optout",
]

log = logging.getLogger(__name__)

Kind = Literal["apply", "plan"]

EXIT_OK, EXIT_BLOCKED, EXIT_INPUT, EXIT_STOPPED = 0, 1, 2, 3


@dataclass
class RunResult:
    """What a run did, and where its report is."""

    run_id: str
    run_dir: Path
    counts: dict[str, int]
    exit_code: int
    stopped: str | None
    elapsed_s: float
    rows_per_s: float
    p50_s: float
    p95_s: float
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    shared: bool = False
    """The journal is shared: other machines may have worked on the run."""
    own: dict[str, int] = dataclasses.field(default_factory=dict)
    """What this process did, by status (the run's figures are ``counts``)."""
    machines: dict[str, int] = dataclasses.field(default_factory=dict)
    """Rows done by each machine (its seat), for a shared run."""


def _new_run_id(kind: Kind) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{kind}-{stamp}-{secrets.token_hex(2)}"


def open_journal(settings: Settings, state_dir: Path) -> Journal:
    """The journal: PostgreSQL when ``TOMS_JOURNAL_URL`` is set, else the state directory's file.

    Either way this state directory is the process's seat, so that a restarted run takes back
    at once the claims its killed predecessor left.
    """
    url = settings.journal_url.get_secret_value() if settings.journal_url else None
    return Journal(
        url or state_dir / "journal.sqlite3",
        seat=seat_of(state_dir),
        lease_s=settings.journal_lease_s,
    )


def _recover(journal: Journal, run_id: str) -> None:
    # A file journal is this state directory's alone: whatever is claimed was left by a killed
    # run. A shared one: only this state directory's earlier claims (the run lock says that
    # process is gone); other machines' claims run out by themselves if they are gone too.
    count = journal.recover(run_id, seat=journal.seat if journal.shared else None)
    if count:
        log.info("%d rows left in progress by an earlier run of this state directory go back "
                 "to the queue; each is read in TOMS before anything is clicked", count)


def _open_run(
    journal: Journal, kind: Kind, rows: Sequence[RosterRow], roster: Path, resume: str | None,
    workers: int, *, new_run: bool = False,
) -> str:
    fingerprint = roster_fingerprint(rows)
    if resume:
        info = journal.run_info(resume)
        if info is None:
            raise InputError(f"There is no run {resume!r} in the journal {journal.where}")
        if info["fingerprint"] != fingerprint:
            raise InputError(
                f"Run {resume} was made from a different roster; give the same roster file"
            )
        _recover(journal, resume)
        return resume
    run_id, created = journal.open_run(
        _new_run_id(kind), kind=kind, fingerprint=fingerprint, source=str(roster),
        items=[(row.ssid, dataclasses.asdict(row)) for row in rows],
        meta={"workers": workers}, new=new_run,
    )
    if not created and journal.shared:
        standing = journal.standing(run_id)
        log.info("Joining the run %s of this roster: %d of %d rows done, %d other machines at "
                 "work", run_id, standing.done, standing.total,
                 len({h for h in standing.holders if h != journal.holder}))
        _recover(journal, run_id)
    elif not created:
        log.info("Resuming the unfinished run %s of this roster", run_id)
        _recover(journal, run_id)
    return run_id


class _RunWide:
    """A shared run's progress, all machines together, looked up now and then."""

    EVERY_S = 10.0

    def __init__(self, journal: Journal, run_id: str, progress: RunProgress) -> None:
        self.journal = journal
        self.run_id = run_id
        self.progress = progress
        self._last = time.monotonic()

    def __call__(self, outcomes: Sequence[Outcome]) -> None:
        self.progress.advance([o.status for o in outcomes])
        if not self.journal.shared or time.monotonic() - self._last < self.EVERY_S:
            return
        self._last = time.monotonic()
        try:
            standing = self.journal.standing(self.run_id)
        except JournalUnavailable:
            return  # only progress; the runner deals with the journal out of reach
        # The bar and its count are the run's; the rate and statuses, this machine's.
        self.progress.done = standing.done
        log.info(
            "The run, all machines: %d/%d rows done, %d machines at work; this one: %d rows",
            standing.done, standing.total, len(standing.holders),
            sum(self.progress.counts.values()),
        )


async def _work(
    settings: Settings, journal: Journal, run_id: str, run_dir: Path, *, kind: Kind,
    workers: int, code_provider: CodeProvider, progress: RunProgress, policy: RunPolicy,
) -> tuple[str | None, list[float]]:
    async with open_browser(settings) as browser:
        session = TomsSession(
            browser, settings, state_path=settings.state_dir / STATE_FILE,
            code_provider=code_provider,
        )
        try:
            await session.start()
        except LogonFailed as err:
            return str(err), []  # says "could not log on to TOMS" itself
        except SystemFailure as err:
            return f"could not log on to TOMS: {err}", []
        standing = journal.standing(run_id)
        count = max(1, min(workers, standing.total - standing.done))
        opened = await asyncio.gather(*(
            OptOutWorker.start(session, settings, dry_run=kind == "plan", run_dir=run_dir)
            for _ in range(count)
        ), return_exceptions=True)
        started = [w for w in opened if isinstance(w, OptOutWorker)]
        failures = [w for w in opened if isinstance(w, BaseException)]
        if not started:
            return f"no browser could reach the student search: {failures[0]}", []
        for failure in failures:
            log.warning("A worker could not start: %s", failure)
        stopped = None
        durations: list[float] = []
        stamp = {"user": settings.username, "role": settings.role}
        if journal.shared:
            stamp["machine"] = journal.seat
        try:
            stats = await run_queue(
                journal, run_id, started, evidence_dir=run_dir / "rows", policy=policy,
                on_outcomes=_RunWide(journal, run_id, progress), stamp=stamp,
            )
            durations = stats.durations
        except RunStopped as err:
            stopped = str(err)
        finally:
            await asyncio.gather(*(w.close() for w in started), return_exceptions=True)
    return stopped, durations


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _exit_code(counts: dict[str, int], stopped: str | None) -> int:
    if stopped is not None:
        return EXIT_STOPPED
    return EXIT_OK if set(counts) <= {APPLIED, ALREADY_SET, PLANNED} else EXIT_BLOCKED


def _machines(items: Sequence[Item]) -> dict[str, int]:
    done = Counter(str(i.result.get("machine", "")) for i in items if i.done)
    return {machine: n for machine, n in sorted(done.items()) if machine}


def run_optout(
    settings: Settings,
    roster: Path,
    *,
    kind: Kind = "apply",
    resume: str | None = None,
    code_provider: CodeProvider | None = None,
    policy: RunPolicy | None = None,
    new_run: bool = False,
    redact: bool = False,
    shard: tuple[int, int] | None = None,
) -> RunResult:
    """Plan or apply a roster; raises :class:`InputError` (nothing done) on bad input.

    With ``shard`` ``(K, N)`` only the K-th of N deterministic parts of the roster is done.
    With a shared journal (``TOMS_JOURNAL_URL``) every machine that runs the same roster joins
    one run; each writes the run's combined report when it ends, which is when no row is left
    to take (it waits for the rows other machines hold, and takes over those whose claim runs
    out).

    Raises :class:`JournalUnavailable` when the journal cannot be reached at the start or at
    the end (nothing is lost: the same command continues the run).
    """
    rows = load_roster(roster)
    if shard is not None:
        rows = shard_rows(rows, *shard)
        log.info("Shard %d/%d: %d rows of the roster", shard[0], shard[1], len(rows))
    settings.require_credentials()
    state_dir = private_dir(settings.state_dir)
    with run_lock(state_dir):
        journal = open_journal(settings, state_dir)
        try:
            run_id = _open_run(
                journal, kind, rows, roster, resume, settings.workers, new_run=new_run
            )
            run_dir = private_dir(state_dir / "runs" / run_id)
            standing = journal.standing(run_id)
            started = time.time()
            log.info(
                "Run %s: %d rows, %d already done, %d workers%s",
                run_id, standing.total, standing.done, settings.workers,
                f"; journal {journal.where}" if journal.shared else "",
            )
            with RunProgress(standing.total, done=standing.done) as progress:
                stopped, durations = asyncio.run(_work(
                    settings, journal, run_id, run_dir, kind=kind, workers=settings.workers,
                    code_provider=code_provider or email_code_provider(settings),
                    progress=progress, policy=policy or RunPolicy(),
                ))
            elapsed = time.time() - started
            try:
                return _conclude(
                    journal, run_id, run_dir, stopped=stopped, elapsed=elapsed,
                    durations=durations, progress=progress, kind=kind, roster=roster,
                    settings=settings, started=started, redact=redact,
                )
            except JournalUnavailable as err:
                raise JournalUnavailable(
                    f"{err}; run {run_id} stopped before its report was written"
                ) from err
        finally:
            journal.close()


def _conclude(
    journal: Journal, run_id: str, run_dir: Path, *, stopped: str | None, elapsed: float,
    durations: Sequence[float], progress: RunProgress, kind: Kind, roster: Path,
    settings: Settings, started: float, redact: bool,
) -> RunResult:
    """Mark the run finished when it is (by whichever machine sees it first), report it."""
    if stopped is None and journal.finish_run_if_done(run_id):
        log.info("Run %s finished: every row is done", run_id)
    items = journal.items(run_id)
    counts = dict(Counter(i.status for i in items))
    per_group = [d for d in durations if d > 0]
    result = RunResult(
        run_id=run_id, run_dir=run_dir, counts=counts, exit_code=_exit_code(counts, stopped),
        stopped=stopped, elapsed_s=elapsed, rows_per_s=progress.rate,
        p50_s=_percentile(per_group, 0.5), p95_s=_percentile(per_group, 0.95),
        shared=journal.shared, own=dict(progress.counts), machines=_machines(items),
    )
    write_outputs(
        items, run_id, run_dir, kind=kind, roster=roster, settings=settings, started=started,
        result=result, redact=redact,
    )
    return result


def report_run(settings: Settings, run_id: str, *, redact: bool = False) -> RunResult:
    """Write a run's combined results.csv, summary.json and report.html from the journal.

    Any machine, any time: while other machines still work on the run, the rows they have not
    finished are shown as not done. The files go to ``runs/RUN`` in the state directory.
    """
    state_dir = private_dir(settings.state_dir)
    journal = open_journal(settings, state_dir)
    try:
        info = journal.run_info(run_id)
        if info is None:
            raise InputError(f"There is no run {run_id!r} in the journal {journal.where}")
        items = journal.items(run_id)
        standing = journal.standing(run_id)
        durations = [
            c.ended - c.claimed for c in journal.claims(run_id)
            if c.outcome == "done" and c.ended is not None
        ]
    finally:
        journal.close()
    counts = dict(Counter(i.status for i in items))
    done = [i for i in items if i.done]
    started = float(info["created"])
    finished = float(info["finished"] or max((i.updated for i in done), default=started))
    elapsed = max(0.0, finished - started)
    not_done = len(items) - len(done)
    alert = None
    if not_done:
        at_work = len(standing.holders)
        alert = (
            f"The run is not finished: {not_done} of {len(items)} rows are not done yet"
            + (f"; {at_work} machine{'s are' if at_work != 1 else ' is'} working on it now"
               if at_work else "")
            + ". Write this report again later, or run the same apply command to continue it."
        )
    result = RunResult(
        run_id=run_id, run_dir=private_dir(state_dir / "runs" / run_id), counts=counts,
        exit_code=EXIT_BLOCKED if not_done else _exit_code(counts, None), stopped=None,
        elapsed_s=elapsed, rows_per_s=len(done) / elapsed if elapsed > 0 else 0.0,
        p50_s=_percentile(durations, 0.5), p95_s=_percentile(durations, 0.95),
        shared=journal.shared, machines=_machines(items),
    )
    kind: Kind = "plan" if info["kind"] == "plan" else "apply"
    write_outputs(
        items, run_id, result.run_dir, kind=kind, roster=Path(str(info["source"])),
        settings=settings, started=started, result=result, redact=redact, finished=finished,
        alert=alert,
    )
    return result
