"""The reconciliation file /export sends beside the history: per account and asset, the exchange's balance, the
history's, the difference and its likely cause, so a user or an accountant sees the numbers /status shows."""

from __future__ import annotations

import csv
import io
from datetime import date
from html import unescape

from telegram import Chat

from bot.reconcile import AccountReconciliation, Outcome, ReconcileReader
from connectors.profiles import UnknownExchange, get_profile
from db.engine import Database
from handlers import outbound, reconcile_views
from handlers.file_names import dated_csv_name
from i18n import t

COLUMNS = (
    "account_id",
    "exchange",
    "checked_at_utc",
    "asset",
    "exchange_balance",
    "history_balance",
    "difference",
    "cause",
    "explanation",
)
# OWASP "CSV Injection": a text cell starting with one of these is a formula to spreadsheets; a quote defuses it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _exchange_name(exchange_id: str) -> str:
    try:
        return get_profile(exchange_id).name
    except UnknownExchange:
        return exchange_id


def reconciliation_csv(results: list[AccountReconciliation], locale: str) -> bytes:
    """Every asset either side knows, one row each; an account whose balances could not be read, one row saying why."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for result in results:
        exchange = _exchange_name(result.exchange_id)
        head = [str(result.integration_id), _text(exchange), result.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ")]
        if result.outcome is Outcome.UNREAD:
            writer.writerow([*head, "", "", "", "", "unread", unescape(reconcile_views.reason(result, locale))])
            continue
        for balance in result.balances:
            row = [
                _text(balance.asset),
                reconcile_views.amount(balance.reported),
                reconcile_views.amount(balance.explained),
                reconcile_views.amount(balance.difference),
            ]
            explanation = unescape(reconcile_views.cause_line(balance, exchange, locale)) if balance.cause else ""
            writer.writerow([*head, *row, balance.cause or "", explanation])
    return buffer.getvalue().encode("utf-8")


async def send_reconciliation(
    chat: Chat, database: Database, telegram_user_id: int, integration_id: int | None, locale: str
) -> None:
    """Sent after the export when any of the exported accounts has a reconciliation."""
    results = await ReconcileReader(database).of_user(telegram_user_id, integration_id)
    if results:
        name = dated_csv_name("reconciliation", date.today())
        caption = t("reconcile.export_caption", locale=locale)
        await outbound.send_document(chat.get_bot(), chat.id, reconciliation_csv(results, locale), name, caption)
