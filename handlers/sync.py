"""/sync (all accounts, or `/sync Bitget-1`), the Sync buttons, and /status with its Troubleshoot buttons."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from contextlib import AbstractAsyncContextManager
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.context import services
from bot.integrations import IntegrationSummary
from bot.jobs.in_process import PRESS_TASK_KEY, InProcessPress, PressTask
from bot.jobs.interface import SyncJobs
from bot.jobs.order import JobInQueue, QueuedSync, SyncOrder
from bot.jobs.queue import SyncQueue
from bot.jobs.step import sync_account_task
from bot.open_messages import SYNC as SYNC_PROGRESS
from bot.reconcile import AccountReconciliation, ReconcileService
from bot.sync import ProgressEvent, SyncAlreadyRunning, SyncError, SyncResult
from handlers import autosync, outbound, reconcile_views, sync_views
from handlers.callbacks import STATUS, SYNC, TROUBLESHOOT_ACCOUNT, SyncScope, sync_data
from handlers.closing import always_closed
from handlers.live import LiveMessage
from handlers.locale import locale_of
from handlers.quote_scan import quote_scans_due, start_quote_scans
from handlers.sync_views import diagnosis_lines
from i18n import msgid, render, t

log = logging.getLogger(__name__)


def sync_button(label: str, integration_id: int | None) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=sync_data(None if integration_id is None else [integration_id]))


async def sync_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sync or /sync <account name>."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    locale = await locale_of(update, context)
    accounts = [s for s in await services(context).integrations.list(user.id) if s.fingerprint is not None]
    if not accounts:
        await outbound.send(context.bot, chat.id, t("sync.no_accounts", locale=locale))
        return
    wanted = " ".join(context.args or []).strip()
    if wanted:
        accounts = [s for s in accounts if s.account_name.casefold() == wanted.casefold()]
        if not accounts:
            names = ", ".join(s.account_name for s in await services(context).integrations.list(user.id))
            await outbound.send(context.bot, chat.id, t("sync.no_such_account", locale=locale, names=escape(names)))
            return
    await start_sync(context, chat.id, user.id, accounts, locale)


async def on_sync_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A Sync button (after connecting, in /status): ownership is checked by looking up the presser's accounts."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    locale = await locale_of(update, context)
    fields = SYNC.parse(query.data)
    if fields is None:  # forged or from a menu of another version
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    target = fields[0]
    accounts = [s for s in await services(context).integrations.list(user.id) if s.fingerprint is not None]
    if target != SyncScope.ALL:
        # One id, or several ("3,4,7") for "sync the accounts you just connected".
        wanted = set(target.split(","))
        accounts = [s for s in accounts if str(s.id) in wanted]
    if not accounts:
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    await query.answer()
    await start_sync(context, chat.id, user.id, accounts, locale)


def sync_jobs(context: ContextTypes.DEFAULT_TYPE) -> AbstractAsyncContextManager[SyncJobs]:
    """The queue this deployment's /sync hands its accounts to, chosen by its database: with sync workers
    (PostgreSQL), procrastinate's, opened for the length of a press (no connection held between presses); otherwise
    the bot's own process, the one queue its services hold from start-up (bot/app.py: its claims span presses; its
    tasks are the services' background work, cancelled at shutdown)."""
    svc = services(context)
    if svc.settings.sync_workers:
        return SyncQueue(svc.settings)
    if svc.sync_presses is None:
        raise RuntimeError("the in-process sync queue is not built (post_init has not run)")
    return contextlib.nullcontext(svc.sync_presses)


