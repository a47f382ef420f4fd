"""One worker-like process walking Binance's deposit history, for tests/test_exchange_ip_budget.py.

`python -m tests.sapi_budget_requester MODE BASE_URL WALKERS WINDOWS PER_WINDOW WINDOW_SECONDS`, with the key in
BINANCE_API_KEY / BINANCE_SECRET: WALKERS syncs at once (as a worker runs several), each walking WINDOWS of the deposit
list's 90-day windows through the real wallet fetcher (connectors/fetchers/binance/wallet.py), its IP budget
PER_WINDOW weight per WINDOW_SECONDS. MODE `shared`: the pool also holds the deployment's budget on DATABASE_URL;
`local`: the process's own budgets alone (SQLite's). Prints `ready` once the client is ready, waits for a line on
stdin, walks, and prints one JSON line: calls made, walks ended by a 429, and the shared budget's round trips.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.clients import ClientPool, shared_by_exchange
from connectors.exchange_budget import SharedExchangeBudget
from connectors.fetchers.base import FetchReport, RateLimited
from connectors.fetchers.binance import BINANCE_OPENED
from connectors.fetchers.binance.budgets import SapiPacing
from connectors.fetchers.binance.wallet import BinanceWallet
from connectors.fetchers.discovery import AssetEvidence
from connectors.profiles import Endpoint, get_profile

DEPOSIT_WINDOW = timedelta(days=90)  # Deposit_History.md: a range under 90 days (the profile's window)
LEASE_SECONDS = 0.1  # a twentieth of the test's 2-second window, as half a second is of Binance's minute


async def walk(wallet: BinanceWallet, windows: int) -> tuple[int, bool]:
    """One sync's deposit walk: (calls made, ended by the exchange's 429)."""
    spec = get_profile("binance").endpoint(Endpoint.DEPOSITS)
    assert spec is not None
    report, until = FetchReport(), datetime.now(UTC).replace(microsecond=0)
    since = until - windows * DEPOSIT_WINDOW + timedelta(milliseconds=1)  # a window is [start, start + span - 1]
    try:
        async for _page in wallet.fetch(spec, since=since, until=until, cursors={}, report=report):
            pass
    except RateLimited:
        return report.requests, True
    return report.requests, False


def pacing(client: Any, per_window: int, window: float) -> SapiPacing:
    """One sync's budgets, as BinanceFetcher makes them, with the emulator's shrunken window. A pause longer than the
    run: a walk that ends early was refused by the exchange, not stopped by our own pacing."""
    return SapiPacing(shared_by_exchange(client), ip_weight_per_minute=per_window, window_seconds=window, max_pause=60)


async def main(mode: str, base_url: str, walkers: int, windows: int, per_window: int, window: float) -> dict[str, Any]:
    budget = None
    if mode == "shared":
        budget = SharedExchangeBudget(os.environ["DATABASE_URL"], lease_seconds=LEASE_SECONDS)
    pool = ClientPool({"binance": base_url}, shared_budget=budget)
    credentials = {"apiKey": os.environ["BINANCE_API_KEY"], "secret": os.environ["BINANCE_SECRET"]}
    try:
        async with pool.client("binance", "worker", credentials) as client:
            if budget is not None:
                await budget.initialize()  # connected before the measured run
            wallets = [
                BinanceWallet(client, AssetEvidence(), pacing(client, per_window, window), opened=BINANCE_OPENED)
                for _ in range(walkers)
            ]
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            started = time.monotonic()
            outcomes = await asyncio.gather(*(walk(wallet, windows) for wallet in wallets))
    finally:
        await pool.close()
    return {
        "calls": sum(calls for calls, _ in outcomes),
        "refused_walks": sum(refused for _, refused in outcomes),
        "round_trips": budget.round_trips if budget is not None else 0,
        "elapsed": round(time.monotonic() - started, 2),
    }


if __name__ == "__main__":
    mode, base_url, walkers, windows, per_window, window = sys.argv[1:7]
    result = asyncio.run(main(mode, base_url, int(walkers), int(windows), int(per_window), float(window)))
    print(json.dumps(result), flush=True)
