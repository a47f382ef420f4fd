"""/sync with TALLYBOT_SYNC_WORKERS: each account's sync is a job in the queue (bot/jobs/), run by `tallybot worker`
processes, which edit the progress message sent here and send the summary themselves.

An account whose job already waits or runs gets no second job: the answer says so, as a reply to the message that
shows that job's progress."""

from __future__ import annotations

from html import escape

from telegram.ext import ContextTypes

from bot.context import services
from bot.integrations import IntegrationSummary
from bot.jobs import QueuedSync, SyncOrder
from bot.jobs.order import JobInQueue
from bot.jobs.queue import SyncQueue
from handlers import outbound, sync_views
from handlers.callbacks import STATUS
from i18n import msgid, t


async def defer_syncs(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    telegram_user_id: int,
    accounts: list[IntegrationSummary],
    locale: str,
) -> None:
    async with SyncQueue(services(context).settings) as queue:
        queued = await queue.in_queue([account.id for account in accounts])
        for account in accounts:
            job = queued.get(account.id)
            if job is not None:
                await tell_in_queue(context, chat_id, account, job, locale)
                continue
            text = sync_views.progress([None], [account.account_name], locale)
            sent = await outbound.send(context.bot, chat_id, text)
            name, shown = account.account_name, sent.message_id
            order = SyncOrder(telegram_user_id, account.id, name, chat_id, shown, locale, STATUS.data("show"))
            if not await queue.defer(order):  # deferred by another press between our look and now
                waiting = t("sync.already_queued", locale=locale, name=escape(account.account_name))
                await outbound.edit(context.bot, chat_id, sent.message_id, waiting)


async def tell_in_queue(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, account: IntegrationSummary, job: JobInQueue, locale: str
) -> None:
    key = msgid("sync.already_queued") if job.state is QueuedSync.WAITING else msgid("sync.already_running_above")
    text = t(key, locale=locale, name=escape(account.account_name))
    await outbound.send(context.bot, chat_id, text, reply_to=job.message_id if job.chat_id == chat_id else None)
