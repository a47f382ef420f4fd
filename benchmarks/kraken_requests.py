"""Kraken request efficiency: a first sync and a re-sync of a scripted account, requests ÷ the minimum.

    .venv/bin/python -m benchmarks.kraken_requests             # three 3-year accounts and a busy one (about 90 s)
    .venv/bin/python -m benchmarks.kraken_requests --quick     # one small account

The real Kraken fetcher pages the Kraken emulator through a real ccxt client from a real ClientPool (the emulator's
call counter and ccxt's pacing lifted: requests are counted, their time is computed from ccxt's pacing of a history
request, 6 s, which is also what Kraken's Starter tier sustains). The minimum, from Kraken's rules
(docs/exchange-apis/kraken.md): both lists give 50 rows a request and cover every market, so a client that must prove
it has everything needs ⌈rows / 50⌉ requests per list (one for an empty list), and one request per list to learn that
nothing is new.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges.kraken import KrakenEmulator, KrakenLimits
from sandbox.exchanges.records import AccountProfile

PAGE = 50
PACED_SECONDS = 6  # ccxt: 1 s a cost unit, TradesHistory and Ledgers cost 6 units
LISTS = (Endpoint.LEDGER, Endpoint.SPOT_TRADES)
HEAVY = AccountProfile(
    years=3, traded_markets=24, trades=1800, deposits=60, withdrawals=40, converts=30, transfers=30, rewards=60
)
BUSY = AccountProfile(
    years=3, traded_markets=40, trades=20_000, deposits=400, withdrawals=200, converts=100, transfers=100, rewards=300
)
QUICK = AccountProfile(years=1, traded_markets=5, trades=120, deposits=6, withdrawals=4, converts=3, rewards=5)


async def measure(seed: int, profile: AccountProfile) -> dict[str, Any]:
    emulator = KrakenEmulator(seed=seed, profile=profile, listed_symbols=200, limits=KrakenLimits(max_counter=1e9))
    key = emulator.create_demo_keys().read_only
    first: dict[Endpoint, int] = {}
    kept: dict[Endpoint, int] = {}
    again: dict[Endpoint, int] = {}
    async with emulator:
        pool = ClientPool({"kraken": emulator.base_url})
        credentials = {"apiKey": key.api_key, "secret": key.secret}
        try:
            async with pool.client("kraken", "benchmark", credentials) as client:
                client.throttler.config["refillRate"] = 1e6
                fetcher = fetcher_for(get_profile("kraken"), client)
                until = datetime.now(UTC)
                cursors: dict[Endpoint, Cursor] = {}
                for endpoint in LISTS:
                    report = FetchReport()
                    kept[endpoint] = 0
                    async for page in fetcher.fetch(endpoint, since=None, until=until, cursors={}, report=report):
                        kept[endpoint] += len(page.records)
                        cursors[endpoint] = page.cursor
                    first[endpoint] = report.requests
                later = until + timedelta(minutes=10)
                for endpoint in LISTS:
                    report = FetchReport()
                    stored = {"": cursors[endpoint]}
                    async for _ in fetcher.fetch(endpoint, since=None, until=later, cursors=stored, report=report):
                        pass
                    again[endpoint] = report.requests
        finally:
            await pool.close()
    rows = {Endpoint.SPOT_TRADES: len(emulator.account.trades), Endpoint.LEDGER: len(emulator.book.ledger)}
    minimum = {endpoint: max(1, math.ceil(rows[endpoint] / PAGE)) for endpoint in LISTS}
    return {
        "seed": seed,
        "trades": rows[Endpoint.SPOT_TRADES],
        "ledger_lines": rows[Endpoint.LEDGER],
        "ledger_lines_kept": kept[Endpoint.LEDGER],
        "first_requests": sum(first.values()),
        "first_minimum": sum(minimum.values()),
        "first_ratio": round(sum(first.values()) / sum(minimum.values()), 3),
        "resync_requests": sum(again.values()),
        "resync_minimum": len(LISTS),
        "first_sync_paced_seconds": sum(first.values()) * PACED_SECONDS,
    }


async def main(quick: bool, seeds: list[int]) -> None:
    runs = [(seeds[0], QUICK)] if quick else [*((seed, HEAVY) for seed in seeds), (7, BUSY)]
    for seed, profile in runs:
        print(json.dumps(await measure(seed, profile)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, action="append")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.quick, arguments.seed or [1, 2, 3]))
