"""An exchange's per-IP budget shared by every process of a PostgreSQL deployment (issue 18).

In one process, every ccxt client of an exchange already draws from one leaky bucket (`ClientPool`): ccxt's
`rateLimit` (seconds per cost unit) and each endpoint's cost are priced so that the bucket paces the exchange's
per-IP allowance (Binance: cost 1 = weight 5 at 50 ms, 6,000 weight a minute; docs/BENCHMARKS.md §1). Workers on
one IP each have such a bucket, so N workers would spend N times the allowance. On PostgreSQL the bucket is shared
too: before a request leaves, its cost is taken from the exchange's row in the budget table
(connectors/shared_budget.py, GCRA at `rateLimit` per unit), after the process's own bucket has let it through.

A database round trip per request would cost more than the pacing itself, so a process leases a batch of units at
once (`LEASE_SECONDS` of the exchange's budget) and spends it locally. A lease is good only for the span of budget
it reserved: units not spent by the span's end are dropped, not carried over. So every unit is spent inside its own
reserved span, the spans of all processes follow each other without overlap, and in any window the deployment
spends at most the window's allowance plus one lease's units at each end — a few requests, where an exchange's
window (Binance's minute, Bybit's 5 s) allows hundreds.

Exchanges counted per key (`PER_KEY_LIMITS`) and Tallybot's own clients are not shared this way: their budgets are
the account's, not the IP's. Neither are calls a fetcher paces itself (cost 0: Binance `/sapi`, whose budgets read
Binance's used-weight headers back). SQLite (one process) keeps ccxt's in-process bucket alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from connectors.shared_budget import UNREACHABLE, BudgetTable, Limit, is_postgresql

log = logging.getLogger(__name__)

# How much of an exchange's budget a process reserves per database round trip. Half a second is 10 Binance cost
# units (50 weight), 25 of Bybit's: small beside their windows, and one statement per half second of pacing.
LEASE_SECONDS = 0.5


def budget_key(exchange_id: str) -> str:
    """The exchange's row in the budget table (Telegram's rows are chat ids and `*`)."""
    return f"x:{exchange_id}"[:40]


@dataclass
class _Lease:
    units: float = 0.0
    until: float = 0.0  # monotonic end of the reserved span


class SharedExchangeBudget:
    """Every exchange's per-IP budget of the deployment, leased by this process in batches."""

    def __init__(self, database_url: str, *, lease_seconds: float = LEASE_SECONDS) -> None:
        self._table = BudgetTable(database_url)
        self._lease_seconds = lease_seconds
        self._leases: dict[str, _Lease] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.round_trips = 0  # reservations made (read by tests and benchmarks)

    def pace(self, client: Any, exchange_id: str) -> None:
        """Make the client take each request's cost from the shared budget after its own bucket let it through."""
        throttle = client.throttle
        seconds_per_unit = float(client.rateLimit) / 1000

        async def throttle_shared(cost: Any = None) -> Any:
            if cost == 0:  # paced by its fetcher (SELF_PACED)
                return None
            result = await throttle(cost)
            await self.take(exchange_id, seconds_per_unit, 1.0 if cost is None else float(cost))
            return result

        client.throttle = throttle_shared

    async def take(self, exchange_id: str, seconds_per_unit: float, cost: float) -> None:
        """Wait until `cost` units of the exchange's budget are this process's, then spend them."""
        lock = self._locks.setdefault(exchange_id, asyncio.Lock())
        async with lock:  # one lease at a time per exchange: requests of this process queue in order
            lease = self._leases.setdefault(exchange_id, _Lease())
            if lease.units < cost or time.monotonic() >= lease.until:
                units = max(cost, self._lease_seconds / seconds_per_unit)
                try:
                    wait = await self._table.reserve(budget_key(exchange_id), Limit(seconds_per_unit), units)
                except UNREACHABLE as problem:
                    # The deployment's own database: when it does not answer, the process's bucket still paces.
                    log.warning(
                        "Exchange budget not reachable (%s): paced by this process only", type(problem).__name__
                    )
                    return
                self.round_trips += 1
                start = time.monotonic() + max(wait, 0.0)
                lease.units, lease.until = units, start + units * seconds_per_unit
                if wait > 0:
                    await asyncio.sleep(wait)
            lease.units -= cost

    async def initialize(self) -> None:
        """Connect now (at a worker's start) rather than on the first request."""
        await self._table.ready()

    async def close(self) -> None:
        await self._table.close()


def exchange_budget_for(database_url: str | None) -> SharedExchangeBudget | None:
    """The shared budget on PostgreSQL (workers may run on one IP); None otherwise (ccxt's bucket alone)."""
    if database_url is not None and is_postgresql(database_url):
        return SharedExchangeBudget(database_url)
    return None
