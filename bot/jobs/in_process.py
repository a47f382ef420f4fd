"""The sync queue of the embedded deployment (SQLite, or PostgreSQL without sync workers): a press's accounts run
together as one asyncio task in the bot's process, kept by its `BackgroundWork` (cancelled at shutdown, when each
sync stops at a committed page and says so in its progress message). One queue per application, built at start-up
(bot/app.py) and held by its services.

What a press runs is the handlers' task function (its messages are theirs to word); this queue decides which accounts
it runs. An account is "claimed" from the press that hands it over until that press's syncs have ended: the sync's
lease is taken only once its task runs, so without the claim two presses sent together would both pass the lease check
and the second would open a progress message that never moves (issue 12, 50 /sync in a row). The quote scan a sync's
summary announces keeps the claim on (`InProcessPress.release(keep=…)`, then `follow_up`): between the summary and the
scan's own lease a press would otherwise open a "⏸ waiting" message whose sync then finds the scan's lease. A claim is
this process's own; the lease stays the fence between processes (an automatic sync, another instance)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot

from bot.context import BackgroundWork
from bot.jobs.order import JobInQueue, QueuedSync, SyncOrder
from bot.open_messages import SYNC, OpenMessages
from bot.sync import SyncService

log = logging.getLogger(__name__)


@dataclass(eq=False)
class InProcessPress:
    """The accounts of one press, as its task runs them: one progress message (`orders[0].message_id`, the same in
    every order) and one summary."""

    orders: tuple[SyncOrder, ...]
    _jobs: InProcessJobs = field(repr=False)

    def release(self, *, keep: Collection[int] = ()) -> None:
        """Free the press's accounts for the next press, but those in `keep` (a quote scan follows their summary:
        `follow_up`). Called once their syncs have ended (their leases are released), before the summary, so a /sync
        sent on reading it starts a new sync instead of being told "already running" while this task closes up. Frees
        only what this press still holds: a later press may have claimed an account again."""
        self._jobs._free([o.integration_id for o in self.orders if o.integration_id not in keep], self)

    def follow_up(self, integration_id: int, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run `work` (the account's quote scan) in the background, holding the account's claim, kept by `release`,
        until it ends: a press meanwhile is told at once that a sync of it runs."""
        self._jobs._follow_up(self, integration_id, work, name)


PressTask = Callable[[InProcessPress], Coroutine[Any, Any, None]]
# bot_data: the `PressTask` /sync's handlers register (handlers/sync.py), for bot/app.py to build the queue with.
PRESS_TASK_KEY = "tallybot.press_task"


class InProcessJobs:
    """bot/jobs/interface.py `SyncJobs` in the bot's process."""

    one_message_per_press = True

    def __init__(
        self,
        sync: SyncService,
        background: BackgroundWork,
        task: PressTask,
        *,
        bot: Bot,
        open_messages: OpenMessages,
    ) -> None:
        self.sync = sync
        self.background = background
        self.task = task
        self.bot = bot
        self.open_messages = open_messages
        self._holders: dict[int, object] = {}  # account -> the press, or the follow-up, that claims it

    async def in_queue(self, integration_ids: Sequence[int]) -> dict[int, JobInQueue]:
        """Accounts claimed by a press in this process (or by the scan after its summary), or whose lease is held (a
        sync here or in another process): running, with its latest progress when this process runs it."""
        unclaimed = [i for i in integration_ids if i not in self._holders]
        leased = await self.sync.running(unclaimed)
        return {
            integration_id: self._running(integration_id)
            for integration_id in integration_ids
            if integration_id in self._holders or integration_id in leased
        }

    async def defer_press(self, orders: Sequence[SyncOrder]) -> dict[int, JobInQueue]:
        """Claim the accounts no other press holds and start their task; the others are answered as running. Claimed
        before anything is awaited, so of two presses only one takes an account."""
        held = self._holders
        refused = {o.integration_id: self._running(o.integration_id) for o in orders if o.integration_id in held}
        taken = tuple(order for order in orders if order.integration_id not in refused)
        if taken:
            press = InProcessPress(taken, self)
            self._holders.update((order.integration_id, press) for order in taken)
            name = ":".join(("sync", str(taken[0].telegram_user_id)))
            self.background.start(self._run(press), name, unstarted=lambda: self._never_started(press))
        return refused

    async def _run(self, press: InProcessPress) -> None:
        try:
            await self.task(press)
        finally:  # ended, failed or cancelled: the accounts it still holds are free again
            self._free([order.integration_id for order in press.orders], press)

    async def _never_started(self, press: InProcessPress) -> None:
        """Cancelled at shutdown before its first step, the press's task ran none of its code, not even the part
        that closes its progress message: closed here as a sync the bot stopped before it finished."""
        self._free([order.integration_id for order in press.orders], press)
        first = press.orders[0]
        await self.open_messages.interrupt(self.bot, first.chat_id, first.message_id, SYNC, first.locale)

    def _follow_up(
        self, press: InProcessPress, integration_id: int, work: Coroutine[Any, Any, None], name: str
    ) -> None:
        if self._holders.get(integration_id) is not press:  # not kept: the press no longer holds it
            work.close()
            log.warning("follow-up %s not started: its press no longer holds the account", name)
            return
        holder = object()
        self._holders[integration_id] = holder

        async def never_started() -> None:  # cancelled at shutdown before its first step
            self._free([integration_id], holder)
            work.close()

        self.background.start(self._holding(integration_id, holder, work), name, unstarted=never_started)

    async def _holding(self, integration_id: int, holder: object, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        finally:
            self._free([integration_id], holder)

    def _free(self, integration_ids: Sequence[int], holder: object) -> None:
        for integration_id in integration_ids:
            if self._holders.get(integration_id) is holder:
                del self._holders[integration_id]

    def _running(self, integration_id: int) -> JobInQueue:
        # No message to point at: the answer shows how far this process's sync got (or says it runs elsewhere).
        return JobInQueue(QueuedSync.RUNNING, None, None, self.sync.progress(integration_id))