async def start_sync(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    telegram_user_id: int,
    accounts: list[IntegrationSummary],
    locale: str,
) -> None:
    """Hand the accounts to the deployment's queue (`sync_jobs`); a sync takes minutes and runs in the background
    or in a worker, not in this update. Its messages are worded in `locale`, the user's. Awaited here, so two presses
    of one user are handed over in order; an account already syncing gets that said instead of a second sync."""
    async with sync_jobs(context) as jobs:
        queued = await jobs.in_queue([account.id for account in accounts])
        for account in accounts:
            if account.id in queued:
                await tell_queued(context, chat_id, account.account_name, queued[account.id], locale)
        free = [account for account in accounts if account.id not in queued]
        # One progress message for the press in the bot's process; one per account's job on workers.
        shown_together = [free] if jobs.one_message_per_press else [[account] for account in free]
        for together in shown_together:
            if together:
                await _hand_over(context, jobs, chat_id, telegram_user_id, together, locale)


async def _hand_over(
    context: ContextTypes.DEFAULT_TYPE,
    jobs: SyncJobs,
    chat_id: int,
    telegram_user_id: int,
    accounts: list[IntegrationSummary],
    locale: str,
) -> None:
    """Open the progress message of these accounts, then hand their orders over with it."""
    names = [account.account_name for account in accounts]
    sent = await outbound.send(context.bot, chat_id, sync_views.progress([None] * len(accounts), names, locale))
    orders = [
        SyncOrder(telegram_user_id, a.id, a.account_name, chat_id, sent.message_id, locale, STATUS.data("show"))
        for a in accounts
    ]
    refused = await jobs.defer_press(orders)
    # Handed over by another press between our look and now: the message says so rather than "Syncing…" for ever.
    if len(refused) == len(accounts):
        texts = [already_text(account.account_name, refused[account.id], locale) for account in accounts]
        await outbound.edit(context.bot, chat_id, sent.message_id, "\n\n".join(texts))
        return
    for account in accounts:
        if account.id in refused:
            await tell_queued(context, chat_id, account.account_name, refused[account.id], locale)


def already_text(name: str, job: JobInQueue, locale: str) -> str:
    """What an account's sync that already waits or runs is answered with: a worker's job points at its message
    (above); a sync in the bot's process shows how far it got, or says it runs elsewhere (another process holds its
    lease)."""
    name = escape(name)
    if job.message_id is not None or job.state is QueuedSync.WAITING:
        key = msgid("sync.already_queued") if job.state is QueuedSync.WAITING else msgid("sync.already_running_above")
        return t(key, locale=locale, name=name)
    if job.progress is not None:
        return (
            t("sync.already_running", locale=locale, name=name)
            + "\n\n"
            + sync_views.progress_block(job.progress, locale)
        )
    return t("sync.already_running_elsewhere", locale=locale, name=name)


async def tell_queued(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, name: str, job: JobInQueue, locale: str
) -> None:
    reply_to = job.message_id if job.chat_id == chat_id else None
    await outbound.send(context.bot, chat_id, already_text(name, job, locale), reply_to=reply_to)


async def run_press(application: Application, press: InProcessPress) -> None:  # type: ignore[type-arg]
    """A press's task in the bot's process (bot/jobs/in_process.py): its accounts' syncs together, each in its line
    of the one progress message, then one summary."""
    first = press.orders[0]
    context: ContextTypes.DEFAULT_TYPE = application.context_types.context(
        application, chat_id=first.chat_id, user_id=first.telegram_user_id
    )
    names = [order.account_name for order in press.orders]
    events: list[ProgressEvent | None] = [None] * len(names)
    live = LiveMessage(context.bot, first.chat_id, first.message_id, sync_views.progress(events, names, first.locale))
    # Cancelled at shutdown or stopped by an unexpected error, the message says so instead of "Syncing…" for ever.

    def stopped() -> str:
        return _without_header(sync_views.progress(events, names, first.locale), first.locale)

    async with always_closed(context, live, SYNC_PROGRESS, first.locale, stopped):
        await _sync_and_report(context, press, live, events, names)


def _without_header(progress: str, locale: str) -> str:
    """The accounts' lines, without "🔄 Syncing…" above them: for a message that says the sync stopped."""
    return progress.removeprefix(t("sync.started", locale=locale)).lstrip()


