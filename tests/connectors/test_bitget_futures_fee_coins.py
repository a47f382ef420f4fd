"""A classic Bitget futures fill whose fee was paid in two coins (v2 `feeDetail` is a list: the margin coin and a BGB
deduction) keeps one fee per coin: the fill holds the first, the BGB part is a FEE of its own, and the balance
check takes each from its own coin. Before, both `totalFee`s were added up under the first coin.

The rows are the documented fill and bill (tests/conformance/documented/bitget/mix_fill_history.docs.json,
mix_account_bill.docs.json: contract/trade/Get-Fill-History, contract/account/Get-Account-Bill) with the fee split
as the list allows; the list is served through the fetcher's own walk by a stand-in for ccxt's implicit methods, as
the classic futures emulator scripts one fee coin a fill. Expected values are worked by hand from those rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from bot.reconcile.ledger import explained_balances
from connectors.fetchers.base import FetchReport
from connectors.fetchers.bitget.derivatives import BitgetFutures
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from db.repositories.reconcile import Movement
from tests.conformance.test_bitget_derivatives import documented

D = Decimal
# The documented rows moved to two days ago (the list reaches back 90 days from now), to the millisecond.
UNTIL = datetime.now(UTC).replace(microsecond=0)
WHEN = UNTIL - timedelta(days=2, milliseconds=118)
FILL_MS = int(WHEN.timestamp() * 1000)
SINCE = UNTIL - timedelta(days=10)


class MixLists:
    """ccxt's two implicit methods the futures walk calls, answering the documented rows inside the range asked, and
    its currency codes from an offline ccxt client."""

    def __init__(self, fills: list[Mapping[str, Any]], bills: list[Mapping[str, Any]]) -> None:
        self.fills, self.bills = fills, bills
        self.codes = ccxt_async.bitget({"apiKey": "k", "secret": "s", "password": "p"})

    def safe_currency_code(self, coin: str) -> str:
        return str(self.codes.safe_currency_code(coin))

    @staticmethod
    def _within(rows: list[Mapping[str, Any]], params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        start, end = int(params["startTime"]), int(params["endTime"])
        return [row for row in rows if params["productType"] == "USDT-FUTURES" and start <= int(row["cTime"]) <= end]

    async def privateMixGetV2MixOrderFillHistory(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"code": "00000", "data": {"fillList": self._within(self.fills, params), "endId": ""}}

    async def privateMixGetV2MixAccountBill(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"code": "00000", "data": {"bills": self._within(self.bills, params), "endId": ""}}


def documented_fill() -> dict[str, Any]:
    return {**documented("mix_fill_history")["response"]["data"]["fillList"][0], "cTime": str(FILL_MS)}


def two_coin_fill() -> dict[str, Any]:
    row = documented_fill()
    row["feeDetail"] = [
        {"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0", "totalFee": "-0.01361596"},
        {"deduction": "yes", "feeCoin": "BGB", "totalDeductionFee": "-0.0125", "totalFee": "-0.0125"},
    ]
    return row


async def futures_records(fill: Mapping[str, Any]) -> list[NormalizedRecord]:
    _, open_bill = documented("mix_account_bill")["response"]["data"]["bills"]
    lists = MixLists([fill], [{**open_bill, "cTime": str(FILL_MS)}])
    spec = get_profile("bitget").endpoint(Endpoint.FUTURES_TRADES, "normal")
    assert spec is not None
    records: list[NormalizedRecord] = []
    try:
        async for page in BitgetFutures(lists).fetch(spec, since=SINCE, until=UNTIL, cursors={}, report=FetchReport()):
            records.extend(page.records)
    finally:
        await lists.codes.close()
    return records


async def test_a_futures_fill_with_a_two_coin_fee_stores_each_coins_fee_once() -> None:
    records = await futures_records(two_coin_fill())
    when = WHEN
    got = [(r.kind, r.natural_key, r.asset, r.amount, r.fee_asset, r.fee_amount, r.occurred_at) for r in records]
    # The sell of 0.02 ETH holds the USDT part (0.01361596 charged); the BGB part (0.0125) is a FEE, negative.
    # The documented open_long bill has amount 0: nothing of its own.
    assert got == [
        (
            RecordKind.FUTURES_TRADE,
            f"futures_trade:USDT-FUTURES:{records[0].exchange_tx_id}",
            "ETH",
            D("0.02"),
            "USDT",
            D("0.01361596"),
            when,
        ),
        (RecordKind.FEE, f"fee:USDT-FUTURES:{records[0].exchange_tx_id}:BGB", "BGB", D("-0.0125"), None, None, when),
    ]
    fee = records[1]
    assert (fee.exchange_tx_id, fee.market) == (records[0].exchange_tx_id, "ETH/USDT:USDT")
    # The balance check: a fill moves nothing but its fee, each from its own coin (before: 0.02611596 USDT, no BGB).
    moves = [
        Movement(str(r.kind), r.side, r.asset, r.amount, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in records
    ]
    assert explained_balances(moves) == {"USDT": D("-0.01361596"), "BGB": D("-0.0125")}


async def test_a_one_coin_fee_is_the_fills_alone() -> None:
    # The documented fill as it is: one coin, the fee on the fill, no further record.
    records = await futures_records(documented_fill())
    assert [(r.kind, r.fee_asset, r.fee_amount) for r in records] == [
        (RecordKind.FUTURES_TRADE, "USDT", D("0.02161596"))
    ]
