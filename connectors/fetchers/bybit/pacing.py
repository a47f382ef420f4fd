"""Bybit's per-minute budgets, kept on our side so a long walk waits its turn instead of meeting 10006.

Bybit counts each UID's requests per path in a rolling window (docs/v5/rate-limit/rate-limit.mdx). ccxt's throttler
paces by its own cost table, per second: for the four record lists Bybit limits per minute it would send several
times too fast (ccxt's 5 a second against Bybit's 100 deposit requests a minute; 2 a second against the universal
transfer list's 60 a minute). A first sync walks years of 30-day (or 7-day) windows, so it would hit the limit and
stop partial. The pacer lets the budget's requests through at once and makes the next one wait until the oldest has
left the window (plus a second for the trip to Bybit).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Any

# (requests, seconds) per UID, from Bybit's rate-limit table ("Asset" section), and the transaction logs' 25 a second
# ("Account" section), which ccxt's cost table sends at 50 a second.
PER_MINUTE_BUDGETS: Mapping[str, tuple[int, float]] = MappingProxyType(
    {
        "privateGetV5AssetDepositQueryRecord": (100, 60.0),
        "privateGetV5AssetWithdrawQueryRecord": (300, 60.0),
        "privateGetV5AssetTransferQueryInterTransferList": (60, 60.0),
        "privateGetV5AssetTransferQueryUniversalTransferList": (60, 60.0),
        "privateGetV5AccountTransactionLog": (25, 1.0),
        "privateGetV5AccountContractTransactionLog": (25, 1.0),
    }
)
# Our clock starts a request a moment before Bybit counts it: keep this far inside the window (a tenth of a window
# of a second).
TRIP_MARGIN_S = 1.0


class Pacer:
    """Request times per ccxt method of one account, and the wait before the next request of a spent budget."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        budgets: Mapping[str, tuple[int, float]] = PER_MINUTE_BUDGETS,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.budgets = budgets
        self._sent: dict[str, deque[float]] = {}
        self.waited: float = 0.0  # seconds spent waiting, for the tests and the benchmarks

    async def turn(self, method: str) -> None:
        """Wait until `method` may be called without passing its budget, then count the call."""
        budget = self.budgets.get(method)
        if budget is None:
            return
        count, span = budget
        margin = min(TRIP_MARGIN_S, span / 10)
        sent = self._sent.setdefault(method, deque())
        while True:
            now = self.clock()
            while sent and sent[0] <= now - span - margin:
                sent.popleft()
            if len(sent) < count:
                sent.append(now)
                return
            wait = sent[0] + span + margin - now
            self.waited += wait
            await self.sleep(wait)

    def answered(self, method: str) -> None:
        """The request `turn` let through has been answered: count it from now, the latest Bybit can have counted it
        (ccxt's own throttler may have held it back after its turn)."""
        sent = self._sent.get(method)
        if sent:
            sent[-1] = self.clock()


# One pacer per ccxt client: the pool keeps one client per credential, so per account, across syncs.
_PACERS: weakref.WeakKeyDictionary[Any, Pacer] = weakref.WeakKeyDictionary()


def pacer_for(client: Any) -> Pacer:
    try:
        return _PACERS.setdefault(client, Pacer())
    except TypeError:  # a client that cannot be weakly referenced (a test double): its own pacer
        return Pacer()
