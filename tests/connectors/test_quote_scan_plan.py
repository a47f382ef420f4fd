"""A quote scan in market discovery (connectors/fetchers/discovery.py) and in reconciliation (bot/reconcile/scan.py),
on a small hand-made market list: every listed market of the quote not asked yet is asked once, outside the probe
budget, and a scanned market is asked again only when its base's balance moves."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.reconcile.causes import Cause
from bot.reconcile.results import AccountReconciliation, AssetBalance, Outcome
from bot.reconcile.scan import ScanProgress, quotes_to_scan, with_progress
from connectors.fetchers.base import FetchReport
from connectors.fetchers.discovery import AssetEvidence, listed_spot_markets, plan_markets, quote_markets
from tests.connectors.test_discovery import Markets

CLIENT = Markets(("BTC", "USDT"), ("AAVE", "USDT"), ("XRP", "USDT"), ("DOGE", "USDT"), ("XRP", "BTC"), ("ETH", "BTC"))


def test_quote_markets_are_the_listed_spot_markets_of_that_quote_in_order() -> None:
    listed = listed_spot_markets(CLIENT)
    # BTC/USDT:USDT (a perpetual) is not spot; XRPBTC and ETHBTC are quoted in BTC.
    assert quote_markets(listed, "USDT") == ["AAVEUSDT", "BTCUSDT", "DOGEUSDT", "XRPUSDT"]
    assert quote_markets(listed, "BTC") == ["ETHBTC", "XRPBTC"]


def test_a_scan_asks_every_market_of_its_quote_not_asked_yet_even_with_no_probe_budget_left() -> None:
    listed = listed_spot_markets(CLIENT)
    cursors: dict[str, dict[str, Any]] = {
        "BTCUSDT": {"from_id": 120},  # traded: asked as every sync asks it, not twice
        "DOGEUSDT": {"from_id": 0, "balances": {"DOGE": "0", "USDT": "50"}},  # probed empty, nothing moved
    }
    report = FetchReport()
    held = {"USDT": Decimal(50), "BTC": Decimal("0.1")}
    scan = {"USDT": ["AAVEUSDT", "BTCUSDT", "DOGEUSDT", "XRPUSDT", "GONEUSDT"]}  # GONEUSDT delisted since

    plan = plan_markets(
        listed, AssetEvidence(), cursors, held, report, exchange_name="Binance", probe_budget=0, scan=scan
    )

    assert [(m.id, why) for m, why in plan] == [
        ("BTCUSDT", ["traded: continues from its cursor"]),
        ("AAVEUSDT", ["scan of USDT markets: the USDT balance is not explained"]),
        ("XRPUSDT", ["scan of USDT markets: the USDT balance is not explained"]),
    ]
    assert report.markets_not_scanned == {}


def test_a_scanned_market_is_asked_again_when_its_base_moves_not_when_its_quote_does() -> None:
    listed = listed_spot_markets(CLIENT)
    # As a scan leaves them: only the base's balance at the scan.
    cursors: dict[str, dict[str, Any]] = {
        "AAVEUSDT": {"from_id": 0, "balances": {"AAVE": "0"}},
        "XRPUSDT": {"from_id": 0, "balances": {"XRP": "0"}},
    }
    held = {"USDT": Decimal(900), "XRP": Decimal(3)}  # USDT moved (other markets' trades); XRP arrived

    plan = plan_markets(listed, AssetEvidence(), cursors, held, FetchReport(), exchange_name="Binance")

    assert [(m.id, why) for m, why in plan] == [("XRPUSDT", ["probed empty before; XRP balance changed since"])]


def reconciliation(exchange_id: str, *balances: AssetBalance) -> AccountReconciliation:
    return AccountReconciliation(
        integration_id=7,
        exchange_id=exchange_id,
        checked_at=datetime(2026, 12, 6, tzinfo=UTC),
        outcome=Outcome.UNEXPLAINED,
        error_code=None,
        wallets_read=("spot",),
        wallets_failed={},
        balances=balances,
    )


def test_only_a_quote_markets_difference_on_an_exchange_asked_market_by_market_is_scanned() -> None:
    usdt = AssetBalance("USDT", Decimal("7144.6"), Decimal("28101.3"), str(Cause.QUOTE_MARKETS), {"asset": "USDT"})
    sol = AssetBalance("SOL", Decimal(2), Decimal(1), str(Cause.BEFORE_SYNC_FROM), {"date": "2025-01-01"})
    btc = AssetBalance("BTC", Decimal(1), Decimal(1))
    assert quotes_to_scan(reconciliation("binance", usdt, sol, btc), "binance") == {"USDT"}
    # Only Binance's fetcher asks trades market by market (QUOTE_SCAN_EXCHANGES); Bybit's is not scanned.
    assert quotes_to_scan(reconciliation("bybit", usdt), "bybit") == frozenset()


def test_while_a_scan_runs_its_quote_says_how_far_it_is() -> None:
    usdt = AssetBalance("USDT", Decimal(7), Decimal(28), str(Cause.QUOTE_MARKETS), {"asset": "USDT"})
    eth = AssetBalance("ETH", Decimal(2), Decimal(1), str(Cause.QUOTE_MARKETS), {"asset": "ETH"})
    shown = with_progress(reconciliation("binance", eth, usdt), {"USDT": ScanProgress("USDT", 6, 34)})
    assert [(b.asset, b.cause, b.cause_args) for b in shown.balances] == [
        ("ETH", "quote_markets", {"asset": "ETH"}),  # no scan of ETH running
        ("USDT", "quote_scanning", {"asset": "USDT", "done": 6, "total": 34}),
    ]
    assert not shown.balanced
