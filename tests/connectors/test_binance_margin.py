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


async def test_loans_are_walked_per_coin_lent_in_thirty_day_windows_from_its_first_interest(
    traded_margin: BinanceEmulator,
) -> None:
    """With an asset Binance answers the 30 days before endTime (7 without one); each borrowing is charged interest
    at once (ON_BORROW), so the interest list names the coins lent and when: their walks start a day before that."""
    start = datetime.now(UTC) - timedelta(days=69, hours=12)
    async with binance_client(traded_margin) as client:
        sync = await run_sync(new_fetcher(client), [Endpoint.MARGIN_LOANS], since=start)
    borrow_repay = traded_margin.requests.by_path["/sapi/v1/margin/borrow-repay"]
    interest = traded_margin.requests.by_path["/sapi/v1/margin/interestHistory"]
    # 69.5 days: 3 windows of 30 days of interest for cross margin and for ETHUSDT. BTC (cross) first lent 40 days
    # ago: 41 days from a day before, 2 windows for BORROW and 2 for REPAY; USDT (ETHUSDT) 20 days ago: 1 and 1.
    # Before: 10 windows of 7 days per type and wallet, 40 requests.
    assert (borrow_repay, interest) == (2 * 2 + 1 * 2, 3 * 2)
    assert traded_margin.requests.by_path["/sapi/v1/margin/account"] == 1
    asked = {tuple(k.split(":")) for k in sync.cursors[Endpoint.MARGIN_LOANS][""]}
    assert asked == {
        ("cross", "INTEREST"),
        ("cross", "BORROW", "BTC"),
        ("cross", "REPAY", "BTC"),
        ("ETHUSDT", "INTEREST"),
        ("ETHUSDT", "BORROW", "USDT"),
        ("ETHUSDT", "REPAY", "USDT"),
    }


async def test_a_cursor_of_the_walk_of_every_coin_at_once_is_where_each_coins_first_walk_resumes(
    traded_margin: BinanceEmulator,
) -> None:
    """A sync before coins were walked one by one left `cross:BORROW`-style cursors: the coin walks start there."""
    start = datetime.now(UTC) - timedelta(days=69, hours=12)
    async with binance_client(traded_margin) as client:
        first = await run_sync(new_fetcher(client), [Endpoint.MARGIN_LOANS], since=start)
        state = dict(first.cursors[Endpoint.MARGIN_LOANS][""])
        older = {k: v for k, v in state.items() if k.count(":") == 1}  # the interest walks, read to now
        for wallet, coin in (("cross", "BTC"), ("ETHUSDT", "USDT")):
            for what in ("BORROW", "REPAY"):
                older[f"{wallet}:{what}"] = state.pop(f"{wallet}:{what}:{coin}")
        before = traded_margin.requests.by_path["/sapi/v1/margin/borrow-repay"]
        again = await run_sync(new_fetcher(client), [Endpoint.MARGIN_LOANS], {Endpoint.MARGIN_LOANS: {"": older}})
    # Every coin of each wallet goes on from the old cursors (each less than 30 days back: one window): the cross
    # account's BTC and USDT, the pair's ETH and USDT, for BORROW and REPAY. Nothing new to store.
    assert traded_margin.requests.by_path["/sapi/v1/margin/borrow-repay"] - before == (2 + 2) * 2
    state = again.cursors[Endpoint.MARGIN_LOANS][""]
    assert "cross:BORROW" not in state and {"cross:BORROW:BTC", "ETHUSDT:REPAY:ETH"} <= set(state)
    assert not again.of(Endpoint.MARGIN_LOANS)


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
