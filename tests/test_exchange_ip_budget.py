"""Issue 18: workers on one IP share an exchange's per-IP budget through PostgreSQL (connectors/exchange_budget.py).

Bybit: "more than 600 requests in 5 s from one IP" are refused with HTTP 403 (sandbox/exchanges/bybit.py,
docs/exchange-apis/bybit.md). ccxt paces its server-time call at cost 5 × 20 ms, ten a second, fifty per 5 s: one
process never comes near 600. The emulator's IP limit is shrunk to 60 per 5 s so that one process stays under it
and two with their own buckets (100 per 5 s) go over; the window and the refusal stay Bybit's.

Binance `/sapi`: "Each endpoint with IP limits has an independent 12000 per minute limit" (docs/exchange-apis/
binance.md, [limits]); the deposit list costs 1 of it a call (Deposit_History.md) and Tallybot's fetcher paces it
(connectors/fetchers/binance/budgets.py). The emulator counts that budget per IP over a sliding window; here the
window is shrunk to 2 s and the budget to 60, so that two workers' syncs reach its edge within seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from connectors.exchange_budget import (
    DEPLOYMENT_BUDGET,
    SharedExchangeBudget,
    WindowBudget,
    budget_key,
    endpoint_budget_key,
)
from connectors.fetchers.base import RateLimited
from connectors.fetchers.binance.budgets import SapiPacing
from connectors.profiles import Endpoint
from connectors.shared_budget import BudgetTable, Limit
from db.engine import Database
from db.migrate import upgrade_to_head
from sandbox.exchanges.binance import BinanceEmulator
from sandbox.exchanges.binance_limits import BinanceLimits
from sandbox.exchanges.bybit import BybitEmulator, BybitLimits
from tests.postgres import fresh_database

REPO = Path(__file__).resolve().parent.parent
EACH = 40  # requests per process
SECONDS_PER_REQUEST = 5 * 0.020  # ccxt's Bybit: cost 5 for /v5/market/time, rateLimit 20 ms


async def requesters(
    mode: str, base_url: str, database_url: str, processes: int = 2
) -> tuple[list[dict[str, Any]], float]:
    """`processes` worker-like processes starting together; what each saw and the seconds until the last ended."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": database_url}
    start = time.time() + 8  # every process started, ccxt imported and connected by then, even on a busy machine
    started = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.ip_budget_requester",
            mode,
            "bybit",
            base_url,
            str(start),
            str(EACH),
            cwd=REPO,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    outputs = [await asyncio.wait_for(process.communicate(), 120) for process in started]
    elapsed = time.time() - start
    return [json.loads(out.decode().strip().splitlines()[-1]) for out, _err in outputs], elapsed


async def migrated(url: str) -> None:
    database = Database(url)
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()


async def test_two_workers_on_one_ip_stay_within_the_exchanges_ip_limit() -> None:
    limits = BybitLimits(ip_requests_per_5s=60, ip_ban_ms=60_000)
    async with fresh_database() as url:
        await migrated(url)

        # Each process with its own bucket: together they send 100 in 5 s and Bybit refuses them.
        async with BybitEmulator(limits=limits) as control:
            alone, _elapsed = await requesters("local", control.base_url, url)
        refusals = [name for outcome in alone for name in outcome["refused"]]
        assert refusals, "two processes with their own buckets went unrefused: the check is blind"

        # One budget in PostgreSQL: never refused, and the pair takes the time 80 requests at ten a second take.
        async with BybitEmulator(limits=limits) as emulator:
            shared, elapsed = await requesters("shared", emulator.base_url, url)

    assert [outcome["answered"] for outcome in shared] == [EACH, EACH]
    assert [outcome["refused"] for outcome in shared] == [[], []]
    budget_seconds = 2 * EACH * SECONDS_PER_REQUEST  # 8 s
    assert elapsed >= budget_seconds - 0.5  # the first lease (half a second) is spent at once
    # Leased in batches: a round trip per five requests (half a second of the budget), not one per request.
    assert all(outcome["round_trips"] <= EACH / 5 + 2 for outcome in shared)


async def test_a_database_that_does_not_answer_leaves_the_process_bucket_pacing() -> None:
    budget = SharedExchangeBudget("postgresql://nobody@127.0.0.1:1/none")
    started = time.monotonic()
    await budget.take("bybit", 0.1, 5)  # logged, not raised: the request goes on under ccxt's own bucket
    assert time.monotonic() - started < 5
    assert budget.round_trips == 0
    deposits = WindowBudget(per_window=12_000, window=60, weight=1)
    assert await budget.take_window("x:binance:capital/deposit/hisrec", deposits, max_wait=65) == 0.0  # taken
    assert time.monotonic() - started < 10
    assert budget.round_trips == 0
    assert budget_key("binance") == "x:binance"


