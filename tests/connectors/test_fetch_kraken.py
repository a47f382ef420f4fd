"""Kraken fetcher against the Kraken emulator through real ccxt clients from the ClientPool.

Kraken gives trades (TradesHistory) and every balance change (Ledgers) of all markets at once, 50 a request, newest
first. A first sync brings back every trade and every deposit, withdrawal, transfer, staking reward and Buy Crypto
spend/receive, exactly and once; a later sync asks one request per list when nothing is new and only the new pages
when something is; an interrupted walk and one stopped by Kraken's call counter carry on where they stopped.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest

from bot.reconcile.ledger import explained_balances
from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited
from connectors.fetchers.kraken import KrakenFetcher
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from db.repositories.reconcile import Movement
from sandbox.exchanges.base import DAY_MS, respond
from sandbox.exchanges.kraken import KrakenEmulator, KrakenLimits
from sandbox.exchanges.lifecycle import Stage
from sandbox.exchanges.records import AccountProfile

PROFILE = AccountProfile(
    years=3.0, traded_markets=12, trades=700, deposits=40, withdrawals=25, converts=15, transfers=30, rewards=45
)
LIFTED = KrakenLimits(max_counter=1e9)
PATHS = {Endpoint.SPOT_TRADES: "/0/private/TradesHistory", Endpoint.LEDGER: "/0/private/Ledgers"}
EIGHT = Decimal("0.00000001")
PAGE = 50  # "50 results are returned at a time" (Get Trades History, Get Ledgers Info)


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenEmulator]:
    async with KrakenEmulator(seed=20130910, profile=PROFILE, listed_symbols=80, limits=LIFTED) as emulator:
        yield emulator


@asynccontextmanager
async def kraken_client(emulator: KrakenEmulator) -> AsyncIterator[Any]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"kraken": emulator.base_url})
    try:
        async with pool.client("kraken", "credential-1", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e6  # counts, not times, are under test
            yield client
    finally:
        await pool.close()


async def walk(
    fetcher: Any, endpoint: Endpoint, cursor: Cursor | None, until: datetime, *, pages: int | None = None
) -> tuple[list[NormalizedRecord], Cursor | None, FetchReport]:
    """Fetch like the sync engine (commit each page's records and cursor), optionally stopping after `pages`."""
    report = FetchReport()
    records: list[NormalizedRecord] = []
    cursors = {"": cursor} if cursor else {}
    taken = 0
    async for page in fetcher.fetch(endpoint, since=None, until=until, cursors=cursors, report=report):
        records += page.records
        cursor = page.cursor
        taken += 1
        if pages is not None and taken == pages:
            break
    return records, cursor, report


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def expected_ledger(emulator: KrakenEmulator, until_ms: int) -> dict[RecordKind, list[tuple[Any, ...]]]:
    """What the ledger holds besides trade legs, per kind, as (asset, amount, fee, time) read off the account."""
    a = emulator.account
    out: dict[RecordKind, list[tuple[Any, ...]]] = {kind: [] for kind in RecordKind}
    out[RecordKind.DEPOSIT] = [(d.asset, d.amount, None, d.timestamp) for d in a.deposits if d.timestamp <= until_ms]
    out[RecordKind.WITHDRAWAL] = [
        (w.asset, w.amount, w.fee, w.timestamp) for w in a.withdrawals if w.timestamp <= until_ms
    ]
    out[RecordKind.TRANSFER] = [(x.asset, x.amount, None, x.timestamp) for x in a.transfers if x.timestamp <= until_ms]
    out[RecordKind.REWARD] = [(r.asset, r.amount, None, r.timestamp) for r in a.rewards if r.timestamp <= until_ms]
    # A Buy Crypto convert is two ledger lines, each stored as a convert leg: what was spent and what was received.
    for c in a.converts:
        if c.timestamp <= until_ms:
            out[RecordKind.CONVERT] += [
                (c.from_asset, c.from_amount, None, c.timestamp),
                (c.to_asset, c.to_amount, None, c.timestamp),
            ]
    return out


def read(records: list[NormalizedRecord]) -> dict[RecordKind, list[tuple[Any, ...]]]:
    out: dict[RecordKind, list[tuple[Any, ...]]] = {kind: [] for kind in RecordKind}
    for r in records:
        out[r.kind].append((r.asset, r.amount, r.fee_amount, int(r.occurred_at.timestamp() * 1000)))
    return out


def ledger_lines(emulator: KrakenEmulator, until_ms: int) -> int:
    return sum(1 for e in emulator.book.ledger if e.time <= until_ms)


async def test_a_first_sync_stores_every_trade_and_ledger_line_exactly_once(kraken: KrakenEmulator) -> None:
    profile = get_profile("kraken")
    until = datetime.now(UTC)
    async with kraken_client(kraken) as client:
        fetcher = fetcher_for(profile, client)
        assert isinstance(fetcher, KrakenFetcher)
        trades, trade_cursor, trade_report = await walk(fetcher, Endpoint.SPOT_TRADES, None, until)
        ledger, ledger_cursor, ledger_report = await walk(fetcher, Endpoint.LEDGER, None, until)

    account = kraken.account
    assert len({r.natural_key for r in trades}) == len(trades) == len(account.trades)
    by_id = {r.exchange_tx_id: r for r in trades}
    for t in account.trades:
        r = by_id[t.id]
        assert (r.asset, r.quote_asset) == (t.base, t.quote)
        assert (r.side, r.amount, r.price, r.quote_amount) == (t.side, t.amount, t.price, t.cost)
        # Kraken reports the fee in the quote currency ("Total fee (quote currency)"): a fee the script charged in the
        # base is worth fee x price there, cut to the 8 places Kraken writes.
        fee = t.fee if t.fee_asset == t.quote else (t.fee * t.price).quantize(EIGHT, rounding=ROUND_DOWN)
        assert (r.fee_asset, r.fee_amount) == (t.quote, fee)
        assert r.occurred_at == at(t.timestamp)
    # The minimum: every page full but the last.
    assert trade_report.requests == math.ceil(len(account.trades) / PAGE)
    assert trade_report.gaps == [] and ledger_report.gaps == []

    assert len({r.natural_key for r in ledger}) == len(ledger)
    got, want = read(ledger), expected_ledger(kraken, 2**63)
    for kind in (RecordKind.DEPOSIT, RecordKind.WITHDRAWAL, RecordKind.TRANSFER, RecordKind.REWARD, RecordKind.CONVERT):
        assert sorted(got[kind]) == sorted(want[kind]), kind
    assert got[RecordKind.TRADE] == []  # a trade's own ledger lines are not stored beside the trade
    assert ledger_report.requests == math.ceil(ledger_lines(kraken, 2**63) / PAGE)
    assert kraken.requests.unexpected == []
    assert trade_cursor == {"s": int(until.timestamp())} and ledger_cursor == {"s": int(until.timestamp())}


async def test_a_later_sync_asks_only_for_what_is_new(kraken: KrakenEmulator) -> None:
    profile = get_profile("kraken")
    now = datetime.now(UTC)
    first_until = now - timedelta(days=200)
    first_ms = int(first_until.timestamp()) * 1000  # `end` is a whole second, inclusive
    async with kraken_client(kraken) as client:
        fetcher = fetcher_for(profile, client)
        old_trades, trade_cursor, _ = await walk(fetcher, Endpoint.SPOT_TRADES, None, first_until)
        old_ledger, ledger_cursor, _ = await walk(fetcher, Endpoint.LEDGER, None, first_until)
        new_trades, trade_cursor, trade_report = await walk(fetcher, Endpoint.SPOT_TRADES, trade_cursor, now)
        new_ledger, ledger_cursor, ledger_report = await walk(fetcher, Endpoint.LEDGER, ledger_cursor, now)
        _, _, same_second = await walk(fetcher, Endpoint.LEDGER, ledger_cursor, now)
        kraken.requests.reset()
        later = now + timedelta(minutes=5)
        again_trades, _, again_trade_report = await walk(fetcher, Endpoint.SPOT_TRADES, trade_cursor, later)
        again_ledger, _, again_ledger_report = await walk(fetcher, Endpoint.LEDGER, ledger_cursor, later)

    account = kraken.account
    newer = [t for t in account.trades if t.timestamp > first_ms]
    assert 0 < len(newer) < len(account.trades)
    assert sorted(r.exchange_tx_id or "" for r in new_trades) == sorted(t.id for t in newer)
    assert len(old_trades) + len(new_trades) == len(account.trades)
    assert trade_report.requests == max(1, math.ceil(len(newer) / PAGE))
    new_lines = ledger_lines(kraken, 2**63) - ledger_lines(kraken, first_ms)
    assert ledger_report.requests == max(1, math.ceil(new_lines / PAGE))
    got = read(old_ledger + new_ledger)
    for kind, rows in expected_ledger(kraken, 2**63).items():
        assert sorted(got[kind]) == sorted(rows), kind
    assert same_second.requests == 0  # its window would be empty
    # Nothing new: one request per list, nothing stored twice.
    assert (again_trades, again_ledger) == ([], [])
    assert again_trade_report.requests == 1 and again_ledger_report.requests == 1
    assert [kraken.requests.count(PATHS[e]) for e in (Endpoint.SPOT_TRADES, Endpoint.LEDGER)] == [1, 1]


async def test_an_interrupted_walk_resumes_after_its_last_page(kraken: KrakenEmulator) -> None:
    profile = get_profile("kraken")
    until = datetime.now(UTC)
    async with kraken_client(kraken) as client:
        fetcher = fetcher_for(profile, client)
        first, cursor, first_report = await walk(fetcher, Endpoint.LEDGER, None, until, pages=3)
        assert cursor is not None and cursor.get("walk") == {"end": int(until.timestamp()), "ofs": 3 * PAGE}
        rest, _, rest_report = await walk(fetcher, Endpoint.LEDGER, cursor, until)
    assert len({r.natural_key for r in first + rest}) == len(first + rest)
    got = read(first + rest)
    for kind, rows in expected_ledger(kraken, 2**63).items():
        assert sorted(got[kind]) == sorted(rows), kind
    assert first_report.requests + rest_report.requests == math.ceil(ledger_lines(kraken, 2**63) / PAGE)


async def test_the_call_counter_stops_a_sync_cleanly_and_the_next_one_carries_on() -> None:
    # Kraken's Starter tier: counter maximum 15, history calls add 2; no time to decay between fast calls.
    emulator = KrakenEmulator(seed=5, profile=PROFILE, listed_symbols=60)
    async with emulator, kraken_client(emulator) as client:
        fetcher = fetcher_for(get_profile("kraken"), client)
        until = datetime.now(UTC)
        taken: list[NormalizedRecord] = []
        cursor: Cursor | None = None
        with pytest.raises(RateLimited):
            async for page in fetcher.fetch(
                Endpoint.SPOT_TRADES, since=None, until=until, cursors={}, report=FetchReport()
            ):
                taken += page.records
                cursor = page.cursor
        # 15 // 2 = 7 calls fit (the key check's call was not made here).
        assert len(taken) == 7 * PAGE
        emulator.limits = LIFTED
        rest, _, _ = await walk(fetcher, Endpoint.SPOT_TRADES, cursor, until)
    assert sorted(r.exchange_tx_id or "" for r in taken + rest) == sorted(t.id for t in emulator.account.trades)


async def test_a_first_sync_from_a_date_keeps_nothing_older(kraken: KrakenEmulator) -> None:
    since_ms = kraken.clock.now_ms() - 400 * DAY_MS
    async with kraken_client(kraken) as client:
        fetcher = fetcher_for(get_profile("kraken"), client)
        report = FetchReport()
        records: list[NormalizedRecord] = []
        async for page in fetcher.fetch(
            Endpoint.SPOT_TRADES, since=at(since_ms), until=datetime.now(UTC), cursors={}, report=report
        ):
            records += page.records
    assert sorted(r.exchange_tx_id or "" for r in records) == sorted(
        t.id for t in kraken.account.trades if t.timestamp >= since_ms
    )
    assert all(isinstance(r.amount, Decimal) for r in records)


async def test_throttled_for_too_many_concurrent_requests_stops_cleanly_until_kraken_s_time(
    kraken: KrakenEmulator,
) -> None:
    # Kraken's docs: "EService: Throttled: [UNIX timestamp]" if there are too many concurrent requests; try again
    # after that time. Injected on the third ledger page (how many requests at once trigger it is not documented).
    again_at = kraken.clock.now_ms() // 1000 + 30
    body = json.dumps({"error": [f"EService: Throttled: {again_at}"]})
    kraken.faults.inject(respond(200, body), path=PATHS[Endpoint.LEDGER], after=2)
    until = datetime.now(UTC)
    async with kraken_client(kraken) as client:
        fetcher = fetcher_for(get_profile("kraken"), client)
        taken: list[NormalizedRecord] = []
        cursor: Cursor | None = None
        with pytest.raises(RateLimited) as stopped:
            async for page in fetcher.fetch(Endpoint.LEDGER, since=None, until=until, cursors={}, report=FetchReport()):
                taken += page.records
                cursor = page.cursor
        assert stopped.value.retry_after is not None and 25 <= stopped.value.retry_after <= 30
        assert cursor is not None and cursor["walk"]["ofs"] == 2 * PAGE
        rest, _, _ = await walk(fetcher, Endpoint.LEDGER, cursor, until)
    got = read(taken + rest)
    for kind, rows in expected_ledger(kraken, 2**63).items():
        assert sorted(got[kind]) == sorted(rows), kind


async def test_each_kraken_key_is_paced_on_its_own(kraken: KrakenEmulator) -> None:
    # Kraken counts calls per key ("Each API key's counter is separate"): two users' syncs must not share one
    # pace, as all clients of an exchange limited per IP do.
    keys = kraken.create_demo_keys()
    pool = ClientPool({"kraken": kraken.base_url})
    try:
        async with (
            pool.client("kraken", "ada", {"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret}) as ada,
            pool.client("kraken", "bob", {"apiKey": keys.trading.api_key, "secret": keys.trading.secret}) as bob,
        ):
            assert ada.throttler is not bob.throttler
    finally:
        await pool.close()


async def test_a_failed_withdrawal_s_reversal_gives_the_money_back_once_and_the_balance_check_agrees(
    kraken: KrakenEmulator,
) -> None:
    # Kraken undoes a failed withdrawal with a second `withdrawal` line of opposite signs (BittyTax issue #287:
    # -4.91 fee 0.09, then +4.91 fee -0.09). The first stays a withdrawal; the second is what came back, amount and
    # fee, as a deposit: stored as a second withdrawal it would take the money out twice.
    account = kraken.account
    failed = next(w for w in account.withdrawals if w.fee > 0)
    until = datetime.now(UTC)
    async with kraken_client(kraken) as client:
        fetcher = fetcher_for(get_profile("kraken"), client)
        before = await client.privatePostBalance()
        kraken.book.lifecycle.script(failed.id, Stage.FAILED)
        after = await client.privatePostBalance()
        ledger, _, _ = await walk(fetcher, Endpoint.LEDGER, None, until)

    mine = [r for r in ledger if r.exchange_tx_id == failed.id]
    assert sorted((r.kind, r.asset, r.amount, r.fee_amount, int(r.occurred_at.timestamp() * 1000)) for r in mine) == [
        (RecordKind.DEPOSIT, failed.asset, failed.amount + failed.fee, None, failed.timestamp + 60_000),
        (RecordKind.WITHDRAWAL, failed.asset, failed.amount, failed.fee, failed.timestamp),
    ]
    # Every other withdrawal and deposit as before; the reversal is the only record added.
    want = expected_ledger(kraken, 2**63)
    got = read([r for r in ledger if r.exchange_tx_id != failed.id])
    sent = (failed.asset, failed.amount, failed.fee, failed.timestamp)
    assert sorted(got[RecordKind.WITHDRAWAL]) == sorted(x for x in want[RecordKind.WITHDRAWAL] if x != sent)
    assert sorted(got[RecordKind.DEPOSIT]) == sorted(want[RecordKind.DEPOSIT])
    # Kraken's balance of the asset rose by the amount and the fee; the balance check explains exactly that rise.
    code = next(k for k in before["result"] if client.safe_currency_code(k) == failed.asset)
    rise = Decimal(after["result"][code]) - Decimal(before["result"][code])
    assert rise == failed.amount + failed.fee
    moves = [
        Movement(str(r.kind), r.side, r.asset, r.amount, r.quote_asset, r.quote_amount, r.fee_asset, r.fee_amount)
        for r in mine
    ]
    assert explained_balances(moves) == {failed.asset: Decimal(0)}  # sent, then all of it back
