"""Logging: to stderr, and to a rotating file in the state directory; secrets masked."""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import Iterable
from pathlib import Path

from rpa.files import FILE_MODE, private_dir

__all__ = ["BriefFormatter", "SecretFilter", "setup_logging"]

FORMAT = "%(asctime)s %(levelname)s %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the new one after a rollover too, is mode 0600."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        os.close(fd)
        os.chmod(self.baseFilename, FILE_MODE)
        return super()._open()


class BriefFormatter(logging.Formatter):
    """One line a record: a traceback goes to the log file, never to the person's screen."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


class SecretFilter(logging.Filter):
    """Replaces every secret in a record's message with ``***``, whatever logged it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so that a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(
    *, verbose: bool = False, log_dir: Path | None = None, secrets: Iterable[str] = ()
) -> None:
    """Send log lines to stderr and, when ``log_dir`` is given, to ``toms-rpa.log`` there."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    secret_filter = SecretFilter(secrets)
    console = logging.StreamHandler()
    console.setFormatter(BriefFormatter("%(levelname)s %(message)s"))
    console.addFilter(secret_filter)
    root.addHandler(console)
    if log_dir is not None:
        private_dir(log_dir)
        path = log_dir / "toms-rpa.log"
        path.touch(mode=FILE_MODE, exist_ok=True)
        path.chmod(FILE_MODE)
        file_handler = PrivateRotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
        file_handler.setFormatter(logging.Formatter(FORMAT))
        file_handler.addFilter(secret_filter)
        root.addHandler(file_handler)
    # Third-party chatter (the HTTP server's request lines, asyncio) stays out of the way.
    for name in ("werkzeug", "asyncio"):
        logging.getLogger(name).setLevel(logging.WARNING)
