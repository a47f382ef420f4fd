"""Binance futures against the emulator through a real ccxt client: a user who traded USDⓈ-M and COIN-M futures.

The first sync stores every fill with its commission as the fee, every closing fill's realized profit and loss and
every funding payment, each exactly once (the income history repeats commissions and realized profit and loss: they
are not stored twice); a re-sync asks one request per list and per traded symbol and stores nothing; a later fill
is the only record the next sync stores. A key that cannot read futures skips both endpoints, saying why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.fetchers.base import FetchReport, UnsupportedEndpoint
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, render
from sandbox.exchanges import AccountProfile, BinanceEmulator
from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.binance_futures import USDM, FuturesFill, FuturesScript
from tests.connectors.test_fetch_binance import UNLIMITED, binance_client, new_fetcher, run_sync

SMALL = AccountProfile(
    years=0.15, traded_markets=3, trades=30, deposits=3, withdrawals=1, converts=1, transfers=0, rewards=1
)
FUTURES = (Endpoint.FUTURES_TRADES, Endpoint.FUNDING)


@pytest.fixture
async def traded_futures() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=15, profile=SMALL, listed_symbols=20, limits=UNLIMITED, derivatives=True) as emu:
        yield emu


def script_of(emulator: BinanceEmulator) -> FuturesScript:
    assert emulator.futures.script is not None
    return emulator.futures.script


def fills_by_key(records: list[NormalizedRecord]) -> dict[str, tuple[object, ...]]:
    return {
        r.natural_key: (r.market, r.side, r.amount, r.price, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in records
        if r.kind is RecordKind.FUTURES_TRADE
    }


def truth_fills(fills: list[FuturesFill] | tuple[FuturesFill, ...]) -> dict[str, tuple[object, ...]]:
    """A USDⓈ-M fill: base quantity, USDT notional; a COIN-M fill: its BTC quantity is its notional (contracts of
    100 USD at the price, in BTC)."""
    expected: dict[str, tuple[object, ...]] = {}
    for f in fills:
        if f.product == USDM:
            market = f"{f.symbol.removesuffix('USDT')}/USDT:USDT"
            quantity = f.qty
        else:
            market, quantity = "BTC/USD:BTC", f.notional
        row = (market, f.side.lower(), quantity, f.price, f.asset, f.notional, f.asset, f.commission)
        expected[f"futures_trade:{f.product}:{f.symbol}:{f.id}"] = row
    return expected


def since() -> datetime:
    return datetime.now(UTC) - timedelta(days=70)


async def test_a_full_sync_stores_fills_pnl_and_funding_once_and_a_resync_asks_only_for_new(
    traded_futures: BinanceEmulator,
) -> None:
    script = script_of(traded_futures)
    async with binance_client(traded_futures) as client:
        first = await run_sync(new_fetcher(client), FUTURES, since=since())
        again = await run_sync(new_fetcher(client), FUTURES, first.cursors, since=since())

    trades = first.of(Endpoint.FUTURES_TRADES)
    assert fills_by_key(trades) == truth_fills(script.fills)
    # The realized profit and loss of each closing fill, from the fill itself; the income history's REALIZED_PNL
    # and COMMISSION lines repeat them and are not stored again.
    pnl = {r.natural_key: (r.asset, r.amount) for r in trades if r.kind is RecordKind.REALIZED_PNL}
    assert pnl == {
        f"realized_pnl:{f.product}:{f.symbol}:{f.id}": (f.asset, f.realized_pnl) for f in script.fills if f.realized_pnl
    }
    assert len(pnl) == 12, "nine USDⓈ-M and three COIN-M round trips, each closed once"
    lines = first.of(Endpoint.FUNDING)
    # Beside the funding payments, the income lines no other history lists: 12.5 USDT from Binance's internal
    # account (a deposit) and a coin swap's two legs, 100 USDT out and 99.95 USDC in (signed lines).
    others = sorted((r.kind, r.asset, r.amount) for r in lines if r.kind is not RecordKind.FUNDING)
    assert others == [
        (RecordKind.DEPOSIT, "USDT", Decimal("12.5")),
        (RecordKind.REALIZED_PNL, "USDC", Decimal("99.95")),
        (RecordKind.REALIZED_PNL, "USDT", Decimal(-100)),
    ]
    funding = [r for r in lines if r.kind is RecordKind.FUNDING]
    paid = [line for line in script.income if line.income_type == "FUNDING_FEE"]
    assert sorted((r.asset, r.amount, r.occurred_at) for r in funding) == sorted(
        (line.asset, line.income, datetime.fromtimestamp(line.time / 1000, tz=UTC)) for line in paid
    )
    assert len(funding) == 9
    assert sorted(first.reports[Endpoint.FUTURES_TRADES].markets_scanned) == [
        "coinm:BTCUSD_PERP",
        "usdm:BTCUSDT",
        "usdm:ETHUSDT",
    ]
    # Again: one read of the futures wallet and one income page per product (funding, fetched first), then one
    # fill page per symbol: the symbols come from the lines funding's walk read, not from a second walk.
    assert not again.of(Endpoint.FUTURES_TRADES) and not again.of(Endpoint.FUNDING)
    assert again.reports[Endpoint.FUNDING].requests == 1 + 2
    assert again.reports[Endpoint.FUTURES_TRADES].requests == 3


async def test_a_later_fill_is_the_only_record_the_next_sync_stores(traded_futures: BinanceEmulator) -> None:
    script = script_of(traded_futures)
    async with binance_client(traded_futures) as client:
        first = await run_sync(new_fetcher(client), FUTURES, since=since())
        last = script.fills_of(USDM, "BTCUSDT")[-1]
        later = FuturesFill(
            USDM, "BTCUSDT", last.id + 5, 1, "SELL", Decimal("61000.5"), Decimal("0.004"), Decimal("244.002"),
            Decimal("0.0976008"), "USDT", Decimal("1.25"), traded_futures.clock.now_ms() - DAY_MS,
        )  # fmt: skip
        traded_futures.futures.script = dataclasses.replace(script, fills=(*script.fills, later))
        again = await run_sync(new_fetcher(client), FUTURES, first.cursors, since=since())

    new = again.of(Endpoint.FUTURES_TRADES)
    assert fills_by_key(new) == {
        f"futures_trade:usdm:BTCUSDT:{later.id}": (
            "BTC/USDT:USDT", "sell", Decimal("0.004"), Decimal("61000.5"), "USDT", Decimal("244.002"), "USDT",
            Decimal("0.0976008"),
        )
    }  # fmt: skip
    assert [(r.kind, r.amount) for r in new if r.kind is RecordKind.REALIZED_PNL] == [
        (RecordKind.REALIZED_PNL, Decimal("1.25"))
    ]


async def test_fills_alone_find_their_symbols_and_name_usdm_fills_older_than_six_months_as_out_of_reach(
    traded_futures: BinanceEmulator,
) -> None:
    async with binance_client(traded_futures) as client:
        sync = await run_sync(new_fetcher(client), [Endpoint.FUTURES_TRADES])
    report = sync.reports[Endpoint.FUTURES_TRADES]
    # Without funding in the sync, the fills' own walk of the income history finds every traded symbol.
    assert sorted(report.markets_scanned) == ["coinm:BTCUSD_PERP", "usdm:BTCUSDT", "usdm:ETHUSDT"]
    assert len([r for r in sync.of(Endpoint.FUTURES_TRADES) if r.kind is RecordKind.FUTURES_TRADE]) == 24
    gaps = report.gaps
    reach = datetime.now(UTC) - timedelta(days=180)
    assert any(abs(gap.end - reach) < timedelta(hours=2) for gap in gaps), gaps


@pytest.mark.parametrize("endpoint", FUTURES)
async def test_a_key_that_cannot_read_futures_skips_them_saying_why(endpoint: Endpoint) -> None:
    plain = BinanceEmulator(seed=16, profile=SMALL, listed_symbols=20, limits=UNLIMITED)
    async with plain, binance_client(plain) as client:
        # The client has answered before (a sync's spot reads): ccxt then raises Binance's -2015 as DDoSProtection,
        # which must still read as "no futures wallet", not as a rate limit or a refused key.
        await client.privateGetAccount({"omitZeroBalances": "true"})
        report = FetchReport()
        pages = new_fetcher(client).fetch(endpoint, since=since(), until=datetime.now(UTC), cursors={}, report=report)
        with pytest.raises(UnsupportedEndpoint) as skipped:
            await anext(aiter(pages))
        asked = dict(plain.requests.by_path)
    assert skipped.value.notice == Text.of("profile.binance.skip.no_futures")
    assert render(skipped.value.notice).startswith("Binance says this key cannot read futures")
    # One read of the USDⓈ-M wallet, refused, and nothing else of futures asked.
    assert report.requests == 1 and {p: n for p, n in asked.items() if p.startswith(("/fapi", "/dapi"))} == {
        "/fapi/v2/balance": 1
    }
