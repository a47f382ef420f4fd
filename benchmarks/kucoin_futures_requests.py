"""KuCoin futures request efficiency: a first sync and a re-sync of the scripted account, requests ÷ the minimum.

    .venv/bin/python -m benchmarks.kucoin_futures_requests [--seed N]

The real KuCoin fetcher reads FUTURES_TRADES from the KuCoin emulator (`derivatives=True`: the script of
sandbox/exchanges/kucoin_futures.py) through a real ccxt client from a real ClientPool, from the start of history,
then again with nothing new. Requests are counted by the emulator per path; the wall time is measured with ccxt's
pacing lifted (the fetcher's own pool pacing stays).

The minimum, from KuCoin's rules (docs/exchange-apis/kucoin.md "Futures"): each currency's ledger (USDT, XBT) in
pages of 50 lines, one page at least; the fills a week a request ("each individual query is limited to a time range
of 7 × 24 hours") over the three months kept (the profile's reach), plus a page per further 1,000 fills in a week. A
re-sync with nothing new: each ledger's newest page and one fills request for the week since the last sync.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.kucoin import KucoinFetcher
from connectors.fetchers.windows import span_ms
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.kucoin import KucoinEmulator
from sandbox.exchanges.kucoin_futures import FuturesScript

LEDGER, FILLS = "/api/v1/transaction-history", "/api/v1/fills"
LEDGER_PAGE, FILLS_PAGE = 50, 1000
CURRENCIES = ("USDT", "XBT")
WEEK = timedelta(days=7)
KEPT = timedelta(days=90)  # "The data is retained in the system for up to three months"


async def sync(fetcher: KucoinFetcher, cursors: dict[str, Cursor], until: datetime) -> tuple[int, FetchReport]:
    """One FUTURES_TRADES sync from the start of history: the records it yields, cursors kept as the engine does."""
    report, kept = FetchReport(), 0
    async for page in fetcher.fetch(Endpoint.FUTURES_TRADES, since=None, until=until, cursors=cursors, report=report):
        kept += len(page.records)
        cursors[page.market] = page.cursor
    return kept, report


def scripted(emulator: KucoinEmulator) -> FuturesScript:
    if emulator.futures_script is None:
        raise RuntimeError("the emulator was built without derivatives")
    return emulator.futures_script


def minimum_first(emulator: KucoinEmulator) -> int:
    """The fewest requests KuCoin's rules allow for a client that must prove it has every line and fill."""
    script = scripted(emulator)
    ledger = sum(max(1, math.ceil(sum(1 for x in script.lines if x.currency == c) / LEDGER_PAGE)) for c in CURRENCIES)
    reach_ms = span_ms(KEPT)
    weeks = math.ceil(reach_ms / span_ms(WEEK))
    now_ms = emulator.clock.now_ms()
    per_week: dict[int, int] = {}
    for fill in script.fills:
        week = (fill.time_ms - (now_ms - reach_ms)) // span_ms(WEEK)
        per_week[week] = per_week.get(week, 0) + 1
    extra = sum(n // FILLS_PAGE for n in per_week.values())  # a full page asks for the next
    mode = 1  # the account's mode first: a unified account's classic endpoints answer, so it must be asked
    return mode + ledger + weeks + extra


async def measure(seed: int) -> dict[str, Any]:
    emulator = KucoinEmulator(seed=seed, profile=AccountProfile(), listed_symbols=300, derivatives=True)
    key = emulator.create_demo_keys().read_only
    fields = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
    cursors: dict[str, Cursor] = {}
    async with emulator:
        pool = ClientPool({"kucoin": emulator.base_url})
        try:
            async with pool.client("kucoin", "benchmark", fields) as client:
                client.throttler.config["refillRate"] = 1e6
                fetcher = KucoinFetcher(get_profile("kucoin"), client)
                started = time.perf_counter()
                kept, report = await sync(fetcher, cursors, datetime.now(UTC))
                first_seconds = time.perf_counter() - started
                first = dict(emulator.requests.by_path)
                emulator.requests.reset()
                started = time.perf_counter()
                again_kept, _ = await sync(fetcher, cursors, datetime.now(UTC))
                again_seconds = time.perf_counter() - started
                again = dict(emulator.requests.by_path)
        finally:
            await pool.close()
    script = scripted(emulator)
    return {
        "seed": seed,
        "fills": len(script.fills),
        "ledger_lines": {c: sum(1 for x in script.lines if x.currency == c) for c in CURRENCIES},
        "realised_pnl_lines": sum(1 for x in script.lines if x.type == "RealisedPNL"),
        "records_first": kept,
        "records_again": again_kept,
        "gaps": len(report.gaps),
        "first": {"ledger": first.get(LEDGER, 0), "fills": first.get(FILLS, 0), "by_path": first},
        "first_minimum": minimum_first(emulator),
        "first_seconds": round(first_seconds, 2),
        "again": {"ledger": again.get(LEDGER, 0), "fills": again.get(FILLS, 0), "by_path": again},
        "again_minimum": 1 + len(CURRENCIES) + 1,  # the mode, each currency's newest ledger page, a week of fills
        "again_seconds": round(again_seconds, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=20261206)
    print(json.dumps(asyncio.run(measure(parser.parse_args().seed))))
