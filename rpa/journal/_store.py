"""What the journal needs of a database: transactions, a clock, and row locks.

The journal's SQL is written once, with ``?`` for parameters and a few words in braces that
each database spells its own way (:class:`Dialect`). A store runs it: SQLite in a file of the
state directory, or PostgreSQL, which several machines share.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Dialect", "Store", "Tx"]


@dataclass(frozen=True)
class Dialect:
    """How one database spells what the journal's SQL leaves open."""

    now: str
    """Seconds since the epoch, by the database's own clock (one clock for every machine)."""
    skip_locked: str
    """Appended to the claim's SELECT: rows another transaction holds are passed over."""
    for_update: str
    """Appended to a SELECT whose rows the transaction will change."""
    real: str
    """The column type of a timestamp in seconds (a double)."""

    def sql(self, template: str) -> str:
        """The template with this database's words filled in."""
        return template.format(
            now=self.now, skip_locked=self.skip_locked, for_update=self.for_update, real=self.real
        )


class Tx(Protocol):
    """One transaction: every statement of it commits together, or none does."""

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a statement; return how many rows it changed."""
        ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Execute a query; return its rows as dictionaries."""
        ...

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        """Execute a statement once per parameter tuple."""
        ...

    def lock(self, key: str) -> None:
        """Hold an exclusive lock named ``key`` until the transaction ends."""
        ...


class Store(Protocol):
    """A database the journal can use; its errors of reach are :class:`JournalUnavailable`."""

    dialect: Dialect
    shared: bool
    """Whether other machines may use the same journal at the same time."""
    where: str
    """Where the journal is, to show a person (never with a password)."""

    def transaction(self) -> AbstractContextManager[Tx]:
        """A transaction that takes the write lock (or row locks) it needs."""
        ...

    def script(self, statements: Sequence[str]) -> None:
        """Run the schema's statements in one transaction (several machines may at once)."""
        ...

    def tables(self) -> set[str]:
        """The names of the tables there are (in the schema the journal uses)."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


def split_script(script: str) -> Iterator[str]:
    """The statements of a schema script (no ``;`` inside a statement)."""
    for statement in script.split(";"):
        if statement.strip():
            yield statement.strip()
