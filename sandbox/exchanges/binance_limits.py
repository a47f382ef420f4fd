"""Binance's request-weight budgets as its docs state them (docs/exchange-apis/binance.md, "Rate limits").

- ``/api/*``: one budget per IP, 6,000 weight a minute, shared by every ``/api`` endpoint (``X-MBX-USED-WEIGHT-1M``).
  Over it: 429 ``-1003`` with ``Retry-After``; a client that keeps going after 429s is banned with 418 ("IP bans
  (/api/* only)", from 2 minutes to 3 days, scaling for repeat offenders).
- ``/sapi/*``: each endpoint is IP- or UID-limited and has its **own** budget: 12,000 a minute per IP, or 180,000 a
  minute per account (``X-SAPI-USED-IP-WEIGHT-1M`` / ``X-SAPI-USED-UID-WEIGHT-1M``, the weight used of that endpoint's
  budget). Over it: "always 429 — the 418 IP-ban escalation does not apply".

Binance does not say whether its minute slides or starts on the clock; a sliding minute is the stricter of the two
for a client that bursts, so that is what is counted here. An IP-limited ``/sapi`` budget is the address's: every
client and key calling from it spends the same one (owner = the IP), as one Binance would count several processes of
one deployment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from sandbox.exchanges.base import DAY_MS, MINUTE_MS, SlidingWindow, retry_after_seconds

Bucket = Literal["api", "sapi_ip", "sapi_uid", "fapi", "dapi"]
WEIGHT_HEADERS: dict[Bucket, str] = {
    "api": "X-MBX-USED-WEIGHT-1M",
    "fapi": "X-MBX-USED-WEIGHT-1M",
    "dapi": "X-MBX-USED-WEIGHT-1M",
    "sapi_ip": "X-SAPI-USED-IP-WEIGHT-1M",
    "sapi_uid": "X-SAPI-USED-UID-WEIGHT-1M",
}
TOO_MUCH_WEIGHT = -1003


@dataclass(frozen=True)
class BinanceLimits:
    """Binance's published limits; tests shrink them to reach 429 and 418 quickly."""

    request_weight_per_minute: int = 6000
    sapi_ip_weight_per_minute: int = 12_000  # per endpoint
    sapi_uid_weight_per_minute: int = 180_000  # per endpoint
    # USDⓈ-M and COIN-M futures: one budget each per IP, 2,400 a minute (their General Info pages, "IP Limits").
    fapi_weight_per_minute: int = 2400
    dapi_weight_per_minute: int = 2400
    # Every budget here is "per minute" (docs/exchange-apis/binance.md, "Rate limits": the wallet docs' Limits and the
    # general LIMITS page). Tests shrink the window with a limit to reach a budget's edge in seconds.
    window_ms: int = MINUTE_MS
    # The docs say only that "repeatedly violating rate limits" earns a 418 and that bans "scale in duration for
    # repeat offenders, from 2 minutes to 3 days" (LIMITS). How many 429s make "repeatedly" and how a ban scales are
    # not documented: this emulator's choice, within that range, is a ban after this many 429s in a row, lasting
    # 2 minutes, doubling with each later ban, never over 3 days. Tallybot stops at the first 429, so it relies on
    # neither choice.
    violations_before_ban: int = 10
    first_ban_ms: int = 2 * MINUTE_MS
    max_ban_ms: int = 3 * DAY_MS


@dataclass(frozen=True)
class Refusal:
    """An answer instead of the endpoint's: 429 (or 418) ``-1003`` with its message and headers."""

    status: int
    msg: str
    headers: dict[str, str]


class WeightBudgets:
    """Every budget of one emulated Binance: the shared ``/api`` budget per IP, and one budget per ``/sapi``
    endpoint per IP (IP-limited) or per account (UID-limited)."""

    def __init__(self, limits: BinanceLimits) -> None:
        self.limits = limits
        self._windows: dict[tuple[Bucket, str, str], SlidingWindow] = {}
        self._violations: Counter[str] = Counter()
        self._bans: dict[str, int] = {}
        self._ban_counts: Counter[str] = Counter()
        self.refusals: Counter[Bucket] = Counter()  # answers refused for weight, per budget kind (read by tests)

    def reset(self, limits: BinanceLimits | None = None) -> None:
        """Forget spent weight, violations and bans (as if the test waited them out); count by `limits` from now."""
        self.limits = limits or self.limits
        self._windows.clear()
        self._violations.clear()
        self._bans.clear()
        self._ban_counts.clear()
        self.refusals.clear()

    def banned(self, path: str, ip: str, now: int) -> Refusal | None:
        """A banned IP gets 418 on ``/api`` whatever it asks; bans do not reach ``/sapi``."""
        until = self._bans.get(ip, 0)
        if now < until and not path.startswith("/sapi/"):
            return self._ban(until, now)
        return None

    def limit_of(self, bucket: Bucket) -> int:
        return {
            "api": self.limits.request_weight_per_minute,
            "sapi_ip": self.limits.sapi_ip_weight_per_minute,
            "sapi_uid": self.limits.sapi_uid_weight_per_minute,
            "fapi": self.limits.fapi_weight_per_minute,
            "dapi": self.limits.dapi_weight_per_minute,
        }[bucket]

    def spend(
        self, path: str, bucket: Bucket, owner: str, ip: str, weight: int, now: int, headers: dict[str, str]
    ) -> Refusal | None:
        """Spend `weight` of the budget this request draws from (`owner`: the IP, or the account for UID limits);
        None if it fits (its header is set), else the refusal."""
        # /api, /fapi, /dapi: one budget for every endpoint of each; /sapi: one per endpoint
        scope = "" if bucket in ("api", "fapi", "dapi") else path
        window = self._windows.get((bucket, scope, owner))
        if window is None:
            window = self._windows[(bucket, scope, owner)] = SlidingWindow(self.limit_of(bucket), self.limits.window_ms)
        fits = window.try_spend(now, weight)
        headers[WEIGHT_HEADERS[bucket]] = str(window.used(now))
        if fits:
            if bucket == "api":
                self._violations[ip] = 0
            return None
        self.refusals[bucket] += 1
        if bucket == "api":
            self._violations[ip] += 1
            if self._violations[ip] > self.limits.violations_before_ban:
                self._ban_counts[ip] += 1
                duration = min(self.limits.first_ban_ms * 2 ** (self._ban_counts[ip] - 1), self.limits.max_ban_ms)
                self._bans[ip] = now + duration
                self._violations[ip] = 0
                return self._ban(now + duration, now)
        headers["Retry-After"] = retry_after_seconds(window.retry_after_ms(now, weight))
        return Refusal(
            429,
            f"Too much request weight used; current limit is {window.limit} request weight per 1 MINUTE. Please use "
            "WebSocket Streams for live updates to avoid polling the API.",
            headers,
        )

    @staticmethod
    def _ban(until: int, now: int) -> Refusal:
        return Refusal(
            418,
            f"Way too much request weight used; IP banned until {until}. Please use WebSocket Streams "
            "for live updates to avoid bans.",
            {"Retry-After": retry_after_seconds(until - now)},
        )
