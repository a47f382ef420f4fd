"""Binance's `/sapi` budgets, paced by Tallybot: each wallet endpoint by its own (docs/exchange-apis/binance.md).

"Each endpoint with IP limits has an independent 12000 per minute limit", "Each endpoint with UID limits has an
independent 180000 per minute limit" (wallet docs, Limits). So a withdrawal-history call (UID weight 18,000) takes
nothing from convert history's 180,000 (3,000 a call), and neither touches the deposit or distribution budgets
(IP weight 1 and 10 of their own 12,000 each). ccxt knows one leaky bucket per client, priced for the shared `/api`
budget; `connectors.clients` takes these endpoints off it (`SELF_PACED`) and this module paces them instead:

- a UID budget belongs to the account, so each fetcher (one sync of one account) has its own. It is not shared
  between processes: a sync holds its account's lease (bot/sync/lease.py), so two workers never sync one account at
  once. (Two Tallybot accounts holding keys of one Binance account do count apart; Binance's UID header, read back,
  tempers it.)
- an IP budget belongs to the machine's address, so every client of one `ClientPool` shares it
  (`connectors.clients.shared_by_exchange`). On PostgreSQL, where workers on one IP each have a pool, every call is
  also taken from the endpoint's row in the deployment's budget table (connectors/exchange_budget.py `take_window`,
  row `x:binance:<path>`), leased in batches: the deployment together stays within one IP's budget.

Each budget counts our own spends over a sliding minute and what Binance's header last reported for it (another app
on the same account or IP may spend too). A call that would not fit waits for room, up to `max_pause` seconds; a
longer wait stops the walk with RateLimited between pages, before Binance answers 429.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from connectors.exchange_budget import DEPLOYMENT_BUDGET, SharedExchangeBudget, WindowBudget, endpoint_budget_key
from connectors.fetchers.base import RateLimited
from connectors.fetchers.windows import header
from connectors.profiles import Endpoint

MINUTE_S = 60.0
IP_WEIGHT_PER_MINUTE = 12_000  # per endpoint
UID_WEIGHT_PER_MINUTE = 180_000  # per endpoint
IP_HEADER = "X-SAPI-USED-IP-WEIGHT-1M"
UID_HEADER = "X-SAPI-USED-UID-WEIGHT-1M"


@dataclass(frozen=True, slots=True)
class SapiRule:
    """One endpoint's documented weight and which budget it draws from."""

    path: str
    weight: int
    uid: bool  # True: the account's (UID) budget; False: the IP's


SAPI_RULES: Mapping[Endpoint, SapiRule] = {
    Endpoint.DEPOSITS: SapiRule("/sapi/v1/capital/deposit/hisrec", 1, uid=False),  # Deposit_History.md
    Endpoint.WITHDRAWALS: SapiRule("/sapi/v1/capital/withdraw/history", 18_000, uid=True),  # Withdraw_History…
    Endpoint.CONVERT: SapiRule("/sapi/v1/convert/tradeFlow", 3_000, uid=True),  # Get-Convert-Trade-History
    Endpoint.EARN_REWARDS: SapiRule("/sapi/v1/asset/assetDividend", 10, uid=False),  # Asset_Dividend_Record.md
}


class MinuteBudget:
    """One budget: weight per sliding minute, spent by our calls and reported by Binance's header."""

    def __init__(self, per_minute: int, window: float = MINUTE_S) -> None:
        self.per_minute = per_minute
        self.window = window  # Binance's minute; tests shrink it with the emulator's
        # Callers of one budget (several syncs share an IP budget) queue in order: none overtakes a waiting one.
        self.turn = asyncio.Lock()
        self._spent: deque[tuple[float, int]] = deque()
        self._reported: tuple[float, int] | None = None  # (when, used weight) from the last answer

    def _used(self, now: float) -> int:
        while self._spent and self._spent[0][0] <= now - self.window:
            self._spent.popleft()
        own = sum(weight for _, weight in self._spent)
        if self._reported is not None and now - self._reported[0] < self.window:
            return max(own, self._reported[1])
        return own

    def wait_for(self, weight: int, now: float) -> float:
        """Seconds until `weight` more fits (0: now)."""
        excess = self._used(now) + weight - self.per_minute
        if excess <= 0:
            return 0.0
        for spent_at, spent in self._spent:
            excess -= spent
            if excess <= 0:
                return spent_at + self.window - now
        # Someone else (another app on this account or IP) spent it: wait a whole window from what we saw last.
        seen = self._reported[0] if self._reported is not None else now
        return max(seen + self.window - now, min(1.0, self.window))

    def take(self, weight: int, now: float) -> None:
        self._spent.append((now, weight))

    def report(self, used: int, now: float) -> None:
        self._reported = (now, used)


