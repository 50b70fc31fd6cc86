"""Splitting a roster so that several machines can share it without overlap."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from flows.optout.roster import RosterRow
from rpa.errors import InputError

__all__ = ["parse_shard", "shard_rows"]


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> ``(2, 3)``: the second of three shards."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not found or not 1 <= int(found.group(1)) <= int(found.group(2)):
        raise InputError(f"--shard takes K/N with 1 <= K <= N, like 2/3; not {text!r}")
    return int(found.group(1)), int(found.group(2))


def shard_rows(rows: Sequence[RosterRow], shard: int, shards: int) -> list[RosterRow]:
    """The rows of shard ``shard`` of ``shards``.

    Chosen by a hash of the SSID, so every machine computes the same split from the same
    roster, whatever its row order, and all the tests of one student stay on one machine.
    """
    def owner(ssid: str) -> int:
        return int.from_bytes(hashlib.sha256(ssid.encode()).digest()[:8], "big") % shards + 1

    return [row for row in rows if owner(row.ssid) == shard]
