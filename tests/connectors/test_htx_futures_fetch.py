"""HTX futures through the real fetcher and a real ccxt client: with the emulator's pages cut to three rows, every
48-hour window is paged by `from_id` to an empty page, and the fills, closing P&L and funding stored are exactly the
script's, over the cross account and ETH-USDT's isolated one; a second fetch from the cursors asks one window per list
and finds nothing new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import AccountProfile, HtxEmulator, htx_futures

SMALL = AccountProfile(
    years=0.05, traded_markets=2, trades=10, deposits=2, withdrawals=1, converts=0, transfers=1, rewards=0
)
FILLS = "/linear-swap-api/v3/swap_cross_matchresults_exact"
RECORDS = "/linear-swap-api/v3/swap_financial_record_exact"
ISOLATED_FILLS = "/linear-swap-api/v3/swap_matchresults_exact"
COIN_FILLS = "/swap-api/v3/swap_matchresults_exact"
COIN_RECORDS = "/swap-api/v3/swap_financial_record_exact"


async def fetch_all(
    emulator: HtxEmulator, cursors: dict[Endpoint, dict[str, Cursor]]
) -> tuple[list[NormalizedRecord], dict[str, int]]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"htx": emulator.base_url})
    records: list[NormalizedRecord] = []
    emulator.requests.reset()
    try:
        fields = {"apiKey": key.api_key, "secret": key.secret}
        async with pool.client("htx", "test", fields, key_fields=("apiKey", "secret")) as client:
            fetcher = fetcher_for(get_profile("htx"), client, key_type="normal")
            for endpoint in (Endpoint.FUNDING, Endpoint.FUTURES_TRADES):
                async for page in fetcher.fetch(
                    endpoint,
                    since=datetime.now(UTC) - timedelta(days=89),
                    until=datetime.now(UTC),
                    cursors=cursors[endpoint],
                    report=FetchReport(),
                ):
                    cursors[endpoint][page.market] = page.cursor
                    records.extend(page.records)
    finally:
        await pool.close()
    return records, dict(emulator.requests.by_path)


async def test_pages_of_three_rows_are_followed_by_from_id_and_nothing_is_missed_or_doubled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(htx_futures, "PAGE_ROWS", 3)
    async with HtxEmulator(seed=43, profile=SMALL, listed_symbols=20, futures=True) as htx:
        cursors: dict[Endpoint, dict[str, Cursor]] = {Endpoint.FUNDING: {}, Endpoint.FUTURES_TRADES: {}}
        records, first = await fetch_all(htx, cursors)
        again, second = await fetch_all(htx, cursors)
    script = htx.futures
    assert script is not None
    fills = [r for r in records if r.kind is RecordKind.FUTURES_TRADE]
    # Each fill once, with its time, quantity (contracts x size) and the fee charged.
    size = {"BTC_USDT": Decimal("0.0001"), "ETH_USDT": Decimal("0.01"), "SOL_USDT": Decimal(1)}
    usdt = [r for r in fills if r.quote_asset == "USDT"]
    assert sorted((int(r.occurred_at.timestamp() * 1000), r.amount, r.fee_amount) for r in usdt) == sorted(
        (d.time, d.vol * size[d.symbol], d.fee) for d in script.deals
    )
    funding = sorted(r.amount for r in records if r.kind is RecordKind.FUNDING and r.asset == "USDT")
    assert funding == sorted(f.funding for f in script.funding)
    assert sorted(r.amount for r in records if r.kind is RecordKind.REALIZED_PNL and r.asset == "USDT") == sorted(
        d.profit for d in script.deals if d.profit
    )
    # The 1,000 USDT moved from the cross account into ETH-USDT's isolated one: a ledger line in each, netting out.
    moves = sorted(r.amount for r in records if r.kind is RecordKind.LEDGER)
    assert moves == [Decimal(-1000), Decimal(1000)]
    # Some window held more than a page: the first fetch asked more than one request per window there. Two accounts'
    # records (cross, ETH-USDT) and three contracts' fills (BTC-USDT and SOL-USDT cross, ETH-USDT isolated).
    windows = -(-89 * 24 // 48)
    assert first[RECORDS] > 2 * windows + len(script.funding) // 3, first
    assert first[FILLS] > 2 * windows and first[ISOLATED_FILLS] > windows, first
    # The second fetch: one window per list, nothing new.
    assert not again and (second[RECORDS], second[FILLS], second[ISOLATED_FILLS]) == (2, 2, 1), second
    # The coin-margined BTC-USD swap: its fills and funding in BTC, the fills' quantity the USD turnover over the price.
    coin = htx.coin_swap
    assert coin is not None
    coin_fills = sorted((r.amount, r.fee_amount) for r in fills if r.quote_asset == "USD")
    assert coin_fills == sorted((f.turnover / f.price, f.fee) for f in coin.fills)
    assert (second[COIN_RECORDS], second[COIN_FILLS]) == (1, 1), second
