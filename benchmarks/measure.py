"""CPU time and memory of a process tree: a Python client, its Playwright driver, Chromium."""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass, field

import psutil

__all__ = ["TreeUsage", "kind_of", "p50_p95", "watch"]


@dataclass
class TreeUsage:
    """What a process tree used: CPU seconds by kind of process, and its peak memory."""

    cpu_s: dict[str, float] = field(default_factory=dict)
    peak_bytes: int = 0

    @property
    def cpu_total_s(self) -> float:
        """CPU seconds (user and system) of the whole tree."""
        return sum(self.cpu_s.values())

    @property
    def peak_mb(self) -> int:
        """Peak proportional set size of the tree, in MiB."""
        return round(self.peak_bytes / 2**20)


def kind_of(proc: psutil.Process, root: int) -> str:
    """``python`` (the client), ``driver`` (Playwright's node), or Chromium's process type."""
    if proc.pid == root:
        return "python"
    try:
        cmdline = proc.cmdline()
    except psutil.Error:
        return "other"
    if any("playwright" in part and "cli.js" in part for part in cmdline) or (
        cmdline and cmdline[0].endswith("node")
    ):
        return "driver"
    for part in cmdline:
        if part.startswith("--type="):
            return "chromium " + part.removeprefix("--type=")
    return "chromium browser" if any("chrom" in part for part in cmdline[:1]) else "other"


def _sample(root: psutil.Process, seen: dict[int, tuple[str, float]]) -> int:
    """Record each process's CPU so far; return the tree's memory (PSS) now."""
    memory = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            kind = seen[proc.pid][0] if proc.pid in seen else ""
            if kind in ("", "chromium zygote"):
                # Renderers are forked from the zygote and take their own title a moment later.
                kind = kind_of(proc, root.pid)
            seen[proc.pid] = (kind, times.user + times.system)
            memory += proc.memory_full_info().pss
    return memory


def watch(proc: subprocess.Popen[str], interval_s: float = 0.25) -> TreeUsage:
    """Sample ``proc``'s tree until it exits: CPU by kind (last value seen per process), peak PSS.

    Proportional set size counts memory shared by several Chromium processes once in all, not
    once per process as RSS would. A process that ends between two samples loses at most
    ``interval_s`` of CPU.
    """
    root = psutil.Process(proc.pid)
    seen: dict[int, tuple[str, float]] = {}
    usage = TreeUsage()
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            usage.peak_bytes = max(usage.peak_bytes, _sample(root, seen))
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=interval_s)
    for kind, cpu in seen.values():
        usage.cpu_s[kind] = usage.cpu_s.get(kind, 0.0) + cpu
    return usage


def p50_p95(durations: list[float]) -> tuple[float, float]:
    """The median and 95th percentile of ``durations`` (seconds, rounded to ms)."""
    ordered = sorted(durations)
    if not ordered:
        return 0.0, 0.0
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return round(ordered[len(ordered) // 2], 3), round(p95, 3)
