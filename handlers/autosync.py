"""Automatic sync in the bot: the choice in /keys (off, daily, every 6 hours), the due check the bot runs itself
(PTB's JobQueue, one process: the embedded default), and the notice an automatic run's problem deserves."""

from __future__ import annotations

import asyncio
import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application, ContextTypes

from bot.autosync import AutoSyncSettings, AutoSyncStore, Cadence, DueSync, ExpiringKey
from bot.context import services
from bot.integrations import IntegrationError, IntegrationSummary
from bot.sync import SyncError, SyncResult, SyncStatus
from bot.sync.views import diagnosis_lines
from handlers import outbound
from handlers.callbacks import KEYS
from i18n import SOURCE_LOCALE, local_datetime, msgid, resolve_locale, t

log = logging.getLogger(__name__)

AUTOSYNC_KEY = "tallybot.autosync"  # bot_data: the AutoSyncSettings read at start
DUE_CHECK_KEY = "tallybot.autosync_due_check"  # bot_data: the task of the pass over due accounts now running
CADENCE_LABELS = {
    Cadence.OFF: msgid("autosync.button.off"),
    Cadence.DAILY: msgid("autosync.button.daily"),
    Cadence.SIX_HOURS: msgid("autosync.button.six_hours"),
}


def _button(label: str, action: str, integration_id: int, argument: str) -> InlineKeyboardButton:
    """A /keys button (handlers/keys.py answers it): `action` is its code."""
    return KEYS.button(label, action, integration_id, argument)


def runs_here(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether this bot runs the due check: the embedded deployment, where syncs run in the bot's process."""
    return not services(context).settings.sync_workers


def store_of(context: ContextTypes.DEFAULT_TYPE) -> AutoSyncStore:
    found: AutoSyncSettings = context.application.bot_data[AUTOSYNC_KEY]
    return AutoSyncStore(services(context).database, found.hour_seconds)


async def cadence_row(
    context: ContextTypes.DEFAULT_TYPE, integration_id: int, locale: str
) -> list[InlineKeyboardButton]:
    """The three choices under an account in /keys, the chosen one ticked; none while syncs run on workers, whose
    deployments do not run the due check yet (a choice there would change nothing)."""
    if not runs_here(context):
        return []
    chosen = await store_of(context).cadence(integration_id)
    return [
        _button(
            ("✅ " if cadence is chosen else "") + t(CADENCE_LABELS[cadence], locale=locale),
            "auto",
            integration_id,
            cadence.value,
        )
        for cadence in Cadence
    ]


async def choose(context: ContextTypes.DEFAULT_TYPE, summary: IntegrationSummary, argument: str) -> None:
    """A choice pressed in /keys; an account without a key has nothing to sync by itself."""
    cadence = next((c for c in Cadence if c.value == argument), None)
    if cadence is not None and summary.fingerprint is not None:
        await store_of(context).choose(summary.id, cadence, summary.last_synced_at)


async def offers(
    context: ContextTypes.DEFAULT_TYPE, results: list[SyncResult], locale: str
) -> list[list[InlineKeyboardButton]]:
    """Under a sync's summary: for each account whose first sync just ended well and that is not on auto-sync, a
    button to sync it daily from now on (the default most users want; /keys offers the other choices)."""
    store = store_of(context)
    rows: list[list[InlineKeyboardButton]] = []
    if not runs_here(context):
        return rows
    for result in results:
        if result.status is not SyncStatus.OK or not await store.first_success(result.integration_id):
            continue
        if await store.cadence(result.integration_id) is Cadence.OFF:
            label = t("autosync.button.offer_daily", locale=locale, name=result.account_name)
            rows.append([_button(label, "autod", result.integration_id, Cadence.DAILY.value)])
    return rows


async def check_due(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's tick: start a pass over the due accounts unless the last one still runs (a pass may sync for
    minutes; the tick stays short, and a bot stopping cancels the pass with its other background work). With sync
    workers nothing runs: those deployments do not run the due check yet."""
    if not runs_here(context):
        return
    running = context.application.bot_data.get(DUE_CHECK_KEY)
    if isinstance(running, asyncio.Task) and not running.done():
        return
    context.application.bot_data[DUE_CHECK_KEY] = services(context).background.start(_sync_due(context), "autosync")


async def _sync_due(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sync every due account, one after another (a daily account waits minutes at most), and tell problems."""
    store = store_of(context)
    for due in await store.claim_due():
        result = await _synced(context, due)
        if result is None:
            continue
        problem = await store.problem_to_tell(result)
        if problem is not None and not due.muted:
            await _tell(context, due, result)
    for expiring in await store.expiries_to_tell():
        if not expiring.account.muted:
            await _warn_expiry(context, expiring)


async def _warn_expiry(context: ContextTypes.DEFAULT_TYPE, expiring: ExpiringKey) -> None:
    account = expiring.account
    locale = resolve_locale(account.language or SOURCE_LOCALE)
    when = local_datetime(expiring.expires_at, expiring.timezone, locale)
    text = t("autosync.notice.expiring", locale=locale, name=escape(account.account_name), when=escape(when))
    fix = _button(t("autosync.button.fix_key", locale=locale), "rep", account.integration_id, "")
    await outbound.send(context.bot, account.telegram_user_id, text, InlineKeyboardMarkup([[fix]]))


async def _synced(context: ContextTypes.DEFAULT_TYPE, due: DueSync) -> SyncResult | None:
    try:
        return await services(context).sync.run(due.telegram_user_id, due.integration_id)
    except IntegrationError:  # its key was removed since: nothing to sync
        return None
    except SyncError:  # already syncing (a /sync press, or another process): that sync reports itself
        log.info("automatic sync of integration %d skipped: it is already syncing", due.integration_id)
        return None


async def _tell(context: ContextTypes.DEFAULT_TYPE, due: DueSync, result: SyncResult) -> None:
    locale = resolve_locale(due.language or SOURCE_LOCALE)
    found = result.diagnosis or next((e.diagnosis for e in result.endpoints if e.diagnosis is not None), None)
    key = msgid("autosync.notice.failed") if result.status == "failed" else msgid("autosync.notice.partial")
    blocks = [t(key, locale=locale, name=escape(due.account_name))]
    if found is not None:
        blocks.append(diagnosis_lines(found.title_in(locale), found.explanation_in(locale), found.tips_in(locale)))
    fix = _button(t("autosync.button.fix_key", locale=locale), "rep", due.integration_id, "")
    await outbound.send(context.bot, due.telegram_user_id, "\n\n".join(blocks), InlineKeyboardMarkup([[fix]]))


def register(application: Application) -> None:  # type: ignore[type-arg]
    found = AutoSyncSettings()
    application.bot_data[AUTOSYNC_KEY] = found
    # The tick itself asks whether this deployment runs the due check (runs_here, the same rule /keys follows), so
    # registering reads no settings: an Application is wired the same way whatever it is embedded in.
    if application.job_queue is not None:
        application.job_queue.run_repeating(check_due, interval=found.check_seconds, first=found.check_seconds)