class SapiPacing:
    """The budgets one sync draws on: the account's UID budgets, and the pool's (and deployment's) IP budgets."""

    def __init__(
        self,
        shared: MutableMapping[str, Any],
        *,
        uid_weight_per_minute: int = UID_WEIGHT_PER_MINUTE,
        ip_weight_per_minute: int = IP_WEIGHT_PER_MINUTE,
        max_pause: float = 65.0,
        window_seconds: float = MINUTE_S,
    ) -> None:
        self.max_pause = max_pause
        self.uid_weight_per_minute = uid_weight_per_minute
        self.ip_weight_per_minute = ip_weight_per_minute
        self.window_seconds = window_seconds
        self._uid: dict[str, MinuteBudget] = {}
        self._ip: dict[str, MinuteBudget] = shared.setdefault("binance_sapi_ip_budgets", {})
        deployment = shared.get(DEPLOYMENT_BUDGET)  # set by the pool on PostgreSQL; None: this process alone
        self.deployment = deployment if isinstance(deployment, SharedExchangeBudget) else None

    def budget(self, endpoint: Endpoint) -> MinuteBudget | None:
        rule = SAPI_RULES.get(endpoint)
        return None if rule is None else self.budget_of(rule.path, uid=rule.uid)

    def budget_of(self, path: str, *, uid: bool) -> MinuteBudget:
        """The budget of the endpoint at `path`: the account's (UID) or the IP's."""
        if uid:
            return self._uid.setdefault(path, MinuteBudget(self.uid_weight_per_minute, self.window_seconds))
        return self._ip.setdefault(path, MinuteBudget(self.ip_weight_per_minute, self.window_seconds))

    async def spend(self, endpoint: Endpoint) -> None:
        """Wait until the endpoint's next call fits its budget, and count it; RateLimited past `max_pause`."""
        rule = SAPI_RULES.get(endpoint)
        if rule is not None:
            await self.spend_path(rule.path, rule.weight, uid=rule.uid, endpoint=endpoint)

    async def spend_path(self, path: str, weight: int, *, uid: bool, endpoint: Endpoint) -> None:
        """`spend` for any `/sapi` path of `weight` (the wallet kinds' lists name theirs by path)."""
        budget = self.budget_of(path, uid=uid)
        async with budget.turn:
            # Checked again after each sleep: a header may have reported other apps' spending meanwhile.
            while (wait := budget.wait_for(weight, time.monotonic())) > 0:
                if wait > self.max_pause:
                    raise RateLimited(endpoint, round(wait, 1))
                await asyncio.sleep(wait)
            if not uid and self.deployment is not None:
                limit = WindowBudget(self.ip_weight_per_minute, self.window_seconds, weight)
                key = endpoint_budget_key("binance", path)
                if (wait := await self.deployment.take_window(key, limit, max_wait=self.max_pause)) > 0:
                    raise RateLimited(endpoint, round(wait, 1))
            budget.take(weight, time.monotonic())

    def observe(self, endpoint: Endpoint, headers: Mapping[str, Any] | None) -> None:
        """What Binance says this endpoint's budget has used (its own header: IP or UID)."""
        rule = SAPI_RULES.get(endpoint)
        if rule is not None:
            self.observe_path(rule.path, headers, uid=rule.uid)

    def observe_path(self, path: str, headers: Mapping[str, Any] | None, *, uid: bool) -> None:
        text = header(headers, UID_HEADER if uid else IP_HEADER)
        if text is not None and text.isdigit():
            self.budget_of(path, uid=uid).report(int(text), time.monotonic())
