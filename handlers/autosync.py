"""Automatic sync in the bot: the choice in /keys (off, daily, every 6 hours), offered on every deployment, and the
due check the embedded deployment runs itself (PTB's JobQueue, one process) with the task function and notices a
sync worker uses (bot/jobs/auto.py); with sync workers, procrastinate's periodic task runs it (bot/jobs/auto_tasks.py).
"""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton
from telegram.ext import Application, ContextTypes

from bot.autosync import AutoSyncSettings, AutoSyncStore, Cadence
from bot.context import services
from bot.integrations import IntegrationSummary
from bot.jobs.auto import AutoSyncWork, InProcessAutoSyncs, daily_offer, due_pass
from bot.sync import SyncResult
from handlers.callbacks import KEYS
from i18n import msgid, t

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


def store_of(context: ContextTypes.DEFAULT_TYPE) -> AutoSyncStore:
    found: AutoSyncSettings = context.application.bot_data[AUTOSYNC_KEY]
    return AutoSyncStore(services(context).database, found.hour_seconds)


async def cadence_row(
    context: ContextTypes.DEFAULT_TYPE, integration_id: int, locale: str
) -> list[InlineKeyboardButton]:
    """The three choices under an account in /keys, the chosen one ticked."""
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


async def choose(context: ContextTypes.DEFAULT_TYPE, summary: IntegrationSummary, argument: str) -> bool:
    """A choice pressed in /keys; False, storing nothing, for an account without a key (nothing to sync by itself),
    one removed since the button was shown, or a choice that is not one."""
    cadence = next((c for c in Cadence if c.value == argument), None)
    if cadence is None or summary.fingerprint is None:
        return False
    return await store_of(context).choose(summary.id, cadence, summary.last_synced_at)


async def offers(
    context: ContextTypes.DEFAULT_TYPE, results: list[SyncResult], locale: str
) -> list[list[InlineKeyboardButton]]:
    """Under an in-process sync's summary: the "sync daily" offer of each account that deserves it (a worker's
    summary carries the same, bot/jobs/task.py)."""
    store = store_of(context)
    offered = [await daily_offer(store, result, locale) for result in results]
    return [[button] for button in offered if button is not None]


async def check_due(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's tick: start a pass over the due accounts unless the last one still runs (a pass may sync for
    minutes; the tick stays short, and a bot stopping cancels the pass with its other background work). With sync
    workers the bot does nothing here: the workers' periodic task runs the pass."""
    svc = services(context)
    if svc.settings.sync_workers:
        return
    running = context.application.bot_data.get(DUE_CHECK_KEY)
    if isinstance(running, asyncio.Task) and not running.done():
        return
    work = AutoSyncWork(svc.sync, store_of(context), context.bot)
    started = svc.background.start(due_pass(work, InProcessAutoSyncs(work)), "autosync")
    context.application.bot_data[DUE_CHECK_KEY] = started


def register(application: Application) -> None:  # type: ignore[type-arg]
    found = AutoSyncSettings()
    application.bot_data[AUTOSYNC_KEY] = found
    # The tick itself asks whether this deployment runs the due check, so registering reads no settings: an
    # Application is wired the same way whatever it is embedded in.
    if application.job_queue is not None:
        application.job_queue.run_repeating(check_due, interval=found.check_seconds, first=found.check_seconds)
