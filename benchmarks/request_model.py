"""A sync's wall time under Binance's real limits, derived from the requests it made (benchmarks/requests.py).

The benchmark runs the sync with the limits lifted and logs every request (arrival time, path). The log is cut into
lanes — the markets load, one lane per wallet endpoint, and spot trades (balances, then myTrades) — each keeping
the measured time between its own consecutive requests (HTTP, parsing, the database commit). A lane is then replayed
under a pacing policy, adding the waits the limits impose:

- ccxt's leaky bucket, one per exchange (`rateLimit` ms × the call's ccxt cost after each call; it lets no burst
  through), for every call it paces;
- the budgets Binance documents (docs/exchange-apis/binance.md): /api 6,000 weight a minute per IP shared by every
  /api endpoint; /sapi 12,000 (IP) or 180,000 (UID) a minute, per endpoint — or, in the policy Tallybot had before,
  one budget shared by all /sapi endpoints of a kind. A /sapi call that would not fit is waited for by the fetcher's
  pacing; an /api call that would not fit is a 429 waited out for its Retry-After (whole seconds).

`floor` is what the documented limits alone allow for the same requests: no processing time, every budget full at
the start, every lane at the same time (nothing in Binance's limits orders the endpoints).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.exchanges.base import SECOND_MS, SlidingWindow
from sandbox.exchanges.binance_limits import BinanceLimits

MINUTE_MS = 60_000
MARKETS = "/api/v3/exchangeInfo"


@dataclass(frozen=True)
class Weight:
    bucket: str  # "api", "sapi_ip" or "sapi_uid"
    weight: int
    ccxt_cost: float


def request_weights(endpoints: Iterable[Any], client: Any) -> dict[str, Weight]:
    """Binance's weight and bucket of each emulated path (the emulator's `endpoints`), and the cost ccxt charges its
    throttler for it."""
    costs: dict[str, float] = {}
    for api, prefix in (("public", "/api/v3/"), ("private", "/api/v3/"), ("sapi", "/sapi/v1/")):
        for name, config in client.api.get(api, {}).get("get", {}).items():
            costs.setdefault(prefix + name, float(config.get("cost", 1)) if isinstance(config, dict) else 1.0)
    return {e.path: Weight(e.bucket, e.weight, costs.get(e.path, 1.0)) for e in endpoints}


@dataclass(frozen=True)
class Lane:
    """Requests made one after another: (seconds of processing before it, path)."""

    name: str
    requests: tuple[tuple[float, str], ...]


@dataclass(frozen=True)
class Lanes:
    markets: Lane
    wallet: tuple[Lane, ...]  # in the sync's plan order
    trades: Lane
    tail: float  # processing after the last request


def lanes_of(entries: Sequence[tuple[float, str]], started: float, ended: float, wallet_paths: Sequence[str]) -> Lanes:
    """The logged requests of one sync cut into lanes. Wallet lanes may have run at the same time: each lane's first
    gap is counted from the end of the markets load, and spot trades' first from the last wallet request."""
    wallet_at = [at for at, path in entries if path in wallet_paths]
    markets = [(at, path) for at, path in entries if path == MARKETS and (not wallet_at or at < wallet_at[0])]
    trades = [(at, path) for at, path in entries if path not in wallet_paths and (at, path) not in markets]
    markets_end = markets[-1][0] if markets else started
    wallet_end = wallet_at[-1] if wallet_at else markets_end

    def lane(name: str, picked: Sequence[tuple[float, str]], since: float) -> Lane:
        requests, previous = [], since
        for at, path in picked:
            requests.append((max(0.0, at - previous), path))
            previous = at
        return Lane(name, tuple(requests))

    wallet = tuple(
        lane(path, [(at, p) for at, p in entries if p == path], markets_end)
        for path in wallet_paths
        if path in {p for _, p in entries}
    )
    last = entries[-1][0] if entries else started
    return Lanes(lane("markets", markets, started), wallet, lane("trades", trades, wallet_end), max(0.0, ended - last))


