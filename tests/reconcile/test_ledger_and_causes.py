"""What the stored history explains, and which cause a difference gets, with amounts worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.reconcile.causes import Cause, Coverage, Gap, coverage_from, likely_cause
from bot.reconcile.ledger import explained_balances
from db.repositories.reconcile import Movement

D = Decimal


def move(kind: str, asset: str, amount: str, **fields: object) -> Movement:
    values: dict[str, object] = {
        "side": None,
        "quote_asset": None,
        "quote_amount": None,
        "fee_asset": None,
        "fee_amount": None,
        **fields,
    }
    return Movement(kind=kind, asset=asset, amount=D(amount), **values)  # type: ignore[arg-type]


def test_every_kind_moves_the_balances_it_should() -> None:
    history = [
        move("deposit", "USDT", "1000"),
        # Buy 0.01 BTC for 300 USDT, fee 0.00001 BTC: +0.00999 BTC, -300 USDT.
        move(
            "trade",
            "BTC",
            "0.01",
            side="buy",
            quote_asset="USDT",
            quote_amount=D(300),
            fee_asset="BTC",
            fee_amount=D("0.00001"),
        ),
        # Sell 0.004 BTC for 130 USDT, fee 0.13 USDT: -0.004 BTC, +129.87 USDT.
        move(
            "trade",
            "BTC",
            "0.004",
            side="sell",
            quote_asset="USDT",
            quote_amount=D(130),
            fee_asset="USDT",
            fee_amount=D("0.13"),
        ),
        # Convert 100 USDT into 0.05 ETH.
        move("convert", "ETH", "0.05", side="buy", quote_asset="USDT", quote_amount=D(100)),
        move("reward", "ETH", "0.0001"),
        # Withdraw 0.002 BTC, fee 0.0001 BTC charged on top.
        move("withdrawal", "BTC", "0.002", fee_asset="BTC", fee_amount=D("0.0001")),
        # A transfer between the account's own wallets changes no total; a ledger line repeats a trade.
        move("transfer", "USDT", "500"),
        move("ledger", "USDT", "-300"),
        move("funding", "USDT", "-1.5"),
    ]
    assert explained_balances(history) == {
        "USDT": D("1000") - 300 + D("129.87") - 100 - D("1.5"),  # 728.37
        "BTC": D("0.00999") - D("0.004") - D("0.002") - D("0.0001"),  # 0.00389
        "ETH": D("0.0501"),
    }


SUMMARY_WITH_A_GAP = {
    "endpoints": {
        "deposits": {
            "status": "partial",
            "gaps": [{"start": "1970-01-01T00:00:00+00:00", "end": "2024-12-06T00:00:00+00:00"}],
        },
        "spot_trades": {"status": "ok", "gaps": []},
        "futures_trades": {"status": "skipped", "gaps": []},
    }
}


def test_coverage_keeps_the_newest_sync_s_failures_and_every_sync_s_gaps() -> None:
    older = {"endpoints": {"withdrawals": {"status": "failed", "gaps": [{"start": "2019-03-01", "end": "2023-01-01"}]}}}
    coverage = coverage_from(
        [SUMMARY_WITH_A_GAP, older],
        offered=["deposits", "withdrawals", "convert"],
        enabled=["deposits", "withdrawals"],
        sync_from=None,
    )
    assert coverage.failed == []  # the withdrawals failure was an older sync's
    assert coverage.skipped == ["futures_trades"]
    assert coverage.switched_off == ["convert"]
    assert coverage.gaps == [
        Gap("deposits", None, date(2024, 12, 6)),
        Gap("withdrawals", date(2019, 3, 1), date(2023, 1, 1)),
    ]


def test_the_cause_of_more_at_the_exchange_is_the_deposits_gap_and_of_less_the_withdrawals_gap() -> None:
    coverage = Coverage(
        gaps=[Gap("withdrawals", date(2019, 3, 1), date(2023, 1, 1)), Gap("deposits", None, date(2024, 12, 6))]
    )
    assert likely_cause("SOL", D("12.5"), coverage, frozenset()) == (
        Cause.BEFORE_REACH,
        {"endpoint": "deposits", "until": "2024-12-06", "from_year": None},
    )
    assert likely_cause("SOL", D("-1"), coverage, frozenset()) == (
        Cause.BEFORE_REACH,
        {"endpoint": "withdrawals", "until": "2023-01-01", "from_year": 2019},
    )


def test_a_failure_comes_first_and_a_quote_asset_without_any_gap_points_at_missing_markets() -> None:
    failing = Coverage(failed=["spot_trades"], gaps=[Gap("deposits", None, date(2024, 1, 1))])
    assert likely_cause("BTC", D(1), failing, frozenset()) == (Cause.ENDPOINT_FAILED, {"endpoints": ["spot_trades"]})
    assert likely_cause("USDT", D(5), Coverage(), frozenset({"USDT", "BTC"})) == (
        Cause.QUOTE_MARKETS,
        {"asset": "USDT"},
    )
    assert likely_cause("PEPE", D(5), Coverage(), frozenset({"USDT"})) == (Cause.UNKNOWN, {})
    assert likely_cause("PEPE", D(5), Coverage(sync_from=date(2025, 1, 1)), frozenset()) == (
        Cause.BEFORE_SYNC_FROM,
        {"date": "2025-01-01"},
    )
    assert likely_cause("PEPE", D(5), Coverage(switched_off=["convert"]), frozenset()) == (
        Cause.KIND_OFF,
        {"endpoints": ["convert"]},
    )


def test_a_maker_rebate_adds_to_the_balance_instead_of_being_charged() -> None:
    # OKX maker buy of 1 BTC for 60000 USDT with a +0.0001 BTC rebate, stored as fee -0.0001 BTC (okx/rows.py).
    history = [
        move(
            "trade",
            "BTC",
            "1",
            side="buy",
            quote_asset="USDT",
            quote_amount=D("60000"),
            fee_asset="BTC",
            fee_amount=D("-0.0001"),
        ),
    ]
    assert explained_balances(history) == {"BTC": D("1.0001"), "USDT": D("-60000")}


def test_a_kind_off_by_default_is_named_once_no_market_scan_can_explain_the_difference() -> None:
    # Binance with older defaults: transfers, futures trades and funding fees offered but off (a master's transfers
    # to and from its sub-accounts move its totals).
    offered = ["spot_trades", "deposits", "withdrawals", "convert", "earn_rewards", "transfers", "futures_trades"]
    offered.append("funding")
    defaults = ["spot_trades", "deposits", "withdrawals", "convert", "earn_rewards"]
    coverage = coverage_from([], offered=offered, enabled=defaults, sync_from=None, defaults=defaults)
    unread = (Cause.KIND_OFF, {"endpoints": ["transfers", "futures_trades", "funding"]})
    # BTC quotes no market here: the kinds never read, not "unknown".
    assert likely_cause("BTC", D("0.5"), coverage, frozenset({"USDT"})) == unread
    # USDT's markets not scanned yet: markets not found (the scan looks); scanned to the end: the kinds never read.
    usdt = frozenset({"USDT"})
    assert likely_cause("USDT", D("-12.5"), coverage, usdt) == (Cause.QUOTE_MARKETS, {"asset": "USDT"})
    assert likely_cause("USDT", D("-12.5"), coverage, usdt, scanned=usdt) == unread
    # Every kind switched on and scanned: a market since delisted is what is left.
    every = coverage_from([], offered=offered, enabled=offered, sync_from=None, defaults=defaults)
    assert likely_cause("USDT", D("-12.5"), every, usdt, scanned=usdt) == (Cause.QUOTE_MARKETS, {"asset": "USDT"})


def test_a_kind_the_account_never_used_is_named_only_once_no_market_scan_can_explain_the_difference() -> None:
    # Binance's futures and margin, on by default, skipped for an account without those wallets (the fetcher's
    # notice: "unused"); a kind Tallybot cannot fetch yet is skipped without it and is a certain cause.
    skipped = {"status": "skipped", "unused": True}
    endpoints = {"futures_trades": skipped, "funding": skipped, "margin_trades": skipped, "spot_trades": {}}
    kinds = list(endpoints)
    coverage = coverage_from([{"endpoints": endpoints}], offered=kinds, enabled=kinds, sync_from=None)
    usdt = frozenset({"USDT"})
    assert likely_cause("USDT", D("-12.5"), coverage, usdt) == (Cause.QUOTE_MARKETS, {"asset": "USDT"})
    # Margin trades cannot move a total the way futures can: only the kinds that can are named.
    never_used = (Cause.NOT_FETCHED, {"endpoints": ["futures_trades", "funding"]})
    assert likely_cause("USDT", D("-12.5"), coverage, usdt, scanned=usdt) == never_used
    endpoints["spot_trades"] = {"status": "skipped"}
    not_fetched = coverage_from([{"endpoints": endpoints}], offered=kinds, enabled=kinds, sync_from=None)
    assert likely_cause("USDT", D("-12.5"), not_fetched, usdt) == (Cause.NOT_FETCHED, {"endpoints": ["spot_trades"]})


def test_a_gap_in_one_market_explains_only_that_markets_assets() -> None:
    # Spot trades of ETH/BTC before 2025-03-01 out of reach: an ETH difference is that gap; a USDT one is not.
    gap = {"start": "2024-01-01T00:00:00+00:00", "end": "2025-03-01T00:00:00+00:00", "market": "ETH/BTC"}
    summary = {"endpoints": {"spot_trades": {"status": "partial", "gaps": [gap]}}}
    coverage = coverage_from([summary], offered=["spot_trades"], enabled=["spot_trades"], sync_from=None)
    eth = likely_cause("ETH", D("2"), coverage, frozenset({"USDT", "BTC"}))
    assert eth == (Cause.BEFORE_REACH, {"endpoint": "spot_trades", "until": "2025-03-01", "from_year": 2024})
    usdt = likely_cause("USDT", D("-40"), coverage, frozenset({"USDT", "BTC"}))
    assert usdt == (Cause.QUOTE_MARKETS, {"asset": "USDT"})
    # A market named by the exchange's own id cannot be split into assets: its gap stays every asset's.
    native = {"endpoints": {"spot_trades": {"status": "partial", "gaps": [{**gap, "market": "ETHBTC"}]}}}
    coverage = coverage_from([native], offered=["spot_trades"], enabled=["spot_trades"], sync_from=None)
    assert likely_cause("USDT", D("-40"), coverage, frozenset({"USDT"}))[0] == Cause.BEFORE_REACH
