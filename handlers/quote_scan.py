"""After /sync has shown its summary: a quote scan for each account whose quote balance the history does not explain
(bot/reconcile/scan.py), in the background, then a short message with what it found and how the balances stand."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from html import escape

from telegram.ext import ContextTypes

from bot.context import services
from bot.reconcile import AccountReconciliation, ReconcileService
from bot.reconcile.scan import QuoteScan, quotes_to_scan
from bot.sync import SyncAlreadyRunning, SyncError, SyncResult
from handlers import outbound, reconcile_views
from i18n import join, t, tn

log = logging.getLogger(__name__)


def start_quote_scans(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    telegram_user_id: int,
    results: Sequence[SyncResult],
    checked: Mapping[int, AccountReconciliation],
    locale: str,
) -> None:
    """One background scan per account that needs one; none when every balance is explained."""
    svc = services(context)
    for result in results:
        found = checked.get(result.integration_id)
        quotes = quotes_to_scan(found, svc.sync.profiles(result.exchange_id).ccxt_id) if found else frozenset()
        if quotes:
            work = scan_and_tell(
                context, chat_id, telegram_user_id, result.integration_id, result.account_name, quotes, locale
            )
            svc.background.start(work, f"quote-scan:{result.integration_id}")


async def scan_and_tell(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    telegram_user_id: int,
    integration_id: int,
    name: str,
    quotes: frozenset[str],
    locale: str,
) -> None:
    svc = services(context)
    scan = QuoteScan(svc.sync, ReconcileService(svc.database, svc.integrations, svc.pool))
    quotes = await scan.wanted(integration_id, quotes)
    if not quotes:  # scanned before: /status names the difference and its cause
        return
    listed = join([escape(quote) for quote in sorted(quotes)], locale)
    await outbound.send(
        context.bot, chat_id, t("reconcile.scan.started", locale=locale, name=escape(name), quotes=listed)
    )
    try:
        outcome = await scan.run(telegram_user_id, integration_id, quotes)
    except SyncAlreadyRunning:
        # The other sync resumes the scan (it is kept in the cursor) and reports its own balances.
        await outbound.send(
            context.bot, chat_id, t("reconcile.scan.deferred", locale=locale, name=escape(name), quotes=listed)
        )
        return
    except SyncError as problem:
        log.warning("quote scan of integration %d stopped: %s", integration_id, type(problem).__name__)
        await outbound.send(
            context.bot, chat_id, t("reconcile.scan.deferred", locale=locale, name=escape(name), quotes=listed)
        )
        return
    text = tn(
        "reconcile.scan.finished",
        outcome.sync.new,
        locale=locale,
        name=escape(name),
        quotes=listed,
        markets=outcome.markets,
    )
    if outcome.reconciliation is not None:
        text += "\n" + reconcile_views.sync_line(outcome.reconciliation, name, locale)
    await outbound.send(context.bot, chat_id, text)
