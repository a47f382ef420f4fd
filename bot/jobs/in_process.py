"""The sync queue of the embedded deployment (SQLite, or PostgreSQL without sync workers): a press's accounts run
together as one asyncio task in the bot's process, kept by its `BackgroundWork` (cancelled at shutdown, when each
sync stops at a committed page and says so in its progress message).

What a press runs is the handlers' task function (its messages are theirs to word); this queue decides which accounts
it runs. An account is "claimed" from the press that hands it over until that press's syncs have ended: the sync's
lease is taken only once its task runs, so without the claim two presses sent together would both pass the lease check
and the second would open a progress message that never moves (issue 12, 50 /sync in a row). A claim is this
process's own; the lease stays the fence between processes (an automatic sync, another instance)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.context import BackgroundWork
from bot.jobs.order import JobInQueue, QueuedSync, SyncOrder
from bot.sync import SyncService


@dataclass
class InProcessPress:
    """The accounts of one press, as its task runs them: one progress message (`orders[0].message_id`, the same in
    every order) and one summary."""

    orders: tuple[SyncOrder, ...]
    _claims: set[int] = field(repr=False)
    _released: bool = field(default=False, repr=False)

    def release(self) -> None:
        """Free the press's accounts for the next press: called once their syncs have ended (their leases are
        released), before the summary, so a /sync sent on reading it starts a new sync instead of being told
        "already running" while this task closes up. Once only: a later press may have claimed them again."""
        if not self._released:
            self._released = True
            self._claims.difference_update(order.integration_id for order in self.orders)


PressTask = Callable[[InProcessPress], Coroutine[Any, Any, None]]


class InProcessJobs:
    """bot/jobs/interface.py `SyncJobs` in the bot's process."""

    one_message_per_press = True

    def __init__(self, sync: SyncService, background: BackgroundWork, task: PressTask) -> None:
        self.sync = sync
        self.background = background
        self.task = task
        self._claims: set[int] = set()

    async def in_queue(self, integration_ids: Sequence[int]) -> dict[int, JobInQueue]:
        """Accounts claimed by a press in this process, or whose lease is held (a sync here or in another process):
        running, with its latest progress when this process runs it."""
        unclaimed = [i for i in integration_ids if i not in self._claims]
        leased = await self.sync.running(unclaimed)
        return {
            integration_id: self._running(integration_id)
            for integration_id in integration_ids
            if integration_id in self._claims or integration_id in leased
        }

    async def defer_press(self, orders: Sequence[SyncOrder]) -> dict[int, JobInQueue]:
        """Claim the accounts no other press holds and start their task; the others are answered as running. Claimed
        before anything is awaited, so of two presses only one takes an account."""
        refused = {
            o.integration_id: self._running(o.integration_id) for o in orders if o.integration_id in self._claims
        }
        taken = tuple(order for order in orders if order.integration_id not in refused)
        if taken:
            self._claims.update(order.integration_id for order in taken)
            press = InProcessPress(taken, self._claims)
            self.background.start(self._run(press), ":".join(("sync", str(taken[0].telegram_user_id))))
        return refused

    async def _run(self, press: InProcessPress) -> None:
        try:
            await self.task(press)
        finally:  # ended, failed or cancelled: the accounts are free again
            press.release()

    def _running(self, integration_id: int) -> JobInQueue:
        # No message to point at: the answer shows how far this process's sync got (or says it runs elsewhere).
        return JobInQueue(QueuedSync.RUNNING, None, None, self.sync.progress(integration_id))
