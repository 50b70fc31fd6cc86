"""Errors raised by the toolkit.

The hierarchy follows the RPA split of failures: a business error is reported and never
retried; a system error is retried with backoff, then stops the run so it can be resumed.

    RpaError
    ├── InputError              bad input file or settings: nothing was done (exit status 2)
    │   └── SettingsError       a missing or invalid setting
    ├── BusinessError           this row cannot be done as asked: reported, never retried
    └── SystemFailure           the portal or the browser failed: retried, then the run stops
        ├── PortalUnavailable   an error page, or the portal did not answer in time
        ├── PageNotRecognized   the portal settled on a page that is not the one expected
        ├── SessionExpired      the portal sent us back to its logon page
        ├── JournalUnavailable  the journal's database cannot be reached: retried with backoff,
        │                       then the run stops (resumable; nothing is lost)
        ├── LeaseLost           rows this process claimed were taken over by another, after
        │                       their claim ran out unrenewed: it leaves them alone
        └── RunStopped          too many system failures in a row: the run stopped, resumable
            └── LogonFailed     the logon failed twice for the same reason: stopped before
                                the account locks
"""

from __future__ import annotations

__all__ = [
    "BusinessError",
    "InputError",
    "JournalUnavailable",
    "LeaseLost",
    "LogonFailed",
    "PageNotRecognized",
    "PortalUnavailable",
    "RpaError",
    "RunStopped",
    "SessionExpired",
    "SettingsError",
    "SystemFailure",
]


class RpaError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class InputError(RpaError):
    """The input given by the user is wrong; nothing was done."""


class SettingsError(InputError):
    """A setting is missing or invalid."""

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class BusinessError(RpaError):
    """A work item cannot be done as asked; it is reported, never retried."""

    def __init__(self, message: str, *, code: str = "blocked") -> None:
        super().__init__(message)
        self.code = code


class SystemFailure(RpaError):
    """The portal or the browser failed; the work item may be retried."""

    max_attempts: int | None = None
    """At most this many attempts for a failure of this kind, when fewer than the run allows
    (one the portal answered the same way several times is not a passing slowness)."""


class PortalUnavailable(SystemFailure):
    """The portal answered with an error page or did not answer in time."""


class PageNotRecognized(SystemFailure):
    """The portal showed a page, settled, that is not the one expected.

    Not a slow portal: it is retried once, and the same page met again (the same
    ``signature``: what was looked for, and where) stops the run, since trying again and again
    would only repeat it (and, at the logon, could lock the account).
    """

    def __init__(self, message: str, *, signature: str) -> None:
        super().__init__(message)
        self.signature = signature


class SessionExpired(SystemFailure):
    """The portal's session ended; log on again and retry."""


class JournalUnavailable(SystemFailure):
    """The journal's database cannot be reached (or answered with a connection error)."""


class LeaseLost(SystemFailure):
    """The claim on a group of items is no longer this process's: another took the group over."""


class RunStopped(SystemFailure):
    """Too many system failures in a row: the run stopped and can be resumed."""


class LogonFailed(RunStopped):
    """The logon failed twice for the same reason; trying again could lock the account."""
