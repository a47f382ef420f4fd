"""KuCoin's resource pools, paced by the fetcher (docs/exchange-apis/kucoin.md, "rate limits").

Every request costs its weight in one pool per 30 s (VIP0: Spot 4,000, Futures 2,000, Management 2,000; a higher VIP
level has more, so VIP0's quotas are safe for every account). ccxt's one leaky bucket per client cannot express
several pools, and its costs charge a Management request less than its pool allows (deposits cost 5 at 7.5 ms a
unit: 133 weight a second against Management's 67), so a long first sync would run into 429000. The fetcher spends
each request's weight here first and waits while its pool is spent; a wait longer than `max_pause` ends the endpoint
as rate limited (the next sync resumes it from its cursors).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from connectors.fetchers.base import RateLimited
from connectors.profiles import Endpoint

POOL_WINDOW_S = 30.0
# A call is counted here when it is sent and by KuCoin when it arrives: weight leaves our window a second later than
# KuCoin's, never earlier.
ARRIVAL_MARGIN_S = 1.0
VIP0_QUOTAS: Mapping[str, int] = MappingProxyType({"spot": 4000, "futures": 2000, "management": 2000})
# (pool, weight) of each call the fetcher makes, from each endpoint's page (the larger where two editions differ).
WEIGHTS: Mapping[str, tuple[str, int]] = MappingProxyType(
    {
        "privateGetAccounts": ("management", 5),
        "privateGetDeposits": ("management", 5),
        "privateGetWithdrawals": ("management", 20),
        # The spot ledger: weight 2 in docs-new and kucoin.com/docs, 10 in the www.kucoin.com/docs edition; paced at
        # the safer 10 (docs/exchange-apis/kucoin.md).
        "privateGetAccountsLedgers": ("management", 10),
        "privateGetHfFills": ("spot", 2),
        "privateGetFills": ("spot", 10),
        "privateGetConvertOrderHistory": ("spot", 5),
        "privateGetConvertLimitOrders": ("spot", 5),
        # The futures host (futures.py): the futures ledger "Manage weight: 2"; fills 5 in the Futures pool (ccxt's
        # "5FW" beside its cost).
        "futuresPrivateGetTransactionHistory": ("management", 2),
        "futuresPrivateGetFills": ("futures", 5),
        # The account's mode (docs-new "Get Account Mode", GET /api/ua/v1/account/mode): Management weight 30, as
        # the Kucoin.Net client states beside its link to that page (ccxt's cost 60 is that weight doubled).
        "utaPrivateGetAccountMode": ("management", 30),
    }
)


class PoolPacer:
    """The weight one account spent per pool in the last 30 s, and the wait before the next call fits."""

    def __init__(
        self,
        quotas: Mapping[str, int] = VIP0_QUOTAS,
        *,
        max_pause: float = 35.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quotas = quotas
        self.max_pause = max_pause
        self._sleep = sleep
        self._clock = clock
        self._spent: dict[str, deque[tuple[float, int]]] = {pool: deque() for pool in quotas}

    def wait_for(self, pool: str, weight: int) -> float:
        """Seconds until `weight` more fits the pool (0: now)."""
        now = self._clock()
        spent = self._spent[pool]
        span = POOL_WINDOW_S + ARRIVAL_MARGIN_S
        while spent and spent[0][0] <= now - span:
            spent.popleft()
        excess = sum(w for _, w in spent) + weight - self.quotas[pool]
        if excess <= 0:
            return 0.0
        for at, w in spent:
            excess -= w
            if excess <= 0:
                return at + span - now
        return span  # a weight above the whole quota: never the case for the calls above

    async def spend(self, method: str, endpoint: Endpoint) -> None:
        pool, weight = WEIGHTS[method]
        while (wait := self.wait_for(pool, weight)) > 0:
            if wait > self.max_pause:
                raise RateLimited(endpoint, round(wait, 1))
            await self._sleep(wait)
        self._spent[pool].append((self._clock(), weight))
