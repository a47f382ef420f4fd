"""Automatic sync's one task function, for both deployments, and the notices it sends.

`auto_sync` syncs one account and tells its problem: the embedded deployment (SQLite, one process) runs it in the
bot's process (`InProcessAutoSyncs`), a deployment with sync workers runs it in a worker (bot/jobs/auto_tasks.py
defers it with the account's lock). `due_pass` is the pass over due accounts both run: the bot's JobQueue tick in the
first, procrastinate's periodic task in the second; each hands the due accounts to its `AutoSyncJobs`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from html import escape
from typing import Any, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.autosync import AutoSyncStore, Cadence, DueSync, ExpiringKey
from bot.callback_codec import KEYS, replace_key_data
from bot.integrations import IntegrationError
from bot.jobs.quote_scan import quotes_needing_scan, scan_quietly
from bot.jobs.step import sync_and_check
from bot.message_parts import split_text
from bot.reconcile import ReconcileService
from bot.reconcile.scan import QuoteScan
from bot.sync import SyncError, SyncResult, SyncService, SyncStatus
from bot.sync.views import diagnosis_lines
from db.types import utcnow
from i18n import SOURCE_LOCALE, local_datetime, msgid, resolve_locale, t

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True)
class AutoSyncOrder:
    """One account's automatic sync: whose, which, and the language its notice is worded in."""

    telegram_user_id: int
    integration_id: int
    account_name: str
    locale: str

    @classmethod
    def of(cls, due: DueSync) -> AutoSyncOrder:
        locale = resolve_locale(due.language or SOURCE_LOCALE)
        return cls(due.telegram_user_id, due.integration_id, due.account_name, locale)

    def as_job_args(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AutoSyncWork:
    """What an automatic sync needs, in the bot's process or a worker's."""

    sync: SyncService
    store: AutoSyncStore
    bot: Bot


class AutoSyncJobs(Protocol):
    """Where due accounts are handed: run here and now, or queued for the workers."""

    async def defer_auto(self, order: AutoSyncOrder) -> bool:
        """Run or queue the account's automatic sync; False when one of it already waits."""
        ...


class InProcessAutoSyncs:
    """`AutoSyncJobs` of the embedded deployment: each due account's automatic sync runs in the bot's process, there
    and then, one account after another (a daily account waits minutes at most, and the bot's own syncs keep the rest
    of its capacity). Not /sync's queue (bot/jobs/in_process.py `InProcessJobs`)."""

    def __init__(self, work: AutoSyncWork) -> None:
        self.work = work

    async def defer_auto(self, order: AutoSyncOrder) -> bool:
        # One account's failure (a notice Telegram refused: the user blocked the bot) does not stop the others',
        # as one failed job does not stop the workers'.
        try:
            await auto_sync(self.work, order)
        except Exception as error:
            log.warning("automatic sync of integration %d failed: %s", order.integration_id, type(error).__name__)
        return True


async def due_pass(work: AutoSyncWork, jobs: AutoSyncJobs) -> None:
    """Hand every due account to `jobs`, then move it to its next run, then warn of keys about to expire.

    Handed on first, moved after: a pass cut short between the two (its process died) leaves the account due, and the
    next pass hands it on again, where moving first would skip that run. procrastinate can defer on an external
    connection within its transaction ("Using an external database connection": psycopg connections only), but the
    move is a SQLAlchemy (asyncpg) write and the embedded deployment runs the sync itself instead of deferring, so the
    two are not one transaction; a second hand-on of the same run meets the account's queueing lock."""
    now = utcnow()
    for due in await work.store.due(now):
        if not await work.store.is_due(due.integration_id, now):  # another pass handed it on and moved it meanwhile
            continue
        if not await jobs.defer_auto(AutoSyncOrder.of(due)):
            log.info("automatic sync of integration %d not queued: a sync of it already waits", due.integration_id)
        await work.store.move_on(due.integration_id, now)
    for expiring in await work.store.expiries_to_tell():
        if expiring.account.muted:
            continue
        try:
            await warn_expiry(work.bot, expiring)
        except TelegramError as error:  # remembered as told already: the user blocked the bot, or Telegram failed
            log.warning(
                "expiry warning of integration %d not sent: %s", expiring.account.integration_id, type(error).__name__
            )


async def auto_sync(work: AutoSyncWork, order: AutoSyncOrder) -> SyncResult | None:
    """The task function: sync the account and check its balances; a failed or partial run whose problem is new is
    told (unless the user muted notices), a run that went well says nothing. A quote balance left unexplained is
    scanned for next (bot/jobs/quote_scan.py `scan_quietly`: one message if it finds trades or stops short)."""
    reconciler = ReconcileService(work.sync.database, work.sync.integrations, work.sync.pool)
    try:
        synced = await sync_and_check(work.sync, reconciler, order.telegram_user_id, order.integration_id)
    except IntegrationError:  # its key was removed since: nothing to sync
        return None
    except SyncError:  # already syncing (a /sync press, or another process): that sync reports itself
        log.info("automatic sync of integration %d skipped: it is already syncing", order.integration_id)
        return None
    result = synced.result
    problem = await work.store.problem_to_tell(result)  # remembered even when muted: unmuting does not replay it
    muted = await work.store.muted(order.telegram_user_id)
    if problem is not None and not muted:
        await tell_problem(work.bot, order, result)
    # A quote balance the history does not explain (the rule /sync follows): its markets are scanned right after, in
    # this same task, which already runs apart from the user (a worker's job holding the account's lock, or the bot's
    # background pass); the scan keeps its cursor, so a cut-short one resumes at the next sync.
    quotes = quotes_needing_scan(work.sync, result, synced.checked)
    if quotes:

        async def say(text: str) -> None:
            if not muted:
                await send(work.bot, order.telegram_user_id, text)

        scan = QuoteScan(work.sync, reconciler)
        await scan_quietly(
            scan, say, order.telegram_user_id, order.integration_id, order.account_name, quotes, order.locale
        )
    return result


async def daily_offer(store: AutoSyncStore, result: SyncResult, locale: str) -> InlineKeyboardButton | None:
    """Under a sync's summary, in the bot's process or a worker's: when the account's first sync just ended well and
    it is not on auto-sync, a button to sync it daily from now on (the default most users want; /keys offers the
    other choices). /keys answers it (handlers/keys.py "autod")."""
    if result.status is not SyncStatus.OK or not await store.first_success(result.integration_id):
        return None
    if await store.cadence(result.integration_id) is not Cadence.OFF:
        return None
    label = t("autosync.button.offer_daily", locale=locale, name=result.account_name)
    return InlineKeyboardButton(label, callback_data=KEYS.data("autod", result.integration_id, Cadence.DAILY.value))


def fix_key_keyboard(integration_id: int, locale: str) -> InlineKeyboardMarkup:
    label = t("autosync.button.fix_key", locale=locale)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=replace_key_data(integration_id))]])


