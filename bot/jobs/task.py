"""The sync job a worker runs for one account: `SyncService.run`, its progress shown in the user's message, the
balance check after it, then the summary — rendered by the same views as the bot's own /sync (bot/sync/views.py,
bot/reconcile/views.py) — and, when a quote balance is unexplained, a quote scan deferred as its own job
(scan_tasks.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from html import escape

from procrastinate import JobContext
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.jobs.auto import AutoSyncWork, daily_offer, send
from bot.jobs.order import ScanOrder, SyncOrder
from bot.jobs.progress_message import ProgressMessage
from bot.jobs.queue import SYNC_RETRY, defer_quote_scan
from bot.jobs.quote_scan import quotes_needing_scan
from bot.jobs.step import sync_account_task
from bot.reconcile import ReconcileService
from bot.reconcile.views import sync_line
from bot.sync import ProgressEvent, SyncError, SyncService
from bot.sync.views import progress, summary
from i18n import render, t

log = logging.getLogger(__name__)

WORKER_KEY = "tallybot.worker"
# Telegram allows about one message a second per chat; a sync's progress needs far less.
PROGRESS_INTERVAL = 3.0


@dataclass(frozen=True)
class WorkerServices:
    """What a job needs, opened once per worker process."""

    sync: SyncService
    reconciler: ReconcileService
    bot: Bot
    auto: AutoSyncWork
    progress_interval: float = PROGRESS_INTERVAL


class WorkerView:
    """One account's sync in its own progress message, edited by the worker."""

    def __init__(
        self,
        message: ProgressMessage,
        events: list[ProgressEvent | None],
        names: list[str],
        locale: str,
        *,
        last_attempt: bool,
    ) -> None:
        self.message, self.events, self.names, self.locale = message, events, names, locale
        self.last_attempt = last_attempt

    def show(self, event: ProgressEvent) -> None:
        self.events[0] = event
        self.message.show(progress(self.events, self.names, self.locale))

    async def key_gone(self) -> None:
        await self.message.close(t("sync.no_key", locale=self.locale, name=escape(self.names[0])))

    async def not_run(self, problem: SyncError) -> None:
        """Raises `problem`: the job is retried. The message says why only when no retry is left."""
        if self.last_attempt:
            await self.message.close(escape(render(problem.text, self.locale)))
        else:
            await self.message.close(progress(self.events, self.names, self.locale))
        raise problem


def _last_attempt(context: JobContext) -> bool:
    attempts = context.job.attempts if context.job is not None else 0
    return SYNC_RETRY.max_attempts is not None and attempts + 1 >= SYNC_RETRY.max_attempts


async def sync_account(
    context: JobContext,
    *,
    telegram_user_id: int,
    integration_id: int,
    account_name: str,
    chat_id: int,
    message_id: int,
    locale: str,
    status_button: str,
) -> None:
    work: WorkerServices = context.additional_context[WORKER_KEY]
    order = SyncOrder(telegram_user_id, integration_id, account_name, chat_id, message_id, locale, status_button)
    events: list[ProgressEvent | None] = [None]
    names = [order.account_name]
    message = ProgressMessage(work.bot, chat_id, message_id, interval=work.progress_interval)
    view = WorkerView(message, events, names, locale, last_attempt=_last_attempt(context))
    started = time.monotonic()
    try:
        synced = await sync_account_task(work.sync, work.reconciler, telegram_user_id, integration_id, view)
    except SyncError:  # told by the view; the job is retried (SYNC_RETRY) unless this was the last attempt
        raise
    except asyncio.CancelledError:  # the worker is stopping: the job goes back to the queue, the message stays
        message.stop()
        raise
    except Exception:
        lines = progress(events, names, locale).removeprefix(t("sync.started", locale=locale)).lstrip()
        await message.close(t("closing.sync.failed", locale=locale) + "\n\n" + lines)
        raise
    if synced is None:  # the key is gone: nothing to retry
        return
    result, checked = synced.result, synced.checked
    await message.close(progress(events, names, locale))
    text = summary([result], time.monotonic() - started, locale)
    if checked is not None:
        text += "\n\n" + sync_line(checked, account_name, locale)
    status = InlineKeyboardButton(t("status.button.show", locale=locale), callback_data=status_button)
    offer = await daily_offer(work.auto.store, result, locale)
    rows = [[status]] if offer is None else [[status], [offer]]
    await send(work.bot, chat_id, text, InlineKeyboardMarkup(rows))
    # A quote balance the history does not explain: its markets are scanned by a follow-up job (the account's lock
    # makes it wait for this one's end), as the bot's process scans them in the background after its summary.
    quotes = quotes_needing_scan(work.sync, result, checked)
    if quotes:
        scan = ScanOrder(telegram_user_id, integration_id, account_name, chat_id, locale, sorted(quotes))
        await defer_quote_scan(context.app, scan)
    log.info(
        "sync job of integration %d ended %s after %d progress edit(s)", integration_id, result.status, message.edits
    )
