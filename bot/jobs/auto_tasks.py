"""Automatic sync on a deployment with sync workers: procrastinate's periodic task and the job it defers.

procrastinate's "Launch a task periodically" page describes this shape for schedules users choose ("Dynamic
scheduling"): one periodic task that runs as often as the most frequent schedule, reads the schedules from the
application's own tables and defers what is due. Every worker runs the periodic deferrer, and the database defers a
periodic job once per period however many workers there are (its `procrastinate_periodic_defers` rows), so there is
no singleton scheduler to keep alive. The pass defers each due account's job, then moves the account in `auto_syncs`
to its next run (with jitter): a pass that dies in between loses no run, and one that runs twice queues one job (the
account's queueing lock) and moves the account once.
"""

from __future__ import annotations

from procrastinate import App, JobContext

from bot.autosync import AutoSyncSettings
from bot.jobs.auto import AutoSyncOrder, auto_sync, due_pass
from bot.jobs.queue import AUTO_SYNC_TASK, DUE_CHECK_TASK, SYNC_QUEUE, QueuedJobs, every_cron
from bot.jobs.task import WORKER_KEY, WorkerServices


def register_auto_sync_tasks(app: App, settings: AutoSyncSettings) -> None:
    """The due pass every TALLYBOT_AUTOSYNC_CHECK_SECONDS (its queueing lock keeps at most one waiting when the
    workers are busy) and the automatic sync job it defers for each due account."""

    @app.periodic(cron=every_cron(settings.check_seconds), periodic_id="auto-sync-due")
    @app.task(name=DUE_CHECK_TASK, queue=SYNC_QUEUE, queueing_lock=DUE_CHECK_TASK, pass_context=True)
    async def auto_sync_due(context: JobContext, timestamp: int) -> None:
        del timestamp  # the pass reads what is due now: an account due at a missed tick is still due
        work: WorkerServices = context.additional_context[WORKER_KEY]
        await due_pass(work.auto, QueuedJobs(context.app, spread_seconds=settings.check_seconds))

    @app.task(name=AUTO_SYNC_TASK, queue=SYNC_QUEUE, pass_context=True)
    async def auto_sync_account(
        context: JobContext, *, telegram_user_id: int, integration_id: int, account_name: str, locale: str
    ) -> None:
        work: WorkerServices = context.additional_context[WORKER_KEY]
        await auto_sync(work.auto, AutoSyncOrder(telegram_user_id, integration_id, account_name, locale))