async def tell_problem(bot: Bot, order: AutoSyncOrder, result: SyncResult) -> None:
    """The notice of a failed or partial automatic sync: what happened, the diagnosis with its fix, a button to
    replace the key (the most common fix: an expired or revoked key)."""
    locale = order.locale
    found = result.diagnosis or next((e.diagnosis for e in result.endpoints if e.diagnosis is not None), None)
    key = msgid("autosync.notice.failed") if result.status is SyncStatus.FAILED else msgid("autosync.notice.partial")
    blocks = [t(key, locale=locale, name=escape(order.account_name))]
    if found is not None:
        blocks.append(diagnosis_lines(found.title_in(locale), found.explanation_in(locale), found.tips_in(locale)))
    await send(bot, order.telegram_user_id, "\n\n".join(blocks), fix_key_keyboard(order.integration_id, locale))


async def warn_expiry(bot: Bot, expiring: ExpiringKey) -> None:
    account = expiring.account
    locale = resolve_locale(account.language or SOURCE_LOCALE)
    when = local_datetime(expiring.expires_at, expiring.timezone, locale)
    text = t("autosync.notice.expiring", locale=locale, name=escape(account.account_name), when=escape(when))
    await send(bot, account.telegram_user_id, text, fix_key_keyboard(account.integration_id, locale))


async def send(bot: Bot, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """An HTML text in as many messages as its length needs, the keyboard under the last."""
    *first, last = split_text(text)
    for part in first:
        await bot.send_message(chat_id, part, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)
    await bot.send_message(
        chat_id, last, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=keyboard
    )
