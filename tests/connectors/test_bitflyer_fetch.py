"""The bitFlyer fetcher against the bitFlyer emulator through the real ccxt client: every list read newest first by
`before` down to its end, each spot product asked, amounts exactly as bitFlyer's JSON numbers say, a re-sync asking
only above what was read (`after`), a walk stopped mid-way finished without asking a page twice, a pending deposit
read again once it completes, and the sync-from date ending a walk early.

Page sizes are shrunk (the profile's own is bitFlyer's default of 100) so every list pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.fetchers.base import Cursor, FetchReport, RateLimited
from connectors.fetchers.bitflyer import BitflyerFetcher
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord
from sandbox.exchanges import BitflyerEmulator, BitflyerLimits
from sandbox.exchanges.bitflyer_book import SPOT, CoinMove
from tests.support.fetch_walks import moves, ms, read_only_client, small_pages, trades, walk

PAGES = {Endpoint.SPOT_TRADES: 25, Endpoint.DEPOSITS: 3, Endpoint.WITHDRAWALS: 2}
EXECUTIONS = "/v1/me/getexecutions"
MARKETS = "/v1/getmarkets"


@asynccontextmanager
async def fetcher(emulator: BitflyerEmulator) -> AsyncIterator[BitflyerFetcher]:
    async with read_only_client(emulator) as client:
        yield BitflyerFetcher(small_pages("bitflyer", PAGES), client)


async def test_every_list_is_read_to_its_end_with_exact_amounts_and_a_resync_asks_above_what_was_read() -> None:
    async with BitflyerEmulator(seed=5, years=2.0, executions=150) as emulator, fetcher(emulator) as bitflyer:
        account = emulator.account
        cursors: dict[Endpoint, dict[str, Cursor]] = {e: {} for e in PAGES}
        got = {e: await walk(bitflyer, e, cursors[e]) for e in PAGES}
        first = dict(emulator.requests.by_path)
        emulator.requests.reset()
        again = {e: await walk(bitflyer, e, cursors[e]) for e in PAGES}
        second = dict(emulator.requests.by_path)

    # Written from the scripted rows: "BTC_JPY" is BTC/JPY; the commission is charged in the base currency.
    expected_trades = {
        (
            f"{e.product_code.replace('_', '/')}",
            e.side.lower(),
            e.size,
            e.price,
            e.size * e.price,
            e.product_code.split("_")[0] if e.commission else None,
            e.commission or None,
            e.ms,
            str(e.id),
        )
        for e in account.executions
    }
    assert trades(got[Endpoint.SPOT_TRADES]) == expected_trades
    assert len(got[Endpoint.SPOT_TRADES]) == len(account.executions)  # nothing twice
    completed_ins = [c for c in account.coin_ins if c.status == "COMPLETED"]
    assert len(completed_ins) < len(account.coin_ins), "one crypto deposit is still pending"
    assert moves(got[Endpoint.DEPOSITS]) == {
        ("deposit", c.currency, c.amount, None, None, c.ms) for c in completed_ins
    } | {("deposit", "JPY", d.amount, None, None, d.ms) for d in account.deposits}

    def sent(c: CoinMove) -> tuple[object, ...]:
        fee = c.fee + c.additional_fee
        return ("withdrawal", c.currency, c.amount, c.currency if fee else None, fee or None, c.ms)

    done_cash = [w for w in account.withdrawals if w.status == "COMPLETED"]
    assert len(done_cash) < len(account.withdrawals), "one JPY withdrawal is still pending"
    assert moves(got[Endpoint.WITHDRAWALS]) == {sent(c) for c in account.coin_outs} | {
        ("withdrawal", "JPY", w.amount, None, None, w.ms) for w in done_cash
    }
    assert all(isinstance(r.amount, Decimal) for records in got.values() for r in records)
    # Every spot product of the Japanese list is asked (ccxt's market load reads that list too), each to its end.
    per_product = {p: sum(1 for e in account.executions if e.product_code == p) for p in SPOT}
    assert first[MARKETS] == 2
    assert first[EXECUTIONS] == sum(n // PAGES[Endpoint.SPOT_TRADES] + 1 for n in per_product.values())
    # The re-sync: one request per list and per product; nothing new is stored (pending rows are read again).
    assert second == {
        MARKETS: 1,
        EXECUTIONS: len(SPOT),
        "/v1/me/getcoinins": 1,
        "/v1/me/getdeposits": 1,
        "/v1/me/getcoinouts": 1,
        "/v1/me/getwithdrawals": 1,
    }, second
    assert again[Endpoint.SPOT_TRADES] == []


async def test_a_walk_stopped_midway_finishes_without_asking_a_page_twice_and_a_pending_deposit_is_read_once_done() -> (
    None
):
    async with BitflyerEmulator(seed=8, years=1.0, executions=20) as emulator, fetcher(emulator) as bitflyer:
        account = emulator.account
        cursors: dict[str, Cursor] = {}
        part = await walk(bitflyer, Endpoint.DEPOSITS, cursors, pages=1)
        rest = await walk(bitflyer, Endpoint.DEPOSITS, cursors)
        asked = emulator.requests.count("/v1/me/getcoinins")
        pending = next(c for c in account.coin_ins if c.status == "PENDING")
        emulator.book.account = replace(
            account,
            coin_ins=tuple(replace(c, status="COMPLETED") if c is pending else c for c in account.coin_ins),
        )
        settled = await walk(bitflyer, Endpoint.DEPOSITS, cursors)

    coin_rows = len(account.coin_ins)
    # Newest first, three a page: the first page's three, then the rest from below the lowest one read.
    assert len(part) == PAGES[Endpoint.DEPOSITS] - 1  # the newest crypto deposit is the pending one
    ids = [r.raw["id"] for r in part + rest if r.raw.get("order_id", "").startswith("CDP")]
    assert len(ids) == len(set(ids)) == coin_rows - 1
    assert asked == coin_rows // PAGES[Endpoint.DEPOSITS] + 1
    # Once completed it is stored, with its amount and time; nothing else is read as new.
    assert [(r.asset, r.amount, ms(r)) for r in settled if r.raw["id"] == pending.id] == [
        (pending.currency, pending.amount, pending.ms)
    ]


async def test_the_sync_from_date_ends_a_walk_at_the_first_older_row() -> None:
    async with BitflyerEmulator(seed=5, years=2.0, executions=150) as emulator, fetcher(emulator) as bitflyer:
        account = emulator.account
        since_ms = account.now_ms - 120 * 86_400_000
        since = datetime.fromtimestamp(since_ms / 1000, UTC)
        got = await walk(bitflyer, Endpoint.SPOT_TRADES, {}, since=since)
        asked = emulator.requests.count(EXECUTIONS)

    recent = [e for e in account.executions if e.ms >= since_ms]
    assert sorted(ms(r) for r in got) == sorted(e.ms for e in recent)
    # Each product stops at its first page reaching past the date: far fewer than the whole history's pages.
    whole = sum(
        sum(1 for e in account.executions if e.product_code == p) // PAGES[Endpoint.SPOT_TRADES] + 1 for p in SPOT
    )
    assert asked < whole


async def test_past_the_private_budget_the_walk_stops_as_rate_limited_keeping_the_pages_before() -> None:
    limits = BitflyerLimits(private=4, per_ip=100)
    async with BitflyerEmulator(seed=5, years=2.0, executions=150, limits=limits) as emulator:
        async with fetcher(emulator) as bitflyer:
            cursors: dict[str, Cursor] = {}
            records: list[NormalizedRecord] = []
            report = FetchReport()
            fetched = bitflyer.fetch(
                Endpoint.SPOT_TRADES, since=None, until=datetime.now(UTC), cursors={}, report=report
            )
            with pytest.raises(RateLimited) as stopped:
                async for page in fetched:
                    records += page.records
                    cursors[page.market] = page.cursor
        asked = emulator.requests.count(EXECUTIONS)

    # Four private calls answered, the fifth refused with Retry-After. The four pages, by the documented paging:
    # each product newest first, 25 a page, the next product after a short page.
    size, answered = PAGES[Endpoint.SPOT_TRADES], []
    for product in SPOT:
        rows = sorted((e for e in emulator.account.executions if e.product_code == product), key=lambda e: -e.id)
        answered += [rows[i : i + size] for i in range(0, len(rows) + 1, size)]
    kept = [e for answer in answered[:4] for e in answer]
    assert asked == 5
    assert sorted(int(r.raw["id"]) for r in records) == sorted(e.id for e in kept)
    assert stopped.value.retry_after is not None and stopped.value.retry_after > 0
    # Each product read to its end resumes above its newest row; the one stopped mid-way below its lowest row read.
    for product, cursor in cursors.items():
        ids = [e.id for e in emulator.account.executions if e.product_code == product]
        read = [e.id for e in kept if e.product_code == product]
        if len(read) == len(ids):
            assert cursor == {"after": max(ids)}
        else:
            assert cursor["before"] == min(read) and cursor["after"] is None


async def test_a_deposit_pending_past_14_days_is_let_go_once_and_named_as_a_gap() -> None:
    async with BitflyerEmulator(seed=8, years=1.0, executions=20) as emulator, fetcher(emulator) as bitflyer:
        account = emulator.account
        pending = next(c for c in account.coin_ins if c.status == "PENDING")
        stuck = replace(pending, ms=account.now_ms - 20 * 86_400_000)
        emulator.book.account = replace(account, coin_ins=tuple(stuck if c is pending else c for c in account.coin_ins))
        cursors: dict[str, Cursor] = {}
        first, second = FetchReport(), FetchReport()
        for report in (first, second):
            await walk(bitflyer, Endpoint.DEPOSITS, cursors, report=report)

    # Pending 20 days: no longer waited for. The walk moves past it and says so once, at its time.
    assert [(g.endpoint, g.start) for g in first.gaps] == [
        (Endpoint.DEPOSITS, datetime.fromtimestamp(stuck.ms / 1000, UTC))
    ]
    assert [g.reason.id for g in first.gaps] == ["sync.gap.pending_released"]
    assert cursors[""]["coin"] == {"after": max(c.id for c in account.coin_ins)}
    assert second.gaps == [] and second.requests == 2
