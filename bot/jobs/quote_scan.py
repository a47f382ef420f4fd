"""A quote scan after a sync's summary, in the bot's process or a worker's: for an account whose quote balance the
history does not explain (bot/reconcile/scan.py), every listed market of that quote is asked once, the balances are
reconciled again, and a short message says what the scan found and how the balances stand.

Both deployments run `scan_and_tell`; only the way the messages go out differs (the bot's outbound path, or the
worker's bot with the shared Telegram budget), so it takes a `Say`. After an automatic sync nobody is watching:
`scan_quietly` speaks only when the scan found trades or stopped short, in one message (docs/DEPLOY.md)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from html import escape

from bot.integrations import IntegrationError
from bot.reconcile import AccountReconciliation
from bot.reconcile.scan import QuoteScan, ScanOutcome, quotes_to_scan
from bot.reconcile.views import sync_line
from bot.sync import SyncAlreadyRunning, SyncError, SyncResult, SyncService
from i18n import join, t, tn

log = logging.getLogger(__name__)

Say = Callable[[str], Awaitable[object]]  # sends one HTML text to the user's chat


def quotes_needing_scan(sync: SyncService, result: SyncResult, checked: AccountReconciliation | None) -> frozenset[str]:
    """The quotes a scan should search after this sync; none when its balance check is missing or explains all."""
    if checked is None:
        return frozenset()
    return quotes_to_scan(checked, sync.profiles(result.exchange_id).ccxt_id)


async def still_synced(scan: QuoteScan, telegram_user_id: int, integration_id: int) -> bool:
    """Whether the account and its key are still there. A scan waits behind other syncs of the account (a worker's
    job) or runs after a summary the user may have answered by deleting the account or its key: such a scan ends
    quietly, as a sync of it does (bot/jobs/step.py `key_gone`, bot/jobs/auto.py), before it says it started."""
    try:
        summary = await scan.sync.integrations.get(telegram_user_id, integration_id)
    except IntegrationError:
        summary = None
    if summary is None or summary.fingerprint is None:
        log.info("quote scan of integration %d dropped: the account or its key was removed", integration_id)
        return False
    return True


async def scan_and_tell(
    scan: QuoteScan,
    say: Say,
    telegram_user_id: int,
    integration_id: int,
    name: str,
    quotes: frozenset[str],
    locale: str,
) -> None:
    """Raises nothing of the sync's own (another sync holding the account resumes the scan from its cursor)."""
    if not await still_synced(scan, telegram_user_id, integration_id):
        return
    quotes = await scan.wanted(integration_id, quotes)
    if not quotes:  # scanned before: /status names the difference and its cause
        return
    listed = join([escape(quote) for quote in sorted(quotes)], locale)
    await say(t("reconcile.scan.started", locale=locale, name=escape(name), quotes=listed))
    try:
        outcome = await scan.run(telegram_user_id, integration_id, quotes)
    except IntegrationError:  # removed in the moment since `still_synced`: nothing left to scan or tell
        log.info("quote scan of integration %d ended: the account or its key was removed", integration_id)
        return
    except SyncAlreadyRunning:
        # The other sync resumes the scan (it is kept in the cursor) and reports its own balances.
        await say(t("reconcile.scan.deferred", locale=locale, name=escape(name), quotes=listed))
        return
    except SyncError as problem:
        log.warning("quote scan of integration %d stopped: %s", integration_id, type(problem).__name__)
        await say(t("reconcile.scan.deferred", locale=locale, name=escape(name), quotes=listed))
        return
    await say(finished_text(outcome, name, listed, locale))


def finished_text(outcome: ScanOutcome, name: str, listed: str, locale: str) -> str:
    """What the scan asked and found, and how the balances stand after it."""
    text = tn(
        "reconcile.scan.finished",
        outcome.sync.new,
        locale=locale,
        name=escape(name),
        quotes=listed,
        markets=outcome.markets,
    )
    if outcome.reconciliation is not None:
        text += "\n" + sync_line(outcome.reconciliation, name, locale)
    return text


async def scan_quietly(
    scan: QuoteScan,
    say: Say,
    telegram_user_id: int,
    integration_id: int,
    name: str,
    quotes: frozenset[str],
    locale: str,
) -> None:
    """The scan after an automatic sync: no "started" message, and silence when it found nothing (/status names the
    difference and its cause) or another sync holds the account (that sync resumes it and reports itself)."""
    if not await still_synced(scan, telegram_user_id, integration_id):
        return
    quotes = await scan.wanted(integration_id, quotes)
    if not quotes:
        return
    listed = join([escape(quote) for quote in sorted(quotes)], locale)
    try:
        outcome = await scan.run(telegram_user_id, integration_id, quotes)
    except (SyncAlreadyRunning, IntegrationError):  # another sync reports itself; a removed account has nothing
        return
    except SyncError as problem:
        log.warning("quote scan of integration %d stopped: %s", integration_id, type(problem).__name__)
        await say(t("reconcile.scan.deferred", locale=locale, name=escape(name), quotes=listed))
        return
    if outcome.sync.new:
        await say(finished_text(outcome, name, listed, locale))
