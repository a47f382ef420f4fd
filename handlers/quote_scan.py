"""After /sync has shown its summary: a quote scan for each account whose quote balance the history does not explain,
in the background (bot/jobs/quote_scan.py, which a worker runs too), its messages sent through the bot's outbound
path.

Decided before the press lets its accounts go (`quote_scans_due`), so the scan keeps the account claimed in the bot's
sync queue from the press's end to its own (bot/jobs/in_process.py `InProcessPress.follow_up`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from telegram.ext import ContextTypes

from bot.context import services
from bot.jobs.in_process import InProcessPress
from bot.jobs.quote_scan import quotes_needing_scan, scan_and_tell
from bot.reconcile import AccountReconciliation, ReconcileService
from bot.reconcile.scan import QuoteScan
from bot.sync import SyncResult, SyncService
from handlers import outbound


def quote_scans_due(
    sync: SyncService, results: Sequence[SyncResult], checked: Mapping[int, AccountReconciliation]
) -> dict[int, frozenset[str]]:
    """The quotes to scan by account; none for an account whose balances are all explained."""
    due = {
        result.integration_id: quotes_needing_scan(sync, result, checked.get(result.integration_id))
        for result in results
    }
    return {integration_id: quotes for integration_id, quotes in due.items() if quotes}


def start_quote_scans(
    context: ContextTypes.DEFAULT_TYPE,
    press: InProcessPress,
    results: Sequence[SyncResult],
    due: Mapping[int, frozenset[str]],
) -> None:
    """One background scan per account in `due`, each holding its account's claim until it ends."""
    svc = services(context)
    first = press.orders[0]

    async def say(text: str) -> object:
        return await outbound.send(context.bot, first.chat_id, text)

    for result in results:
        quotes = due.get(result.integration_id)
        if quotes:
            scan = QuoteScan(svc.sync, ReconcileService(svc.database, svc.integrations, svc.pool))
            work = scan_and_tell(
                scan, say, first.telegram_user_id, result.integration_id, result.account_name, quotes, first.locale
            )
            press.follow_up(result.integration_id, work, f"quote-scan:{result.integration_id}")
