"""Fixtures: the exchange emulators on 127.0.0.1 and real ccxt clients pointed at them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from connectors.urls import apply_url_override
from sandbox.exchanges import (
    AccountProfile,
    BinanceEmulator,
    BitgetDemoKeys,
    BitgetEmulator,
    BitgetLimits,
    BybitEmulator,
    BybitLimits,
    Credentials,
    DemoKeys,
    ExchangeEmulator,
    OkxEmulator,
    OkxLimits,
)

# What the connectors' client factory must pass so that load_markets makes no side calls a read-only key
# (or the emulator) would refuse.
BINANCE_OPTIONS: dict[str, Any] = {
    "fetchCurrencies": False,
    "fetchMargins": False,
    "fetchMarkets": {"types": ["spot"]},
}
BYBIT_OPTIONS: dict[str, Any] = {
    "fetchMarkets": {"types": ["spot"]},
    # fetch_balance and friends otherwise probe /v5/user/query-api and /v5/account/info first.
    "enableUnifiedAccount": True,
    "enableUnifiedMargin": False,
}
BYBIT_CONFIG: dict[str, Any] = {"has": {"fetchCurrencies": False}}  # Bybit has no option for this one
OKX_OPTIONS: dict[str, Any] = {"fetchMarkets": {"types": ["spot"]}}
OKX_CONFIG: dict[str, Any] = {"has": {"fetchCurrencies": False}}  # else load_markets calls /asset/currencies
BITGET_OPTIONS: dict[str, Any] = {
    "fetchMarkets": {"types": ["spot"]},
    # Otherwise every keyed client first probes /api/v3/account/settings to learn if the account is unified.
    "uta": False,
}
BITGET_CONFIG: dict[str, Any] = {"has": {"fetchCurrencies": False}}  # else load_markets calls /spot/public/coins

PROFILE = AccountProfile(
    years=3.0, traded_markets=16, trades=900, deposits=40, withdrawals=25, converts=20, transfers=25, rewards=30
)


@asynccontextmanager
async def ccxt_client(
    exchange_id: str,
    emulator: ExchangeEmulator,
    credentials: Credentials | None,
    *,
    options: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> AsyncIterator[Any]:
    """A real ccxt async client whose every REST call goes to the emulator; closed afterwards."""
    settings: dict[str, Any] = {"enableRateLimit": False, **(config or {})}
    if credentials is not None:
        settings.update(apiKey=credentials.api_key, secret=credentials.secret)
    if options is not None:
        settings["options"] = dict(options)
    client = getattr(ccxt_async, exchange_id)(settings)
    apply_url_override(client, emulator.base_url)
    try:
        yield client
    finally:
        await client.close()


async def wait_for_unexpected(emulator: ExchangeEmulator, count: int) -> list[str]:
    """ccxt gathers side calls and raises on the first failure; let the others land before looking."""
    async with asyncio.timeout(5):
        return await emulator.requests.wait_for_unexpected(count)


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    """Binance with its real rate limits and a three-year scripted account."""
    async with BinanceEmulator(seed=20240611, profile=PROFILE, listed_symbols=150) as emulator:
        yield emulator


@pytest.fixture
def binance_keys(binance: BinanceEmulator) -> DemoKeys:
    return binance.create_demo_keys()


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    """Bybit with room for quick paging: a 730-day walk takes 105 seven-day windows."""
    limits = BybitLimits(per_second={}, default_per_second=10_000, ip_requests_per_5s=100_000)
    async with BybitEmulator(seed=20240612, profile=PROFILE, listed_symbols=150, limits=limits) as emulator:
        yield emulator


@pytest.fixture
def bybit_keys(bybit: BybitEmulator) -> DemoKeys:
    return bybit.create_demo_keys()


@pytest.fixture
async def okx() -> AsyncIterator[OkxEmulator]:
    """OKX with room for quick paging, and enough trades and transfers to fill its one-year and one-month reaches."""
    limits = OkxLimits(rules={}, default_rule=(100_000, 1_000))
    profile = replace(PROFILE, trades=2400, transfers=300)
    async with OkxEmulator(seed=20240613, profile=profile, listed_symbols=150, limits=limits) as emulator:
        yield emulator


@pytest.fixture
def okx_keys(okx: OkxEmulator) -> DemoKeys:
    return okx.create_demo_keys()


@pytest.fixture
async def bitget() -> AsyncIterator[BitgetEmulator]:
    """Bitget with room for quick paging: a two-year walk takes nine 90-day windows per market."""
    limits = BitgetLimits(per_second={}, default_per_second=100_000, ip_requests_per_minute=1_000_000)
    async with BitgetEmulator(seed=20240614, profile=PROFILE, listed_symbols=150, limits=limits) as emulator:
        yield emulator


@pytest.fixture
def bitget_keys(bitget: BitgetEmulator) -> BitgetDemoKeys:
    return bitget.create_demo_keys()
