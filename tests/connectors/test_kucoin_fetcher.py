"""The KuCoin fetcher against the KuCoin emulator, through a real ccxt client from the ClientPool: deposits that are
not final yet, and a walk cut short by KuCoin's 429000 that resumes from its cursors without a gap or a repeat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited
from connectors.fetchers.kucoin.pacing import PoolPacer
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import AccountProfile, KucoinEmulator, KucoinLimits
from sandbox.exchanges.lifecycle import Stage

ACCOUNT = AccountProfile(
    years=0.5, traded_markets=3, trades=120, deposits=12, withdrawals=6, converts=0, transfers=0, rewards=0
)
Cursors = dict[str, Cursor]


async def fetch(
    emulator: KucoinEmulator,
    endpoints: tuple[Endpoint, ...],
    cursors: dict[Endpoint, Cursors],
    keys: set[str],
    fetched: list[str] | None = None,
) -> None:
    """One sync's fetch of `endpoints` by one fetcher (as the sync engine runs them: deposits and withdrawals first,
    their coins are the evidence market discovery works from), committing every page's cursor and records."""
    pool = ClientPool({"kucoin": emulator.base_url})
    try:
        key = emulator.create_demo_keys().read_only
        async with pool.client("kucoin", "fetcher-test", key.ccxt_config()) as client:
            client.throttler.config["refillRate"] = 1e6  # the emulator's pools are the limit under test
            fetcher = fetcher_for(get_profile("kucoin"), client)
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
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=33, profile=ACCOUNT, listed_symbols=10) as emulator:
        yield emulator


async def test_a_processing_deposit_is_stored_once_it_succeeds_and_a_failed_one_never(kucoin: KucoinEmulator) -> None:
    deposits = kucoin.account.deposits
    pending, failed = deposits[-1], deposits[-2]
    kucoin.book.lifecycle.script(pending.id, Stage.PENDING)
    kucoin.book.lifecycle.script(failed.id, Stage.FAILED)
    cursors: dict[Endpoint, Cursors] = {}
    first: set[str] = set()
    await fetch(kucoin, (Endpoint.DEPOSITS,), cursors, first)
    kucoin.book.lifecycle.complete(pending.id)
    second: set[str] = set()
    await fetch(kucoin, (Endpoint.DEPOSITS,), cursors, second)

    assert len(first) == len(deposits) - 2  # neither the processing nor the failed one
    assert len(second - first) == 1, "the deposit that succeeded since, and nothing else new"
    # The stored start waited at the processing deposit, so the second walk read it again.
    assert kucoin.requests.count("/api/v1/deposits") >= 2


async def test_a_walk_stopped_by_429000_resumes_from_its_cursors_without_gap_or_repeat() -> None:
    # Spot pool of 40: twenty fill requests (weight 2) a window of 30 s, far fewer than the walk needs.
    limits = KucoinLimits(pools={"spot": 40, "management": 2000, "public": 2000})
    async with KucoinEmulator(seed=34, profile=ACCOUNT, listed_symbols=10, limits=limits) as emulator:
        cursors: dict[Endpoint, Cursors] = {}
        keys: set[str] = set()
        fetched: list[str] = []
        stops = 0
        every = (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.SPOT_TRADES)
        for _ in range(100):  # the classic fills' walk (weight 10) takes four requests a round too
            try:
                await fetch(emulator, every, cursors, keys, fetched)
                break
            except RateLimited:
                stops += 1
                emulator.reset_rate_limits()  # the pool's 30 s have passed
        requests: dict[str, Any] = dict(emulator.requests.by_path)

    assert stops >= 2, requests
    trades = {f"trade:{t.symbol}:{t.id}" for t in emulator.account.trades}
    assert {k for k in keys if k.startswith("trade:")} == trades
    fills = [k for k in fetched if k.startswith("trade:")]
    assert len(fills) == len(set(fills)), "a resumed walk fetched a fill twice"


async def test_the_pacer_keeps_each_pool_within_its_documented_quota_per_30_seconds() -> None:
    now = [1000.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = PoolPacer(sleep=sleep, clock=lambda: now[0])
    for _ in range(100):  # withdrawals weigh 20: 100 of them fill Management's 2,000
        await pacer.spend("privateGetWithdrawals", Endpoint.WITHDRAWALS)
        now[0] += 0.01
    await pacer.spend("privateGetHfFills", Endpoint.SPOT_TRADES)  # the Spot pool is another one
    assert waits == []
    await pacer.spend("privateGetDeposits", Endpoint.DEPOSITS)  # 5 more: wait until the first withdrawal is 30 s old
    assert waits == [pytest.approx(30.0 + 1.0 - 100 * 0.01)]  # and a second for it to have arrived
    patient = PoolPacer({"spot": 4000, "management": 20}, max_pause=5, sleep=sleep, clock=lambda: now[0])
    await patient.spend("privateGetWithdrawals", Endpoint.WITHDRAWALS)
    with pytest.raises(RateLimited):
        await patient.spend("privateGetWithdrawals", Endpoint.WITHDRAWALS)  # 30 s away: the endpoint ends for now


async def test_the_spot_ledger_is_paced_at_weight_10_the_larger_of_the_two_documented_weights() -> None:
    # docs-new and kucoin.com/docs say 2, www.kucoin.com/docs says 10 (docs/exchange-apis/kucoin.md): Management's
    # 2,000 a 30 s holds 2000 / 10 = 200 ledger pages, and the 201st waits.
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = PoolPacer(sleep=sleep, clock=lambda: now[0])
    for _ in range(200):
        await pacer.spend("privateGetAccountsLedgers", Endpoint.TRANSFERS)
    assert waits == []
    await pacer.spend("privateGetAccountsLedgers", Endpoint.TRANSFERS)
    assert waits == [pytest.approx(31.0)]  # the pool's 30 s and the second for the first page to have arrived
