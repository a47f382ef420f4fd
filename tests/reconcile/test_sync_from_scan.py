"""A quote whose difference is put down to the sync-from date is scanned all the same, once: a market traded and
emptied after that date is inside the range the user chose (bot/reconcile/scan.py). Values written by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.reconcile.causes import Cause, Coverage, likely_cause
from bot.reconcile.results import AccountReconciliation, AssetBalance, Outcome
from bot.reconcile.scan import ScanProgress, quotes_to_scan, with_progress

SYNC_FROM = Coverage(sync_from=date(2026, 10, 27))
QUOTES = frozenset({"USDT", "BTC", "ETH"})


def account(*balances: AssetBalance) -> AccountReconciliation:
    return AccountReconciliation(
        1, "binance", datetime(2026, 12, 6, tzinfo=UTC), Outcome.UNEXPLAINED, None, ("spot",), {}, balances
    )


def test_a_quote_not_scanned_yet_is_marked_for_the_scan_and_a_scanned_one_or_a_coin_is_not() -> None:
    assert likely_cause("USDT", Decimal("-12.5"), SYNC_FROM, QUOTES) == (
        Cause.BEFORE_SYNC_FROM,
        {"date": "2026-10-27", "quote": True},
    )
    assert likely_cause("USDT", Decimal("-12.5"), SYNC_FROM, QUOTES, frozenset({"USDT"})) == (
        Cause.BEFORE_SYNC_FROM,
        {"date": "2026-10-27"},
    )
    assert likely_cause("SHIB", Decimal(7), SYNC_FROM, QUOTES) == (Cause.BEFORE_SYNC_FROM, {"date": "2026-10-27"})


def test_the_marked_quotes_are_scanned_on_binance_only_and_show_the_scan_s_progress() -> None:
    marked = {"date": "2026-10-27", "quote": True}
    usdt = AssetBalance("USDT", Decimal("100"), Decimal("112.5"), str(Cause.BEFORE_SYNC_FROM), marked)
    shib = AssetBalance("SHIB", Decimal(0), Decimal(-7), str(Cause.BEFORE_SYNC_FROM), {"date": "2026-10-27"})
    btc = AssetBalance("BTC", Decimal(1), Decimal(1))
    result = account(usdt, shib, btc)
    assert quotes_to_scan(result, "binance") == {"USDT"}
    assert quotes_to_scan(result, "kucoin") == frozenset()  # its trades are not asked market by market
    shown = with_progress(result, {"USDT": ScanProgress("USDT", 6, 34), "SHIB": ScanProgress("SHIB", 1, 2)})
    assert [(b.asset, b.cause, b.cause_args) for b in shown.balances] == [
        ("USDT", "quote_scanning", {"asset": "USDT", "done": 6, "total": 34}),
        ("SHIB", "before_sync_from", {"date": "2026-10-27"}),
        ("BTC", None, None),
    ]
