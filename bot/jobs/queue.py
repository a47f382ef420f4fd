"""The sync job queue on PostgreSQL: procrastinate, its tasks, and what the bot asks of it.

One job per account, deferred with `lock=integration:<id>` (procrastinate never runs two jobs holding the same lock at
once) and `queueing_lock=integration:<id>` (at most one waiting job per account: a second /sync is told "already
queued"). The sync's lease (bot/sync/lease.py) stays the fence — a job runs at least once, not exactly once.

A worker that dies mid-job leaves its job "doing"; the periodic task procrastinate documents for it ("Retry stalled
jobs": `job_manager.get_stalled_jobs` then `retry_job`) puts it back once the worker has been silent for
TALLYBOT_WORKER_STALLED_SECONDS. Every worker runs the periodic deferrer; its queueing lock keeps one job waiting.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued

from bot.jobs.auto import AutoSyncOrder
from bot.jobs.order import JobInQueue, QueuedSync, ScanOrder, SyncOrder
from bot.settings import Settings
from bot.sync import SyncAlreadyRunning, SyncLeaseLost
from db.migrate import libpq_url

log = logging.getLogger(__name__)

SYNC_TASK = "tallybot.sync_account"
AUTO_SYNC_TASK = "tallybot.auto_sync_account"  # an automatic sync: no progress message, a notice on a problem
DUE_CHECK_TASK = "tallybot.auto_sync_due"  # the periodic pass over accounts on auto-sync (bot/jobs/auto_tasks.py)
QUOTE_SCAN_TASK = (
    "tallybot.quote_scan"  # after a worker's /sync job, when a quote balance is unexplained (scan_tasks.py)
)
RETRY_STALLED_TASK = "tallybot.retry_stalled_syncs"
SYNC_QUEUE = "tallybot.sync"

# A job fails "transiently" when the account's lease is held (a dead worker's, until it lapses; or the bot's own
# in-process sync) or lost, the database went away for a moment, or its worker was stopped (SIGTERM) before the sync
# ended (procrastinate cancels it after the grace period: "aborted, to retry"). Waits: 2, 4 … 256 s, about 8.5 min
# in all, longer than a lease's default lifetime. Exchange errors never raise: they are in the sync's result.
SYNC_RETRY = RetryStrategy(
    max_attempts=8,
    exponential_wait=2,
    # procrastinate matches with isinstance, so CancelledError (a BaseException its annotation leaves out) works.
    retry_exceptions={SyncAlreadyRunning, SyncLeaseLost, OSError, ConnectionError, asyncio.CancelledError},  # type: ignore[arg-type]
)


def lock_of(integration_id: int) -> str:
    return ":".join(("integration", str(integration_id)))


def scan_lock_of(integration_id: int) -> str:
    """The queueing lock of an account's quote scan: one waits at most, beside (not instead of) a /sync job."""
    return ":".join(("quote-scan", str(integration_id)))


def queue_url(settings: Settings) -> str:
    """The PostgreSQL URL the queue uses (the bot's own database), or ConfigError when there is none."""
    return settings.require_postgresql()


def every_cron(seconds: float) -> str:
    """A cron line for "about every `seconds`": whole seconds under a minute, whole minutes (at most 59) above."""
    if seconds < 60:
        return f"* * * * * */{max(1, int(seconds))}"  # croniter's sixth field is the second
    return f"*/{min(59, int(seconds // 60))} * * * *"


