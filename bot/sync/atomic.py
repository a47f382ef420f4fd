"""Database work a cancellation must not cut in half.

Cancelling a task while SQLAlchemy waits on the database invalidates the connection in the middle of a
transaction; on SQLite the driver's thread may still hold the write lock while the connection is torn down, and
every other writer of the process then waits out `busy_timeout` and fails. So the sync engine runs each of its
short write transactions to its end — committed or rolled back — and lets a cancellation take effect right after.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def uninterrupted(work: Awaitable[T]) -> T:
    """Await `work` to its end even if the caller is cancelled meanwhile, then let the cancellation through.

    A second cancellation while waiting stops the wait, not the work: it finishes in the background."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise
