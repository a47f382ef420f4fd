"""How a reconciliation reads where a sync's summary says it (HTML, the reader's locale): shared by the bot's /sync
and the sync workers; the rest of its views (/status, the export) are in handlers/reconcile_views.py."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from bot.reconcile.causes import NOT_READ, UNNAMED
from bot.reconcile.results import AccountReconciliation, AssetBalance, Outcome
from i18n import Text, join, render, t, tn


def reason(result: AccountReconciliation, locale: str) -> str:
    found = result.error_reason
    return escape(render(found, locale) if isinstance(found, Text) else str(found or result.error_code or "—"))


def sync_line(result: AccountReconciliation, name: str, locale: str) -> str:
    """The one line the end of /sync says about an account's balances."""
    if result.outcome is Outcome.BALANCED:
        return t("reconcile.sync.balanced", locale=locale, name=escape(name))
    if result.outcome is Outcome.UNREAD:
        return t("reconcile.sync.unread", locale=locale, name=escape(name), reason=reason(result, locale))
    return tn("reconcile.sync.unexplained", len(result.differences), locale=locale, name=escape(name))


def products(ids: Any, locale: str) -> str:
    """The products a `not_read_yet` cause names (catalogue ids, as stored), as a list in a sentence; an id that is
    no product's (a row stored by another version) is left out."""
    known = {product.name for product in (*NOT_READ.values(), UNNAMED)}
    return join([Text.of(str(i)) for i in ids or () if i in known], locale) or "—"


def unplaced_line(balance: AssetBalance, exchange: str, locale: str) -> str:
    """An `unplaced_ledger` cause: the types of the asset's ledger lines Tallybot cannot place (the exchange's own
    codes, as it writes them) and their sum, signed."""
    args = balance.cause_args or {}
    total = Decimal(str(args.get("amount", "0")))
    written = format(abs(total), "f")
    written = written.rstrip("0").rstrip(".") if "." in written else written
    return t(
        "reconcile.cause.unplaced_ledger",
        locale=locale,
        types=escape(", ".join(str(each) for each in args.get("types") or ())),
        amount=("+" if total > 0 else "−" if total < 0 else "") + (written or "0"),
        asset=escape(balance.asset),
        exchange=escape(exchange),
    )
