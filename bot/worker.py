"""`tallybot worker`: a process that runs sync jobs from the queue (PostgreSQL, procrastinate) until SIGINT/SIGTERM.

Start as many as the deployment needs, on any machine that reaches the database. Each runs up to
TALLYBOT_WORKER_CONCURRENCY syncs at once, sends a heartbeat every quarter of TALLYBOT_WORKER_STALLED_SECONDS,
edits the users' progress messages itself through the Bot API, and runs automatic syncs (the due pass is
procrastinate's periodic task, deferred once per period whatever the number of workers) with their notices. It holds
no bot instance lock: replicas of the bot and workers share the database, and a sync's lease keeps one sync per
account.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram.ext import ExtBot

from bot.autosync import AutoSyncSettings, AutoSyncStore
from bot.integrations import IntegrationService
from bot.jobs.auto import AutoSyncWork
from bot.jobs.auto_tasks import register_auto_sync_tasks
from bot.jobs.queue import SYNC_QUEUE, job_app, queue_url, register_sync_task
from bot.jobs.scan_tasks import register_quote_scan_task
from bot.jobs.task import WORKER_KEY, WorkerServices, sync_account
from bot.logs import install_redaction
from bot.reconcile import ReconcileService
from bot.secret import registry
from bot.settings import Settings
from bot.startup import checked_key_ring, open_database
from bot.sync import SyncService
from bot.telegram_budget import rate_limiter_for
from bot.vault import Vault
from connectors.clients import ClientPool
from connectors.exchange_budget import exchange_budget_for
from db.migrate import apply_job_schema

log = logging.getLogger(__name__)

# Stopped (SIGTERM, SIGINT), a worker lets its running syncs end for this long, then cancels them: their jobs go back
# to the queue (SYNC_RETRY) and resume from their last committed page in another worker.
SHUTDOWN_GRACE_SECONDS = 20.0


def worker_connections(settings: Settings) -> int:
    """procrastinate's pool: one connection listening for new jobs, one for the worker's own bookkeeping
    (heartbeat, fetching, finishing jobs) and one per job it may run at once."""
    return settings.worker_concurrency + 2


async def run_worker(settings: Settings) -> None:
    token = settings.require_token()
    install_redaction()
    registry.pin(token)
    url = queue_url(settings)
    database = await open_database(settings)  # migrated, like a bot start
    try:
        if await apply_job_schema(url):
            log.info("created the sync job queue's tables")
        vault = Vault(await checked_key_ring(settings, database))
        # Workers and replicas on one IP spend each exchange's per-IP budget together (connectors/exchange_budget.py).
        pool = ClientPool(settings.exchange_url_overrides, shared_budget=exchange_budget_for(settings.database_url))
        integrations = IntegrationService(database, vault)
        sync = SyncService(
            database,
            integrations,
            pool,
            max_concurrent=settings.worker_concurrency,
            lease_ttl=timedelta(seconds=settings.sync_lease_seconds),
        )
        app = job_app(settings, connections=worker_connections(settings))
        register_sync_task(app, sync_account)
        register_quote_scan_task(app)
        automatic = AutoSyncSettings()
        register_auto_sync_tasks(app, automatic)
        # Progress edits, summaries and notices share the bot's Telegram budget with the replicas and other workers.
        bot = ExtBot(
            token,
            base_url=settings.telegram_api_base_url,
            base_file_url=settings.telegram_file_base_url,
            rate_limiter=rate_limiter_for(settings),
        )
        auto = AutoSyncWork(sync, AutoSyncStore(database, automatic.hour_seconds), bot)
        work = WorkerServices(sync, ReconcileService(database, integrations, pool), bot, auto)
        try:
            async with bot, app.open_async():
                log.info("sync worker up (%d at once)", settings.worker_concurrency)
                stalled = settings.worker_stalled_seconds
                await app.run_worker_async(
                    queues=[SYNC_QUEUE],
                    concurrency=settings.worker_concurrency,
                    additional_context={WORKER_KEY: work},
                    update_heartbeat_interval=stalled / 4,
                    stalled_worker_timeout=stalled,
                    install_signal_handlers=True,
                    shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
                    # A job per /sync press: the ones that succeeded are deleted, failed ones stay to be looked at.
                    delete_jobs="successful",
                )
        finally:
            await pool.close()
    finally:
        await database.dispose()


def main(settings: Settings) -> int:
    asyncio.run(run_worker(settings))
    return 0