def test_each_sapi_endpoint_has_its_own_row_within_the_key_column() -> None:
    assert endpoint_budget_key("binance", "/sapi/v1/capital/deposit/hisrec") == "x:binance:capital/deposit/hisrec"
    assert endpoint_budget_key("binance", "/sapi/v1/asset/assetDividend") == "x:binance:asset/assetDividend"
    # 45 and 52 characters in full: cut to the column's 40, and still two rows.
    buys = endpoint_budget_key("binance", "/sapi/v1/c2c/orderMatch/listUserOrderHistory")
    rewards = endpoint_budget_key("binance", "/sapi/v1/simple-earn/flexible/history/rewardsRecord")
    assert len(buys) == len(rewards) == 40
    assert buys.startswith("x:binance:c2c/orderMatch/list")
    assert rewards.startswith("x:binance:simple-earn/flexible/")
    assert endpoint_budget_key("binance", "/sapi/v1/simple-earn/locked/history/rewardsRecord") != rewards


# -- Binance /sapi: an IP budget per endpoint, paced by the fetcher ----------------------------------------------

SAPI_WINDOW_S = 2
SAPI_PER_WINDOW = 60  # deposit history: 60 calls of weight 1 in any 2 s from one IP
WALKERS = 4  # syncs at once in each worker process
WINDOWS = 20  # 90-day windows each walk reads: one call each (fewer than 1,000 deposits in every window)
DEPOSITS_PATH = "/sapi/v1/capital/deposit/hisrec"


async def sapi_workers(mode: str, emulator: BinanceEmulator, database_url: str) -> tuple[list[dict[str, Any]], float]:
    """Two worker-like processes, each with its own key and `WALKERS` deposit walks; what each saw and the seconds
    from the signal to go (both ready) until the last ended."""
    started = []
    for _ in range(2):
        key = emulator.add_key()
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": database_url,
            "BINANCE_API_KEY": key.api_key,
            "BINANCE_SECRET": key.secret,
        }
        arguments = [mode, emulator.base_url, WALKERS, WINDOWS, SAPI_PER_WINDOW, SAPI_WINDOW_S]
        started.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.sapi_budget_requester",
                *map(str, arguments),
                cwd=REPO,
                env=environment,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        )
    for process in started:
        assert process.stdout is not None
        assert (await asyncio.wait_for(process.stdout.readline(), 60)).strip() == b"ready"
    go = time.monotonic()
    outputs = await asyncio.gather(*(asyncio.wait_for(process.communicate(b"go\n"), 60) for process in started))
    elapsed = time.monotonic() - go
    return [json.loads(out.decode().strip().splitlines()[-1]) for out, _err in outputs], elapsed


async def test_two_workers_walking_a_sapi_endpoint_share_its_ip_budget() -> None:
    limits = BinanceLimits(sapi_ip_weight_per_minute=SAPI_PER_WINDOW, window_ms=SAPI_WINDOW_S * 1000)
    calls = 2 * WALKERS * WINDOWS  # 160: the budget of more than two windows
    async with fresh_database() as url:
        await migrated(url)
        async with BinanceEmulator(seed=5, listed_symbols=3, limits=limits) as emulator:
            # Each process with its own budgets (SQLite's way): together they spend up to twice the IP's budget;
            # reading the used-weight header back does not stop both of them sending into the last room.
            alone, _elapsed = await sapi_workers("local", emulator, url)
            assert emulator.budgets.refusals["sapi_ip"] > 0, "two processes with their own budgets went unrefused"
            assert sum(outcome["refused_walks"] for outcome in alone) > 0

            emulator.budgets.reset()
            emulator.requests.reset()
            shared, elapsed = await sapi_workers("shared", emulator, url)
            refusals, served = emulator.budgets.refusals["sapi_ip"], emulator.requests.count(DEPOSITS_PATH)

    assert refusals == 0
    assert [outcome["refused_walks"] for outcome in shared] == [0, 0]
    assert [outcome["calls"] for outcome in shared] == [WALKERS * WINDOWS] * 2
    assert served == calls
    # One budget lets call n + 60 go no sooner than 2 s after call n: 160 calls span at least two windows. Two
    # budgets (each process its own) would have let them through in one.
    assert elapsed >= (calls - 1) // SAPI_PER_WINDOW * SAPI_WINDOW_S
    # Leased in batches: growing to eight calls a lease while the walks keep a process busy.
    assert all(outcome["round_trips"] <= WALKERS * WINDOWS / 2 for outcome in shared)


async def test_a_walk_that_would_wait_too_long_stops_and_takes_nothing_from_the_others() -> None:
    """Another worker has reserved 40 s of the deposit list's row: a sync that waits at most 5 s stops its walk
    (RateLimited, resumed by a later sync) and leaves the row as it was for the workers that do wait."""
    async with fresh_database() as url:
        await migrated(url)
        budget = SharedExchangeBudget(url)
        table = BudgetTable(url)
        key = endpoint_budget_key("binance", "/sapi/v1/capital/deposit/hisrec")
        try:
            await table.reserve(key, Limit(1.0), 40)  # the other worker: 40 turns of a second each
            impatient = SapiPacing({DEPLOYMENT_BUDGET: budget}, max_pause=5)
            with pytest.raises(RateLimited) as stopped:
                await impatient.spend(Endpoint.DEPOSITS)
            assert stopped.value.retry_after is not None and stopped.value.retry_after > 30
            # Nothing was reserved: the next turn is still 40 s away, not 40 s and a lease.
            wait, reserved = await table.reserve_within(key, Limit(1.0), 1, max_wait=60)
            assert reserved and 35 < wait <= 40
        finally:
            await table.close()
            await budget.close()
