"""What every exchange emulator shares: clock, keys, request counting, rate windows, faults and the aiohttp server.

An emulator is an aiohttp application on 127.0.0.1 (port 0, so tests never collide) that the unmodified ccxt
client reaches through ``connectors.urls.apply_url_override``. Subclasses add their routes and wire protocol.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import string
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple, Self

from aiohttp import web
from aiohttp.typedefs import Handler
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

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


@dataclass(frozen=True)
class Permissions:
    """What a key may do, in exchange-neutral terms; each emulator renders them in its own vocabulary."""

    read: bool = True
    trade: bool = False
    withdraw: bool = False
    transfer: bool = False


READ_ONLY = Permissions()
TRADING = Permissions(trade=True)
WITHDRAWAL = Permissions(trade=True, withdraw=True, transfer=True)


class Credentials(NamedTuple):
    """An API key, its secret and, where the exchange has one (OKX, Bitget), the passphrase chosen with it.

    Never shows the secret or the passphrase in its repr. ``passphrase`` is empty for exchanges without one.
    """

    api_key: str
    secret: str
    passphrase: str = ""

    def __repr__(self) -> str:
        hidden = ", passphrase=<hidden>" if self.passphrase else ""
        return f"Credentials(api_key={self.api_key[:6]}…, secret=<hidden>{hidden})"

    def ccxt_config(self) -> dict[str, str]:
        """The credential part of a ccxt constructor config: ``apiKey``, ``secret`` and ``password`` if any."""
        config = {"apiKey": self.api_key, "secret": self.secret}
        if self.passphrase:
            config["password"] = self.passphrase
        return config


@dataclass
class ApiKey:
    """One key as the exchange stores it."""

    api_key: str
    secret: str
    permissions: Permissions
    created_at: int
    expires_at: int | None = None
    ip_whitelist: tuple[str, ...] = ()
    revoked: bool = False
    label: str = ""
    passphrase: str | None = None  # chosen by the user with the key, where the exchange asks for one
    key_type: str = "normal"  # exchanges with several kinds of key (Bitget's "tax") name them here
    # A self-generated key (Binance Ed25519 or RSA): the exchange holds only the public key the user registered,
    # and `secret` is empty. Such a key never verifies an HMAC: an empty HMAC key is one anybody can sign with.
    public_key: str | None = None

    @property
    def ip_restricted(self) -> bool:
        return bool(self.ip_whitelist)

    def sign(self, payload: str) -> str:
        return hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()

    def signature_matches(self, payload: str, signature: str) -> bool:
        if self.public_key is not None:
            return False
        return hmac.compare_digest(self.sign(payload), signature.lower())

    def public_key_signature_matches(self, payload: str, signature: str) -> bool:
        """An Ed25519 or RSA (PKCS#1 v1.5, SHA-256) signature of ``payload``, base64 as Binance documents, checked
        with the registered public key; case-sensitive, unlike a hex HMAC."""
        if self.public_key is None:
            return False
        try:
            raw = base64.b64decode(signature, validate=True)
        except binascii.Error:
            return False
        key = serialization.load_pem_public_key(self.public_key.encode())
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(raw, payload.encode())
            elif isinstance(key, rsa.RSAPublicKey):
                key.verify(raw, payload.encode(), padding.PKCS1v15(), hashes.SHA256())
            else:
                return False
        except InvalidSignature:
            return False
        return True

    def sign_base64(self, payload: str) -> str:
        """Base64 of the HMAC-SHA256 digest, as OKX, Bitget and KuCoin sign."""
        digest = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def base64_signature_matches(self, payload: str, signature: str) -> bool:
        if self.public_key is not None:
            return False
        return hmac.compare_digest(self.sign_base64(payload).encode(), signature.encode())

    def passphrase_matches(self, passphrase: str) -> bool:
        return self.passphrase is not None and hmac.compare_digest(self.passphrase.encode(), passphrase.encode())

    def __repr__(self) -> str:
        return f"ApiKey({self.api_key[:6]}…, label={self.label!r}, permissions={self.permissions})"


class KeyAccess(Enum):
    """Why a correctly signed request with a known key may still be refused."""

    OK = "ok"
    EXPIRED = "expired"
    IP_NOT_ALLOWED = "ip_not_allowed"


class KeyRegistry:
    """The exchange's key store; revoked keys are gone from the exchange's point of view."""

    _ALPHABET = string.ascii_letters + string.digits

    def __init__(self, key_length: int, secret_length: int) -> None:
        self._key_length = key_length
        self._secret_length = secret_length
        self._keys: dict[str, ApiKey] = {}

    def _random(self, length: int) -> str:
        return "".join(secrets.choice(self._ALPHABET) for _ in range(length))

    def new_key_string(self) -> str:
        """A well-formed key string the registry does not know (for "unknown key" tests)."""
        return self._random(self._key_length)

    def new_secret_string(self) -> str:
        return self._random(self._secret_length)

    def new_passphrase(self) -> str:
        """What a user might choose: letters, digits and a symbol (which must survive the HTTP header)."""
        return f"{self._random(11)}#{self._random(4)}"

    def add(
        self,
        *,
        permissions: Permissions,
        created_at: int,
        expires_at: int | None,
        ip_whitelist: Iterable[str],
        label: str,
        passphrase: str | None = None,
        key_type: str = "normal",
    ) -> ApiKey:
        key = ApiKey(
            api_key=self.new_key_string(),
            secret=self.new_secret_string(),
            permissions=permissions,
            created_at=created_at,
            expires_at=expires_at,
            ip_whitelist=tuple(ip_whitelist),
            label=label,
            passphrase=passphrase,
            key_type=key_type,
        )
        self._keys[key.api_key] = key
        return key

    def lookup(self, api_key: str, *, include_revoked: bool = False) -> ApiKey | None:
        """The key as the exchange knows it; revoked keys only with ``include_revoked`` (some exchanges answer
        a deleted key differently from one they never issued)."""
        key = self._keys.get(api_key)
        if key is None or (key.revoked and not include_revoked):
            return None
        return key

    def add_public_key(self, public_key: str, *, permissions: Permissions, created_at: int, label: str) -> ApiKey:
        """A self-generated key: the exchange stores the public key the user pasted and issues an API key for it."""
        key = ApiKey(
            api_key=self.new_key_string(),
            secret="",
            permissions=permissions,
            created_at=created_at,
            label=label,
            public_key=public_key,
        )
        self._keys[key.api_key] = key
        return key

    def revoke(self, api_key: str) -> None:
        self._keys[api_key].revoked = True

    @staticmethod
    def access(key: ApiKey, *, ip: str, now_ms: int) -> KeyAccess:
        if key.expires_at is not None and now_ms >= key.expires_at:
            return KeyAccess.EXPIRED
        if key.ip_whitelist and ip not in key.ip_whitelist:
            return KeyAccess.IP_NOT_ALLOWED
        return KeyAccess.OK


@dataclass(frozen=True)
class DemoKeys:
    """The keys a test or a sandbox user needs to see every key-check outcome."""

    read_only: Credentials
    trading: Credentials
    withdrawal: Credentials
    expired: Credentials
    ip_restricted: Credentials
    revoked: Credentials


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


# -- fault injection ----------------------------------------------------------------------------------------

FaultAction = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


@dataclass
class Fault:
    """One injected misbehaviour: of the requests whose path starts with ``path`` ("" matches every path), the
    first ``after`` pass untouched, then the next ``times`` (None: all of them) get ``action`` instead of the
    emulator's own answer. ``seen`` and ``hits`` count the matching requests and those the fault changed."""

    action: FaultAction
    path: str = ""
    times: int | None = 1
    after: int = 0
    seen: int = 0
    hits: int = 0

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times


class Faults:
    """The faults injected into one emulator; the first live fault matching a request decides its answer.

    ``emulator.faults.inject(reset_connection(), path="/sapi/v1/capital/deposit/hisrec", times=None)`` drops every
    connection to that path; ``emulator.faults.clear()`` makes the exchange behave again. The actions below cover
    timeouts, resets, error statuses, malformed or truncated bodies, and hooks that run before the real answer.
    """

    def __init__(self) -> None:
        self.injected: list[Fault] = []

    def inject(self, action: FaultAction, *, path: str = "", times: int | None = 1, after: int = 0) -> Fault:
        fault = Fault(action, path=path, times=times, after=after)
        self.injected.append(fault)
        return fault

    def clear(self) -> None:
        self.injected.clear()

    def pick(self, path: str) -> Fault | None:
        """The fault that answers a request to ``path`` (counting it), or None for the emulator's own answer."""
        chosen: Fault | None = None
        for fault in self.injected:
            if not path.startswith(fault.path) or fault.spent:
                continue
            fault.seen += 1
            if chosen is None and fault.seen > fault.after:
                fault.hits += 1
                chosen = fault
        return chosen


def delay(seconds: float) -> FaultAction:
    """Answer normally, but only after ``seconds`` (longer than the client's timeout: the client times out)."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return await handler(request)

    return act


def reset_connection() -> FaultAction:
    """Close the connection without an answer, as a reset or a dropping load balancer does."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=200, text="")

    return act


def respond(
    status: int,
    body: str = "",
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> FaultAction:
    """Answer with this status, body and headers instead (a 429 or 418 with ``Retry-After``, a 5xx, a page of
    malformed JSON)."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        return web.Response(status=status, text=body, headers=headers, content_type=content_type)

    return act


def truncate_body(keep: float = 0.5) -> FaultAction:
    """Start the real answer, announcing its full length, then cut the connection after ``keep`` of the body: a
    page truncated on the wire."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        answer = await handler(request)
        body = answer.body if isinstance(answer, web.Response) and isinstance(answer.body, bytes) else b""
        cut = web.StreamResponse(status=answer.status, headers=answer.headers)
        cut.content_length = len(body)
        await cut.prepare(request)
        await cut.write(body[: int(len(body) * keep)])
        if request.transport is not None:
            request.transport.abort()
        return cut

    return act


def before(callback: Callable[[web.Request], object]) -> FaultAction:
    """Run ``callback(request)`` (revoke a key, move the clock, kill a client…), then answer normally."""

    async def act(request: web.Request, handler: Handler) -> web.StreamResponse:
        callback(request)
        return await handler(request)

    return act


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
