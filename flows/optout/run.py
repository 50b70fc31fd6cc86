"""The bulk opt-out: roster in, verified condition codes out (plan, apply, resume, report)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
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
from rpa.errors import InputError, RunStopped, SystemFailure
from rpa.files import private_dir
from rpa.journal import Journal
from rpa.lock import run_lock
from rpa.progress import RunProgress
from rpa.runner import Outcome, RunPolicy, run_queue
from rpa.settings import Settings

__all__ = ["EXIT_BLOCKED", "EXIT_OK", "EXIT_STOPPED", "RunResult", "run_optout"]

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


def _new_run_id(kind: Kind) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{kind}-{stamp}-{secrets.token_hex(2)}"


def _open_run(
    journal: Journal, kind: Kind, rows: Sequence[RosterRow], roster: Path, resume: str | None,
    workers: int, *, new_run: bool = False,
) -> str:
    fingerprint = roster_fingerprint(rows)
    if resume:
        info = journal.run_info(resume)
        if info is None:
            raise InputError(f"There is no run {resume!r} in this state directory")
        if info["fingerprint"] != fingerprint:
            raise InputError(
                f"Run {resume} was made from a different roster; give the same roster file"
            )
        journal.recover(resume)
        return resume
    earlier = None if new_run else journal.unfinished_run(kind=kind, fingerprint=fingerprint)
    if earlier:
        log.info("Resuming the unfinished run %s of this roster", earlier)
        journal.recover(earlier)
        return earlier
    run_id = _new_run_id(kind)
    items = [(row.ssid, dataclasses.asdict(row)) for row in rows]
    journal.create_run(
        run_id, kind=kind, fingerprint=fingerprint, source=str(roster),
        items=items, meta={"workers": workers},
    )
    return run_id


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
        except SystemFailure as err:
            return f"could not log on to TOMS: {err}", []
        pending = sum(1 for i in journal.items(run_id) if not i.done)
        count = max(1, min(workers, pending))
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

        def on_outcomes(outcomes: Sequence[Outcome]) -> None:
            progress.advance([o.status for o in outcomes])

        try:
            stats = await run_queue(
                journal, run_id, started, evidence_dir=run_dir / "rows", policy=policy,
                on_outcomes=on_outcomes,
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
    """
    rows = load_roster(roster)
    if shard is not None:
        rows = shard_rows(rows, *shard)
        log.info("Shard %d/%d: %d rows of the roster", shard[0], shard[1], len(rows))
    settings.require_credentials()
    state_dir = private_dir(settings.state_dir)
    with run_lock(state_dir):
        journal = Journal(state_dir / "journal.sqlite3")
        try:
            run_id = _open_run(
                journal, kind, rows, roster, resume, settings.workers, new_run=new_run
            )
            run_dir = private_dir(state_dir / "runs" / run_id)
            items = journal.items(run_id)
            done = sum(1 for i in items if i.done)
            started = time.time()
            log.info(
                "Run %s: %d rows, %d already done, %d workers",
                run_id, len(items), done, settings.workers,
            )
            with RunProgress(len(items), done=done) as progress:
                stopped, durations = asyncio.run(_work(
                    settings, journal, run_id, run_dir, kind=kind, workers=settings.workers,
                    code_provider=code_provider or email_code_provider(settings),
                    progress=progress, policy=policy or RunPolicy(),
                ))
            elapsed = time.time() - started
            counts = journal.counts(run_id)
            if stopped is None:
                journal.finish_run(run_id)
            ok = {APPLIED, ALREADY_SET, PLANNED}
            if stopped is not None:
                exit_code = EXIT_STOPPED
            elif set(counts) <= ok:
                exit_code = EXIT_OK
            else:
                exit_code = EXIT_BLOCKED
            per_group = [d for d in durations if d > 0]
            result = RunResult(
                run_id=run_id, run_dir=run_dir, counts=counts, exit_code=exit_code,
                stopped=stopped, elapsed_s=elapsed,
                rows_per_s=progress.rate,
                p50_s=_percentile(per_group, 0.5), p95_s=_percentile(per_group, 0.95),
            )
            write_outputs(
                journal.items(run_id), run_id, run_dir, kind=kind, roster=roster,
                settings=settings, started=started, result=result, redact=redact,
            )
            return result
        finally:
            journal.close()
