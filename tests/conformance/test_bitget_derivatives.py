"""Bitget futures and margin against their documentation: the documented answers in
tests/conformance/documented/bitget/ (mix_*, margin_*), written from Bitget's pages (each file names its page).

(a) The emulator answers each list in the documented shape (field names and JSON types; the schema comes from the
documented example), asked so that its answer is not empty. (b) The fetcher and the balance reads turn each
documented example into exactly the records and totals written here by hand from the example.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from connectors.balances.bitget import READS
from connectors.clients import ClientPool
from connectors.fetchers.bitget.derivatives import BitgetFutures
from connectors.fetchers.bitget.margin import BitgetMargin
from connectors.records import RecordKind
from sandbox.exchanges import BitgetEmulator, BitgetLimits
from sandbox.exchanges.base import DAY_MS
from tests.conformance.corpus import shape_differences

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "bitget"
FAST = BitgetLimits(per_second={}, default_per_second=100_000, ip_requests_per_minute=1_000_000)
D = Decimal


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / f"{name}.docs.json").read_text(encoding="utf-8"))


def derivative_examples() -> list[str]:
    """Every futures and margin example of the folder (a file added later is checked too)."""
    return sorted(
        p.name.removesuffix(".docs.json")
        for p in DOCUMENTED.glob("*.json")
        if p.name.startswith(("mix_", "margin_")) and p.name != "margin_currencies.docs.json"
    )


# ccxt's implicit method for each documented path, and the parameters (besides times) that find the scripted rows.
ASK: dict[str, tuple[str, dict[str, str]]] = {
    "/api/v2/mix/order/fill-history": ("privateMixGetV2MixOrderFillHistory", {"productType": "USDT-FUTURES"}),
    "/api/v2/mix/account/bill": ("privateMixGetV2MixAccountBill", {"productType": "USDT-FUTURES"}),
    "/api/v2/mix/account/accounts": ("privateMixGetV2MixAccountAccounts", {"productType": "USDT-FUTURES"}),
    "/api/v2/margin/crossed/fills": ("privateMarginGetV2MarginCrossedFills", {"symbol": "BTCUSDT"}),
    "/api/v2/margin/isolated/fills": ("privateMarginGetV2MarginIsolatedFills", {"symbol": "ETHUSDT"}),
    "/api/v2/margin/crossed/borrow-history": ("privateMarginGetV2MarginCrossedBorrowHistory", {}),
    "/api/v2/margin/crossed/repay-history": ("privateMarginGetV2MarginCrossedRepayHistory", {}),
    "/api/v2/margin/crossed/interest-history": ("privateMarginGetV2MarginCrossedInterestHistory", {}),
    "/api/v2/margin/isolated/borrow-history": ("privateMarginGetV2MarginIsolatedBorrowHistory", {"symbol": "ETHUSDT"}),
    "/api/v2/margin/isolated/repay-history": ("privateMarginGetV2MarginIsolatedRepayHistory", {"symbol": "ETHUSDT"}),
    "/api/v2/margin/isolated/interest-history": (
        "privateMarginGetV2MarginIsolatedInterestHistory",
        {"symbol": "ETHUSDT"},
    ),
    "/api/v2/margin/crossed/account/assets": ("privateMarginGetV2MarginCrossedAccountAssets", {}),
    "/api/v2/margin/isolated/account/assets": ("privateMarginGetV2MarginIsolatedAccountAssets", {}),
}
# The scripted account has no isolated repayment (its isolated loan is still open).
EMPTY_BY_SCRIPT = {"/api/v2/margin/isolated/repay-history"}
# Ranges that hold the scripted rows: futures fills a week, bills 30 days, margin lists 90 days (each the maximum).
RANGES_DAYS = {"fill-history": [(49, 42), (42, 35), (35, 28), (28, 21)], "bill": [(60, 30), (30, 1)]}


@pytest.fixture
async def client() -> AsyncIterator[tuple[BitgetEmulator, Any]]:
    async with BitgetEmulator(seed=9, listed_symbols=20, limits=FAST, derivatives=True) as emulator:
        key = emulator.create_demo_keys().read_only
        pool = ClientPool({"bitget": emulator.base_url})
        credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
        try:
            async with pool.client("bitget", "conformance", credentials) as ccxt_client:
                ccxt_client.throttler.config["refillRate"] = 1e6
                yield emulator, ccxt_client
        finally:
            await pool.close()


def test_every_documented_futures_and_margin_path_is_asked_here() -> None:
    endpoints = {documented(name)["endpoint"] for name in derivative_examples()}
    assert endpoints == set(ASK)


@pytest.mark.parametrize("name", derivative_examples())
async def test_the_emulator_answers_each_futures_and_margin_list_in_its_documented_shape(
    client: tuple[BitgetEmulator, Any], name: str
) -> None:
    emulator, ccxt_client = client
    example = documented(name)
    path = example["endpoint"]
    method, params = ASK[path]
    now = emulator.clock.now_ms()
    ranges = RANGES_DAYS.get(path.rsplit("/", 1)[-1], [(80, 1)])
    if path.endswith("/accounts") or path.endswith("/assets"):
        ranges = [(0, 0)]  # no time range
    answers = []
    for start_days, end_days in ranges:
        asked = dict(params)
        if start_days:
            asked |= {"startTime": str(now - start_days * DAY_MS), "endTime": str(now - end_days * DAY_MS)}
        answers.append(await getattr(ccxt_client, method)(asked))
    for answer in answers:
        assert shape_differences(example["response"], answer) == [], path
    data = [answer["data"] for answer in answers]
    rows = [
        row
        for item in data
        for row in (item if isinstance(item, list) else next(v for v in item.values() if isinstance(v, list)))
    ]
    assert bool(rows) is (path not in EMPTY_BY_SCRIPT), path  # a shape compared on rows, not on an empty list


def offline_client() -> Any:
    return ccxt_async.bitget({"apiKey": "k", "secret": "s", "password": "p"})


async def test_a_coin_m_fill_carries_its_notional_in_the_settle_coin_and_every_listed_bill_type_is_counted() -> None:
    """The documented fill's fields on a coin-M contract, and the documented bill with each `businessType` the page
    lists beside trades, funding and transfers (contract/account/Get-Account-Bill)."""
    fill_row = dict(documented("mix_fill_history")["response"]["data"]["fillList"][0])
    # A coin-M BTCUSD fill: 0.02 BTC at 60000 is 1200 USD of quoteVolume; the fee is in BTC, the margin coin.
    fill_row.update(symbol="BTCUSD", marginCoin="BTC", price="60000", baseVolume="0.02", quoteVolume="1200")
    fill_row["feeDetail"] = [{"deduction": "no", "feeCoin": "BTC", "totalDeductionFee": "0", "totalFee": "-0.000012"}]
    _, open_row = documented("mix_account_bill")["response"]["data"]["bills"]

    def bill(business: str, amount: str) -> dict[str, Any]:
        return {**open_row, "businessType": business, "amount": amount, "fee": "0", "symbol": ""}

    ccxt_client = offline_client()
    try:
        futures = BitgetFutures(ccxt_client)
        fill = futures.fill(fill_row, "COIN-FUTURES")
        read = {
            business: futures.position_bill(bill(business, amount))
            for business, amount in (
                ("bonus_issue", "5"),  # "bonus/coupon issue"
                ("cash_gift_issue", "2"),  # "distribute coupon/gift/card"
                ("cash_gift_recycle", "-2"),  # "recycling coupon/gift/card"
                ("bonus_expired", "-1.5"),  # "bonus/coupon expired"
                ("tracking_follow_pay", "-0.3"),  # "follower tracking order pay"
                ("risk_captital_user_transfer", "0.7"),  # "Insurance fund transfer at user end"
                ("user_exchange_sell", "-20"),  # "Exchange sell(multi-assets mode)"
                ("user_exchange_buy", "19.98"),  # "Exchange buy(multi-assets mode)"
                ("unknown", "3"),  # "unknown": kept as a ledger line, not counted
            )
        }
    finally:
        await ccxt_client.close()
    assert (fill.market, fill.asset, fill.amount, fill.quote_asset, fill.quote_amount) == (
        "BTC/USD:BTC",
        "BTC",
        D("0.02"),
        "BTC",
        D("0.02"),
    )
    assert (fill.fee_asset, fill.fee_amount) == ("BTC", D("0.000012"))
    got = {business: (r.kind, r.asset, r.amount, r.side) for business, r in read.items() if r is not None}
    assert got == {
        "bonus_issue": (RecordKind.REWARD, "USDT", D("5"), None),
        "cash_gift_issue": (RecordKind.REWARD, "USDT", D("2"), None),
        "cash_gift_recycle": (RecordKind.REALIZED_PNL, "USDT", D("-2"), None),
        "bonus_expired": (RecordKind.REALIZED_PNL, "USDT", D("-1.5"), None),
        "tracking_follow_pay": (RecordKind.REALIZED_PNL, "USDT", D("-0.3"), None),
        "risk_captital_user_transfer": (RecordKind.REALIZED_PNL, "USDT", D("0.7"), None),
        "user_exchange_sell": (RecordKind.CONVERT, "USDT", D("20"), "sell"),
        "user_exchange_buy": (RecordKind.CONVERT, "USDT", D("19.98"), "buy"),
        "unknown": (RecordKind.LEDGER, "USDT", D("3"), None),
    }


async def test_the_documented_futures_fill_and_bills_become_a_futures_trade_funding_and_no_double_fee() -> None:
    ccxt_client = offline_client()
    try:
        futures = BitgetFutures(ccxt_client)
        fill = futures.fill(documented("mix_fill_history")["response"]["data"]["fillList"][0], "USDT-FUTURES")
        funding_row, open_row = documented("mix_account_bill")["response"]["data"]["bills"]
        position = futures.position_bill(open_row)
        funding = futures.bill(funding_row, RecordKind.FUNDING)
    finally:
        await ccxt_client.close()
    # "ETHUSDT" sell of 0.02 at 1801.33 for 36.0266 USDT, fee -0.02161596 USDT (charged), at 1698730804882 ms.
    assert (fill.kind, fill.market, fill.asset, fill.side, fill.amount, fill.price) == (
        RecordKind.FUTURES_TRADE,
        "ETH/USDT:USDT",
        "ETH",
        "sell",
        D("0.02"),
        D("1801.33"),
    )
    assert (fill.quote_asset, fill.quote_amount, fill.fee_asset, fill.fee_amount) == (
        "USDT",
        D("36.0266"),
        "USDT",
        D("0.02161596"),
    )
    assert fill.occurred_at == datetime(2023, 10, 31, 5, 40, 4, 882000, tzinfo=UTC)
    # open_long: amount "0" and the fill's fee "-0.222012": nothing to store (the fill carries the fee).
    assert position is None
    # contract_settle_fee "-0.004992" USDT: a funding fee paid.
    assert (funding.kind, funding.asset, funding.amount, funding.market) == (
        RecordKind.FUNDING,
        "USDT",
        D("-0.004992"),
        "BTCUSDT",
    )


async def test_the_documented_margin_fills_and_records_become_trades_loans_repayments_and_interest() -> None:
    ccxt_client = offline_client()
    try:
        margin = BitgetMargin(ccxt_client)
        cross = margin.fill_parser("crossed", "BTCUSDT")(
            documented("margin_crossed_fills")["response"]["data"]["fills"][0]
        )
        isolated = margin.fill_parser("isolated", "ETHUSDT")(
            documented("margin_isolated_fills")["response"]["data"]["fills"][0]
        )
        records = {
            (mode, name): margin.record_parser(mode, name)(
                documented(f"margin_{mode}_{name}_history")["response"]["data"]["resultList"][0]
            )
            for mode in ("crossed", "isolated")
            for name in ("borrow", "repay", "interest")
        }
    finally:
        await ccxt_client.close()
    # Cross: buy 0.01 BTC at 32111 for 1000 USDT, fee 0.017118519726 BGB; isolated: buy 0.1 ETH for 172.15 USDT.
    assert (cross.market, cross.side, cross.amount, cross.quote_amount, cross.fee_asset, cross.fee_amount) == (
        "BTC/USDT",
        "buy",
        D("0.01"),
        D("1000"),
        "BGB",
        D("0.017118519726"),
    )
    assert (isolated.market, isolated.amount, isolated.quote_amount, isolated.fee_asset, isolated.fee_amount) == (
        "ETH/USDT",
        D("0.1"),
        D("172.15"),
        "ETH",
        D("0.00010000"),
    )
    assert cross.natural_key != isolated.natural_key  # the same tradeId in two margin lists: two records
    got = {key: (r.kind, r.asset, r.amount) for key, r in records.items() if r is not None}
    assert got == {
        ("crossed", "borrow"): (RecordKind.BORROW, "USDT", D("12.1")),
        ("crossed", "repay"): (RecordKind.REPAY, "USDT", D("0.1")),  # the principal; its interest was charged
        ("crossed", "interest"): (RecordKind.INTEREST, "USDT", D("-1.2")),
        ("isolated", "borrow"): (RecordKind.BORROW, "USDT", D("1")),
        ("isolated", "repay"): (RecordKind.REPAY, "BTC", D("0.99")),
        ("isolated", "interest"): (RecordKind.INTEREST, "USDT", D("-0.01")),
    }


def test_the_documented_accounts_read_as_wallet_balances_net_of_debt() -> None:
    reads = {read.method: read for read in READS}
    futures = list(reads["privateMixGetV2MixAccountAccounts"].rows(documented("mix_account_accounts")["response"]))
    cross = list(
        reads["privateMarginGetV2MarginCrossedAccountAssets"].rows(
            documented("margin_crossed_account_assets")["response"]
        )
    )
    isolated = list(
        reads["privateMarginGetV2MarginIsolatedAccountAssets"].rows(
            documented("margin_isolated_account_assets")["response"]
        )
    )
    # The example is in multi-assets mode ("assetMode": "union"): its coins are assetList's, BTC balance 1.2.
    assert futures == [("BTC", D("1.2"))]
    # Cross: net "0.1" (the docs' "available + frozen − borrow − interest"), not totalAmount "12".
    assert cross == [("USDT", D("0.1"))]
    assert isolated == [("BTC", D("19876.1798394"))]


def test_a_single_asset_futures_account_reads_its_equity_less_unrealized_profit() -> None:
    row = dict(documented("mix_account_accounts")["response"]["data"][0], assetMode="single")
    read = next(r for r in READS if r.method == "privateMixGetV2MixAccountAccounts")
    # accountEquity 10582.90265771 less crossedUnrealizedPL 23 and isolatedUnrealizedPL 0.
    assert list(read.rows({"data": [row]})) == [("USDT", D("10559.90265771"))]


async def test_the_emulator_refuses_what_the_pages_forbid_with_bitgets_codes(
    client: tuple[BitgetEmulator, Any],
) -> None:
    emulator, ccxt_client = client
    now = emulator.clock.now_ms()
    week_and_a_day = {"startTime": str(now - 8 * DAY_MS), "endTime": str(now)}
    refused = [
        # "productType | Yes", "The maximum time span supported is a week", "limit | Maximum: 100".
        ("privateMixGetV2MixOrderFillHistory", {}, "40019"),
        ("privateMixGetV2MixOrderFillHistory", {"productType": "USDT-FUTURES", **week_and_a_day}, "40017"),
        ("privateMixGetV2MixOrderFillHistory", {"productType": "USDT-FUTURES", "limit": "101"}, "40017"),
        ("privateMixGetV2MixOrderFillHistory", {"productType": "SPOT"}, "40017"),
        # Bills: "should be <= 30 days", "max 100".
        ("privateMixGetV2MixAccountBill", {"productType": "COIN-FUTURES", "startTime": str(now - 31 * DAY_MS)}, None),
        ("privateMixGetV2MixAccountBill", {"productType": "COIN-FUTURES", "limit": "101"}, "40017"),
        # Margin: "symbol | Yes", "startTime | Yes", at most 90 days, "maximum: 500".
        ("privateMarginGetV2MarginCrossedFills", {"startTime": str(now - DAY_MS)}, "40019"),
        ("privateMarginGetV2MarginCrossedFills", {"symbol": "BTCUSDT"}, "40019"),
        ("privateMarginGetV2MarginIsolatedBorrowHistory", {"startTime": str(now - DAY_MS)}, "40019"),
        (
            "privateMarginGetV2MarginCrossedRepayHistory",
            {"startTime": str(now - 91 * DAY_MS), "endTime": str(now)},
            "40017",
        ),
        ("privateMarginGetV2MarginCrossedInterestHistory", {"startTime": str(now - DAY_MS), "limit": "501"}, "40017"),
    ]
    for method, params, code in refused:
        if code is None:  # a start alone asks the 30 days after it: allowed
            await getattr(ccxt_client, method)(params)
            continue
        with pytest.raises(ccxt_async.BaseError) as caught:
            await getattr(ccxt_client, method)(params)
        assert f'"code":"{code}"' in str(caught.value), (method, params, str(caught.value)[-200:])


async def test_the_emulator_lists_bills_newest_first_and_ends_with_the_last_id(
    client: tuple[BitgetEmulator, Any],
) -> None:
    emulator, ccxt_client = client
    script = emulator.derivatives
    assert script is not None
    now = emulator.clock.now_ms()
    start, end = now - 60 * DAY_MS, now - 30 * DAY_MS
    answer = await ccxt_client.privateMixGetV2MixAccountBill(
        {"productType": "USDT-FUTURES", "startTime": str(start), "endTime": str(end), "limit": "2"}
    )
    in_range = [b for b in script.bills if b.product == "USDT-FUTURES" and start <= b.timestamp <= end]
    assert len(in_range) > 2
    # Newest first, `limit` rows, and "endId: The final transaction order ID" for idLessThan.
    assert [row["billId"] for row in answer["data"]["bills"]] == [b.id for b in reversed(in_range)][:2]
    assert answer["data"]["endId"] == answer["data"]["bills"][-1]["billId"]
    after = await ccxt_client.privateMixGetV2MixAccountBill(
        {
            "productType": "USDT-FUTURES",
            "startTime": str(start),
            "endTime": str(end),
            "idLessThan": answer["data"]["endId"],
        }
    )
    assert [row["billId"] for row in after["data"]["bills"]] == [b.id for b in reversed(in_range)][2:]
