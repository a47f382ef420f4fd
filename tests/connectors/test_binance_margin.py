"""Binance cross and isolated margin against the emulator through a real ccxt client.

A user borrowed BTC on cross margin, sold it on BTCUSDT, bought it back and repaid it with its interest; and on
isolated ETHUSDT borrowed USDT to buy ETH, the loan still open. The first sync stores the three trades (marked as
margin), both borrowings, the repayment (its principal) and every interest charge (negative); a re-sync asks one
request per list and per market and stores nothing. An account without a margin account skips both, saying why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.fetchers.base import FetchReport, UnsupportedEndpoint
from connectors.profiles import Endpoint
from connectors.records import RecordKind
from i18n import Text
from sandbox.exchanges import AccountProfile, BinanceEmulator
from sandbox.exchanges.binance_margin import MarginScript
from tests.connectors.test_fetch_binance import UNLIMITED, binance_client, new_fetcher, run_sync

SMALL = AccountProfile(
    years=0.15, traded_markets=3, trades=30, deposits=3, withdrawals=1, converts=1, transfers=0, rewards=1
)
MARGIN = (Endpoint.MARGIN_LOANS, Endpoint.MARGIN_TRADES)


@pytest.fixture
async def traded_margin() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=25, profile=SMALL, listed_symbols=20, limits=UNLIMITED, derivatives=True) as emu:
        yield emu


def script_of(emulator: BinanceEmulator) -> MarginScript:
    assert emulator.margin.script is not None
    return emulator.margin.script


def since() -> datetime:
    return datetime.now(UTC) - timedelta(days=70)


async def test_a_full_sync_stores_margin_trades_loans_and_interest_exactly_and_a_resync_asks_only_for_new(
    traded_margin: BinanceEmulator,
) -> None:
    script = script_of(traded_margin)
    async with binance_client(traded_margin) as client:
        first = await run_sync(new_fetcher(client), MARGIN, since=since())
        again = await run_sync(new_fetcher(client), MARGIN, first.cursors, since=since())

    trades = {
        r.natural_key: (r.market, r.side, r.amount, r.quote_amount, r.fee_asset, r.fee_amount, r.raw["wallet"])
        for r in first.of(Endpoint.MARGIN_TRADES)
    }
    wallet = {False: "cross", True: "isolated"}
    assert trades == {
        f"trade:{wallet[f.isolated]}:{f.symbol}:{f.id}": (
            f"{f.symbol[:-4]}/USDT",
            f.side,
            f.qty,
            f.price * f.qty,  # no quoteQty in a margin trade: price times quantity, exact
            f.commission_asset,
            f.commission,
            f"{wallet[f.isolated]}_margin",
        )
        for f in script.fills
    }
    assert len(trades) == 3
    loans = first.of(Endpoint.MARGIN_LOANS)
    moved = sorted((r.kind, r.asset, r.amount) for r in loans if r.kind in (RecordKind.BORROW, RecordKind.REPAY))
    assert moved == [
        (RecordKind.BORROW, "BTC", Decimal("0.01")),
        (RecordKind.BORROW, "USDT", Decimal(400)),
        (RecordKind.REPAY, "BTC", Decimal("0.01")),  # the principal; its interest part was charged as INTEREST
    ]
    charged = sorted((r.asset, r.amount) for r in loans if r.kind is RecordKind.INTEREST)
    assert charged == sorted((i.asset, -i.interest) for i in script.interest)
    assert len(charged) == 7 and all(amount < 0 for _, amount in charged)
    # Again, with a new fetcher: the two account reads, then one page per list (borrow, repay, interest for cross
    # margin and for ETHUSDT), then one page per market (BTCUSDT cross, ETHUSDT isolated).
    assert not again.of(Endpoint.MARGIN_LOANS) and not again.of(Endpoint.MARGIN_TRADES)
    assert again.reports[Endpoint.MARGIN_LOANS].requests == 2 + 6
    assert again.reports[Endpoint.MARGIN_TRADES].requests == 2
    assert sorted(again.reports[Endpoint.MARGIN_TRADES].markets_scanned) == ["cross:BTCUSDT", "isolated:ETHUSDT"]


async def test_loans_are_walked_in_the_documented_seven_day_windows(traded_margin: BinanceEmulator) -> None:
    """Without an asset Binance answers only the 7 days before endTime: a longer window would lose records."""
    start = datetime.now(UTC) - timedelta(days=69, hours=12)
    async with binance_client(traded_margin) as client:
        await run_sync(new_fetcher(client), [Endpoint.MARGIN_LOANS], since=start)
    borrow_repay = traded_margin.requests.by_path["/sapi/v1/margin/borrow-repay"]
    interest = traded_margin.requests.by_path["/sapi/v1/margin/interestHistory"]
    # 69.5 days: 10 windows of 7 days for BORROW and for REPAY, for cross margin and ETHUSDT; 3 windows of 30 days of
    # interest for each.
    assert (borrow_repay, interest) == (10 * 2 * 2, 3 * 2)


@pytest.mark.parametrize("endpoint", MARGIN)
async def test_an_account_without_a_margin_account_skips_them_saying_why(endpoint: Endpoint) -> None:
    plain = BinanceEmulator(seed=26, profile=SMALL, listed_symbols=20, limits=UNLIMITED)
    async with plain, binance_client(plain) as client:
        report = FetchReport()
        pages = new_fetcher(client).fetch(endpoint, since=since(), until=datetime.now(UTC), cursors={}, report=report)
        with pytest.raises(UnsupportedEndpoint) as skipped:
            await anext(aiter(pages))
    assert skipped.value.notice == Text.of("profile.binance.skip.no_margin")
    assert report.requests == 1
