"""Fills from before an account's upgrade to KuCoin's high-frequency (HF) trade account are only listed by the
classic GET /api/v1/fills: a sync reads them there, every market in one walk of 7 × 24 h windows, and together with
the HF fills it stores every trade once (real ccxt client against the KuCoin emulator).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import AccountProfile, KucoinEmulator
from sandbox.exchanges.kucoin_classic import classic_trade_id

DAY_MS = 86_400_000
ACCOUNT = AccountProfile(
    years=0.5, traded_markets=3, trades=150, deposits=10, withdrawals=4, converts=0, transfers=0, rewards=0
)


async def sync_trades(emulator: KucoinEmulator, cursors: dict[Endpoint, dict[str, Cursor]]) -> list[str]:
    """One sync of deposits, withdrawals and spot trades (in the engine's order), committing every cursor; the
    natural keys of the trades it fetched."""
    pool = ClientPool({"kucoin": emulator.base_url})
    fetched: list[str] = []
    try:
        key = emulator.create_demo_keys().read_only
        async with pool.client("kucoin", "classic-test", key.ccxt_config()) as client:
            client.throttler.config["refillRate"] = 1e6
            fetcher = fetcher_for(get_profile("kucoin"), client)
            since = datetime.now(UTC) - timedelta(days=200)
            for endpoint in (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.SPOT_TRADES):
                stored = cursors.setdefault(endpoint, {})
                pages = fetcher.fetch(
                    endpoint, since=since, until=datetime.now(UTC), cursors=dict(stored), report=FetchReport()
                )
                async for page in pages:
                    stored[page.market] = page.cursor
                    fetched += [r.natural_key for r in page.records if endpoint is Endpoint.SPOT_TRADES]
    finally:
        await pool.close()
    return fetched


async def test_fills_before_the_hf_upgrade_are_read_from_the_classic_list_and_every_trade_is_stored_once() -> None:
    async with KucoinEmulator(seed=51, profile=ACCOUNT, listed_symbols=10) as probe:
        upgrade = probe.clock.now_ms() - 60 * DAY_MS
    async with KucoinEmulator(seed=51, profile=ACCOUNT, listed_symbols=10, hf_upgrade_ms=upgrade) as emulator:
        trades = emulator.account.trades
        classic = [t for t in trades if t.timestamp < upgrade]
        assert classic and len(classic) < len(trades)  # the account traded on both sides of its upgrade
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        first = await sync_trades(emulator, cursors)
        classic_requests = emulator.requests.count("/api/v1/fills")
        second = await sync_trades(emulator, cursors)

    # Classic fills are keyed by their 24-hex-digit tradeId, HF fills by their numeric one (both per market).
    expected = {f"trade:{t.symbol}:{classic_trade_id(t)}" for t in classic} | {
        f"trade:{t.symbol}:{t.id}" for t in trades if t.timestamp >= upgrade
    }
    assert set(first) == expected and len(first) == len(expected)
    # 200 days in windows of 7 × 24 h: 29 windows (28 whole weeks and the 4 days left), one page each (≤ 500 rows).
    assert classic_requests == 29
    assert cursors[Endpoint.SPOT_TRADES]["classic"]["window_start_ms"] > upgrade
    assert second == [], "a re-sync fetches nothing again"
