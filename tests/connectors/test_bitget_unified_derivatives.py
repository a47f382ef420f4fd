"""A Bitget unified trading account (UTA) that traded futures and margin, read through API v3 against the emulator's
scripted account (sandbox/exchanges/bitget_derivatives_script.py seen as one unified account,
sandbox/exchanges/bitget_uta_derivatives.py): the first 40085 switches each list to v3, and a full fetch stores every
futures fill, realized profit, funding fee, margin fill, borrowing, repayment and interest charge once with the
script's amounts; a re-sync stores nothing again; the unified balance is read net of its debt."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.balances import read_balances
from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.bitget import BitgetFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, BitgetEmulator, BitgetLimits

SMALL = AccountProfile(
    years=0.15, traded_markets=3, trades=20, deposits=3, withdrawals=1, converts=1, transfers=1, rewards=0
)
FAST = BitgetLimits(per_second={}, default_per_second=100_000, ip_requests_per_minute=1_000_000)
KINDS = (Endpoint.SPOT_TRADES, Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_TRADES, Endpoint.MARGIN_LOANS)
D = Decimal
RECORDS_PATH = "/api/v3/account/financial-records"


@asynccontextmanager
async def unified_client(emulator: BitgetEmulator) -> AsyncIterator[Any]:
    key = emulator.add_uta_key()
    pool = ClientPool({"bitget": emulator.base_url})
    credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
    fields = get_profile("bitget").key_type("normal").field_names
    try:
        async with pool.client("bitget", "credential-1", credentials, key_fields=fields) as client:
            client.throttler.config["refillRate"] = 1e6
            yield client
    finally:
        await pool.close()


async def drain(
    fetcher: BitgetFetcher, endpoint: Endpoint, stored: dict[str, Cursor], report: FetchReport
) -> list[NormalizedRecord]:
    records: list[NormalizedRecord] = []
    async for page in fetcher.fetch(endpoint, since=None, until=datetime.now(UTC), cursors=dict(stored), report=report):
        stored[page.market] = json.loads(json.dumps(page.cursor))
        records.extend(page.records)
    return records


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    async with BitgetEmulator(seed=15, profile=SMALL, listed_symbols=20, limits=FAST, derivatives=True) as emulator:
        yield emulator


async def test_a_unified_account_stores_every_futures_and_margin_record_once_through_v3(bitget: BitgetEmulator) -> None:
    cursors: dict[Endpoint, dict[str, Cursor]] = {endpoint: {} for endpoint in KINDS}
    report = FetchReport()
    async with unified_client(bitget) as client:
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        got = {endpoint: await drain(fetcher, endpoint, cursors[endpoint], report) for endpoint in KINDS}
        asked = bitget.requests.count(RECORDS_PATH)
        fetcher = BitgetFetcher(get_profile("bitget"), client, key_type="normal")
        bitget.requests.reset()
        again = {endpoint: await drain(fetcher, endpoint, cursors[endpoint], FetchReport()) for endpoint in KINDS}
        asked_again = bitget.requests.count(RECORDS_PATH)

    assert fetcher.unified
    # What is older than the v3 lists' 90 days is out of reach, and said so; nothing else is a gap.
    assert {gap.endpoint: gap.reason.id for gap in report.gaps} == dict.fromkeys(
        (Endpoint.SPOT_TRADES, Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_LOANS), "sync.gap.lookback"
    )
    futures = got[Endpoint.FUTURES_TRADES]
    fills = sorted(
        (r.market, r.side, r.amount, r.price, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in futures
        if r.kind is RecordKind.FUTURES_TRADE
    )
    assert fills == sorted(
        [
            ("BTC/USDT:USDT", "buy", D("0.02"), D("60000.5"), "USDT", D("1200.01"), "USDT", D("0.720006")),
            ("BTC/USDT:USDT", "sell", D("0.02"), D("61000"), "USDT", D("1220"), "USDT", D("0.732")),
            ("ETH/USDT:USDT", "sell", D("0.5"), D("3000"), "USDT", D("1500"), "USDT", D("0.9")),
            ("ETH/USDT:USDT", "buy", D("0.5"), D("3100"), "USDT", D("1550"), "USDT", D("0.93")),
            # Coin-M: the notional in the settle coin is the 0.01 BTC traded.
            ("BTC/USD:BTC", "buy", D("0.01"), D("58000"), "BTC", D("0.01"), "BTC", D("0.000006")),
            ("BTC/USD:BTC", "sell", D("0.01"), D("59000"), "BTC", D("0.01"), "BTC", D("0.000006")),
            ("BTC/USDC:USDC", "buy", D("0.005"), D("59500"), "USDC", D("297.5"), "USDC", D("0.1785")),
            ("BTC/USDC:USDC", "sell", D("0.005"), D("59000"), "USDC", D("295"), "USDC", D("0.177")),
        ]
    )
    # The four closes' profit (CLOSE_LONG / CLOSE_SHORT records); opens carry none; their fees stay with the fills.
    pnl = sorted((r.asset, r.amount, r.fee_amount) for r in futures if r.kind is RecordKind.REALIZED_PNL)
    assert pnl == [("BTC", D("0.00016949"), None), ("USDC", D("-2.5"), None), ("USDT", D("-50"), None),
                   ("USDT", D("19.99"), None)]  # fmt: skip
    assert {r.kind for r in futures} == {RecordKind.FUTURES_TRADE, RecordKind.REALIZED_PNL}
    funding = sorted((r.asset, r.amount) for r in got[Endpoint.FUNDING])
    assert funding == [("BTC", D("-0.00000312")), ("USDT", D("-0.2")), ("USDT", D("-0.1234")), ("USDT", D("0.0567"))]
    # Margin fills come with the spot fills (category MARGIN); the fills' own records (ORDER_DEALT_*) are not kept.
    margin = sorted(
        (r.market, r.side, r.amount, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in got[Endpoint.SPOT_TRADES]
        if r.raw.get("category") == "MARGIN"
    )
    assert margin == [
        ("BTC/USDT", "buy", D("0.00501"), D("295.59"), "BTC", D("0.00000501")),
        ("BTC/USDT", "sell", D("0.005"), D("300"), "USDT", D("0.3")),
        ("ETH/USDT", "buy", D("0.1"), D("290"), "ETH", D("0.0001")),
    ]
    assert got[Endpoint.MARGIN_TRADES] == []
    loans = sorted((r.kind.value, r.asset, r.amount) for r in got[Endpoint.MARGIN_LOANS])
    assert loans == [
        ("borrow", "BTC", D("0.005")),
        ("borrow", "USDT", D("100")),
        ("interest", "BTC", D("-0.0000012")),
        ("interest", "BTC", D("-0.0000012")),
        ("interest", "USDT", D("-0.0123")),
        ("repay", "BTC", D("0.005")),
    ]
    for endpoint in KINDS:
        keys = [r.natural_key for r in got[endpoint]]
        assert len(keys) == len(set(keys)), endpoint
        assert again[endpoint] == [], endpoint
    # Financial records: 3 futures categories twice (positions, funding) and MARGIN, 90 days in 30-day ranges.
    assert asked == 7 * 3
    assert asked_again == 7  # a re-sync: the newest range of each stream


async def test_the_unified_balance_is_read_net_of_its_debt(bitget: BitgetEmulator) -> None:
    async with unified_client(bitget) as client:
        snapshot = await read_balances(client, get_profile("bitget"))
    assert snapshot.complete, snapshot.wallets_failed
    spot = {b.asset: b.total for b in bitget.account.balances}
    # One account: the 1,000, 400 and 200 USDT the script moved out of spot (100 back) never left it (+1,500);
    # USDT-M fees −3.282006, profit −30.01, funding −0.2667; margin +300 − 0.3 − 295.59 + 100 borrowed − 290 −
    # 0.0123 interest, less the 100 still owed.
    assert snapshot.totals["USDT"] == spot["USDT"] + D("1500") - D("33.558706") - D("185.9023") - D("100")
    # USDC: the 500 moved to USDC-M stays; fees −0.3555, profit −2.5.
    assert snapshot.totals["USDC"] == spot["USDC"] + D("497.1445")
    # BTC: the 0.05 moved to coin-M stays; fees −0.000012, profit 0.00016949, funding −0.00000312; margin
    # +0.005 borrowed − 0.005 sold + 0.00501 bought − 0.00000501 fee − 0.0000024 interest − 0.005 repaid.
    assert snapshot.totals["BTC"] == spot["BTC"] + D("0.05015437") + D("0.00000259")
    assert snapshot.totals["ETH"] == spot["ETH"] + D("0.0999")
