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
from sandbox.exchanges.kucoin import KucoinEmulator
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
    _, ledger = await signed_get(kucoin, key, "/api/v1/transaction-history?currency=USDT&forward=true")
    assert ledger["data"]["dataList"]
    assert shape_differences(documented("futures_ledger.docs.json"), ledger) == []
    _, fills = await signed_get(kucoin, key, "/api/v1/fills?tradeTypes=trade,adl,liquid,settlement")
    assert fills["data"]["items"]
    assert shape_differences(documented("futures_fills.docs.json"), fills) == []
    for currency in ("USDT", "XBT"):
        _, overview = await signed_get(kucoin, key, f"/api/v1/account-overview?currency={currency}")
        assert shape_differences(documented("futures_account_overview.docs.json"), overview) == []


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
