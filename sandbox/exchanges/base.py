"""What every exchange emulator shares: clock, keys, request counting, rate windows, faults and the aiohttp server.

An emulator is an aiohttp application on 127.0.0.1 (port 0, so tests never collide) that the unmodified ccxt
client reaches through ``connectors.urls.apply_url_override``. Subclasses add their routes and wire protocol.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Self

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.exchanges.faults import (
    Fault,
    FaultAction,
    Faults,
    before,
    delay,
    reset_connection,
    respond,
    truncate_body,
)
from sandbox.exchanges.keys import (
    READ_ONLY,
    TRADING,
    WITHDRAWAL,
    ApiKey,
    Credentials,
    DemoKeys,
    KeyAccess,
    KeyRegistry,
    Permissions,
)

# Keys and faults live in their own modules; every emulator and test still finds them here, beside the rest.
__all__ = [
    "DAY_MS",
    "FOREIGN_IP",
    "HOUR_MS",
    "LOCALHOST",
    "MINUTE_MS",
    "READ_ONLY",
    "SECOND_MS",
    "TRADING",
    "WITHDRAWAL",
    "ApiKey",
    "Clock",
    "Credentials",
    "DemoKeys",
    "ExchangeEmulator",
    "Fault",
    "FaultAction",
    "Faults",
    "KeyAccess",
    "KeyRegistry",
    "Permissions",
    "RequestCounter",
    "SlidingWindow",
    "before",
    "compact_json",
    "delay",
    "reset_connection",
    "respond",
    "retry_after_seconds",
    "truncate_body",
]

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

LOCALHOST = "127.0.0.1"
# An address from TEST-NET-3 (RFC 5737): the whitelist of the demo IP-restricted key, never the test's own IP.
FOREIGN_IP = "203.0.113.7"


class Clock:
    """The emulator's "now": wall time plus an offset the test can move.

    It stays close to the wall clock by default so that the real ccxt client, which signs with its own clock,
    passes the timestamp checks. Moving it (``advance``/``set``) makes the server disagree with clients just as a
    real exchange would; give those clients ``options['timeDifference'] = -clock.offset_ms``.
    """

    def __init__(self, offset_ms: int = 0) -> None:
        self.offset_ms = offset_ms

    @staticmethod
    def wall_ms() -> int:
        return time.time_ns() // 1_000_000

    def now_ms(self) -> int:
        return self.wall_ms() + self.offset_ms

    def advance(self, ms: int) -> None:
        self.offset_ms += ms

    def set(self, now_ms: int) -> None:
        self.offset_ms = now_ms - self.wall_ms()


@dataclass
class RequestCounter:
    """Requests served, per path and in total; ``unexpected`` lists calls to routes the emulator lacks."""

    total: int = 0
    by_path: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    _new_unexpected: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def record(self, path: str) -> None:
        self.total += 1
        self.by_path[path] += 1

    def record_unexpected(self, call: str) -> None:
        self.unexpected.append(call)
        self._new_unexpected.set()

    async def wait_for_unexpected(self, count: int) -> list[str]:
        """Wait until ``count`` unexpected calls arrived (ccxt gathers side calls and raises on the first)."""
        while len(self.unexpected) < count:
            self._new_unexpected.clear()
            await self._new_unexpected.wait()
        return sorted(self.unexpected)

    def count(self, path: str) -> int:
        return self.by_path[path]

    def reset(self) -> None:
        self.total = 0
        self.by_path.clear()
        self.unexpected.clear()


class SlidingWindow:
    """Weight spent in the last ``window_ms``; deterministic for bursts, unlike calendar-aligned windows."""

    def __init__(self, limit: int, window_ms: int) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._spent: deque[tuple[int, int]] = deque()
        self._used = 0

    def _expire(self, now_ms: int) -> None:
        while self._spent and self._spent[0][0] <= now_ms - self.window_ms:
            _, weight = self._spent.popleft()
            self._used -= weight

    def used(self, now_ms: int) -> int:
        self._expire(now_ms)
        return self._used

    def try_spend(self, now_ms: int, weight: int) -> bool:
        self._expire(now_ms)
        if self._used + weight > self.limit:
            return False
        self._spent.append((now_ms, weight))
        self._used += weight
        return True

    def retry_after_ms(self, now_ms: int, weight: int) -> int:
        """How long until ``weight`` more would fit."""
        self._expire(now_ms)
        excess = self._used + weight - self.limit
        for spent_at, spent in self._spent:
            excess -= spent
            if excess <= 0:
                return max(spent_at + self.window_ms - now_ms, 1)
        return self.window_ms

    def reset_at_ms(self, now_ms: int) -> int:
        self._expire(now_ms)
        return self._spent[0][0] + self.window_ms if self._spent else now_ms


def compact_json(value: object) -> str:
    """JSON as exchanges send it: no spaces after separators."""
    return json.dumps(value, separators=(",", ":"))


def retry_after_seconds(ms: int) -> str:
    return str(max(1, math.ceil(ms / SECOND_MS)))


class ExchangeEmulator:
    """Base of the exchange emulators: key store, clock, counters and the aiohttp server's life cycle."""

    exchange_id = "exchange"
    key_length = 64
    secret_length = 64
    # Some exchanges (Bybit) let keys without an IP binding lapse; add_key applies this when no expiry is given.
    unrestricted_key_lifetime_ms: int | None = None
    # OKX, Bitget and KuCoin keys come with a passphrase the user chose; add_key invents one when none is given.
    uses_passphrase = False

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.keys = KeyRegistry(self.key_length, self.secret_length)
        self.requests = RequestCounter()
        self.faults = Faults()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # -- keys -------------------------------------------------------------------------------------------------

    def add_key(
        self,
        permissions: Permissions = READ_ONLY,
        *,
        expires_at: int | None = None,
        ip_whitelist: Iterable[str] = (),
        label: str = "",
        passphrase: str | None = None,
    ) -> Credentials:
        """Create a key the way a user would on the exchange's API-management page.

        ``expires_at`` (ms) None means the exchange's default: no expiry, or ``unrestricted_key_lifetime_ms``
        for a key without ``ip_whitelist`` where the exchange imposes one. ``ip_whitelist`` empty means any IP;
        requests come from 127.0.0.1, so a list without it makes every call fail as "IP not allowed".
        ``passphrase`` None on an exchange that ``uses_passphrase`` means a random one (returned in the
        credentials); elsewhere it is ignored.
        """
        return self._add_key(
            permissions, expires_at=expires_at, ip_whitelist=ip_whitelist, label=label, passphrase=passphrase
        )

    def _add_key(
        self,
        permissions: Permissions,
        *,
        expires_at: int | None,
        ip_whitelist: Iterable[str],
        label: str,
        passphrase: str | None,
        key_type: str = "normal",
    ) -> Credentials:
        now = self.clock.now_ms()
        whitelist = tuple(ip_whitelist)
        if expires_at is None and not whitelist and self.unrestricted_key_lifetime_ms is not None:
            expires_at = now + self.unrestricted_key_lifetime_ms
        if not self.uses_passphrase:
            passphrase = None
        elif passphrase is None and key_type == "normal":
            passphrase = self.keys.new_passphrase()
        key = self.keys.add(
            permissions=permissions,
            created_at=now,
            expires_at=expires_at,
            ip_whitelist=whitelist,
            label=label,
            passphrase=passphrase,
            key_type=key_type,
        )
        return Credentials(key.api_key, key.secret, key.passphrase or "")

    def _add_public_key(self, public_key: str, permissions: Permissions, *, label: str) -> str:
        """A self-generated key the user registered (the exchange keeps only the public key); the API key issued.
        The exchange's rule for keys without an IP binding (an expiry) applies as to any key."""
        now = self.clock.now_ms()
        key = self.keys.add_public_key(public_key, permissions=permissions, created_at=now, label=label)
        if self.unrestricted_key_lifetime_ms is not None:
            key.expires_at = now + self.unrestricted_key_lifetime_ms
        return key.api_key

    def revoke_key(self, api_key: str) -> None:
        self.keys.revoke(api_key)

    def unknown_key(self) -> str:
        """A well-formed key this exchange has never issued."""
        return self.keys.new_key_string()

    def create_demo_keys(self) -> DemoKeys:
        """One key per key-check outcome. The withdrawal key is IP-bound (exchanges demand that for withdrawal
        rights) with 127.0.0.1 on its list, so it works and reports its rights; the IP-restricted key lists only
        a foreign address, so every call with it is refused."""
        now = self.clock.now_ms()
        revoked = self.add_key(label="revoked")
        self.revoke_key(revoked.api_key)
        return DemoKeys(
            read_only=self.add_key(READ_ONLY, label="read-only"),
            trading=self.add_key(TRADING, label="trading"),
            withdrawal=self.add_key(WITHDRAWAL, ip_whitelist=[FOREIGN_IP, LOCALHOST], label="withdrawal"),
            expired=self.add_key(READ_ONLY, expires_at=now - DAY_MS, label="expired"),
            ip_restricted=self.add_key(READ_ONLY, ip_whitelist=[FOREIGN_IP], label="ip-restricted"),
            revoked=revoked,
        )

    # -- server -----------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError(f"{self.exchange_id} emulator is not running; call start() first")
        return self._base_url

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._count_requests, self._inject_faults])
        self.add_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._no_route)
        return app

    @web.middleware
    async def _count_requests(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.record(request.path)
        return await handler(request)

    @web.middleware
    async def _inject_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = self.faults.pick(request.path)
        if fault is None:
            return await handler(request)
        return await fault.action(request, handler)

    async def _no_route(self, request: web.Request) -> web.StreamResponse:
        return self.not_emulated(request, "no such endpoint")

    def not_emulated(self, request: web.Request, reason: str) -> web.Response:
        """A plain-text 404 that ccxt turns into ExchangeNotAvailable; listed in ``requests.unexpected``."""
        call = f"{request.method} {request.path}"
        self.requests.record_unexpected(call if reason == "no such endpoint" else f"{call} ({reason})")
        return web.Response(status=404, text=f"{self.exchange_id} emulator: {reason}: {call}")

    async def start(self) -> str:
        """Serve on 127.0.0.1 on a free port and return the base URL for ``EXCHANGE_URL_OVERRIDES``."""
        if self._runner is not None:
            return self.base_url
        runner = web.AppRunner(self.build_app(), handler_cancellation=True, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, LOCALHOST, 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._base_url = f"http://{host}:{port}"
        return self._base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._base_url = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