async def _sync_and_report(
    context: ContextTypes.DEFAULT_TYPE,
    press: InProcessPress,
    live: LiveMessage,
    events: list[ProgressEvent | None],
    names: list[str],
) -> None:
    svc = services(context)
    first = press.orders[0]
    chat_id, telegram_user_id, locale = first.chat_id, first.telegram_user_id, first.locale
    started = time.monotonic()
    reconciler = ReconcileService(svc.database, svc.integrations, svc.pool)
    checked: dict[int, AccountReconciliation] = {}
    refused: dict[int, str] = {}  # by line: another sync took the account between the press's look and its task

    async def one(index: int, order: SyncOrder) -> SyncResult | None:
        # The same per-account task a worker's sync job runs (bot/jobs/step.py), shown in its line of this message.
        view = SharedMessageView(context, order, live, events, index, names, refused)
        synced = await sync_account_task(svc.sync, reconciler, telegram_user_id, order.integration_id, view)
        if synced is None:
            return None
        if synced.checked is not None:
            checked[order.integration_id] = synced.checked
        return synced.result

    # A TaskGroup, not gather: an unexpected error in one sync stops the others rather than leaving them unwatched.
    async with asyncio.TaskGroup() as group:
        running = [group.create_task(one(i, order)) for i, order in enumerate(press.orders)]
    outcomes = [task.result() for task in running]
    results = [result for result in outcomes if result is not None]
    elapsed = time.monotonic() - started
    # Their leases are released: a /sync sent on reading the summary below starts a new sync rather than being told
    # "already running" while this task still closes up; unless the summary announces a quote scan of the account,
    # whose claim goes on from the press's to the scan's (a /sync then is told at once that a sync of it runs).
    scans = quote_scans_due(svc.sync, results, checked)
    press.release(keep=scans.keys())
    await live.close(_closing_text(events, names, refused, locale))
    if results:
        offered = await autosync.offers(context, results, locale)
        show = InlineKeyboardButton(t("status.button.show", locale=locale), callback_data=first.status_button)
        keyboard = InlineKeyboardMarkup([[show], *offered])
        # Many failures, each with its explanation, can pass Telegram's 4,096 characters: the one way out splits
        # on line breaks, the Status button under the last part.
        text = sync_views.summary(results, elapsed, locale)
        lines = [
            reconcile_views.sync_line(checked[r.integration_id], r.account_name, locale)
            for r in results
            if r.integration_id in checked
        ]
        if lines:
            text += "\n\n" + "\n".join(lines)
        await outbound.send(context.bot, chat_id, text, keyboard)
        # A quote balance the history does not explain: its markets are scanned now that the summary is shown.
        start_quote_scans(context, press, results, scans)


def _closing_text(events: list[ProgressEvent | None], names: list[str], refused: dict[int, str], locale: str) -> str:
    """The progress message as the press leaves it: each account's last progress, or, for an account another sync
    took first, that answer in its line instead of "⏸ waiting" (a line that would never move); when that is every
    account, only those answers, as a press refused before its task started is answered (`_hand_over`)."""
    if len(refused) == len(names):
        return "\n\n".join(refused[index] for index in range(len(names)))
    if not refused:
        return sync_views.progress(events, names, locale)
    lines = [
        refused.get(index) or _without_header(sync_views.progress([event], [name], locale), locale)
        for index, (event, name) in enumerate(zip(events, names, strict=True))
    ]
    return "\n\n".join([t("sync.started", locale=locale), *lines])


