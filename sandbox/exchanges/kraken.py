"""Kraken spot REST emulator: the public market data ccxt loads and the private history a read-only sync uses.

Private requests are POSTs with a form body holding ``nonce``, checked as Kraken checks them (docs/exchange-apis/
kraken.md): ``API-Key`` names a key Kraken issued (missing, unknown, deleted or lapsed: ``EAPI:Invalid key``);
``API-Sign`` is base64 of HMAC-SHA512, keyed with the base64-decoded private key, of the URI path followed by
SHA-256(nonce + POST data) (not base64: ``EAPI:Invalid signature``; not matching: ``EAPI:Invalid key``, as Kraken's
support page on that error says); the nonce must be higher than every earlier one of the key (``EAPI:Invalid
nonce``); a call from outside the key's IP list, or to an endpoint the key has no permission for, is
``EGeneral:Permission denied``. Every key has a call counter: history calls (``Ledgers``, ``TradesHistory``) add 2,
others 1; it decays by a fixed amount a second, and a call that would pass the maximum is refused with
``EAPI:Rate limit exceeded``. Every answer is HTTP 200 ``{"error": [...], "result": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web

from sandbox.exchanges.base import ApiKey, Clock, ExchangeEmulator, KeyAccess, KeyRegistry, compact_json
from sandbox.exchanges.kraken_book import KrakenBook
from sandbox.exchanges.kraken_protocol import Call, KrakenError, KrakenIds, NotEmulated
from sandbox.exchanges.records import AccountProfile, ScriptedAccount
from sandbox.exchanges.scripted import generate_account

# Kraken's docs ("REST API Rate Limits"): ledger and trade history calls add 2 to the counter, other calls 1.
HISTORY_COST = 2
OTHER_COST = 1


@dataclass(frozen=True)
class KrakenLimits:
    """The call counter of one key: Starter tier by default (maximum 15, decay 0.33 a second); Intermediate is
    20 / 0.5, Pro 20 / 1. Tests raise the maximum to reach the counter's error, or lift it."""

    max_counter: float = 15.0
    decay_per_second: float = 0.33


@dataclass(frozen=True)
class Endpoint:
    path: str
    private: bool
    handler: Callable[[Call], object]
    cost: int = OTHER_COST
    needs_read: bool = True  # GetApiKeyInfo needs no permission ("API Key Permissions Required: None")


class KrakenKeys(KeyRegistry):
    """Kraken's public keys are 56 base64 characters; private keys base64 of 64 bytes (88 characters)."""

    def new_key_string(self) -> str:
        return base64.b64encode(secrets.token_bytes(42)).decode()

    def new_secret_string(self) -> str:
        return base64.b64encode(secrets.token_bytes(64)).decode()


class _Counter:
    """A key's call counter, decaying continuously."""

    def __init__(self) -> None:
        self.value = 0.0
        self.at_ms = 0

    def try_spend(self, now_ms: int, cost: int, limits: KrakenLimits) -> bool:
        decayed = self.value - limits.decay_per_second * max(0, now_ms - self.at_ms) / 1000
        self.value, self.at_ms = max(0.0, decayed), now_ms
        if self.value + cost > limits.max_counter:
            return False
        self.value += cost
        return True


def sign(secret: str, path: str, nonce: str, body: str) -> str:
    """The API-Sign of a request, as Kraken's docs define it."""
    digest = hashlib.sha256((nonce + body).encode()).digest()
    mac = hmac.new(base64.b64decode(secret), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


class KrakenEmulator(ExchangeEmulator):
    """``KrakenEmulator(seed=7)``: a scripted Kraken account behind the real spot REST protocol."""

    exchange_id = "kraken"
    key_length = 56
    secret_length = 88

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 120,
        limits: KrakenLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = KrakenKeys(self.key_length, self.secret_length)
        self.limits = limits or KrakenLimits()
        profile = profile or AccountProfile()
        # Kraken's trade rows carry their `cost` (the scripted cost, which the balances move by) and a `fee` in the
        # quote currency ("Total fee (quote currency)"): the account is scripted paying its fees there.
        self.account: ScriptedAccount = generate_account(
            seed,
            self.clock.now_ms(),
            profile=profile,
            listed_markets=listed_symbols,
            ids=KrakenIds(),
            fees_in_quote=True,
        )
        self.book = KrakenBook(self.account)
        self._counters: dict[str, _Counter] = {}
        self._nonces: dict[str, int] = {}
        book = self.book
        self.endpoints = (
            Endpoint("/0/public/Assets", False, book.assets),
            Endpoint("/0/public/AssetPairs", False, book.asset_pairs),
            Endpoint("/0/private/GetApiKeyInfo", True, book.api_key_info, needs_read=False),
            Endpoint("/0/private/Balance", True, book.balance),
            Endpoint("/0/private/TradesHistory", True, book.trades_history, HISTORY_COST),
            Endpoint("/0/private/Ledgers", True, book.ledgers, HISTORY_COST),
        )

    def reset_rate_limits(self) -> None:
        self._counters.clear()

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            if endpoint.private:
                app.router.add_post(endpoint.path, self._handler(endpoint))
            else:
                app.router.add_get(endpoint.path, self._handler(endpoint))

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            body = (await request.read()).decode() if endpoint.private else ""
            return self.serve(request, endpoint, body)

        return handle

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, endpoint: Endpoint, body: str) -> web.Response:
        now = self.clock.now_ms()
        try:
            if endpoint.private:
                params = dict(parse_qsl(body, keep_blank_values=True))
                key = self._authenticate(request, endpoint, params, body, now)
            else:
                params = dict(parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True))
                key = None
            result = endpoint.handler(Call(params=params, key=key, now_ms=now))
        except KrakenError as error:
            return web.json_response({"error": [error.message]}, dumps=compact_json)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.json_response({"error": [], "result": result}, dumps=compact_json)

    def _authenticate(
        self, request: web.Request, endpoint: Endpoint, params: dict[str, str], body: str, now: int
    ) -> ApiKey:
        api_key = request.headers.get("API-Key", "")
        key = self.keys.lookup(api_key) if api_key else None
        ip = request.remote or ""
        # A lapsed key is as unknown to Kraken as a deleted one (not in Kraken's docs: docs/exchange-apis/kraken.md).
        if key is None or self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.EXPIRED:
            raise KrakenError("EAPI:Invalid key")
        signature = request.headers.get("API-Sign", "")
        try:
            base64.b64decode(signature, validate=True)
        except binascii.Error:
            raise KrakenError("EAPI:Invalid signature") from None
        if not signature:
            raise KrakenError("EAPI:Invalid signature")
        nonce = params.get("nonce", "")
        if not nonce.isdigit():
            raise KrakenError("EAPI:Invalid nonce")
        expected = sign(key.secret, request.path, nonce, body)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise KrakenError("EAPI:Invalid key")
        if int(nonce) <= self._nonces.get(key.api_key, 0):
            raise KrakenError("EAPI:Invalid nonce")
        self._nonces[key.api_key] = int(nonce)
        if self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.IP_NOT_ALLOWED:
            raise KrakenError("EGeneral:Permission denied")
        counter = self._counters.setdefault(key.api_key, _Counter())
        if not counter.try_spend(now, endpoint.cost, self.limits):
            raise KrakenError("EAPI:Rate limit exceeded")
        if endpoint.needs_read and not key.permissions.read:
            raise KrakenError("EGeneral:Permission denied")
        return key
