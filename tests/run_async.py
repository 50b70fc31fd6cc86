"""Running a coroutine from a test, whatever else the test process runs.

pytest-playwright's sync fixtures keep an event loop running in the main thread for the whole
session once a browser test has used them, and ``asyncio.run`` refuses to start inside it.
A thread of its own has no loop, so the coroutine runs there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` in a thread of its own; returns its result or raises its error."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
