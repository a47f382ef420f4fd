"""After /sync has shown its summary: a quote scan for each account whose quote balance the history does not explain,
in the background (bot/jobs/quote_scan.py, which a worker runs too), its messages sent through the bot's outbound
path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telegram.ext import ContextTypes

from bot.context import services
from bot.jobs.quote_scan import quotes_needing_scan, scan_and_tell
from bot.reconcile import AccountReconciliation, ReconcileService
from bot.reconcile.scan import QuoteScan
from bot.sync import SyncResult
from handlers import outbound


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

    async def say(text: str) -> object:
        return await outbound.send(context.bot, chat_id, text)

    for result in results:
        quotes = quotes_needing_scan(svc.sync, result, checked.get(result.integration_id))
        if quotes:
            scan = QuoteScan(svc.sync, ReconcileService(svc.database, svc.integrations, svc.pool))
            work = scan_and_tell(
                scan, say, telegram_user_id, result.integration_id, result.account_name, quotes, locale
            )
            svc.background.start(work, f"quote-scan:{result.integration_id}")
