"""Binance's dust, P2P, Pay, fiat and Simple Earn lists against their documented examples (documented/binance/).

For each example: (a) the emulator, scripted with these kinds, answers the same query with the same envelope, field
names and JSON types (the schema is the documented example, never the emulator); (b) the fetcher, fed the example
over HTTP through a real ccxt client, makes exactly the records a person reads off it, written here by hand.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.balances import binance as binance_reads
from connectors.fetchers.base import FetchReport
from connectors.fetchers.binance import BinanceFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from sandbox.exchanges.base import respond
from tests.conformance.corpus import Example, shape_differences
from tests.conformance.test_coverage import DOCUMENTED, documented_here
from tests.support.binance_rig import Rig, binance_rig

D = Decimal
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
QUIET = AccountProfile(years=0.2, traded_markets=2, trades=10, deposits=1, withdrawals=1, converts=1, rewards=1)
# The Pay page lists these row fields beyond its example (walletType, walletTypes, payerInfo, receiverInfo: the
# current catalog page, docs/exchange-apis/binance.md [pay]); the emulator sends them as a payment of today would.
PAY_LATER_FIELDS = frozenset(
    {"$.data[].walletType", "$.data[].walletTypes", "$.data[].payerInfo", "$.data[].receiverInfo"}
)
# How to ask the emulator for each example's answer: ccxt's implicit method and its parameters.
QUERIES: dict[str, tuple[str, dict[str, Any]]] = {
    "dust_log.docs.json": ("sapiGetAssetDribblet", {}),
    "c2c_order_history.docs.json": ("sapiGetC2cOrderMatchListUserOrderHistory", {"tradeType": "BUY"}),
    "pay_transactions.docs.json": ("sapiGetPayTransactions", {}),
    "fiat_orders.docs.json": ("sapiGetFiatOrders", {"transactionType": "0", "beginTime": 0}),
    "fiat_payments.docs.json": ("sapiGetFiatPayments", {"transactionType": "0", "beginTime": 0}),
    "flexible_rewards.docs.json": ("sapiGetSimpleEarnFlexibleHistoryRewardsRecord", {"type": "ALL"}),
    "flexible_position.docs.json": ("sapiGetSimpleEarnFlexiblePosition", {}),
    "locked_position.docs.json": ("sapiGetSimpleEarnLockedPosition", {}),
}
MINE = [e for e in documented_here("binance") if e.path.name in QUERIES]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    emulator = BinanceEmulator(seed=404, profile=QUIET, listed_symbols=20, limits=UNLIMITED, wallet_kinds=True)
    async with binance_rig(emulator) as made:
        yield made


def example(name: str) -> Example:
    return next(e for e in MINE if e.path.name == name)


async def fetched(rig: Rig, endpoint: Endpoint, path: str, name: str) -> tuple[list[NormalizedRecord], FetchReport]:
    """One sync of `endpoint` whose first request to `path` is answered with the documented example."""
    body = json.dumps(json.loads((DOCUMENTED / "binance" / name).read_text(encoding="utf-8"))["response"])
    rig.emulator.faults.inject(respond(200, body), path=path, times=1)
    fetcher = BinanceFetcher(get_profile("binance"), rig.client, uid_weight_per_minute=10**9)
    report, records = FetchReport(), list[NormalizedRecord]()
    async for page in fetcher.fetch(endpoint, since=None, until=datetime.now(UTC), cursors={}, report=report):
        records.extend(page.records)
    return records, report


def read(r: NormalizedRecord) -> tuple[object, ...]:
    return (str(r.kind), r.occurred_at, r.asset, r.amount, r.side, r.quote_asset, r.quote_amount, r.fee_amount)


def test_every_example_of_these_lists_is_here() -> None:
    assert sorted(e.path.name for e in MINE) == sorted(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_the_emulator_answers_in_the_documented_shape(rig: Rig, name: str) -> None:
    method, params = QUERIES[name]
    answer = await getattr(rig.client, method)(dict(params))
    rows = answer.get("data", answer.get("rows", answer.get("userAssetDribblets")))
    assert rows, f"{name}: the scripted account answers nothing to compare"
    allowed = PAY_LATER_FIELDS if name.startswith("pay_") else frozenset()
    assert shape_differences(example(name).response, answer, extra_allowed=allowed) == []


async def test_dust_reads_each_coin_as_a_convert_to_bnb_and_names_the_conversions_out_of_reach(rig: Rig) -> None:
    records, report = await fetched(rig, Endpoint.DUST, "/sapi/v1/asset/dribblet", "dust_log.docs.json")
    first, second = datetime(2021, 3, 17, 12, 52, 15, tzinfo=UTC), datetime(2021, 3, 20, 1, 19, 40, tzinfo=UTC)
    # transferedAmount + serviceChargeAmount BNB bought with `amount` of the coin, the charge as the fee.
    assert [read(r) for r in records] == [
        ("convert", first, "BNB", D("0.000450"), "buy", "USDT", D("0.0009"), D("0.000009")),
        ("convert", first, "BNB", D("0.00089955"), "buy", "ETH", D("0.0009"), D("0.00001799")),
        ("convert", second, "BNB", D("0.000500"), "buy", "USDT", D("0.001"), D("0.00001")),
        ("convert", second, "BNB", D("0.00009995"), "buy", "ETH", D("0.0001"), D("0.000002")),
    ]
    assert report.requests == 1
    # "total": 8 conversions, two listed: six are out of the API's reach, and the sync says so.
    assert [g.reason.args["missing"] for g in report.gaps] == [6]


P2P_PATH = "/sapi/v1/c2c/orderMatch/listUserOrderHistory"


async def test_a_completed_p2p_sale_is_a_trade_with_the_fiat_paid_outside_binance(rig: Rig) -> None:
    records, _ = await fetched(
        rig, Endpoint.P2P, "/sapi/v1/c2c/orderMatch/listUserOrderHistory", "c2c_order_history.docs.json"
    )
    documented = [
        r for r in records if r.exchange_tx_id == "20219644646554779648" or "20219644646554779648" in r.natural_key
    ]
    when = datetime(2021, 4, 25, 14, 36, 9, tzinfo=UTC)
    assert [read(r) for r in documented] == [
        ("trade", when, "BUSD", D("5000.00000000"), "sell", "CNY", D("33400.00000000"), D("0")),
        ("withdrawal", when, "CNY", D("33400.00000000"), None, None, None, None),
    ]
    assert documented[0].price == D("6.68") and documented[0].market == "BUSD/CNY"


async def test_a_p2p_buy_with_a_commission_keeps_the_priced_quantity_and_charges_the_commission_apart(rig: Rig) -> None:
    # The page: `amount` "Quantity (in Crypto)", `unitPrice` "Unit Price (in Fiat)", `commission` "Transaction Fee
    # (in Crypto)"; its example has totalPrice = amount x unitPrice (5000 x 6.68 = 33400). So `amount` is the quantity
    # the fiat paid for, before the commission: a maker who buys 100 USDT at 7.2 CNY and pays 0.05 USDT ends with
    # 99.95 USDT, and 720 CNY went bank to bank.
    page = json.loads((DOCUMENTED / "binance" / "c2c_order_history.docs.json").read_text(encoding="utf-8"))["response"]
    row = {**page["data"][0], "orderNumber": "20219644646554779649", "tradeType": "BUY", "asset": "USDT",
           "amount": "100.00000000", "totalPrice": "720.00000000", "unitPrice": "7.2", "commission": "0.05",
           "advertisementRole": "MAKER"}  # fmt: skip
    rig.emulator.faults.inject(respond(200, json.dumps({**page, "data": [row]})), path=P2P_PATH, times=1)
    fetcher = BinanceFetcher(get_profile("binance"), rig.client, uid_weight_per_minute=10**9)
    records = [
        r
        async for p in fetcher.fetch(
            Endpoint.P2P, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport()
        )
        for r in p.records
        if r.exchange_tx_id == "20219644646554779649" or "20219644646554779649" in r.natural_key
    ]
    when = datetime(2021, 4, 25, 14, 36, 9, tzinfo=UTC)
    assert [read(r) for r in records] == [
        ("trade", when, "USDT", D("100.00000000"), "buy", "CNY", D("720.00000000"), D("0.05")),
        ("deposit", when, "CNY", D("720.00000000"), None, None, None, None),
    ]
    assert records[0].fee_asset == "USDT"


async def test_a_payment_received_is_a_deposit(rig: Rig) -> None:
    records, _ = await fetched(rig, Endpoint.PAY, "/sapi/v1/pay/transactions", "pay_transactions.docs.json")
    documented = [r for r in records if r.exchange_tx_id == "M_P_71505104267788288"]
    when = datetime(2021, 1, 8, 7, 21, 0, 133000, tzinfo=UTC)
    assert [read(r) for r in documented] == [("deposit", when, "BNB", D("23.72469206"), None, None, None, None)]


@pytest.mark.parametrize(
    ("name", "path"),
    [("fiat_orders.docs.json", "/sapi/v1/fiat/orders"), ("fiat_payments.docs.json", "/sapi/v1/fiat/payments")],
)
async def test_an_expired_fiat_order_and_a_failed_card_purchase_are_never_stored(
    rig: Rig, name: str, path: str
) -> None:
    records, _ = await fetched(rig, Endpoint.FIAT, path, name)
    documented = {"7d76d611-0568-4f43-afb6-24cac7767365", "353fca443f06466db0c4dc89f94f027a"}
    assert not [r for r in records if r.exchange_tx_id in documented]


async def test_only_the_real_time_flexible_reward_is_read_from_the_simple_earn_list(rig: Rig) -> None:
    records, _ = await fetched(
        rig, Endpoint.EARN_REWARDS, "/sapi/v1/simple-earn/flexible/history/rewardsRecord", "flexible_rewards.docs.json"
    )
    documented = [r for r in records if r.raw.get("projectId") == "USDT001"]
    when = datetime(2019, 12, 25, 0, 26, 2, tzinfo=UTC)
    # The BONUS row is the asset dividend list's (it lists those): not read here a second time.
    assert [read(r) for r in documented] == [("reward", when, "USDT", D("0.00687654"), None, None, None, None)]


@pytest.mark.parametrize(
    ("wallet", "name", "held"),
    [
        ("earn_flexible", "flexible_position.docs.json", [("USDT", D("75.46000000"))]),
        ("earn_locked", "locked_position.docs.json", [("AXS", D("122.09202928"))]),
    ],
)
def test_the_earn_wallets_read_as_the_positions_show(wallet: str, name: str, held: list[tuple[str, Decimal]]) -> None:
    reader = next(r for r in binance_reads.READS if r.wallet == wallet)
    assert list(reader.rows(example(name).response)) == held