class SharedMessageView:
    """One account of a /sync in the bot's process: its line in the progress message all its accounts share."""

    def __init__(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        order: SyncOrder,
        live: LiveMessage,
        events: list[ProgressEvent | None],
        index: int,
        names: list[str],
        refused: dict[int, str],
    ) -> None:
        self.context, self.order, self.live = context, order, live
        self.events, self.index, self.names, self.refused = events, index, names, refused

    def show(self, event: ProgressEvent) -> None:
        self.events[self.index] = event
        self.live.show(sync_views.progress(self.events, self.names, self.order.locale))

    async def key_gone(self) -> None:
        no_key = t("sync.no_key", locale=self.order.locale, name=escape(self.order.account_name))
        await outbound.send(self.context.bot, self.order.chat_id, no_key)

    async def not_run(self, problem: SyncError) -> None:
        """Not retried: the user is watching, and is told it runs elsewhere (or why it stopped)."""
        order = self.order
        if isinstance(problem, SyncAlreadyRunning):  # started elsewhere (its lease) between the press's look and here
            running = JobInQueue(QueuedSync.RUNNING, None, None, problem.progress)
            # Said in its line when the message closes: the line would otherwise stay "⏸ waiting".
            self.refused[self.index] = already_text(order.account_name, running, order.locale)
        else:
            await outbound.send(self.context.bot, order.chat_id, escape(render(problem.text, order.locale)))


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status: every account, green/yellow/red, per endpoint, with Sync and Troubleshoot buttons."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    svc = services(context)
    locale = await locale_of(update, context)
    accounts, zone = await svc.status.read(user.id, locale)
    if not accounts:
        await outbound.send(context.bot, chat.id, t("sync.no_accounts", locale=locale))
        return
    rows = []
    for account in accounts:
        row = []
        if account.summary.fingerprint is not None and not account.running:
            row.append(
                sync_button(
                    t("status.button.sync", locale=locale, name=account.summary.account_name), account.summary.id
                )
            )
        if account.problems():
            row.append(TROUBLESHOOT_ACCOUNT.button(t("status.button.troubleshoot", locale=locale), account.summary.id))
        if row:
            rows.append(row)
    if sum(1 for a in accounts if a.summary.fingerprint is not None) > 1:
        rows.append([sync_button(t("status.button.sync_all", locale=locale), None)])
    await outbound.send(
        context.bot, chat.id, sync_views.status(accounts, zone, locale), InlineKeyboardMarkup(rows) if rows else None
    )


async def on_status_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer()
        await status_command(update, context)


async def on_troubleshoot(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The diagnosis and tips of an account's failures; only the presser's own accounts are found."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None:
        return
    locale = await locale_of(update, context)
    fields = TROUBLESHOOT_ACCOUNT.parse(query.data)
    target = None if fields is None else fields[0]
    accounts = [a for a in await services(context).status.overview(user.id, locale) if str(a.summary.id) == target]
    if not accounts:
        await query.answer(t("button.stale", locale=locale), show_alert=True)
        return
    await query.answer()
    account = accounts[0]
    blocks = [f"🛟 <b>{escape(account.summary.account_name)}</b>"]
    blocks += [
        diagnosis_lines(d.title_in(locale), d.explanation_in(locale), d.tips_in(locale)) for d in account.problems()
    ]
    if len(blocks) == 1:
        blocks.append(t("status.troubleshoot.nothing_failing", locale=locale))
    blocks.append(t("status.troubleshoot.more_help", locale=locale))
    await outbound.send(context.bot, chat.id, "\n\n".join(blocks))


def register(application: Application) -> None:  # type: ignore[type-arg]
    # What the in-process sync queue (bot/jobs/in_process.py), built at start-up, runs for a press.
    press_task: PressTask = functools.partial(run_press, application)
    application.bot_data[PRESS_TASK_KEY] = press_task
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("sync", sync_command, filters=private))
    application.add_handler(CommandHandler("status", status_command, filters=private))
    application.add_handler(CallbackQueryHandler(on_sync_button, pattern=SYNC.pattern))
    application.add_handler(CallbackQueryHandler(on_troubleshoot, pattern=TROUBLESHOOT_ACCOUNT.pattern))
    application.add_handler(CallbackQueryHandler(on_status_button, pattern=STATUS.pattern))
