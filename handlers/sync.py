"""/sync (all accounts, or `/sync Bitget-1`), the Sync buttons, and /status with its Troubleshoot buttons."""

from __future__ import annotations

import asyncio
import logging
import time
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.context import services
from bot.integrations import IntegrationSummary
from bot.jobs.step import sync_account_task
from bot.open_messages import SYNC as SYNC_PROGRESS
from bot.reconcile import AccountReconciliation, ReconcileService
from bot.sync import ProgressEvent, SyncAlreadyRunning, SyncError, SyncResult
from handlers import autosync, outbound, reconcile_views, sync_views
from handlers.callbacks import STATUS, SYNC, TROUBLESHOOT_ACCOUNT, SyncScope, sync_data
from handlers.closing import always_closed
from handlers.live import LiveMessage
from handlers.locale import locale_of
from handlers.quote_scan import start_quote_scans
from handlers.sync_jobs import defer_syncs
from handlers.sync_views import diagnosis_lines
from i18n import render, t

log = logging.getLogger(__name__)

STARTING_KEY = "tallybot.syncs_starting"  # bot_data: ids of accounts whose sync this process is starting


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


async def start_sync(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    telegram_user_id: int,
    accounts: list[IntegrationSummary],
    locale: str,
) -> None:
    """Run in the background: a sync takes minutes and must not hold up other users' updates. Its messages are
    worded in `locale`, the user's. With sync workers, the accounts' jobs are queued instead (handlers/sync_jobs.py):
    awaited here, so two presses of one user are queued in order."""
    if services(context).settings.sync_workers:
        await defer_syncs(context, chat_id, telegram_user_id, accounts, locale)
        return
    services(context).background.start(
        run_syncs(context, chat_id, telegram_user_id, accounts, locale), ":".join(("sync", str(telegram_user_id)))
    )


async def run_syncs(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    telegram_user_id: int,
    accounts: list[IntegrationSummary],
    locale: str,
) -> None:
    # Claimed before the first await: the sync's lease is taken only later, so of two /sync sent together the
    # second would otherwise pass the check below too and open a second progress message that never moves (issue
    # 12: 50 /sync in a row). With the claim, it says "already running" like every other one.
    starting: set[int] = context.application.bot_data.setdefault(STARTING_KEY, set())
    claimed = {account.id for account in accounts if account.id not in starting}
    starting.update(claimed)
    try:
        await _run_unless_running(context, chat_id, telegram_user_id, accounts, claimed, locale)
    finally:
        starting.difference_update(claimed)


async def _run_unless_running(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    telegram_user_id: int,
    accounts: list[IntegrationSummary],
    claimed: set[int],
    locale: str,
) -> None:
    svc = services(context)
    # Accounts already syncing (here or in another process) get that said, not a second progress message.
    busy = await svc.sync.running([account.id for account in accounts if account.id in claimed])
    busy |= {account.id for account in accounts if account.id not in claimed}
    for account in [a for a in accounts if a.id in busy]:
        await tell_already_running(context, chat_id, account, svc.sync.progress(account.id), locale)
    accounts = [account for account in accounts if account.id not in busy]
    if not accounts:
        return
    names = [account.account_name for account in accounts]
    events: list[ProgressEvent | None] = [None] * len(accounts)
    sent = await outbound.send(context.bot, chat_id, sync_views.progress(events, names, locale))
    live = LiveMessage(context.bot, chat_id, sent.message_id, sent.text_html or "")
    # Cancelled at shutdown or stopped by an unexpected error, the message says so instead of "Syncing…" for ever.

    def stopped() -> str:
        return _without_header(sync_views.progress(events, names, locale), locale)

    async with always_closed(context, live, SYNC_PROGRESS, locale, stopped):
        await _sync_and_report(context, chat_id, telegram_user_id, accounts, live, events, names, locale)


def _without_header(progress: str, locale: str) -> str:
    """The accounts' lines, without "🔄 Syncing…" above them: for a message that says the sync stopped."""
    return progress.removeprefix(t("sync.started", locale=locale)).lstrip()


