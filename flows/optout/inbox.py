"""Drop-folder mode: apply each roster file that appears in a folder, once.

Made to be called from cron or a systemd timer every few minutes. Each call takes the files
that are complete (not modified for a few seconds), applies them one by one, and moves each to
``done/`` (applied, even if some rows need a person) or ``failed/`` (refused: bad input), with
its report beside it. A run that stopped on system errors leaves its file in the inbox, and the
next call resumes it. Overlapping calls do not collide: a second one finds the inbox busy and
leaves at once.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

from flows.optout.run import EXIT_STOPPED, run_optout
from rpa.errors import InputError
from rpa.files import private_dir, write_private_text
from rpa.lock import RunLocked, run_lock
from rpa.settings import Settings

__all__ = ["ROSTER_SUFFIXES", "watch_inbox"]

log = logging.getLogger(__name__)

ROSTER_SUFFIXES = (".csv", ".xlsx")
SETTLE_S = 2.0  # a file still being copied in is left for the next call


def _ready(inbox: Path) -> list[Path]:
    now = time.time()
    files = [
        p for p in inbox.iterdir()
        if p.is_file() and p.suffix.lower() in ROSTER_SUFFIXES and not p.name.startswith(".")
        and now - p.stat().st_mtime >= SETTLE_S
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def _move(path: Path, folder: Path) -> Path:
    private_dir(folder)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}"
    shutil.move(str(path), target)
    return target


def watch_inbox(settings: Settings, inbox: Path) -> dict[str, Any]:
    """Apply every ready roster in ``inbox``; return what happened to each file."""
    if not inbox.is_dir():
        raise InputError(f"The inbox {inbox} is not a folder")
    outcome: dict[str, Any] = {"inbox": str(inbox.resolve()), "files": []}
    try:
        with run_lock(private_dir(settings.state_dir), "watch"):
            for path in _ready(inbox):
                outcome["files"].append(_one(settings, inbox, path))
    except RunLocked:
        log.info("Another watch is working on %s; nothing to do", inbox)
        outcome["busy"] = True
    if not outcome["files"] and not outcome.get("busy"):
        log.info("No new roster in %s", inbox)
    return outcome


def _one(settings: Settings, inbox: Path, path: Path) -> dict[str, Any]:
    log.info("Applying %s", path.name)
    try:
        result = run_optout(settings, path, kind="apply")
    except InputError as err:
        moved = _move(path, inbox / "failed")
        write_private_text(moved.with_name(moved.name + ".errors.txt"), f"{err}\n")
        log.warning("%s was refused and moved to failed/: %s", path.name, err)
        return {"file": path.name, "status": "refused", "moved_to": str(moved),
                "error": str(err)}
    if result.exit_code == EXIT_STOPPED:
        log.warning("%s stopped (%s); it stays in the inbox to resume", path.name,
                    result.stopped)
        return {"file": path.name, "status": "stopped", "run_id": result.run_id,
                "counts": result.counts}
    moved = _move(path, inbox / "done")
    for name in ("report.html", "results.csv"):
        shutil.copyfile(result.run_dir / name, moved.with_name(f"{moved.name}.{name}"))
        moved.with_name(f"{moved.name}.{name}").chmod(0o600)
    return {"file": path.name, "status": "done", "moved_to": str(moved),
            "run_id": result.run_id, "counts": result.counts, "exit_code": result.exit_code}
