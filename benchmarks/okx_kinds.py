"""OKX's kinds beyond spot (derivatives and margin fills, realized P&L, funding, interest and loans, earn rewards):
the requests a sync makes on the heavy benchmark account, first, once OKX's quarterly bill files are ready, and again.

    .venv/bin/python -m benchmarks.okx_kinds             # the heavy account (bot_load's: 40,000 trades in a year)
    .venv/bin/python -m benchmarks.okx_kinds --quick     # a small account

The real OKX fetcher pages the OKX emulator through a real ccxt client from a real ClientPool, ccxt's pacing lifted
(requests are counted, not timed). Every limit is lifted but the quarterly archive's 12 applications a day, which
decides how many syncs a long history takes (docs/exchange-apis/okx.md, "bills-history-archive"). Cases: an account
without derivatives and one with the derivatives script and its older bills (`bill_history`), each synced from 70
and 300 days back and from as far back as the lists reach (no sync-from date).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.okx import OkxEmulator, OkxLimits
from sandbox.exchanges.records import AccountProfile

KINDS = (
    Endpoint.FUTURES_TRADES,
    Endpoint.MARGIN_TRADES,
    Endpoint.FUNDING,
    Endpoint.MARGIN_LOANS,
    Endpoint.EARN_REWARDS,
)
HEAVY = AccountProfile(
    years=1.0, traded_markets=12, trades=40_000, deposits=150, withdrawals=60, converts=40, transfers=40, rewards=60
)
QUICK = AccountProfile(years=0.25, traded_markets=4, trades=3_000, deposits=10, withdrawals=5, converts=5, rewards=5)
LIMITS = OkxLimits(rules={"POST /api/v5/account/bills-history-archive": (12, DAY_MS)}, default_rule=(10**9, 1_000))


async def sync(client: Any, since: datetime | None, cursors: dict[Endpoint, dict[str, Cursor]]) -> dict[str, int]:
    """One sync of the kinds with one fetcher, as the engine runs it: requests per kind."""
    fetcher = fetcher_for(get_profile("okx"), client)
    counts: dict[str, int] = {}
    for endpoint in KINDS:
        report = FetchReport()
        stored = cursors.setdefault(endpoint, {})
        async for page in fetcher.fetch(
            endpoint, since=since, until=datetime.now(UTC), cursors=dict(stored), report=report
        ):
            stored[page.market] = json.loads(json.dumps(page.cursor))
        counts[endpoint.value] = report.requests
    return counts


async def measure(profile: AccountProfile, derivatives: bool, days_back: int | None) -> dict[str, Any]:
    emulator = OkxEmulator(
        seed=11, profile=profile, listed_symbols=600, limits=LIMITS, derivatives=derivatives, bill_history=derivatives
    )
    since = None if days_back is None else datetime.now(UTC) - timedelta(days=days_back)
    runs: dict[str, dict[str, int]] = {}
    async with emulator:
        key = emulator.create_demo_keys().read_only
        pool = ClientPool({"okx": emulator.base_url})
        credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
        try:
            async with pool.client("okx", "benchmark", credentials) as client:
                client.throttler.config["refillRate"] = 1e6
                cursors: dict[Endpoint, dict[str, Cursor]] = {}
                runs["first"] = await sync(client, since, cursors)
                emulator.book.archive.ready_after_ms = 0  # two hours later: the files applied for are ready
                runs["files ready"] = await sync(client, since, cursors)
                runs["again"] = await sync(client, since, cursors)
        finally:
            await pool.close()
    archive = emulator.book.archive
    return {
        "derivatives": derivatives,
        "sync_from_days": days_back,
        "requests": {run: {**counts, "total": sum(counts.values())} for run, counts in runs.items()},
        "archive_applications": archive.application_requests,
        "archive_downloads": archive.downloads,
        "quarters_applied_for": len(archive.applications),
    }


async def main(quick: bool) -> None:
    profile = QUICK if quick else HEAVY
    for derivatives in (False, True):
        for days_back in (70, 300, None):
            print(json.dumps(await measure(profile, derivatives, days_back)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