async def _sync_and_report(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    telegram_user_id: int,
    accounts: list[IntegrationSummary],
    live: LiveMessage,
    events: list[ProgressEvent | None],
    names: list[str],
    locale: str,
) -> None:
    svc = services(context)
    started = time.monotonic()
    reconciler = ReconcileService(svc.database, svc.integrations, svc.pool)
    checked: dict[int, AccountReconciliation] = {}

    async def one(index: int, account: IntegrationSummary) -> SyncResult | None:
        # The same per-account task a worker's sync job runs (bot/jobs/step.py), shown in its line of this message.
        view = SharedMessageView(context, chat_id, account, live, events, index, names, locale)
        synced = await sync_account_task(svc.sync, reconciler, telegram_user_id, account.id, view)
        if synced is None:
            return None
        if synced.checked is not None:
            checked[account.id] = synced.checked
        return synced.result

    # A TaskGroup, not gather: an unexpected error in one sync stops the others rather than leaving them unwatched.
    async with asyncio.TaskGroup() as group:
        running = [group.create_task(one(i, account)) for i, account in enumerate(accounts)]
    outcomes = [task.result() for task in running]
    results = [result for result in outcomes if result is not None]
    elapsed = time.monotonic() - started
    # Their leases are released: a /sync sent on reading the summary below starts a new sync rather than being told
    # "already running" while this task still closes up (the claim would otherwise outlive the summary).
    context.application.bot_data.setdefault(STARTING_KEY, set()).difference_update(a.id for a in accounts)
    await live.close(sync_views.progress(events, names, locale))
    if results:
        offered = await autosync.offers(context, results, locale)
        show = InlineKeyboardButton(t("status.button.show", locale=locale), callback_data=STATUS.data("show"))
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
        start_quote_scans(context, chat_id, telegram_user_id, results, checked, locale)


class SharedMessageView:
    """One account of a /sync in the bot's process: its line in the progress message all its accounts share."""

    def __init__(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        chat_id: int,
        account: IntegrationSummary,
        live: LiveMessage,
        events: list[ProgressEvent | None],
        index: int,
        names: list[str],
        locale: str,
    ) -> None:
        self.context, self.chat_id, self.account, self.live = context, chat_id, account, live
        self.events, self.index, self.names, self.locale = events, index, names, locale

    def show(self, event: ProgressEvent) -> None:
        self.events[self.index] = event
        self.live.show(sync_views.progress(self.events, self.names, self.locale))

    async def key_gone(self) -> None:
        no_key = t("sync.no_key", locale=self.locale, name=escape(self.account.account_name))
        await outbound.send(self.context.bot, self.chat_id, no_key)

    async def not_run(self, problem: SyncError) -> None:
        """Not retried: the user is watching, and is told it runs elsewhere (or why it stopped)."""
        if isinstance(problem, SyncAlreadyRunning):  # started between our check and here
            await tell_already_running(self.context, self.chat_id, self.account, problem.progress, self.locale)
        else:
            await outbound.send(self.context.bot, self.chat_id, escape(render(problem.text, self.locale)))


async def tell_already_running(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    account: IntegrationSummary,
    progress: ProgressEvent | None,
    locale: str,
) -> None:
    name = escape(account.account_name)
    if progress is not None:
        running = t("sync.already_running", locale=locale, name=name)
        text = running + "\n\n" + sync_views.progress_block(progress, locale)
    else:
        text = t("sync.already_running_elsewhere", locale=locale, name=name)
    await outbound.send(context.bot, chat_id, text)


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status: every account, green/yellow/red, per endpoint, with Sync and Troubleshoot buttons."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    svc = services(context)
    locale = await locale_of(update, context)
    accounts = await svc.status.overview(user.id, locale)
    if not accounts:
        await outbound.send(context.bot, chat.id, t("sync.no_accounts", locale=locale))
        return
    zone = await svc.status.timezone(user.id)
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
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("sync", sync_command, filters=private))
    application.add_handler(CommandHandler("status", status_command, filters=private))
    application.add_handler(CallbackQueryHandler(on_sync_button, pattern=SYNC.pattern))
    application.add_handler(CallbackQueryHandler(on_troubleshoot, pattern=TROUBLESHOOT_ACCOUNT.pattern))
    application.add_handler(CallbackQueryHandler(on_status_button, pattern=STATUS.pattern))
