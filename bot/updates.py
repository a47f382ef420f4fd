"""Updates of different users run concurrently; one user's updates run one after another, in order.

PTB's `concurrent_updates(False)` runs every update of every user in sequence, so one user's key check (a live
exchange request) would hold up everybody. Fully concurrent updates would let one user's pasted secret race
their previous message through the Assistant. This processor keeps the order per user (or per chat for updates
without a user) and nothing else.

The shared limit (`MAX_CONCURRENT_UPDATES` running at once) is taken only when it is an update's turn among its
user's updates. PTB's own semaphore is taken *before* `do_process_update`, so an update waiting for its user's
earlier updates would hold a shared slot while doing nothing: 64 messages queued behind one user's slow import
stalled every other user (issue 12, finding 3). PTB's semaphore is therefore only an admission bound, far above
what Telegram delivers, and the real limit is ours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 64
# Updates admitted at once, running or waiting for their user's turn: a waiting update costs one small task.
MAX_ADMITTED_UPDATES = 100_000


def _ordering_key(update: object) -> object:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", None)


class PerUserOrder(BaseUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES, max_admitted: int = MAX_ADMITTED_UPDATES
    ) -> None:
        super().__init__(max(max_admitted, max_concurrent_updates))
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _ordering_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            # asyncio.Lock is first come, first served: the user's updates keep their arrival order. Only the
            # update whose turn it is competes for a shared slot.
            async with lock, self._running:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle users, or the table grows with every user ever seen
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
