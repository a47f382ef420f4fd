"""The Gate fetcher against the Gate emulator through the real ccxt client: paging inside 30-day windows (page
numbers for trades, offsets for deposits and withdrawals), resuming from a cursor left inside a window, and a
spent budget that stops a walk between pages.

Page sizes are shrunk (the profile's own are 1000, 500 and 100, more than this account holds in a window) so every
window pages; the emulator enforces Gate's rules whatever the size.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited
from connectors.fetchers.gate import GateFetcher
from connectors.profiles import Endpoint, ExchangeProfile, get_profile
from connectors.records import NormalizedRecord
from sandbox.exchanges import AccountProfile, ConvertRecord, GateEmulator, GateLimits

ACCOUNT = AccountProfile(
    years=0.5, traded_markets=3, trades=150, deposits=14, withdrawals=9, converts=7, transfers=0, rewards=9
)
PAGES = {
    Endpoint.SPOT_TRADES: 7,
    Endpoint.DEPOSITS: 2,
    Endpoint.WITHDRAWALS: 2,
    Endpoint.CONVERT: 3,
    Endpoint.EARN_REWARDS: 2,
}
DAYS_BACK = 200
WINDOW_MS = 30 * 86_400_000


def small_pages() -> ExchangeProfile:
    profile = get_profile("gate")
    specs = tuple(replace(spec, page_size=PAGES[spec.endpoint]) for spec in profile.endpoints)
    return replace(profile, endpoints=specs)


@asynccontextmanager
async def fetcher(emulator: GateEmulator) -> AsyncIterator[GateFetcher]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"gate": emulator.base_url})
    try:
        async with pool.client("gate", "fetch", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e6  # the emulator's limits are what is under test
            yield GateFetcher(small_pages(), client)
    finally:
        await pool.close()


async def walk(
    fetcher: GateFetcher, endpoint: Endpoint, since: datetime, cursor: Cursor | None, *, stop_inside: bool = False
) -> tuple[list[NormalizedRecord], Cursor | None, FetchReport]:
    """One fetch of one endpoint, keeping each page's cursor as the sync engine commits it (`stop_inside`: stop at
    the first page that leaves its window unfinished)."""
    records: list[NormalizedRecord] = []
    report = FetchReport()
    pages = fetcher.fetch(
        endpoint, since=since, until=datetime.now(UTC), cursors={"": cursor} if cursor else {}, report=report
    )
    async for page in pages:
        records += page.records
        cursor = page.cursor
        if stop_inside and "token" in cursor:
            break
    return records, cursor, report


def windows_from(start: datetime, now_ms: int) -> list[tuple[int, int]]:
    first = int(start.timestamp() * 1000)
    return [(s, min(s + WINDOW_MS - 1, now_ms)) for s in range(first, now_ms + 1, WINDOW_MS)]


@pytest.mark.parametrize("endpoint", [Endpoint.SPOT_TRADES, Endpoint.DEPOSITS, Endpoint.WITHDRAWALS])
async def test_a_walk_pages_every_window_and_stores_each_record_once(endpoint: Endpoint) -> None:
    since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS_BACK)
    async with GateEmulator(seed=5, profile=ACCOUNT, listed_symbols=12) as gate, fetcher(gate) as f:
        records, _, report = await walk(f, endpoint, since, None)
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
    account = gate.account
    truth = {
        Endpoint.SPOT_TRADES: {f"trade:{t.symbol}:{t.id}" for t in account.trades},
        Endpoint.DEPOSITS: {f"deposit:{d.id}" for d in account.deposits},
        Endpoint.WITHDRAWALS: {f"withdrawal:{w.id}" for w in account.withdrawals},
    }[endpoint]
    keys = [r.natural_key for r in records]
    assert len(keys) == len(set(keys)) and set(keys) == truth
    # The fewest requests Gate's rules allow: per 30-day window, its rows in pages, and one more request after a
    # page that came full (nothing says whether more follow).
    times = {
        Endpoint.SPOT_TRADES: [t.timestamp for t in account.trades],
        Endpoint.DEPOSITS: [d.timestamp // 1000 * 1000 for d in account.deposits],
        Endpoint.WITHDRAWALS: [w.timestamp for w in account.withdrawals],
    }[endpoint]
    page = PAGES[endpoint]
    least = sum(sum(1 for t in times if a <= t <= b) // page + 1 for a, b in windows_from(since, now_ms))
    assert report.requests == least
    assert least > len(windows_from(since, now_ms)), "some window pages"


async def test_a_walk_stopped_inside_a_window_resumes_with_the_next_page() -> None:
    since = datetime.now(UTC) - timedelta(days=DAYS_BACK)
    async with GateEmulator(seed=5, profile=ACCOUNT, listed_symbols=12) as gate, fetcher(gate) as f:
        first, cursor, _ = await walk(f, Endpoint.SPOT_TRADES, since, None, stop_inside=True)
        assert cursor is not None and "token" in cursor, "stopped inside a window"
        rest, _, _ = await walk(f, Endpoint.SPOT_TRADES, since, cursor)
    keys = [r.natural_key for r in first + rest]
    assert len(keys) == len(set(keys)) == len(gate.account.trades)


async def test_a_spent_budget_stops_the_walk_between_pages_and_the_next_sync_carries_on() -> None:
    since = datetime.now(UTC) - timedelta(days=DAYS_BACK)
    limits = GateLimits(requests=5)
    async with GateEmulator(seed=5, profile=ACCOUNT, listed_symbols=12, limits=limits) as gate, fetcher(gate) as f:
        records: list[NormalizedRecord] = []
        cursor: Cursor | None = None
        stopped = 0
        while True:  # one sync after another, each from the cursor the last one committed
            cursors = {"": cursor} if cursor else {}
            pages = f.fetch(
                Endpoint.DEPOSITS, since=since, until=datetime.now(UTC), cursors=cursors, report=FetchReport()
            )
            try:
                async for page in pages:
                    records += page.records
                    cursor = page.cursor
            except RateLimited:
                stopped += 1
                gate.reset_rate_limits()  # the budget's 10 seconds have passed
                continue
            break
    keys = [r.natural_key for r in records]
    assert stopped >= 2
    assert len(keys) == len(set(keys)) == len(gate.account.deposits)


async def test_flash_swaps_page_oldest_first_and_a_resync_reads_only_the_new_one() -> None:
    async with GateEmulator(seed=5, profile=ACCOUNT, listed_symbols=12) as gate, fetcher(gate) as f:
        first, cursor, report = await walk(f, Endpoint.CONVERT, datetime(2020, 1, 1, tzinfo=UTC), None)
        nothing, cursor, again = await walk(f, Endpoint.CONVERT, datetime(2020, 1, 1, tzinfo=UTC), cursor)
        account = gate.account
        new = ConvertRecord(
            "9999999999", "q", "USDT", Decimal("25.5"), "ETH", Decimal("0.01"), Decimal("0.0004"), account.now_ms
        )
        gate.book.account = replace(account, converts=(*account.converts, new))
        latest, _, last = await walk(f, Endpoint.CONVERT, datetime(2020, 1, 1, tzinfo=UTC), cursor)
    assert [r.exchange_tx_id for r in first] == [c.id for c in account.converts]  # oldest first, each once
    assert [(r.asset, r.amount, r.quote_asset, r.quote_amount) for r in first[:1]] == [
        (
            account.converts[0].to_asset,
            account.converts[0].to_amount,
            account.converts[0].from_asset,
            account.converts[0].from_amount,
        )
    ]
    assert report.requests == len(account.converts) // 3 + 1  # 7 swaps in pages of 3: 3, 3, 1
    assert (nothing, again.requests) == ([], 1)  # the last page again, past the rows read
    assert [(r.exchange_tx_id, r.asset, r.amount) for r in latest] == [("9999999999", "ETH", Decimal("0.01"))]
    assert last.requests == 1


async def test_earn_dividends_are_one_range_paged_and_a_resync_asks_once() -> None:
    since = datetime.now(UTC) - timedelta(days=DAYS_BACK)
    async with GateEmulator(seed=5, profile=ACCOUNT, listed_symbols=12) as gate, fetcher(gate) as f:
        first, cursor, report = await walk(f, Endpoint.EARN_REWARDS, since, None)
        await asyncio.sleep(1.1)  # ranges are whole seconds: a re-sync within the same second has nothing to ask
        nothing, _, again = await walk(f, Endpoint.EARN_REWARDS, since, cursor)
    rewards = gate.account.rewards
    assert sorted((r.occurred_at, r.asset, r.amount) for r in first) == sorted(
        (datetime.fromtimestamp(r.timestamp / 1000, UTC), r.asset, r.amount) for r in rewards
    )
    assert len({r.natural_key for r in first}) == len(rewards)
    assert report.requests == len(rewards) // 2 + 1  # 9 dividends in pages of 2, in one range
    assert (nothing, again.requests) == ([], 1)
