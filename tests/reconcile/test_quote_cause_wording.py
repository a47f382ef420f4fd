"""The cause of an unexplained quote balance says plainly what the quote scan reaches: spot markets, and cross-margin
markets when the account syncs margin trades (isolated pairs are always asked); a futures market settled in that
quote that the account's history does not name stays unseen (bot/reconcile/scan.py). Expected texts written by hand."""

from __future__ import annotations

from decimal import Decimal

from bot.reconcile.causes import Cause
from bot.reconcile.results import AssetBalance
from handlers.reconcile_views import cause_line

USDT = AssetBalance("USDT", Decimal("120.5"), Decimal("100"), str(Cause.QUOTE_MARKETS), {"asset": "USDT"})


def test_the_quote_markets_cause_names_the_markets_the_scan_does_not_probe() -> None:
    assert cause_line(USDT, "Binance", "en") == (
        "USDT is the quote of many markets: trades in a market Tallybot has not found are the likely cause. Its scan "
        "probes spot markets, and cross-margin markets when margin trades are synced: a futures market settled in "
        "USDT that the account's history does not name is not found that way, so upload a statement that holds "
        "those trades."
    )


def test_the_japanese_cause_says_the_same() -> None:
    assert cause_line(USDT, "Binance", "ja") == (
        "USDT は多くの市場の決済通貨です。Tallybot がまだ見つけていない市場での取引が原因と考えられます。"
        "Tallybot のスキャンで調べるのは現物市場と、マージン取引を同期している場合はクロスマージン市場です。"
        "口座の履歴に現れない USDT 建ての先物市場はスキャンでは見つからないため、"
        "それらの取引を含む明細書をアップロードしてください。"
    )
