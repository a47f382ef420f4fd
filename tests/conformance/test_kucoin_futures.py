"""KuCoin's futures ledger and fills against their documentation: the examples in
tests/conformance/documented/kucoin/futures_*.docs.json and docs/exchange-apis/kucoin.md ("Futures").

The emulator answers in each example's shape; the fetcher takes off each documented row what a person reads there
(expected values written by hand from the payload).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest

from connectors.balances import kucoin as kucoin_balances
from connectors.fetchers.kucoin.futures_rows import FuturesRows
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.kucoin import KucoinEmulator
from sandbox.exchanges.kucoin_futures import CONTRACTS, Fill, FuturesScript, KucoinFutures, Line
from sandbox.exchanges.protocol import Call
from tests.conformance.corpus import readable, shape_differences
from tests.conformance.test_kucoin import signed_get

DOCUMENTED = Path(__file__).resolve().parent / "documented" / "kucoin"
SMALL = AccountProfile(
    years=0.2, traded_markets=2, trades=20, deposits=2, withdrawals=1, converts=1, transfers=0, rewards=1
)


def documented(name: str) -> Any:
    return json.loads((DOCUMENTED / name).read_text(encoding="utf-8"))["response"]


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=64, profile=SMALL, listed_symbols=12, derivatives=True) as emulator:
        yield emulator


async def test_the_emulator_answers_the_documented_futures_examples_in_their_shape(kucoin: KucoinEmulator) -> None:
    key = kucoin.create_demo_keys().read_only
    _, ledger = await signed_get(kucoin, key, "/api/v1/transaction-history?currency=USDT")
    assert ledger["data"]["dataList"]
    assert shape_differences(documented("futures_ledger.docs.json"), ledger) == []
    script = kucoin.futures_script
    assert script is not None
    week = f"startAt={script.fills[0].time_ms}&endAt={script.fills[0].time_ms + 7 * DAY_MS}"
    _, fills = await signed_get(kucoin, key, f"/api/v1/fills?tradeTypes=trade,adl,liquid,settlement&{week}")
    assert fills["data"]["items"]
    assert shape_differences(documented("futures_fills.docs.json"), fills) == []
    for currency in ("USDT", "XBT"):
        _, overview = await signed_get(kucoin, key, f"/api/v1/account-overview?currency={currency}")
        assert shape_differences(documented("futures_account_overview.docs.json"), overview) == []


async def test_the_ledger_lists_newest_first_and_turns_the_page_by_the_smallest_offset(kucoin: KucoinEmulator) -> None:
    # docs-new "Get Account Ledgers - Futures": "sorted in descending order by createdAt and id … specify the
    # minimum offset number of the current page into the offset field to turn the page". The documented example
    # (futures_ledger.docs.json) is newest first too: 1728665747000 above 1728648000000, offset 51360793 above 51352430.
    example = documented("futures_ledger.docs.json")["data"]["dataList"]
    assert [row["offset"] for row in example] == sorted((row["offset"] for row in example), reverse=True)
    key = kucoin.create_demo_keys().read_only
    path = "/api/v1/transaction-history?currency=USDT&maxCount=5"
    _, first = await signed_get(kucoin, key, path)
    smallest = min(row["offset"] for row in first["data"]["dataList"])
    _, second = await signed_get(kucoin, key, f"{path}&offset={smallest}")
    listed = first["data"]["dataList"] + second["data"]["dataList"]
    script = kucoin.futures_script
    assert script is not None
    usdt = [line for line in script.lines if line.currency == "USDT"]
    # The ten newest USDT lines, newest first: the last line scripted is the first listed.
    assert [row["offset"] for row in listed] == [line.offset for line in reversed(usdt)][:10]
    assert [row["time"] for row in listed] == sorted((row["time"] for row in listed), reverse=True)
    assert first["data"]["hasMore"] is True and second["data"]["hasMore"] is (len(usdt) > 10)


def test_an_open_position_puts_its_pending_line_first_on_the_first_page_only() -> None:
    # "If there are open positions, the status of the first page returned will be Pending"; the 2022 example's
    # Pending line has offset -1.
    settled = (
        Line(1_700_000_000_000, "TransferIn", Decimal(100), "USDT", "Transferred from Trading Account", 11),
        Line(1_700_006_400_000, "RealisedPNL", Decimal("1.5"), "USDT", "XBTUSDTM", 12),
    )
    open_now = (Line(1_700_010_000_000, "RealisedPNL", Decimal("-0.25"), "USDT", "ETHUSDTM"),)
    futures = KucoinFutures(FuturesScript((), settled, open_now))

    def ask(**params: str) -> list[tuple[object, ...]]:
        answer = futures.ledger(Call({"currency": "USDT", **params}, None, 1_700_020_000_000))
        return [(row["status"], row["offset"], row["amount"]) for row in answer["dataList"]]

    assert ask() == [("Pending", -1, -0.25), ("Completed", 12, 1.5), ("Completed", 11, 100.0)]
    assert ask(maxCount="2") == [("Pending", -1, -0.25), ("Completed", 12, 1.5)]
    assert ask(offset="12") == [("Completed", 11, 100.0)]


def test_the_fills_list_answers_a_week_at_most_and_three_months_back() -> None:
    # docs-new "Get Trade History": "each individual query is limited to a time range of 7 × 24 hours … the system
    # will default to retrieving data within the maximum allowable 7 × 24-hour window"; "retained in the system
    # for up to three months"; only startAt: "end time = start time + 24 hours".
    now = 200 * DAY_MS
    times = (now - 100 * DAY_MS, now - 30 * DAY_MS, now - 25 * DAY_MS, now - 22 * DAY_MS, now - 30 * DAY_MS + HOUR_MS)
    script = KucoinFutures(FuturesScript(tuple(_fill(n, ms) for n, ms in enumerate(times)), ()))

    def created(**params: str) -> list[int]:
        answer = script.fills(Call({"tradeTypes": "trade", **params}, None, now))
        return [row["createdAt"] for row in answer["items"]]

    a_month_ago = now - 30 * DAY_MS
    # 30 days asked from a month ago: the week from it (newest first), not the fill 8 days on.
    assert created(startAt=str(a_month_ago), endAt=str(now)) == [now - 25 * DAY_MS, a_month_ago + HOUR_MS, a_month_ago]
    assert created(startAt=str(a_month_ago)) == [a_month_ago + HOUR_MS, a_month_ago]
    # 100 days back is past the three months kept.
    assert created(startAt=str(now - 101 * DAY_MS), endAt=str(now - 95 * DAY_MS)) == []


def _fill(n: int, ms: int) -> Fill:
    contract = CONTRACTS[0]
    return Fill(contract, 1000 + n, 2000 + n, ms, "buy", 1, contract.price, Decimal(60), Decimal("0.036"))


def test_the_balance_read_takes_the_documented_margin_balance() -> None:
    # marginBalance: the wallet without unrealised profit and loss (accountEquity = marginBalance + unrealisedPNL).
    read = kucoin_balances.futures("XBT")
    assert list(read.rows(documented("futures_account_overview.docs.json"))) == [("XBT", Decimal("99.8999305281"))]


def test_the_fetcher_reads_the_documented_ledger_lines_as_a_person_does() -> None:
    moved, booked = documented("futures_ledger.docs.json")["data"]["dataList"]
    rows = FuturesRows(ccxt.kucoin())
    assert rows.line(moved) is None  # TransferIn: the spot ledger lists the move (TRANSFERS)
    record = rows.line(booked)
    assert record is not None and record.natural_key == "realized_pnl:USDT:51352430"
    assert readable(record) == {
        "kind": RecordKind.REALIZED_PNL,
        "occurred_at": datetime(2024, 10, 11, 12, 0, tzinfo=UTC),  # time 1728648000000: the 12:00 funding mark
        "asset": "USDT",
        "amount": Decimal("0.00630042"),  # a JSON number, read back as the decimal written
        "exchange_tx_id": "51352430",
        "market": "BTC/USDT:USDT",  # remark XBTUSDTM
        "side": None,
        "quote_asset": None,
        "quote_amount": None,
        "price": None,
        "fee_asset": None,
        "fee_amount": None,
    }


def test_the_fetcher_reads_the_documented_fill_as_a_person_does() -> None:
    row = documented("futures_fills.docs.json")["data"]["items"][0]
    record = FuturesRows(ccxt.kucoin()).fill(row)
    assert record.natural_key == "futures_trade:1784277229880"
    assert readable(record) == {
        "kind": RecordKind.FUTURES_TRADE,
        "occurred_at": datetime(2024, 10, 17, 9, 0, 16, 493000, tzinfo=UTC),  # createdAt 1729155616493
        "asset": "BTC",
        "amount": Decimal("0.001"),  # value 67.4309 USDT ÷ price 67430.9: 1 lot of 0.001 XBT
        "exchange_tx_id": "1784277229880",
        "market": "BTC/USDT:USDT",
        "side": "buy",
        "quote_asset": "USDT",
        "quote_amount": Decimal("67.4309"),
        "price": Decimal("67430.9"),
        "fee_asset": None,  # fee 0.04045854 stays in the row: the period's RealisedPNL line took it
        "fee_amount": None,
    }
