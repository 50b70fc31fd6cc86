"""Mutable run-time state of one portal app: faults, the fault RNG, clock and counters."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from .builds import alt_kinds
from .config import CodePage, PortalConfig

__all__ = ["Faults", "PortalState", "get_state"]

EXTENSION_KEY = "toms_mock_portal"
CODE_PAGES: tuple[CodePage, ...] = ("default", "unknown")


@dataclass
class Faults:
    """The misbehaviour currently injected; changeable at run time via ``/__mock__/faults``."""

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
    silent_save: bool = False
    code_page: CodePage = "default"
    end_new_sessions: int = 0

    @classmethod
    def from_config(cls, config: PortalConfig) -> Faults:
        """Take the fault settings of a start-up configuration."""
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})

    def to_json(self) -> dict[str, Any]:
        """Return the settings as a JSON-ready dict."""
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> Faults:
        """Return a copy with ``changes`` applied; raise ValueError on a bad key or value."""
        values = asdict(self)
        for key, value in changes.items():
            if key not in values:
                raise ValueError(f"unknown fault setting: {key}")
            if key == "session_lifetime_s" and value is None:
                values[key] = None
                continue
            if key == "code_page":
                if value not in CODE_PAGES:
                    raise ValueError(f"{key} must be one of {', '.join(CODE_PAGES)}")
                values[key] = value
                continue
            if key in ("profile_tab_pages", "silent_save"):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                values[key] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number")
            if value < 0 or (key.endswith("_rate") and value > 1):
                raise ValueError(f"{key} out of range")
            whole = key in (
                "latency_ms", "iframe_delay_ms", "slow_ms", "fault_seed", "end_new_sessions"
            )
            values[key] = int(value) if whole else value
        return Faults(**values)


@dataclass
class Stats:
    """Request counters, for benchmarks."""

    total: int = 0
    frame: int = 0
    errors_injected: int = 0
    errors_after_store: int = 0
    sessions_expired: int = 0
    slow_injected: int = 0
    frames_delayed: int = 0
    # Every HTTP request a client made (static files too; not the test API), and the HTML
    # documents among the answers (a redirect is not a document): top-level pages and frames.
    requests: int = 0
    documents: int = 0
    frame_documents: int = 0
    # HTML fragments fetched by the alt build's scripts (not counted as documents).
    fragments: int = 0
    # Logon form posts whose password was right, and codes e-mailed for a new browser.
    password_logons: int = 0
    email_codes_sent: int = 0
    # Bottom SAVEs that the ``silent_save`` fault swallowed.
    saves_silenced: int = 0


class PortalState:
    """Everything one app instance shares between its request threads."""

    def __init__(self, config: PortalConfig, db_path: Path) -> None:
        self.config = config
        self.db_path = db_path
        self.lock = threading.Lock()
        self.clock: Callable[[], float] = time.time
        self.faults = Faults.from_config(config)
        self.rng = random.Random(config.fault_seed)
        self.stats = Stats()
        self.alt_kinds = alt_kinds(config.build, config.build_seed)

    def set_faults(self, faults: Faults) -> None:
        """Replace the faults; a new fault seed restarts the fault RNG."""
        with self.lock:
            if faults.fault_seed != self.faults.fault_seed:
                self.rng = random.Random(faults.fault_seed)
            self.faults = faults

    def reset_faults(self) -> None:
        """Go back to the start-up faults, RNG and counters."""
        with self.lock:
            self.faults = Faults.from_config(self.config)
            self.rng = random.Random(self.config.fault_seed)
            self.stats = Stats()

    def take(self, name: str) -> bool:
        """Use up one of the counted fault ``name``; whether there was one left."""
        with self.lock:
            left = int(getattr(self.faults, name))
            if left <= 0:
                return False
            self.faults = self.faults.updated({name: left - 1})
            return True

    def draw(self) -> float:
        """One number from the fault RNG (thread-safe)."""
        with self.lock:
            return self.rng.random()

    def count(self, name: str, amount: int = 1) -> None:
        """Increase one request counter."""
        with self.lock:
            setattr(self.stats, name, getattr(self.stats, name) + amount)


def get_state(app: Flask | None = None) -> PortalState:
    """Return the portal state of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    state = target.extensions[EXTENSION_KEY]
    assert isinstance(state, PortalState)
    return state
