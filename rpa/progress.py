"""Progress of a long run: a bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["RunProgress"]

log = logging.getLogger(__name__)


class RunProgress:
    """Counts finished items by status and shows done, left, rate and time to go."""

    def __init__(self, total: int, *, done: int = 0, label: str = "rows") -> None:
        self.total = total
        self.done = done
        self.label = label
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()
        self._last_log = 0.0
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._restore: list[tuple[logging.StreamHandler[Any], Any]] = []
        if sys.stderr.isatty():
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                TextColumn("to go"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(
                self.label, total=self.total, completed=self.done, rate="", counts=""
            )
            # While the bar is drawn, rich stands in for sys.stderr and prints what is written
            # to it above the bar; point the console log handler at it so lines do not tear it.
            for handler in logging.getLogger().handlers:
                if type(handler) is logging.StreamHandler:
                    self._restore.append((handler, handler.setStream(sys.stderr)))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            for handler, stream in self._restore:
                if stream is not None:
                    handler.setStream(stream)

    @property
    def rate(self) -> float:
        """Items finished per second in this process."""
        elapsed = time.monotonic() - self.started
        return sum(self.counts.values()) / elapsed if elapsed > 0 else 0.0

    def advance(self, statuses: list[str]) -> None:
        """Count newly finished items."""
        self.done += len(statuses)
        self.counts.update(statuses)
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, completed=self.done, rate=f"{self.rate:.1f}/s", counts=counts
            )
            return
        now = time.monotonic()
        if now - self._last_log >= 5 or self.done >= self.total:
            self._last_log = now
            left = self.total - self.done
            eta = left / self.rate if self.rate else 0.0
            log.info(
                "%d/%d %s done, %d left, %.1f/s, about %.0f s to go (%s)",
                self.done, self.total, self.label, left, self.rate, eta, counts,
            )
