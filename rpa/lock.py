"""One run at a time per state directory, and the state directory's name among machines."""

from __future__ import annotations

import fcntl
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rpa.errors import InputError
from rpa.files import FILE_MODE, private_dir, write_private_text

__all__ = ["RunLocked", "run_lock", "seat_of"]

SEAT_FILE = "seat"


class RunLocked(InputError):
    """Another run holds the state directory."""


@contextmanager
def run_lock(state_dir: Path, name: str = "run") -> Iterator[None]:
    """Hold an exclusive lock on ``state_dir`` for as long as the block runs.

    The lock is released by the operating system when the process ends, even by SIGKILL, so a
    killed run never leaves a stale lock behind.
    """
    private_dir(state_dir)
    path = state_dir / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            raise RunLocked(
                f"Another run is using the state directory {state_dir} (pid {holder}); "
                "wait for it to finish, or use another TOMS_STATE_DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


def seat_of(state_dir: Path) -> str:
    """The state directory's lasting name in a shared journal: this host and a random tag.

    The tag is kept in the state directory, so every run from it has the same seat; and since
    :func:`run_lock` allows one run at a time per state directory, a claim left by an earlier
    process of the same seat is known to be abandoned. The host name alone would not do: two
    machines may share one (containers made from one image).
    """
    path = private_dir(state_dir) / SEAT_FILE
    try:
        tag = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        tag = ""
    if not tag:
        tag = secrets.token_hex(3)
        write_private_text(path, tag + "\n")
    return f"{socket.gethostname()}/{tag}"
