"""The generic fetcher: an exchange Tallybot has no hand-written profile for, synced through ccxt's unified methods.

Binance US is a ccxt subclass of Binance with no Tallybot profile; pointed at the Binance emulator it walks the
generic path with the real wire protocol (startTime/endTime windows, newest-first deposit pages, oldest-first
trade pages, signatures, weights).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, UnsupportedEndpoint
from connectors.fetchers.generic import AMOUNT_FIELDS, FEE_FIELDS, GenericFetcher, exact_from_info
from connectors.fetchers.registry import fetcher_for, sync_order
from connectors.fetchers.windows import span_ms, to_ms
from connectors.profiles import Endpoint, ExchangeProfile, get_profile
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, render
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits, TradeRecord

SHORT = AccountProfile(years=0.05, traded_markets=4, trades=150, deposits=12, withdrawals=6, converts=0, rewards=0)
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
ENDPOINTS = (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.SPOT_TRADES)


@pytest.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=5, profile=SHORT, listed_symbols=60, limits=UNLIMITED) as emulator:
        yield emulator


@asynccontextmanager
async def binanceus(emulator: BinanceEmulator) -> AsyncIterator[Any]:
    keys = emulator.create_demo_keys()
    pool = ClientPool({"binanceus": emulator.base_url})
    credentials = {"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret}
    try:
        async with pool.client("binanceus", "credential-1", credentials) as client:
            client.throttler.config["refillRate"] = 1e6  # counts, not times, are under test
            yield client
    finally:
        await pool.close()


async def run_sync(
    fetcher: Any,
    endpoints: Iterable[Endpoint],
    cursors: dict[Endpoint, dict[str, Cursor]],
    *,
    since: datetime | None,
    until: datetime,
) -> tuple[dict[Endpoint, list[NormalizedRecord]], dict[Endpoint, FetchReport]]:
    records: dict[Endpoint, list[NormalizedRecord]] = {}
    reports: dict[Endpoint, FetchReport] = {}
    for endpoint in sync_order(endpoints):
        report = reports[endpoint] = FetchReport()
        stored = cursors.setdefault(endpoint, {})
        async for page in fetcher.fetch(endpoint, since=since, until=until, cursors=dict(stored), report=report):
            stored[page.market] = json.loads(json.dumps(page.cursor))
            records.setdefault(endpoint, []).extend(page.records)
    return records, reports


def trades(records: Iterable[NormalizedRecord]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {
        (str(r.raw["symbol"]), str(r.exchange_tx_id)): (
            r.side,
            r.amount,
            r.price,
            r.quote_amount,
            r.fee_amount,
            r.fee_asset,
            to_ms(r.occurred_at),
        )
        for r in records
    }


def truth(rows: Iterable[TradeRecord]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {(t.symbol, t.id): (t.side, t.amount, t.price, t.cost, t.fee, t.fee_asset, t.timestamp) for t in rows}


def assert_ground_truth(emulator: BinanceEmulator, found: dict[Endpoint, list[NormalizedRecord]]) -> None:
    account = emulator.account
    for endpoint, records in found.items():
        keys = [r.natural_key for r in records]
        assert len(keys) == len(set(keys)), f"duplicates in {endpoint}"
        assert all(r.occurred_at.utcoffset() == timedelta(0) for r in records)
        assert not [r for r in records if "tallybot_inexact" in r.raw]  # every amount from a raw string
    assert trades(found[Endpoint.SPOT_TRADES]) == truth(account.trades)
    assert {r.exchange_tx_id: (r.asset, r.amount, to_ms(r.occurred_at)) for r in found[Endpoint.DEPOSITS]} == {
        d.id: (d.asset, d.amount, d.timestamp) for d in account.deposits
    }
    assert {
        r.exchange_tx_id: (r.asset, r.amount, r.fee_amount, to_ms(r.occurred_at)) for r in found[Endpoint.WITHDRAWALS]
    } == {w.id: (w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals}


def test_an_exchange_without_a_hand_written_profile_gets_the_generic_fetcher() -> None:
    profile = get_profile("binanceus")
    assert profile.best_effort
    fetcher = fetcher_for(profile, client=type("Client", (), {"has": {"fetchMyTrades": True, "fetchDeposits": True}}))
    assert isinstance(fetcher, GenericFetcher)
    assert fetcher.supports(Endpoint.SPOT_TRADES) and fetcher.supports(Endpoint.DEPOSITS)
    assert not fetcher.supports(Endpoint.CONVERT)
    with pytest.raises(UnsupportedEndpoint):
        fetcher.fetch(Endpoint.CONVERT, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport())


async def test_a_generic_sync_returns_the_ground_truth_and_a_resync_asks_one_window_each(
    emulator: BinanceEmulator,
) -> None:
    until = datetime.now(UTC)
    since = until - timedelta(days=20)  # the whole scripted history is younger than that
    async with binanceus(emulator) as client:
        emulator.requests.reset()
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        found, reports = await run_sync(
            fetcher_for(get_profile("binanceus"), client), ENDPOINTS, cursors, since=since, until=until
        )
        assert_ground_truth(emulator, found)
        assert all(not r.gaps for r in reports.values())

        # Deposits and withdrawals: one 30-day window each. Trades: Binance's 24-hour windows, per market asked.
        scanned = reports[Endpoint.SPOT_TRADES].markets_scanned
        spec = get_profile("binanceus").endpoint(Endpoint.SPOT_TRADES)
        assert spec is not None and spec.window is not None
        days = math.ceil((to_ms(until) - to_ms(since) + 1) / span_ms(spec.window))
        assert emulator.requests.count("/sapi/v1/capital/deposit/hisrec") == 1
        assert emulator.requests.count("/sapi/v1/capital/withdraw/history") == 1
        assert emulator.requests.count("/api/v3/account") == 1
        assert emulator.requests.count("/api/v3/myTrades") == len(scanned) * days
        # Markets of coins no longer held are found from the deposits and withdrawals of the same sync.
        assert set(emulator.account.abandoned_symbols) <= set(scanned)

        emulator.requests.reset()
        again, _ = await run_sync(
            fetcher_for(get_profile("binanceus"), client), ENDPOINTS, cursors, since=since, until=datetime.now(UTC)
        )
        assert all(not records for records in again.values())
        assert emulator.requests.total == 2 + 1 + len(scanned)


def small_pages(size: int) -> ExchangeProfile:
    profile = get_profile("binanceus")
    return dataclasses.replace(
        profile, endpoints=tuple(dataclasses.replace(s, page_size=size) for s in profile.endpoints)
    )


async def test_full_pages_from_either_end_never_duplicate_or_skip(emulator: BinanceEmulator) -> None:
    """Binance fills deposit pages from the newest end and trade pages from the oldest: the fetcher learns which
    from the first full pages and pages the right way. ccxt's Binance withdrawals ignore `until` (it always asks
    since + 90 days), so a full page there cannot be paged down: the fetcher says so instead of guessing."""
    until = datetime.now(UTC)
    async with binanceus(emulator) as client:
        fetcher = GenericFetcher(small_pages(3), client)
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        found, reports = await run_sync(fetcher, ENDPOINTS, cursors, since=until - timedelta(days=20), until=until)
    assert fetcher.order == {Endpoint.DEPOSITS: "down", Endpoint.SPOT_TRADES: "up"}
    assert not reports[Endpoint.DEPOSITS].gaps and not reports[Endpoint.SPOT_TRADES].gaps
    (gap,) = reports[Endpoint.WITHDRAWALS].gaps
    assert gap.reason == Text.of(
        "sync.gap.untested_ignored_end", name="Binance US", phrase=Text.of("endpoint.withdrawals.phrase")
    )
    account = emulator.account
    assert {r.exchange_tx_id for r in found[Endpoint.WITHDRAWALS]} < {w.id for w in account.withdrawals}
    assert trades(found[Endpoint.SPOT_TRADES]) == truth(account.trades)
    assert {r.exchange_tx_id: (r.asset, r.amount) for r in found[Endpoint.DEPOSITS]} == {
        d.id: (d.asset, d.amount) for d in account.deposits
    }
    for records in found.values():
        keys = [r.natural_key for r in records]
        assert len(keys) == len(set(keys))


async def test_without_a_date_or_a_known_limit_the_walk_is_bounded_and_says_so(emulator: BinanceEmulator) -> None:
    until = datetime.now(UTC)
    async with binanceus(emulator) as client:
        fetcher = GenericFetcher(get_profile("binanceus"), client, default_history=timedelta(days=25))
        found, reports = await run_sync(fetcher, (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS), {}, since=None, until=until)
    for endpoint in (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS):
        (gap,) = reports[endpoint].gaps
        assert gap.endpoint is endpoint
        assert abs(to_ms(gap.end) - (to_ms(until) - 25 * 86_400_000)) < 60_000
        assert "does not know how far back" in render(gap.reason) and "file upload" in render(gap.reason)
    assert len(found[Endpoint.DEPOSITS]) == len(emulator.account.deposits)


# -------------------------------------------------------------------------------------------- raw amounts


def test_amounts_come_from_the_raw_strings_behind_ccxt_floats() -> None:
    assert exact_from_info({"qty": "0.00012345"}, 0.00012345, AMOUNT_FIELDS) == Decimal("0.00012345")
    # An unknown field name still counts when it is the one raw field with ccxt's value.
    assert exact_from_info({"weirdSize": "123456789.12345678"}, 123456789.12345678, AMOUNT_FIELDS) == Decimal(
        "123456789.12345678"
    )
    # A known name with another value is not taken: ccxt parsed the amount from somewhere else.
    assert exact_from_info({"qty": "5", "filled": "2.5"}, 2.5, AMOUNT_FIELDS) == Decimal("2.5")
    # Signed raw values (fees, ledger changes) match ccxt's absolute number.
    assert exact_from_info({"commission": "-0.001"}, 0.001, FEE_FIELDS) == Decimal("0.001")
    # JSON numbers are floats already; two raw fields with the value are ambiguous: no exact source.
    assert exact_from_info({"qty": 0.1}, 0.1, AMOUNT_FIELDS) is None
    assert exact_from_info({"a": "1.5", "b": "1.50"}, 1.5, ()) == Decimal("1.5")  # same number either way
    assert exact_from_info({"a": "1.5", "b": "3"}, 2.0, ()) is None


def test_without_a_raw_string_the_amount_is_marked_inexact() -> None:
    class Client:
        has: ClassVar[dict[str, bool]] = {}

        def number_to_string(self, value: float) -> str:
            return repr(value)

    fetcher = GenericFetcher(get_profile("binanceus"), Client())
    trade = {
        "id": "9",
        "timestamp": 1_700_000_000_000,
        "symbol": "BTC/USDT",
        "side": "buy",
        "amount": 0.5,
        "price": 30000.0,
        "cost": 15000.0,
        "fee": {"cost": 0.0005, "currency": "BTC"},
        "info": {"q": 0.5, "p": "30000", "c": "15000", "f": "0.0005"},
    }
    record, _ = fetcher.normalize(RecordKind.TRADE, trade, None)
    assert record is not None
    assert record.amount == Decimal("0.5") and record.price == Decimal("30000")
    assert record.raw["tallybot_inexact"] == ["amount"]
    assert record.natural_key.endswith("BTC/USDT:9")
