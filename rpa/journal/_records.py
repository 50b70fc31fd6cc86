"""What the journal hands out: items, the claims' log, and where a run stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rpa.journal._schema import PENDING, RUNNING

__all__ = ["Claim", "Item", "Standing", "is_journal_url"]


def is_journal_url(address: str | Path) -> bool:
    """Whether ``address`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(address, str) and address.startswith(("postgresql://", "postgres://"))


@dataclass
class Item:
    """One unit of work (one input row) and what has happened to it so far."""

    run_id: str
    item_id: int
    group: str
    payload: dict[str, Any]
    status: str
    step: str = ""
    reason: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    updated: float = 0.0
    claim: int = 0
    """The number of the claim it was handed out under (0: not claimed); every change the
    claimant records is refused once another claim has been made on the group."""

    @property
    def done(self) -> bool:
        """Whether the item has reached a final status."""
        return self.status not in (PENDING, RUNNING)


@dataclass(frozen=True)
class Claim:
    """One claim of a group, from the journal's log: who held it, from when to when."""

    group: str
    n: int
    holder: str
    worker: str
    claimed: float
    ended: float | None
    outcome: str
    took_over: str


@dataclass(frozen=True)
class Standing:
    """Where a run stands, for every machine working on it."""

    total: int
    done: int
    holders: frozenset[str]
    """The processes holding claims right now."""
    held_by_others: int
    """Groups claimed by other processes than this journal's."""
    next_expiry_s: float | None
    """Seconds until the first of the others' claims runs out (negative: it has)."""
