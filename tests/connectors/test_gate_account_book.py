"""Gate's transfers between own accounts, read from the spot account book through the real ccxt client against the
Gate emulator: 30-day windows paged by page number, only the moves between the user's own Gate accounts (and to and
from sub-accounts) kept out of a book that also lists every fill, fee, deposit, withdrawal, swap and dividend, and a
re-sync that asks one request for what is new.

The page size is shrunk (the profile's is 100) so that windows page; the emulator enforces Gate's rules whatever it is.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from connectors.profiles import Endpoint
from sandbox.exchanges import AccountProfile, GateEmulator
from sandbox.exchanges.gate_account_book import SubAccountMove
from tests.connectors.test_gate_fetch import PAGES, WINDOW_DAYS, fetcher, walk

MOVES = AccountProfile(
    years=0.5, traded_markets=3, trades=60, deposits=6, withdrawals=5, converts=4, transfers=11, rewards=5
)
DAYS_BACK = 200


async def test_the_book_walk_keeps_only_moves_between_own_accounts_and_pages_every_window() -> None:
    since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS_BACK)
    until = since + timedelta(days=201)  # every window's edges are fixed days after `since` (test_gate_fetch)
    async with GateEmulator(seed=9, profile=MOVES, listed_symbols=12) as gate, fetcher(gate) as f:
        account = gate.account
        into = account.deposits[2].timestamp + 5_000
        out_of = account.withdrawals[1].timestamp + 7_000
        gate.account_book.sub_account_moves += [
            SubAccountMove(into, "USDT", Decimal("250.5")),  # from a sub-account into this one
            SubAccountMove(out_of, "ETH", Decimal("-1.25")),  # from this account to a sub-account
        ]
        records, _, report = await walk(f, Endpoint.TRANSFERS, since, None, until=until)
    # Hand-written from the script: a transfer FUND -> UNIFIED leaves spot, UNIFIED -> FUND comes in; its amount as
    # scripted, at its millisecond. The sub-account moves are a deposit and a withdrawal of this account.
    moves = {
        ("transfer", x.asset, x.amount, "out" if x.from_account == "FUND" else "in", x.timestamp)
        for x in account.transfers
    }
    moves |= {("deposit", "USDT", Decimal("250.5"), None, into), ("withdrawal", "ETH", Decimal("1.25"), None, out_of)}
    got = [(r.kind, r.asset, r.amount, r.side, int(r.occurred_at.timestamp() * 1000)) for r in records]
    assert len(got) == len(set(got)) and set(got) == moves
    assert len({r.natural_key for r in records}) == len(records)
    # The fewest requests the rules allow: per 30-day window, its book rows in pages, one more after a full page.
    # The book lists every balance change: a fill moves base and quote and, when charged, pays a fee; a deposit, a
    # withdrawal, a dividend, a transfer and a sub-account move are one row each, a flash swap two.
    seconds = [t.timestamp // 1000 for t in account.trades for _ in range(3 if t.fee else 2)]
    seconds += [r.timestamp // 1000 for r in (*account.deposits, *account.withdrawals)]
    seconds += [c.timestamp // 1000 for c in account.converts for _ in range(2)]
    seconds += [r.timestamp // 1000 for r in (*account.rewards, *account.transfers)]
    seconds += [into // 1000, out_of // 1000]
    day_s, since_s = 86_400, int(since.timestamp())
    edges = [(since_s + a * day_s, since_s + b * day_s - 1) for a, b in WINDOW_DAYS]
    page = PAGES[Endpoint.TRANSFERS]
    least = sum(sum(1 for t in seconds if a <= t <= b) // page + 1 for a, b in edges)
    assert report.requests == least
    assert least > len(WINDOW_DAYS) + 3, "windows page"


async def test_a_resync_asks_once_and_finds_only_the_new_move() -> None:
    since = datetime.now(UTC) - timedelta(days=DAYS_BACK)
    async with GateEmulator(seed=9, profile=MOVES, listed_symbols=12) as gate, fetcher(gate) as f:
        first, cursor, _ = await walk(f, Endpoint.TRANSFERS, since, None)
        await asyncio.sleep(1.1)  # ranges are whole seconds: the new move lands after the second the walk ended at
        moved = gate.clock.now_ms()
        gate.account_book.sub_account_moves.append(SubAccountMove(moved, "BTC", Decimal("0.004")))
        await asyncio.sleep(1.1)
        second, _, report = await walk(f, Endpoint.TRANSFERS, since, cursor)
    assert len(first) == len(gate.account.transfers)
    assert [(r.kind, r.asset, r.amount) for r in second] == [("deposit", "BTC", Decimal("0.004"))]
    assert report.requests == 1
