"""Binance cross-margin pairs found from the coins moved into margin (issue 15, reviewer's finding 3).

A user moves 300 USDT from spot into cross margin and spends all of it on ETH, with no loan: the cross account then
holds ETH only, and nothing it holds, owes or borrowed names USDT. The universal transfer history (MAIN_MARGIN: "Spot
account transfer to Margin(cross) account") names it, so ETHUSDT is asked and its fill stored; without that history
the pair is never asked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.binance import BinanceFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.binance_margin import Holding, MarginFill
from sandbox.exchanges.binance_transfers import UniversalTransfer

QUIET = AccountProfile(years=0.2, traded_markets=2, trades=10, deposits=1, withdrawals=1, converts=1, rewards=1)
UNLIMITED = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)


@pytest.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=61, profile=QUIET, listed_symbols=20, limits=UNLIMITED, derivatives=True) as e:
        now = e.clock.now_ms()
        bought = MarginFill("ETHUSDT", False, 51_001, "buy", Decimal(3000), Decimal("0.1"), Decimal("0.0001"), "ETH",
                            now - 3 * DAY_MS)  # fmt: skip
        script = e.margin.script
        assert script is not None
        e.margin.script = dataclasses.replace(
            script, fills=(bought,), loans=(), interest=(), cross={"ETH": Holding(free=Decimal("0.0999"))}, isolated={}
        )
        e.transfers.rows = [
            UniversalTransfer("MAIN_MARGIN", "USDT", Decimal(300), 11_415_955_700, bought.time - HOUR_MS)
        ]
        yield e


async def sync(emulator: BinanceEmulator, endpoints: tuple[Endpoint, ...]) -> dict[Endpoint, list[NormalizedRecord]]:
    key = emulator.add_key(label="read-only")
    pool = ClientPool({"binance": emulator.base_url})
    found: dict[Endpoint, list[NormalizedRecord]] = {}
    since = datetime.now(UTC) - timedelta(days=10)
    try:
        async with pool.client("binance", "margin", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e9
            fetcher = BinanceFetcher(get_profile("binance"), client, uid_weight_per_minute=10**9)
            for endpoint in endpoints:
                pages = fetcher.fetch(endpoint, since=since, until=datetime.now(UTC), cursors={}, report=FetchReport())
                found[endpoint] = [r async for page in pages for r in page.records]
    finally:
        await pool.close()
    return found


def trades(records: list[NormalizedRecord]) -> list[tuple[Any, ...]]:
    return [(r.market, r.side, r.amount, r.quote_asset, r.quote_amount, r.fee_amount) for r in records]


async def test_a_pair_whose_quote_was_moved_into_margin_and_spent_is_asked(emulator: BinanceEmulator) -> None:
    found = await sync(emulator, (Endpoint.TRANSFERS, Endpoint.MARGIN_LOANS, Endpoint.MARGIN_TRADES))
    assert [(r.asset, r.amount, r.raw["type"]) for r in found[Endpoint.TRANSFERS]] == [
        ("USDT", Decimal(300), "MAIN_MARGIN")
    ]
    # 0.1 ETH at 3,000 USDT: 300 USDT, the 0.0001 ETH commission its fee.
    assert trades(found[Endpoint.MARGIN_TRADES]) == [
        ("ETH/USDT", "buy", Decimal("0.1"), "USDT", Decimal(300), Decimal("0.0001"))
    ]


async def test_without_the_transfer_history_the_pair_is_not_found(emulator: BinanceEmulator) -> None:
    # The check above can fail: the cross account alone (ETH held, nothing owed) names no USDT.
    found = await sync(emulator, (Endpoint.MARGIN_LOANS, Endpoint.MARGIN_TRADES))
    assert found[Endpoint.MARGIN_TRADES] == []
