"""The update queue behind ``getUpdates``, and the change signal every waiter sleeps on.

Long polling follows Telegram: ``offset`` confirms (forgets) every earlier update, a negative offset keeps only
the newest ones, ``allowed_updates`` is remembered between calls, and a newer ``getUpdates`` terminates an
older one still waiting with 409 Conflict — which is what a second bot instance on the same token sees.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.botapi.errors import GET_UPDATES_CONFLICT, ApiError
from sandbox.botapi.types import JSONDict

# Telegram's default when allowed_updates was never set or is sent empty.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ChangeSignal:
    """Wakes every waiter whenever emulator state changes; a fresh Event per change means no lost wake-ups."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seconds: float) -> None:
        """Sleep until the next change or ``seconds``, whichever comes first."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    async def wait_for(
        self, predicate: Callable[[], object], within: float, *, recheck_every: float | None = None
    ) -> bool:
        """Re-evaluate ``predicate`` after every change until it is truthy; False after ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if predicate():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await self.wait(min(remaining, recheck_every) if recheck_every else remaining)


@dataclass(frozen=True)
class PendingUpdate:
    """An update as it will be delivered: its payload is a snapshot taken when the event happened."""

    update_id: int
    kind: str
    payload: JSONDict

    def to_api(self) -> JSONDict:
        return {"update_id": self.update_id, self.kind: self.payload}


class UpdateQueue:
    """Updates waiting to be fetched by ``getUpdates``."""

    def __init__(self, signal: ChangeSignal, first_update_id: int) -> None:
        self._signal = signal
        self._pending: list[PendingUpdate] = []
        self._next_id = first_update_id
        self._allowed: frozenset[str] | None = None  # None: Telegram's default set
        self._poll_generation = 0
        self.closing = False

    @property
    def pending(self) -> list[PendingUpdate]:
        """Updates not yet confirmed by an ``offset``."""
        return list(self._pending)

    def push(self, kind: str, payload: JSONDict) -> int:
        """Queue an update and wake a waiting ``getUpdates``; returns its update_id."""
        update = PendingUpdate(self._next_id, kind, payload)
        self._next_id += 1
        self._pending.append(update)
        self._signal.notify()
        return update.update_id

    def set_allowed(self, allowed_updates: list[str] | None) -> None:
        """setWebhook's allowed_updates: None keeps the earlier choice, an empty list means Telegram's default."""
        if allowed_updates is not None:
            self._allowed = frozenset(allowed_updates) or None

    def wake(self) -> None:
        self._signal.notify()

    async def wait_for_change(self, seconds: float) -> None:
        await self._signal.wait(seconds)

    def deliverable(self) -> list[PendingUpdate]:
        """What a webhook may send, oldest first (updates of types the bot did not ask for are discarded)."""
        return self._take(len(self._pending))

    def confirm_one(self, update_id: int) -> None:
        """A webhook request for this update was answered 2XY (or given up)."""
        self._pending = [update for update in self._pending if update.update_id != update_id]
        self._signal.notify()

    def drop_pending(self) -> None:
        """``deleteWebhook(drop_pending_updates=True)``."""
        self._pending.clear()

    def close(self) -> None:
        """Let waiting polls answer at once so the server can shut down without waiting for them."""
        self.closing = True
        self._signal.notify()

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [update for update in self._pending if update.update_id >= offset]

    def _is_allowed(self, kind: str) -> bool:
        return kind not in DEFAULT_EXCLUDED if self._allowed is None else kind in self._allowed

    def _take(self, limit: int) -> list[PendingUpdate]:
        # Telegram never delivers an update of a type the bot did not ask for, so it is discarded.
        self._pending = [update for update in self._pending if self._is_allowed(update.kind)]
        return self._pending[:limit]

    async def poll(
        self, *, offset: int | None, limit: int, wait_seconds: float, allowed_updates: list[str] | None
    ) -> list[PendingUpdate]:
        """Answer one ``getUpdates``: at once if updates wait, else when one arrives or ``wait_seconds`` pass."""
        self._confirm(offset)
        self.set_allowed(allowed_updates)
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal.notify()  # an older poll still waiting must see it was superseded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, wait_seconds)
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, GET_UPDATES_CONFLICT)
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closing:
                return batch
            await self._signal.wait(remaining)
