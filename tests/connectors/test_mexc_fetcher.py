"""The MEXC fetcher against the MEXC emulator, through a real ccxt client from the ClientPool: deposits and
withdrawals that are not final yet, and a walk cut short by MEXC's 429 that resumes from its cursors without a gap
or a repeat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import AccountProfile, MexcEmulator, MexcLimits
from sandbox.exchanges.lifecycle import Stage

ACCOUNT = AccountProfile(
    years=0.5, traded_markets=3, trades=2000, deposits=12, withdrawals=6, converts=4, transfers=8, rewards=0
)
EVERY = (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.TRANSFERS, Endpoint.CONVERT, Endpoint.SPOT_TRADES)
Cursors = dict[str, Cursor]


async def fetch(
    emulator: MexcEmulator,
    endpoints: tuple[Endpoint, ...],
    cursors: dict[Endpoint, Cursors],
    keys: set[str],
    fetched: list[str] | None = None,
) -> None:
    """One sync's fetch of `endpoints` by one fetcher (as the sync engine runs them: the wallet lists first, their
    coins are the evidence market discovery works from), committing every page's cursor and records."""
    pool = ClientPool({"mexc": emulator.base_url})
    try:
        key = emulator.create_demo_keys().read_only
        async with pool.client("mexc", "fetcher-test", key.ccxt_config()) as client:
            client.throttler.config["refillRate"] = 1e6  # the emulator's budgets are the limit under test
            fetcher = fetcher_for(get_profile("mexc"), client)
            since = datetime.now(UTC) - timedelta(days=200)
            for endpoint in endpoints:
                stored = cursors.setdefault(endpoint, {})
                report = FetchReport()
                pages = fetcher.fetch(
                    endpoint, since=since, until=datetime.now(UTC), cursors=dict(stored), report=report
                )
                async for page in pages:
                    stored[page.market] = page.cursor
                    keys.update(record.natural_key for record in page.records)
                    if fetched is not None:
                        fetched.extend(record.natural_key for record in page.records)
    finally:
        await pool.close()


@pytest.fixture
async def mexc() -> AsyncIterator[MexcEmulator]:
    async with MexcEmulator(seed=33, profile=ACCOUNT, listed_symbols=10) as emulator:
        yield emulator


async def test_deposits_and_withdrawals_on_their_way_are_stored_once_they_succeed_and_failed_ones_never(
    mexc: MexcEmulator,
) -> None:
    deposits, withdrawals = mexc.account.deposits, mexc.account.withdrawals
    pending, failed = deposits[-1], deposits[-2]
    sending, cancelled = withdrawals[-1], withdrawals[-2]
    for record_id, stage in ((pending.id, Stage.PENDING), (failed.id, Stage.FAILED)):
        mexc.book.lifecycle.script(record_id, stage)
    for record_id, stage in ((sending.id, Stage.PENDING), (cancelled.id, Stage.FAILED)):
        mexc.book.lifecycle.script(record_id, stage)
    cursors: dict[Endpoint, Cursors] = {}
    first: set[str] = set()
    await fetch(mexc, (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS), cursors, first)
    mexc.book.lifecycle.complete(pending.id)
    mexc.book.lifecycle.complete(sending.id)
    second: set[str] = set()
    await fetch(mexc, (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS), cursors, second)

    # Neither the pending nor the failed ones at first (status 4 PENDING / PROCESSING; 7 REJECTED / 8 FAILED).
    assert len(first) == len(deposits) + len(withdrawals) - 4
    # The stored starts waited at the pending ones, so the second walk read them again: now SUCCESS, and nothing
    # else is new.
    assert len(second - first) == 2
    assert f"withdrawal:{sending.id}" in second - first


async def test_a_walk_stopped_by_429_resumes_from_its_cursors_without_gap_or_repeat() -> None:
    # 60 weight per endpoint and window: six myTrades calls (weight 10), far fewer than the walk needs.
    limits = MexcLimits(weight=60, window_ms=60_000)
    async with MexcEmulator(seed=34, profile=ACCOUNT, listed_symbols=10, limits=limits) as emulator:
        cursors: dict[Endpoint, Cursors] = {}
        keys: set[str] = set()
        fetched: list[str] = []
        stops = 0
        for _ in range(60):
            try:
                await fetch(emulator, EVERY, cursors, keys, fetched)
                break
            except RateLimited:
                stops += 1
                emulator.reset_rate_limits()  # the window has passed
        requests: dict[str, Any] = dict(emulator.requests.by_path)
        reachable = emulator.trades_in_reach

    assert stops >= 2, requests
    assert {k for k in keys if k.startswith("trade:")} == {f"trade:{t.symbol}:{t.id}" for t in reachable}
    trades = [k for k in fetched if k.startswith("trade:")]
    assert len(trades) == len(set(trades)), "a resumed walk fetched a trade twice"
    assert max(sum(t.symbol == s for t in reachable) for s in emulator.account.traded_symbols) > 100  # paged
    assert {k for k in keys if k.startswith("convert:")} == {f"convert:{c.id}" for c in emulator.account.converts}