@dataclass(frozen=True)
class Policy:
    """How Tallybot paces a sync."""

    name: str
    wallet_together: bool  # the wallet endpoints run at the same time
    sapi_per_endpoint: bool  # each /sapi endpoint has its own budget (False: one per kind, IP or UID)
    sapi_in_ccxt_bucket: bool  # /sapi calls wait in ccxt's leaky bucket too


BEFORE = Policy("one budget per kind, one endpoint at a time, /sapi in ccxt's bucket", False, False, True)
AFTER = Policy("a budget per /sapi endpoint, wallet endpoints together, /sapi off ccxt's bucket", True, True, False)


@dataclass
class Simulated:
    """One sync's wall time under the real limits, and what it is made of (seconds)."""

    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # markets, wallet, trades: wall time of each
    slowest_wallet_lane: str = ""
    throttle: float = 0.0  # waits in ccxt's leaky bucket, all lanes
    sapi_pacing: float = 0.0  # the fetcher waiting for /sapi budgets, all lanes
    rate_limited: int = 0  # /api requests Binance would have refused with 429
    retry_after: float = 0.0  # waiting those out
    peak_api_weight_60s: int = 0  # the most /api weight spent in any 60 s (Binance's window slides)
    trades_span_seconds: float = 0.0  # from the first myTrades call to the last


class _Replay:
    """State shared by the lanes of one replay: ccxt's bucket and the budgets."""

    def __init__(self, policy: Policy, weights: Mapping[str, Weight], limits: BinanceLimits, rate_limit_ms: float):
        self.policy = policy
        self.weights = weights
        self.limits = limits
        self.rate_limit_ms = rate_limit_ms
        self.throttle_free = 0.0
        self.windows: dict[tuple[str, str], SlidingWindow] = {}
        self.result = Simulated()
        self.api_spent: list[tuple[int, int]] = []
        self.trade_calls: list[int] = []

    def window(self, weight: Weight, path: str) -> SlidingWindow:
        # /api, /fapi and /dapi: one budget each for all their endpoints; /sapi: one per endpoint (per the policy).
        shared = weight.bucket in ("api", "fapi", "dapi")
        scope = path if not shared and self.policy.sapi_per_endpoint else ""
        limit = {
            "api": self.limits.request_weight_per_minute,
            "sapi_ip": self.limits.sapi_ip_weight_per_minute,
            "sapi_uid": self.limits.sapi_uid_weight_per_minute,
            "fapi": self.limits.fapi_weight_per_minute,
            "dapi": self.limits.dapi_weight_per_minute,
        }[weight.bucket]
        return self.windows.setdefault((weight.bucket, scope), SlidingWindow(limit, MINUTE_MS))

    def run(self, lane: Lane, start_ms: float) -> float:
        """Replay one lane from `start_ms`; returns when its last request was made (ms)."""
        clock = start_ms
        for gap, path in lane.requests:
            clock += gap * 1000
            weight = self.weights.get(path, Weight("api", 1, 1.0))
            # ccxt paces /api, /fapi and /dapi on its bucket; /sapi only under a policy that leaves it there.
            in_bucket = weight.bucket in ("api", "fapi", "dapi") or self.policy.sapi_in_ccxt_bucket
            if in_bucket and clock < self.throttle_free:
                self.result.throttle += (self.throttle_free - clock) / 1000
                clock = self.throttle_free
            window = self.window(weight, path)
            now = int(clock)
            if not window.try_spend(now, weight.weight):
                wait = float(window.retry_after_ms(now, weight.weight))
                if weight.bucket == "api":
                    # Binance answers 429 with Retry-After in whole seconds; the sync waits it out and asks again.
                    self.result.rate_limited += 1
                    wait = math.ceil(wait / SECOND_MS) * SECOND_MS
                    self.result.retry_after += wait / 1000
                else:
                    self.result.sapi_pacing += wait / 1000  # the fetcher waits before asking
                clock += wait
                now = int(clock)
                window.try_spend(now, weight.weight)
            if weight.bucket == "api":
                self.api_spent.append((now, weight.weight))
                if path.endswith("/myTrades"):
                    self.trade_calls.append(now)
            if in_bucket:
                self.throttle_free = clock + weight.ccxt_cost * self.rate_limit_ms
        return clock


