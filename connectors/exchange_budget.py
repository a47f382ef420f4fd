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
the account's, not the IP's. Calls a fetcher paces itself (cost 0: Binance `/sapi`) skip ccxt's bucket; their
per-IP budgets are shared here too, one row per endpoint (`take_window`, below). SQLite (one process) keeps the
in-process budgets alone.

Binance counts each `/sapi` endpoint's IP weight over a sliding minute (12,000), not as a steady pace. Its row is a
GCRA whose interval is stretched so that the sliding window can never see more than the budget: a lease is spent
within `lease_seconds` of its turn (not only within its own span), the GCRA lets turns come up to `lease_seconds`
early (a burst tolerance, so the leftovers of leases nobody spent do not make others wait while the budget is far
from full), and one lease is at most `WINDOW_LEASE_CALLS` calls. Any window of W seconds then holds at most
(W + 2·lease + slack) / interval + one lease: the interval is chosen so that this is the budget less one call,
and Binance's used-weight header, which the fetcher still reads back for other apps on the IP, never reads full
because of us. At Binance's minute the deposit and dividend lists keep 98 and 97.5 % of the documented pace
(a window of a few seconds, as in tests, keeps less). What the row gives up is the sliding minute's burst: a process
alone could spend the minute's 12,000 at once, the deployment spends it evenly, at most half a second ahead.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from connectors.shared_budget import UNREACHABLE, BudgetTable, Limit, is_postgresql

log = logging.getLogger(__name__)

# How much of an exchange's budget a process reserves per database round trip. Half a second is 10 Binance cost
# units (50 weight), 25 of Bybit's: small beside their windows, and one statement per half second of pacing.
LEASE_SECONDS = 0.5


# A window budget's lease grows to this many calls while a process spends each before its end (and shrinks back to
# what it spent when it did not): one round trip per lease, and never more reserved than the process uses.
WINDOW_LEASE_CALLS = 8
# Clock and network jitter between a lease's turn on the database's clock and the exchange's count (a few ms).
JITTER_SECONDS = 0.05
KEY_LENGTH = 40  # telegram_budget.key (migration 0015)
# What `ClientPool` files the deployment's budget under in the state every client of an exchange shares
# (`connectors.clients.shared_by_exchange`), for fetchers that pace endpoints themselves.
DEPLOYMENT_BUDGET = "deployment_budget"


def budget_key(exchange_id: str) -> str:
    """The exchange's row in the budget table (Telegram's rows are chat ids and `*`)."""
    return f"x:{exchange_id}"[:KEY_LENGTH]


def endpoint_budget_key(exchange_id: str, path: str) -> str:
    """One endpoint's row (`x:binance:capital/deposit/hisrec`); a name too long for the key keeps its start and a
    short digest of the whole path, so two endpoints never share a row."""
    key = f"x:{exchange_id}:{path.removeprefix('/sapi/v1/').strip('/')}"
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.blake2b(path.encode(), digest_size=4).hexdigest()
    return key[: KEY_LENGTH - len(digest) - 1] + "~" + digest


@dataclass(frozen=True)
class WindowBudget:
    """`per_window` weight in any sliding `window` seconds (Binance `/sapi`: 12,000 a minute per IP and endpoint),
    spent `weight` a call."""

    per_window: int
    window: float
    weight: int

    def limit(self, lease_seconds: float) -> Limit:
        """The GCRA that keeps every sliding window within the budget less one call (see the module's text)."""
        lease_units = WINDOW_LEASE_CALLS * self.weight
        room = max(self.per_window - self.weight - lease_units, 1)
        interval = (self.window + 2 * lease_seconds + JITTER_SECONDS) / room
        return Limit(interval, burst=1 + int(lease_seconds / interval))


@dataclass
class _Lease:
    units: float = 0.0
    start: float = 0.0  # monotonic turn of the reserved span: nothing of it is spent before
    until: float = 0.0  # monotonic end of the reserved span


@dataclass
class _WindowLease:
    weight: float = 0.0  # left to spend
    start: float = 0.0  # monotonic turn: nothing of it is spent before
    until: float = 0.0  # monotonic end of its validity
    spent: int = 0  # calls spent from it
    calls: int = 1  # calls the next lease reserves
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def resize(self, now: float) -> None:
        """Size the next lease by this one: double if it ran out early, else what was spent (at least a call)."""
        if self.spent:
            ran_out = now < self.until
            self.calls = min(self.calls * 2, WINDOW_LEASE_CALLS) if ran_out else max(1, min(self.spent, self.calls))
        self.spent = 0


class SharedExchangeBudget:
    """Every exchange's per-IP budget of the deployment, leased by this process in batches."""

    def __init__(self, database_url: str, *, lease_seconds: float = LEASE_SECONDS) -> None:
        self._table = BudgetTable(database_url)
        self._lease_seconds = lease_seconds
        self._leases: dict[str, _Lease] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._window_leases: dict[str, _WindowLease] = {}
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
                lease.start = time.monotonic() + max(wait, 0.0)
                lease.units, lease.until = units, lease.start + units * seconds_per_unit
            # Here rather than after the reservation: a request cancelled while it waited leaves the next one waiting.
            await _sleep_until(lease.start)
            lease.units -= cost

    async def take_window(self, key: str, budget: WindowBudget, *, max_wait: float) -> float:
        """Wait until one call's weight of the window budget in row `key` is this process's, and spend it: 0.0.
        If that would take longer than `max_wait` seconds, nothing is reserved or spent: the wait instead."""
        lease = self._window_leases.setdefault(key, _WindowLease())
        async with lease.lock:  # one reservation at a time per row: this process's calls queue in order
            now = time.monotonic()
            if lease.weight < budget.weight or now >= lease.until:
                lease.resize(now)
                limit = budget.limit(self._lease_seconds)
                units = lease.calls * budget.weight
                try:
                    wait, reserved = await self._table.reserve_within(key, limit, units, max_wait)
                    while not reserved and wait <= max_wait:  # the row was swept between two statements
                        wait, reserved = await self._table.reserve_within(key, limit, units, max_wait)
                except UNREACHABLE as problem:
                    log.warning("Exchange budget not reachable (%s): paced by this process only", _name(problem))
                    return 0.0
                self.round_trips += 1
                if not reserved:
                    lease.weight = 0.0
                    return wait
                lease.start = time.monotonic() + max(wait, 0.0)
                lease.weight, lease.until = units, lease.start + self._lease_seconds
            await _sleep_until(lease.start)  # as in `take`: a cancelled call's successor still waits for the turn
            lease.weight -= budget.weight
            lease.spent += 1
        return 0.0

    async def initialize(self) -> None:
        """Connect now (at a worker's start) rather than on the first request."""
        await self._table.ready()

    async def close(self) -> None:
        await self._table.close()


async def _sleep_until(moment: float) -> None:
    if (wait := moment - time.monotonic()) > 0:
        await asyncio.sleep(wait)


def _name(problem: BaseException) -> str:
    return type(problem).__name__


def exchange_budget_for(database_url: str | None) -> SharedExchangeBudget | None:
    """The shared budget on PostgreSQL (workers may run on one IP); None otherwise (ccxt's bucket alone)."""
    if database_url is not None and is_postgresql(database_url):
        return SharedExchangeBudget(database_url)
    return None
