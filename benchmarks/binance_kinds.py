"""Binance's kinds beyond spot, deposits and withdrawals (futures, margin, own-wallet and sub-account transfers, dust,
P2P, Pay, fiat, reward distributions with Simple Earn's lists): the requests a sync makes on the heavy benchmark
account, first and again, counted per kind (the fetch reports) and per path (the emulator's log).

    .venv/bin/python -m benchmarks.binance_kinds             # the heavy account (bot_load's: 40,000 trades a year)
    .venv/bin/python -m benchmarks.binance_kinds --quick     # a small account

The real Binance fetcher pages the Binance emulator through a real ccxt client from a real ClientPool; every limit,
ccxt's pacing and the fetcher's `/sapi` pacing are lifted (requests are counted, not timed: the weights are in
docs/exchange-apis/binance.md). Cases: an account that used none of these kinds; one with the futures and margin
script and the wallet-kinds script (dust, P2P, Pay, fiat, Simple Earn flexible and locked); the same as a master
with two sub-accounts. Each synced from 70 days back and from as far back as the lists reach (no sync-from date).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.registry import fetcher_for, sync_order
from connectors.profiles import Endpoint, get_profile
from sandbox.exchanges.binance import BinanceEmulator
from sandbox.exchanges.binance_limits import BinanceLimits
from sandbox.exchanges.records import AccountProfile

KINDS = (
    Endpoint.TRANSFERS,
    Endpoint.DUST,
    Endpoint.P2P,
    Endpoint.PAY,
    Endpoint.FIAT,
    Endpoint.EARN_REWARDS,
    Endpoint.FUTURES_TRADES,
    Endpoint.FUNDING,
    Endpoint.MARGIN_LOANS,
    Endpoint.MARGIN_TRADES,
)
HEAVY = AccountProfile(
    years=1.0, traded_markets=12, trades=40_000, deposits=150, withdrawals=60, converts=40, transfers=40, rewards=60
)
QUICK = AccountProfile(years=0.25, traded_markets=4, trades=3_000, deposits=10, withdrawals=5, converts=5, rewards=5)
LIFTED = 10**12
LIMITS = BinanceLimits(
    request_weight_per_minute=LIFTED,
    sapi_ip_weight_per_minute=LIFTED,
    sapi_uid_weight_per_minute=LIFTED,
    fapi_weight_per_minute=LIFTED,
    dapi_weight_per_minute=LIFTED,
)
# (label, derivatives and wallet kinds scripted, sub-account role)
CASES = (("none of these kinds", False, ""), ("every kind", True, ""), ("every kind, a master", True, "master"))


async def sync(client: Any, since: datetime | None, cursors: dict[Endpoint, dict[str, Cursor]]) -> dict[str, int]:
    """One sync of the kinds with one fetcher, in the engine's order: requests per kind."""
    fetcher = fetcher_for(get_profile("binance"), client, uid_weight_per_minute=LIFTED, ip_weight_per_minute=LIFTED)
    counts: dict[str, int] = {}
    for endpoint in sync_order(KINDS):
        report = FetchReport()
        stored = cursors.setdefault(endpoint, {})
        try:
            async for page in fetcher.fetch(
                endpoint, since=since, until=datetime.now(UTC), cursors=dict(stored), report=report
            ):
                stored[page.market] = json.loads(json.dumps(page.cursor))
        except Exception as error:  # a kind the account has not (no futures wallet, no margin account): skipped
            counts[f"{endpoint.value} (skipped: {type(error).__name__})"] = report.requests
            continue
        counts[endpoint.value] = report.requests
    return counts


async def measure(profile: AccountProfile, case: tuple[str, bool, str], days_back: int | None) -> dict[str, Any]:
    label, scripted, role = case
    emulator = BinanceEmulator(
        seed=11,
        profile=profile,
        listed_symbols=600,
        limits=LIMITS,
        derivatives=scripted,
        wallet_kinds=scripted,
        sub_account=role,
    )
    since = None if days_back is None else datetime.now(UTC) - timedelta(days=days_back)
    runs: dict[str, dict[str, Any]] = {}
    async with emulator:
        key = emulator.create_demo_keys().read_only
        pool = ClientPool({"binance": emulator.base_url})
        try:
            async with pool.client("binance", "benchmark", {"apiKey": key.api_key, "secret": key.secret}) as client:
                client.throttler.config["refillRate"] = 1e6
                cursors: dict[Endpoint, dict[str, Cursor]] = {}
                for run in ("first", "again"):
                    emulator.requests.reset()
                    counts = await sync(client, since, cursors)
                    paths = dict(sorted(emulator.requests.by_path.items()))
                    runs[run] = {"per_kind": counts, "total": sum(counts.values()), "per_path": paths}
        finally:
            await pool.close()
    return {"account": label, "sync_from_days": days_back, "requests": runs}


async def main(quick: bool) -> None:
    profile = QUICK if quick else HEAVY
    for case in CASES:
        for days_back in (70, None):
            print(json.dumps(await measure(profile, case, days_back)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