def simulate(
    lanes: Lanes, weights: Mapping[str, Weight], *, policy: Policy, rate_limit_ms: float, limits: BinanceLimits
) -> Simulated:
    replay = _Replay(policy, weights, limits, rate_limit_ms)
    result = replay.result
    markets_end = replay.run(lanes.markets, 0.0)
    wallet_end = markets_end
    slowest = (0.0, "")
    for lane in lanes.wallet:
        # Together: every lane starts when the markets are loaded (their budgets are their own). One at a time:
        # each starts when the one before it ended.
        start = markets_end if policy.wallet_together else wallet_end
        end = replay.run(lane, start)
        slowest = max(slowest, (end - start, lane.name))
        wallet_end = max(wallet_end, end)
    trades_end = replay.run(lanes.trades, wallet_end)
    result.seconds = trades_end / 1000 + lanes.tail
    result.stages = {
        "markets": markets_end / 1000,
        "wallet": (wallet_end - markets_end) / 1000,
        "trades": (trades_end - wallet_end) / 1000 + lanes.tail,
    }
    result.slowest_wallet_lane = slowest[1]
    spent = sorted(replay.api_spent)
    result.peak_api_weight_60s = peak_in_window(spent, MINUTE_MS)
    if replay.trade_calls:
        result.trades_span_seconds = (max(replay.trade_calls) - min(replay.trade_calls)) / 1000
    return result


def peak_in_window(spent: Sequence[tuple[int, int]], window_ms: int) -> int:
    """The most weight spent within any `window_ms` (times ascending)."""
    peak = total = first = 0
    for at, weight in spent:
        total += weight
        while spent[first][0] <= at - window_ms:
            total -= spent[first][1]
            first += 1
        peak = max(peak, total)
    return peak


@dataclass(frozen=True)
class Floor:
    seconds: float
    by_budget: dict[str, float]  # each budget's own floor
    binding: str  # the budget that sets it


def floor(by_path: Mapping[str, int], weights: Mapping[str, Weight], limits: BinanceLimits) -> Floor:
    """The earliest the last request can be made under the documented limits alone, for these request counts:
    a budget of B a minute with n requests of weight w lets floor(B / w) through per sliding minute, all of the
    first minute's at once, so its last request goes at 60 s × floor((n − 1) / floor(B / w)). /api endpoints share
    one budget (weights added up); each /sapi endpoint has its own."""
    budgets: dict[str, list[int]] = {}
    for path, count in by_path.items():
        weight = weights.get(path)
        if weight is None or count == 0:
            continue
        key = "/api (shared)" if weight.bucket == "api" else path
        budgets.setdefault(key, []).extend([weight.weight] * count)
    seconds: dict[str, float] = {}
    for key, spends in budgets.items():
        if key == "/api (shared)":
            limit = limits.request_weight_per_minute
        elif weights[key].bucket == "sapi_uid":
            limit = limits.sapi_uid_weight_per_minute
        else:
            limit = limits.sapi_ip_weight_per_minute
        seconds[key] = _budget_floor(spends, limit)
    binding = max(seconds, key=lambda k: seconds[k]) if seconds else ""
    return Floor(seconds.get(binding, 0.0), seconds, binding)


def _budget_floor(spends: Sequence[int], limit: int) -> float:
    """Greedy: every spend as early as a sliding minute of `limit` allows, starting with the whole budget."""
    window = SlidingWindow(limit, MINUTE_MS)
    clock = 0
    for weight in spends:
        if not window.try_spend(clock, weight):
            clock += window.retry_after_ms(clock, weight)
            window.try_spend(clock, weight)
    return clock / 1000
