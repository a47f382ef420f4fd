"""Issue 15's last two request costs: a Bitget unified trading account's futures, funding and margin-loan streams
(API v3), and Bybit Earn (positions, yield, Flexible Saving's orders), each measured on the heavy benchmark account.

    .venv/bin/python -m benchmarks.unified_and_earn             # the heavy account (bot_load's: 40,000 trades a year)
    .venv/bin/python -m benchmarks.unified_and_earn --quick     # a small account

The real fetchers page the emulators through real ccxt clients from a real ClientPool, ccxt's pacing and the
emulators' limits lifted (requests are counted, not timed): per kind (FetchReport) and per path (the emulator's log),
on a first sync with no stored cursor and on the next sync at once ("again").
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, UnsupportedEndpoint
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges import BitgetEmulator, BitgetLimits, BybitEmulator
from sandbox.exchanges.base import ExchangeEmulator
from sandbox.exchanges.bybit import BybitLimits
from sandbox.exchanges.records import AccountProfile

HEAVY = AccountProfile(
    years=1.0, traded_markets=12, trades=40_000, deposits=150, withdrawals=60, converts=40, transfers=40, rewards=60
)
QUICK = AccountProfile(years=0.25, traded_markets=4, trades=3_000, deposits=10, withdrawals=5, converts=5, rewards=5)
BITGET_KINDS = (Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_LOANS)
BITGET_PATHS = ("/api/v3/trade/fills", "/api/v3/account/financial-records")
EARN_PATHS = ("/v5/earn/position", "/v5/earn/yield", "/v5/earn/order")


async def sync(
    exchange: str,
    client: Any,
    kinds: Sequence[Endpoint],
    since: datetime | None,
    cursors: dict[Endpoint, dict[str, Cursor]],
) -> dict[str, Any]:
    """One sync of `kinds` with a new fetcher, as the engine runs it: requests per kind (a skipped kind: its notice)."""
    fetcher = fetcher_for(get_profile(exchange), client, key_type="normal")
    counts: dict[str, Any] = {}
    for endpoint in kinds:
        report = FetchReport()
        stored = cursors.setdefault(endpoint, {})
        try:
            async for page in fetcher.fetch(
                endpoint, since=since, until=datetime.now(UTC), cursors=dict(stored), report=report
            ):
                stored[page.market] = json.loads(json.dumps(page.cursor))
            counts[endpoint.value] = report.requests
        except UnsupportedEndpoint as skipped:
            counts[endpoint.value] = f"skipped after {report.requests} ({skipped.notice.id if skipped.notice else ''})"
    return counts


async def runs(
    exchange: str,
    emulator: ExchangeEmulator,
    credentials: dict[str, str],
    kinds: Sequence[Endpoint],
    since: datetime | None,
    paths: Sequence[str],
) -> dict[str, Any]:
    """The first sync and the next one at once, with what each asked per path."""
    measured: dict[str, Any] = {}
    pool = ClientPool({exchange: emulator.base_url})
    fields = get_profile(exchange).key_type("normal").field_names
    try:
        async with pool.client(exchange, "benchmark", credentials, key_fields=fields) as client:
            client.throttler.config["refillRate"] = 1e6
            cursors: dict[Endpoint, dict[str, Cursor]] = {}
            for run in ("first", "again"):
                before = Counter({path: emulator.requests.count(path) for path in paths})
                counts = await sync(exchange, client, kinds, since, cursors)
                asked = {path: emulator.requests.count(path) - before[path] for path in paths}
                measured[run] = {"per_kind": counts, "per_path": asked}
    finally:
        await pool.close()
    return measured


async def bitget_unified(profile: AccountProfile, days_back: int | None) -> dict[str, Any]:
    limits = BitgetLimits(per_second={}, default_per_second=10**9, ip_requests_per_minute=10**9)
    since = None if days_back is None else datetime.now(UTC) - timedelta(days=days_back)
    async with BitgetEmulator(seed=15, profile=profile, listed_symbols=600, limits=limits, derivatives=True) as bitget:
        key = bitget.add_uta_key()
        credentials = {"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase or ""}
        measured = await runs("bitget", bitget, credentials, BITGET_KINDS, since, BITGET_PATHS)
    return {"exchange": "bitget unified", "sync_from_days": days_back, **measured}


async def bybit_earn(profile: AccountProfile, earn: bool, days_back: int | None) -> dict[str, Any]:
    limits = BybitLimits(per_second={}, default_per_second=10**9, ip_requests_per_5s=10**9)
    since = None if days_back is None else datetime.now(UTC) - timedelta(days=days_back)
    async with BybitEmulator(seed=11, profile=profile, listed_symbols=600, limits=limits, earn=earn) as bybit:
        key = bybit.create_demo_keys().read_only
        credentials = {"apiKey": key.api_key, "secret": key.secret}
        measured = await runs("bybit", bybit, credentials, (Endpoint.EARN_REWARDS,), since, EARN_PATHS)
    return {"exchange": "bybit earn", "earn": earn, "sync_from_days": days_back, **measured}


async def main(quick: bool) -> None:
    profile = QUICK if quick else HEAVY
    for days_back in (70, None):
        print(json.dumps(await bitget_unified(profile, days_back)))
    for earn in (False, True):
        for days_back in (70, 730, None):
            print(json.dumps(await bybit_earn(profile, earn, days_back)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
