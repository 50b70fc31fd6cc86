"""Start-up configuration of the mock portal."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["Build", "CodePage", "PortalConfig"]

Build = Literal["default", "alt", "mixed"]
CodePage = Literal["default", "unknown"]


@dataclass
class PortalConfig:
    """How the mock portal is seeded and how badly it behaves.

    Attributes:
        db_path: SQLite file; ``None`` uses a fresh temporary file. An existing file seeded
            with the same ``seed`` and ``students`` is reused as it is.
        students: number of students to seed.
        seed: seed of the data generator; the same seed and count give identical data.
        latency_ms: delay added to every portal request.
        error_rate: fraction of portal requests answered with a 500 or 503 error page.
        idle_timeout_s: a logon session ends after this long without a request.
        session_lifetime_s: a logon session ends this long after logon, whatever the activity.
        session_expiry_rate: probability per request that the logon session ends.
        iframe_delay_ms: delay added to frame-content requests only.
        slow_rate: fraction of portal requests delayed by a further ``slow_ms``.
        slow_ms: the delay of those slow requests.
        fault_seed: seed of the one random generator behind every injected fault.
        profile_tab_pages: each Student Profile tab is a page of its own (the frame reloads
            on a tab), as another build of the portal may have it; by default Demographic and
            Test Assignments come in one page.
        secret_key: signs the Flask session cookie (random by default).
        practice_idle_timeout_s: a practice session whose TA made no request on its pages, and
            a practice student who made no request, for this long is ended or logged out.
        build: the markup and un-guided wording of the pages: ``default``; ``alt``, a second
            build that shows the guides' words with other markup and other words elsewhere
            (see ``builds``); or ``mixed``, each kind of page from one or the other.
        build_seed: which kinds of page are ``alt`` in the ``mixed`` build.
        silent_save: the bottom SAVE stores nothing and the page stays as it is (a test fault).
        end_new_sessions: the next this many logon sessions end at their first request after
            the logon (a test fault: a logon that fails after the password or the code).
        code_page: ``unknown`` shows the e-mail code step in words nobody would guess (a test
            fault); it still works when filled in.
    """

    db_path: Path | str | None = None
    students: int = 1000
    seed: int = 2026
    latency_ms: int = 0
    error_rate: float = 0.0
    idle_timeout_s: float = 1200
    session_lifetime_s: float | None = None
    session_expiry_rate: float = 0.0
    iframe_delay_ms: int = 0
    slow_rate: float = 0.0
    slow_ms: int = 0
    fault_seed: int = 1
    profile_tab_pages: bool = False
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    practice_idle_timeout_s: float = 1800
    build: Build = "default"
    build_seed: int = 0
    silent_save: bool = False
    code_page: CodePage = "default"
    end_new_sessions: int = 0
