"""The BigONE fetcher against the BigONE emulator through the real ccxt client: every list read newest first by its
page_token down to what an earlier sync read, an interrupted walk finished and then topped up, a pending deposit
read again until it is credited, and the sync-from date ending a walk early.

Page sizes are shrunk (the profile's own are 200 and 50) so every list pages; the emulator enforces BigONE's rules
whatever the size.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.bigone import BigoneFetcher
from connectors.profiles import Endpoint, ExchangeProfile, get_profile
from connectors.records import NormalizedRecord
from i18n import render
from sandbox.exchanges import AccountProfile, BigoneEmulator

ACCOUNT = AccountProfile(
    years=1.0, traded_markets=3, trades=150, deposits=30, withdrawals=12, converts=0, transfers=0, rewards=0
)
PAGES = {Endpoint.SPOT_TRADES: 25, Endpoint.DEPOSITS: 7, Endpoint.WITHDRAWALS: 4}
DAY_MS = 86_400_000


def small_pages() -> ExchangeProfile:
    profile = get_profile("bigone")
    specs = tuple(replace(spec, page_size=PAGES[spec.endpoint]) for spec in profile.endpoints)
    return replace(profile, endpoints=specs)


@asynccontextmanager
async def fetcher(emulator: BigoneEmulator) -> AsyncIterator[BigoneFetcher]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"bigone": emulator.base_url})
    try:
        async with pool.client("bigone", "fetch", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e6  # the emulator's limits are what is under test
            yield BigoneFetcher(small_pages(), client)
    finally:
        await pool.close()


async def walk(
    fetcher: BigoneFetcher,
    endpoint: Endpoint,
    cursors: dict[str, Cursor],
    *,
    since: datetime | None = None,
    pages: int | None = None,
) -> tuple[list[NormalizedRecord], FetchReport]:
    """One fetch of one endpoint, keeping each page's cursor as the sync engine commits it (`pages`: stop after
    that many pages, as a sync stopped by a crash or a spent budget does)."""
    records: list[NormalizedRecord] = []
    report = FetchReport()
    fetched = fetcher.fetch(endpoint, since=since, until=datetime.now(UTC), cursors=dict(cursors), report=report)
    count = 0
    async for page in fetched:
        records += page.records
        cursors[page.market] = page.cursor
        count += 1
        if pages is not None and count == pages:
            break
    return records, report


def tx_ids(records: list[NormalizedRecord]) -> list[str]:
    return sorted(str(r.exchange_tx_id) for r in records)


@pytest.mark.parametrize("endpoint", [Endpoint.DEPOSITS, Endpoint.WITHDRAWALS])
async def test_a_wallet_list_is_read_newest_first_to_its_end_and_a_resync_asks_one_page(endpoint: Endpoint) -> None:
    async with BigoneEmulator(seed=5, profile=ACCOUNT, listed_pairs=12) as bigone, fetcher(bigone) as f:
        cursors: dict[str, Cursor] = {}
        records, report = await walk(f, endpoint, cursors)
        again, second = await walk(f, endpoint, cursors)
    truth = bigone.account.deposits if endpoint is Endpoint.DEPOSITS else bigone.account.withdrawals
    assert tx_ids(records) == sorted(r.tx_id for r in truth)
    assert len({r.natural_key for r in records}) == len(truth)
    # The last page is short, or a full one without a page_token after it.
    assert report.requests == math.ceil(len(truth) / PAGES[endpoint])
    assert (again, second.requests) == ([], 1)


async def test_trades_of_every_traded_pair_are_read_without_naming_one() -> None:
    async with BigoneEmulator(seed=5, profile=ACCOUNT, listed_pairs=12) as bigone, fetcher(bigone) as f:
        cursors: dict[str, Cursor] = {}
        await walk(f, Endpoint.DEPOSITS, {})
        await walk(f, Endpoint.WITHDRAWALS, {})  # the wallet lists are discovery's evidence
        records, report = await walk(f, Endpoint.SPOT_TRADES, cursors)
        again, second = await walk(f, Endpoint.SPOT_TRADES, cursors)
    trades = bigone.account.trades
    assert sorted(str(r.exchange_tx_id) for r in records) == sorted(t.id for t in trades)
    assert len({r.natural_key for r in records}) == len(trades)
    traded = {t.symbol for t in trades}
    assert traded <= set(report.markets_scanned)
    # Again: the balances once, then one page of each pair with trades; pairs probed empty are not asked again.
    assert again == [] and second.requests == 1 + len(traded)


async def test_an_interrupted_walk_is_finished_by_the_next_sync_and_the_one_after_reads_what_came_since() -> None:
    async with BigoneEmulator(seed=6, profile=ACCOUNT, listed_pairs=12) as bigone, fetcher(bigone) as f:
        deposits = sorted(bigone.account.deposits, key=lambda d: d.timestamp)
        cut = deposits[-6].timestamp  # the five newest deposits "happen" after the first sync
        bigone.book.hidden_after_ms = cut
        cursors: dict[str, Cursor] = {}
        first, _ = await walk(f, Endpoint.DEPOSITS, cursors, pages=2)  # stopped after two pages
        assert "token" in cursors[""]
        bigone.book.hidden_after_ms = None
        finished, second = await walk(f, Endpoint.DEPOSITS, cursors)
        topped, third = await walk(f, Endpoint.DEPOSITS, cursors)
    older = [d for d in deposits if d.timestamp <= cut]
    newer = [d for d in deposits if d.timestamp > cut]
    assert len(first) == 2 * PAGES[Endpoint.DEPOSITS]
    # The second sync goes on from the stored page_token to the oldest deposit. The token is an offset (as BigONE's
    # example token is: {"offset": 100, …}), so the five deposits listed since push five rows already read back
    # under it: they come again (their natural keys keep them stored once), and nothing is skipped.
    assert sorted(set(tx_ids(first + finished))) == sorted(d.tx_id for d in older)
    assert len(first) + len(finished) == len(older) + len(newer)
    assert second.requests == math.ceil((len(deposits) - len(first)) / PAGES[Endpoint.DEPOSITS])
    # The third reads from the newest down to the newest row of the interrupted walk: the five new deposits, in
    # one page (holding them and that row).
    assert tx_ids(topped) == sorted(d.tx_id for d in newer)
    assert third.requests == 1


async def test_a_pending_deposit_is_read_again_until_it_is_credited() -> None:
    async with BigoneEmulator(seed=7, profile=ACCOUNT, listed_pairs=12) as bigone, fetcher(bigone) as f:
        # The tenth newest by id, made a day old: still settling (one pending past 14 days is let go, below).
        waiting = sorted(bigone.account.deposits, key=lambda d: d.timestamp)[-10]
        waiting = replace(waiting, timestamp=bigone.clock.now_ms() - DAY_MS)
        bigone.account = replace(
            bigone.account, deposits=tuple(waiting if d.id == waiting.id else d for d in bigone.account.deposits)
        )
        bigone.book.account = bigone.account
        deposits = sorted(bigone.account.deposits, key=lambda d: bigone.book.deposit_ids[d.id])
        bigone.book.pending_deposits = {bigone.book.deposit_ids[waiting.id]}
        cursors: dict[str, Cursor] = {}
        first, _ = await walk(f, Endpoint.DEPOSITS, cursors)
        assert waiting.tx_id not in tx_ids(first)  # not credited yet: nothing stored
        bigone.book.pending_deposits = set()
        second, report = await walk(f, Endpoint.DEPOSITS, cursors)
        third, last = await walk(f, Endpoint.DEPOSITS, cursors)
    assert tx_ids(first) == sorted(d.tx_id for d in deposits if d is not waiting)
    # The next sync reads down to the pending deposit again (nine newer rows come back; their natural keys keep
    # them stored once) and finds it credited: two pages of 7.
    assert tx_ids(second) == sorted(d.tx_id for d in deposits[-10:])
    assert report.requests == 2
    assert (third, last.requests) == ([], 1)


async def test_the_sync_from_date_ends_a_walk_early() -> None:
    async with BigoneEmulator(seed=5, profile=ACCOUNT, listed_pairs=12) as bigone, fetcher(bigone) as f:
        since = datetime.now(UTC) - timedelta(days=90)
        records, report = await walk(f, Endpoint.DEPOSITS, {}, since=since)
    floor = int(since.timestamp() * 1000)
    recent = [d for d in bigone.account.deposits if d.timestamp >= floor]
    assert 0 < len(recent) < len(bigone.account.deposits)
    assert tx_ids(records) == sorted(d.tx_id for d in recent)
    # Newest first, so the walk stops at the page holding the first older deposit.
    assert report.requests == len(recent) // PAGES[Endpoint.DEPOSITS] + 1


async def test_a_deposit_withheld_past_14_days_is_let_go_with_a_gap_and_later_syncs_do_not_walk_down_to_it() -> None:
    async with BigoneEmulator(seed=7, profile=ACCOUNT, listed_pairs=12) as bigone, fetcher(bigone) as f:
        deposits = sorted(bigone.account.deposits, key=lambda d: d.timestamp)
        now = bigone.clock.now_ms()
        stuck = next(d for d in reversed(deposits) if now - d.timestamp > 15 * DAY_MS)
        bigone.book.withheld_deposits = {bigone.book.deposit_ids[stuck.id]}  # WITHHOLD, and it stays so
        cursors: dict[str, Cursor] = {}
        first, report = await walk(f, Endpoint.DEPOSITS, cursors)
        again, second = await walk(f, Endpoint.DEPOSITS, cursors)
    assert tx_ids(first) == sorted(d.tx_id for d in deposits if d is not stuck)
    when = datetime.fromtimestamp(stuck.timestamp / 1000, UTC)
    [gap] = report.gaps
    assert (gap.endpoint, gap.start, gap.end) == (Endpoint.DEPOSITS, when, when)
    assert render(gap.reason).startswith(
        f"One of your deposits from {when:%Y-%m-%d %H:%M:%S} UTC was still pending after 14"
    )
    # stop_id is the newest deposit's, not below the withheld one: the next sync asks one page and notes nothing.
    assert cursors[""]["stop_id"] == max(bigone.book.deposit_ids.values())
    assert (again, second.requests, second.gaps) == ([], 1, [])


async def test_a_short_page_with_a_page_token_is_not_the_end_of_the_list() -> None:
    async with BigoneEmulator(seed=5, profile=ACCOUNT, listed_pairs=12) as bigone, fetcher(bigone) as f:
        bigone.book.page_cap = 3  # BigONE answers 3 rows where 7 are asked, and gives the next page's token
        records, report = await walk(f, Endpoint.DEPOSITS, {})
    assert tx_ids(records) == sorted(d.tx_id for d in bigone.account.deposits)
    assert report.requests == math.ceil(len(bigone.account.deposits) / 3)
