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
from sandbox.exchanges import AccountProfile, ConvertRecord, GateEmulator, GateLimits, TradeRecord
from sandbox.exchanges.gate_book import FeeDeduction
from sandbox.exchanges.protocol import Call

ACCOUNT = AccountProfile(
    years=0.5, traded_markets=3, trades=150, deposits=14, withdrawals=9, converts=7, transfers=0, rewards=9
)
PAGES = {
    Endpoint.SPOT_TRADES: 7,
    Endpoint.DEPOSITS: 2,
    Endpoint.WITHDRAWALS: 2,
    Endpoint.CONVERT: 3,
    Endpoint.EARN_REWARDS: 2,
    Endpoint.TRANSFERS: 25,
    Endpoint.FUTURES_TRADES: 10,
    Endpoint.FUNDING: 15,
}
DAYS_BACK = 200


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
    fetcher: GateFetcher,
    endpoint: Endpoint,
    since: datetime,
    cursor: Cursor | None,
    *,
    stop_inside: bool = False,
    until: datetime | None = None,
) -> tuple[list[NormalizedRecord], Cursor | None, FetchReport]:
    """One fetch of one endpoint up to `until` (default now), keeping each page's cursor as the sync engine commits
    it (`stop_inside`: stop at the first page that leaves its window unfinished)."""
    records: list[NormalizedRecord] = []
    report = FetchReport()
    pages = fetcher.fetch(
        endpoint, since=since, until=until or datetime.now(UTC), cursors={"": cursor} if cursor else {}, report=report
    )
    async for page in pages:
        records += page.records
        cursor = page.cursor
        if stop_inside and "token" in cursor:
            break
    return records, cursor, report


# The windows of a walk from `since` to since + 201 days, as days after `since` [from, to): 30 days each, the last one
# ending where the walk does (the 201 days end on a whole second, which is left for the next sync).
WINDOW_DAYS = [(0, 30), (30, 60), (60, 90), (90, 120), (120, 150), (150, 180), (180, 201)]


def finish_ms(trades: tuple[TradeRecord, ...]) -> dict[str, int]:
    """Each scripted order's last fill: Gate lists fills by their order's finish time."""
    last: dict[str, int] = {}
    for t in trades:
        last[t.order_id] = max(last.get(t.order_id, 0), t.timestamp)
    return last


@pytest.mark.parametrize("endpoint", [Endpoint.SPOT_TRADES, Endpoint.DEPOSITS, Endpoint.WITHDRAWALS])
async def test_a_walk_pages_every_window_and_stores_each_record_once(endpoint: Endpoint) -> None:
    since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS_BACK)
    until = since + timedelta(days=201)  # tomorrow, 00:00: every window's edges are fixed days after `since`
    async with GateEmulator(seed=5, profile=ACCOUNT, listed_symbols=12) as gate, fetcher(gate) as f:
        records, _, report = await walk(f, endpoint, since, None, until=until)
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
    finish = finish_ms(account.trades)
    seconds = {
        Endpoint.SPOT_TRADES: [finish[t.order_id] // 1000 for t in account.trades],
        Endpoint.DEPOSITS: [d.timestamp // 1000 for d in account.deposits],
        Endpoint.WITHDRAWALS: [w.timestamp // 1000 for w in account.withdrawals],
    }[endpoint]
    page = PAGES[endpoint]
    day_s, since_s = 86_400, int(since.timestamp())
    edges = [(since_s + a * day_s, since_s + b * day_s - 1) for a, b in WINDOW_DAYS]  # whole seconds, inclusive
    least = sum(sum(1 for t in seconds if a <= t <= b) // page + 1 for a, b in edges)
    assert report.requests == least
    assert least > len(WINDOW_DAYS), "some window pages"


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


async def test_a_fill_whose_fee_gt_paid_is_read_with_its_gt_fee() -> None:
    since = datetime.now(UTC) - timedelta(days=DAYS_BACK)
    async with GateEmulator(seed=5, profile=ACCOUNT, listed_symbols=12) as gate, fetcher(gate) as f:
        paid_in_gt, with_points = gate.account.trades[3], gate.account.trades[4]
        gate.book.deductions[paid_in_gt.id] = FeeDeduction(gt_fee=Decimal("0.0031"))
        gate.book.deductions[with_points.id] = FeeDeduction(gt_fee=Decimal("0.002"), point_fee=Decimal("1.5"))
        records, _, _ = await walk(f, Endpoint.SPOT_TRADES, since, None)
    by_key = {r.natural_key: r for r in records}
    gt_trade = by_key[f"trade:{paid_in_gt.symbol}:{paid_in_gt.id}"]
    assert (gt_trade.fee_asset, gt_trade.fee_amount) == ("GT", Decimal("0.0031"))
    points_trade = by_key[f"trade:{with_points.symbol}:{with_points.id}"]
    assert (points_trade.fee_asset, points_trade.fee_amount) == ("GT", Decimal("0.002"))
    line = by_key[f"ledger:fee:{with_points.symbol}:{with_points.id}:POINT"]
    assert (line.kind, line.asset, line.amount, line.exchange_tx_id) == (
        "ledger",
        "POINT",
        Decimal("-1.5"),
        with_points.id,
    )
    assert len(records) == len(gate.account.trades) + 1  # one fee line beside the fills


async def test_a_partly_filled_order_spanning_two_syncs_has_each_fill_stored_once() -> None:
    since = datetime.now(UTC) - timedelta(days=DAYS_BACK)
    async with GateEmulator(seed=5, profile=ACCOUNT, listed_symbols=12) as gate, fetcher(gate) as f:
        account = gate.account
        last = account.trades[-1]
        now_ms = gate.clock.now_ms()
        # An order filled in part an hour before the first sync, and the rest after it.
        first_fill = replace(last, id="5999999001", order_id="129999999999", timestamp=now_ms - 3_600_000)
        gate.book.account = replace(account, trades=(*account.trades, first_fill))
        first, cursor, _ = await walk(f, Endpoint.SPOT_TRADES, since, None)
        await asyncio.sleep(1.1)
        rest = replace(first_fill, id="5999999002", timestamp=gate.clock.now_ms())
        gate.book.account = replace(gate.book.account, trades=(*gate.book.account.trades, rest))
        # Gate lists fills by their order's finish time: the first fill is now listed at the second fill's second.
        second_s = str(rest.timestamp // 1000)
        listed = gate.book.my_trades(Call({"from": second_s, "to": second_s}, None, gate.clock.now_ms()))
        await asyncio.sleep(1.1)
        second, _, report = await walk(f, Endpoint.SPOT_TRADES, since, cursor)
    assert sorted(row["id"] for row in listed) == ["5999999001", "5999999002"]
    assert f"trade:{first_fill.symbol}:5999999001" in {r.natural_key for r in first}
    # The first fill is listed again with the rest (its order finished after the first sync): its key stores it once.
    assert sorted(r.exchange_tx_id or "" for r in second) == ["5999999001", "5999999002"]
    assert report.requests == 1
    stored = {r.natural_key for r in first + second}
    assert stored == {f"trade:{t.symbol}:{t.id}" for t in (*account.trades, first_fill, rest)}