def stalled_cron(settings: Settings) -> str:
    """How often the stalled-job check runs: a few times per stalled threshold, at most once a minute apart."""
    return every_cron(min(59, max(1, settings.worker_stalled_seconds // 3)))


def job_app(settings: Settings, *, connections: int) -> App:
    """The procrastinate App on the bot's database, with a pool of at most `connections`."""
    connector = PsycopgConnector(conninfo=libpq_url(queue_url(settings)), min_size=1, max_size=connections)
    app = App(connector=connector)
    seconds = settings.worker_stalled_seconds

    @app.periodic(cron=stalled_cron(settings), periodic_id="retry-stalled-syncs")
    @app.task(name=RETRY_STALLED_TASK, queue=SYNC_QUEUE, queueing_lock=RETRY_STALLED_TASK, pass_context=True)
    async def retry_stalled_syncs(context: JobContext, timestamp: int) -> None:
        del timestamp
        for job in await context.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
            log.warning("sync job %s was left running by a silent worker: it is run again", job.id)
            await context.app.job_manager.retry_job(job)

    return app


async def defer_quote_scan(app: App, order: ScanOrder) -> bool:
    """Queue the account's scan; False when one of it already waits."""
    lock = lock_of(order.integration_id)
    deferrer = app.configure_task(
        QUOTE_SCAN_TASK, lock=lock, queueing_lock=scan_lock_of(order.integration_id), queue=SYNC_QUEUE
    )
    try:
        await deferrer.defer_async(**order.as_job_args())
    except AlreadyEnqueued:
        return False
    return True


def register_sync_task(app: App, task: Any) -> None:
    """The task a worker runs for each account (bot/jobs/task.py), with its retries."""
    app.task(name=SYNC_TASK, queue=SYNC_QUEUE, pass_context=True, retry=SYNC_RETRY)(task)


class QueuedJobs:
    """The queue as the bot and the workers use it: look an account's sync job up, defer one. Both kinds of sync job
    (a /sync press, an automatic run) hold the account's lock and queueing lock, so at most one of them waits and
    never two run at once. Each account's job has its own progress message and summary."""

    one_message_per_press = False

    def __init__(self, app: App, *, spread_seconds: float = 0.0) -> None:
        self.app = app
        # Automatic syncs due together start at random moments within this window (the due pass's interval), not
        # all at once: accounts switched on together, or all due after a time without workers, share the
        # exchanges' limits and the workers' slots.
        self.spread_seconds = spread_seconds

    async def in_queue(self, integration_ids: Sequence[int]) -> dict[int, JobInQueue]:
        """The accounts among these whose /sync job waits or runs, with the message that shows it."""
        rows = await self.app.connector.execute_query_all_async(
            "SELECT lock, status::text AS status, args FROM procrastinate_jobs "
            "WHERE task_name = %(task)s AND lock = ANY(%(locks)s) AND status IN ('todo', 'doing')",
            task=SYNC_TASK,
            locks=[lock_of(i) for i in integration_ids],
        )
        found: dict[int, JobInQueue] = {}
        for row in rows:
            integration_id = int(str(row["lock"]).rpartition(":")[2])
            state = QueuedSync.RUNNING if row["status"] == "doing" else QueuedSync.WAITING
            known = found.get(integration_id)
            if known is None or state is QueuedSync.RUNNING:  # a waiting retry behind a running job: say running
                found[integration_id] = JobInQueue(state, int(row["args"]["chat_id"]), int(row["args"]["message_id"]))
        return found

    async def defer(self, order: SyncOrder) -> bool:
        """Queue the account's sync; False when a /sync job of it already waits (the queueing lock said so). An
        automatic sync waiting for the account gives way: the user asked now and watches this one's progress, which
        a silent automatic run would not show."""
        if await self._defer(SYNC_TASK, order.integration_id, order.as_job_args()):
            return True
        if not await self._cancel_waiting_auto_sync(order.integration_id):
            return False
        return await self._defer(SYNC_TASK, order.integration_id, order.as_job_args())

    async def defer_press(self, orders: Sequence[SyncOrder]) -> dict[int, JobInQueue]:
        """Queue each account's job (bot/jobs/interface.py `SyncJobs`); those whose job waits already are not
        queued again."""
        refused: dict[int, JobInQueue] = {}
        for order in orders:
            if not await self.defer(order):
                refused[order.integration_id] = JobInQueue(QueuedSync.WAITING, None, None)
        return refused

    async def defer_auto(self, order: AutoSyncOrder) -> bool:
        """Queue the account's automatic sync (bot/jobs/auto.py `AutoSyncJobs`), to start within the spread; False
        when a sync of it waits."""
        delay = random.uniform(0, self.spread_seconds)  # noqa: S311 - spreading load, nothing secret
        return await self._defer(AUTO_SYNC_TASK, order.integration_id, order.as_job_args(), delay)

    async def _cancel_waiting_auto_sync(self, integration_id: int) -> bool:
        """Cancel the account's automatic sync job if it still waits (one a worker took already runs to its end)."""
        rows = await self.app.connector.execute_query_all_async(
            "SELECT id FROM procrastinate_jobs WHERE task_name = %(task)s AND queueing_lock = %(lock)s "
            "AND status = 'todo'",
            task=AUTO_SYNC_TASK,
            lock=lock_of(integration_id),
        )
        cancelled = [await self.app.job_manager.cancel_job_by_id_async(int(row["id"])) for row in rows]
        return any(cancelled)

    async def _defer(self, task: str, integration_id: int, arguments: dict[str, Any], delay: float = 0.0) -> bool:
        lock = lock_of(integration_id)
        deferrer = self.app.configure_task(
            task, lock=lock, queueing_lock=lock, queue=SYNC_QUEUE, schedule_in={"seconds": delay} if delay > 0 else None
        )
        try:
            await deferrer.defer_async(**arguments)
        except AlreadyEnqueued:
            return False
        return True


class SyncQueue(QueuedJobs):
    """The queue as the bot opens it for one /sync (a connection for the press, none held between presses)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(job_app(settings, connections=1))

    async def __aenter__(self) -> SyncQueue:
        await self.app.open_async()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.app.close_async()
