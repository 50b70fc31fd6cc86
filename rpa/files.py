"""Private files: student data and browser state are readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["private_dir", "write_private_bytes", "write_private_text"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` if needed and make it mode 0700; folders created on the way are too."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for folder in [*missing, path]:
        os.chmod(folder, DIR_MODE)
    return path


def write_private_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` atomically to ``path`` with mode 0600, whatever the umask."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_private_text(path: Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` with mode 0600."""
    return write_private_bytes(path, text.encode("utf-8"))
