"""KuCoin's convert orders through the real ccxt client against the KuCoin emulator: the market and the limit orders'
lists in 7-day windows paged by `page`, each SUCCESS order stored once as what it bought and paid (a limit order at
the time it filled), a FAIL or CANCELLED one never, an OPEN one held until it settles, and a re-sync that asks each
list one request for the window since the last sync."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import ccxt

from connectors.fetchers.kucoin.rows import RowReader
from connectors.profiles import Endpoint
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile, ConvertRecord, KucoinEmulator
from tests.connectors.test_kucoin_fetcher import Cursors, fetch

CONVERTS = AccountProfile(
    years=0.4, traded_markets=2, trades=20, deposits=4, withdrawals=2, converts=9, transfers=0, rewards=0
)
CONVERT_PATH = "/api/v1/convert/order/history"
LIMIT_PATH = "/api/v1/convert/limit/orders"
DAY = 86_400_000
SINCE_DAYS = 200  # tests.connectors.test_kucoin_fetcher.fetch syncs from 200 days back


async def test_every_successful_convert_is_stored_once_a_failed_one_never_and_an_open_one_once_it_settles() -> None:
    async with KucoinEmulator(seed=71, profile=CONVERTS, listed_symbols=10) as kucoin:
        account = kucoin.account
        # An order placed two days ago, still OPEN at the first sync (a hold younger than 14 days keeps the cursor).
        now_ms = kucoin.clock.now_ms()
        recent = ConvertRecord(
            "999999999", "q" * 32, "USDT", Decimal("40"), "ETH", Decimal("0.01"), Decimal("0.00025"), now_ms - 2 * DAY
        )
        kucoin.book.account = replace(account, converts=(*account.converts, recent))
        failed = account.converts[2]
        kucoin.converts.statuses[failed.id] = "FAIL"
        kucoin.converts.statuses[recent.id] = "OPEN"
        cursors: dict[Endpoint, Cursors] = {}
        first: set[str] = set()
        await fetch(kucoin, (Endpoint.CONVERT,), cursors, first)
        first_requests = kucoin.requests.count(CONVERT_PATH)
        first_limit_requests = kucoin.requests.count(LIMIT_PATH)
        del kucoin.converts.statuses[recent.id]  # it succeeded since
        second: list[str] = []
        await fetch(kucoin, (Endpoint.CONVERT,), cursors, set(), second)
        again = kucoin.requests.count(CONVERT_PATH) - first_requests
        again_limit = kucoin.requests.count(LIMIT_PATH) - first_limit_requests
    # Hand-written from the script: every third scripted convert (index 2, 5, 8) is a limit order, keyed apart from
    # the market orders; the order's own id, never the failed one; the open one only once it succeeded.
    assert first == {
        f"convert:limit:{c.id}" if n % 3 == 2 else f"convert:{c.id}"
        for n, c in enumerate(account.converts)
        if c is not failed
    }
    assert second == ["convert:999999999"]
    assert again == again_limit == 1  # the market list resumes at the held order, the limit list where it ended
    # One request per 7-day window from the sync-from date to now (no window holds a full page of 100).
    windows = -(-SINCE_DAYS // 7)
    assert first_requests == first_limit_requests == windows


def test_a_convert_row_is_read_as_a_buy_of_what_it_got_paid_with_what_it_gave() -> None:
    # A row with the fields the convert history lists (docs/exchange-apis/kucoin.md, "converts"), written by hand.
    row = {
        "clientOrderId": "tallybot-1",
        "orderId": 10721315,
        "price": "0.000009498",
        "fromCurrency": "USDT",
        "toCurrency": "BTC",
        "fromCurrencySize": "5",
        "toCurrencySize": "0.00004749",
        "accountType": "TRADING",
        "orderTime": 1748939927000,
        "status": "SUCCESS",
    }
    record, held = RowReader(ccxt.kucoin()).convert(row)
    assert held is None and record is not None
    assert (record.natural_key, record.kind, record.side) == ("convert:10721315", RecordKind.CONVERT, "buy")
    assert (record.asset, record.amount, record.quote_asset, record.quote_amount) == (
        "BTC",
        Decimal("0.00004749"),
        "USDT",
        Decimal("5"),
    )
    assert record.occurred_at == datetime(2025, 6, 3, 8, 38, 47, tzinfo=UTC)  # orderTime 1748939927000 ms
    assert RowReader(ccxt.kucoin()).convert({**row, "status": "FAIL"}) == (None, None)
    assert RowReader(ccxt.kucoin()).convert({**row, "status": "OPEN"}) == (None, 1748939927000)


def test_a_filled_limit_convert_is_read_at_the_time_it_filled_and_an_open_one_holds_at_the_time_it_was_placed() -> None:
    # A row with the fields the limit orders list has (docs/exchange-apis/kucoin.md, "converts"), written by hand.
    row = {
        "orderId": "5",
        "clientOrderId": "tallybot-2",
        "status": "SUCCESS",
        "fromCurrency": "USDT",
        "toCurrency": "ETH",
        "fromCurrencySize": "40",
        "toCurrencySize": "0.01",
        "accountType": "TRADING",
        "price": "0.00025",
        "orderTime": 1748930000000,
        "expiryTime": 1749534800000,
        "cancelTime": None,
        "filledTime": 1748939927000,
        "cancelType": None,
    }
    reader = RowReader(ccxt.kucoin())
    record, held = reader.limit_convert(row)
    assert held is None and record is not None
    assert (record.natural_key, record.exchange_tx_id) == ("convert:limit:5", "5")
    assert (record.asset, record.amount, record.quote_asset, record.quote_amount, record.side) == (
        "ETH",
        Decimal("0.01"),
        "USDT",
        Decimal("40"),
        "buy",
    )
    assert record.occurred_at == datetime(2025, 6, 3, 8, 38, 47, tzinfo=UTC)  # filledTime, not orderTime
    assert reader.limit_convert({**row, "status": "OPEN", "filledTime": None}) == (None, 1748930000000)
    assert reader.limit_convert({**row, "status": "CANCELLED"}) == (None, None)
    assert reader.limit_convert({**row, "status": "FAIL"}) == (None, None)
