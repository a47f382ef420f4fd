"""The quote scan on a deployment with sync workers: a follow-up job the /sync job defers after its summary when the
account's quote balance is unexplained (bot/jobs/quote_scan.py does the scan, as the bot's process does in the
background).

It holds the account's lock, so it starts once the /sync job that deferred it has ended and never beside another
sync of the account; its own queueing lock keeps one scan waiting per account without making a /sync press answer
"already queued". A scan that finds the account syncing says it is deferred: the other sync resumes it from the
cursor, so the job is not retried."""

from __future__ import annotations

from procrastinate import App, JobContext

from bot.jobs.auto import send
from bot.jobs.queue import QUOTE_SCAN_TASK, SYNC_QUEUE
from bot.jobs.quote_scan import scan_and_tell
from bot.jobs.task import WORKER_KEY, WorkerServices
from bot.reconcile.scan import QuoteScan


def register_quote_scan_task(app: App) -> None:
    @app.task(name=QUOTE_SCAN_TASK, queue=SYNC_QUEUE, pass_context=True)
    async def quote_scan(
        context: JobContext,
        *,
        telegram_user_id: int,
        integration_id: int,
        account_name: str,
        chat_id: int,
        locale: str,
        quotes: list[str],
    ) -> None:
        work: WorkerServices = context.additional_context[WORKER_KEY]

        async def say(text: str) -> None:
            await send(work.bot, chat_id, text)

        scan = QuoteScan(work.sync, work.reconciler)
        await scan_and_tell(scan, say, telegram_user_id, integration_id, account_name, frozenset(quotes), locale)
