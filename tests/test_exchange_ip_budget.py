"""Issue 18: workers on one IP share an exchange's per-IP budget through PostgreSQL (connectors/exchange_budget.py).

Bybit: "more than 600 requests in 5 s from one IP" are refused with HTTP 403 (sandbox/exchanges/bybit.py,
docs/exchange-apis/bybit.md). ccxt paces its server-time call at cost 5 × 20 ms, ten a second, fifty per 5 s: one
process never comes near 600. The emulator's IP limit is shrunk to 60 per 5 s so that one process stays under it
and two with their own buckets (100 per 5 s) go over; the window and the refusal stay Bybit's.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from connectors.exchange_budget import SharedExchangeBudget, budget_key
from db.engine import Database
from db.migrate import upgrade_to_head
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
    assert budget_key("binance") == "x:binance"
