"""What a /sync press asks of the deployment's sync queue, whoever runs its jobs: procrastinate's queue, for
`tallybot worker` processes (PostgreSQL with TALLYBOT_SYNC_WORKERS: bot/jobs/queue.py `QueuedJobs`), or the bot's own
process (the embedded default: bot/jobs/in_process.py `InProcessJobs`). Both run one account's sync through the same
task function (bot/jobs/step.py `sync_account_task`) under the account's lease, the fence either way.

Automatic sync hands its due accounts over through its own, smaller interface (bot/jobs/auto.py `AutoSyncJobs`); the
quote scan after a sync is started by the sync's own task (a job deferred by a worker's /sync job, a task started by
the bot's), so a press asks neither."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.jobs.order import JobInQueue, SyncOrder


class SyncJobs(Protocol):
    @property
    def one_message_per_press(self) -> bool:
        """True: the accounts of a press share one progress message and one summary (the bot's process runs them
        together). False: each account's job has its own message and summary (jobs of one press may run on
        different workers at different times, and one shared message would need its edits coordinated across
        processes)."""
        ...

    async def in_queue(self, integration_ids: Sequence[int]) -> dict[int, JobInQueue]:
        """The accounts among these whose sync already waits or runs, with what can be shown of it."""
        ...

    async def defer_press(self, orders: Sequence[SyncOrder]) -> dict[int, JobInQueue]:
        """Hand over the orders shown by one progress message (all of a press's accounts, or one of them: see
        `one_message_per_press`). Returns the accounts not taken, because another press handed a sync of them over
        since `in_queue` was asked, with what holds them."""
        ...
