"""Coinbase emulator: Advanced Trade (v3) fills and key permissions, Coinbase App (v2) accounts and transactions.

Private requests are checked as Coinbase checks a CDP key's JWT (sandbox/exchanges/coinbase_protocol.py): a bearer
token whose ``kid``/``sub`` name a key Coinbase issued (not deleted), signed with that key's private key (ES256; EdDSA
for Ed25519 keys on Advanced Trade v3 only: the Coinbase App v2 takes ES256 alone), at most 2 minutes between ``nbf``
and ``exp`` and valid now, naming this request in ``uri``.
Refused: HTTP 401 (v2: ``authentication_error``; v3: the text "Unauthorized"); a key without the view permission:
HTTP 403 (v2 ``invalid_scope``, v3 ``PERMISSION_DENIED``); a request from an IP outside the key's allowlist: 401.
Limits: v3 private 30 requests/s per user, v3 public 10 requests/s per IP, v2 10,000 requests/hour per key; past
them HTTP 429 (v2 ``rate_limit_exceeded``). Rules and sources: docs/exchange-apis/coinbase.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from aiohttp import web

from sandbox.exchanges.base import (
    HOUR_MS,
    SECOND_MS,
    ApiKey,
    Clock,
    ExchangeEmulator,
    KeyAccess,
    SlidingWindow,
    compact_json,
)
from sandbox.exchanges.coinbase_book import CoinbaseBook
from sandbox.exchanges.coinbase_money import with_commissions
from sandbox.exchanges.coinbase_protocol import (
    CoinbaseError,
    CoinbaseIds,
    CoinbaseKeys,
    claims_valid,
    parse_token,
    request_uris,
    signature_valid,
)
from sandbox.exchanges.protocol import Call
from sandbox.exchanges.records import AccountProfile, ScriptedAccount
from sandbox.exchanges.scripted import generate_account, with_exact_costs

V3_PRIVATE = "v3-private"
V3_PUBLIC = "v3-public"
V2 = "v2"
# (requests, window in ms) per budget, each from Coinbase's rate-limit pages (docs/exchange-apis/coinbase.md).
DEFAULT_RULES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {V3_PRIVATE: (30, SECOND_MS), V3_PUBLIC: (10, SECOND_MS), V2: (10_000, HOUR_MS)}
)
FILLS = "/api/v3/brokerage/orders/historical/fills"
KEY_PERMISSIONS = "/api/v3/brokerage/key_permissions"
PRODUCTS = "/api/v3/brokerage/market/products"
ACCOUNTS = "/v2/accounts"


@dataclass(frozen=True)
class CoinbaseLimits:
    """Coinbase's request budgets; tests shrink them to meet a 429 quickly."""

    rules: Mapping[str, tuple[int, int]] = field(default_factory=lambda: DEFAULT_RULES)


class CoinbaseEmulator(ExchangeEmulator):
    """``CoinbaseEmulator(seed=7)``: a scripted Coinbase account behind the v3 and v2 wire protocols."""

    exchange_id = "coinbase"
    key_length = 91
    secret_length = 227

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 300,
        limits: CoinbaseLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = CoinbaseKeys(self.key_length, self.secret_length)
        self.limits = limits or CoinbaseLimits()
        profile = replace(profile or AccountProfile())
        # An Advanced Trade fill shows price, size and a commission in the quote, no quote amount: it moves exactly
        # price x size, and the balances follow (with_exact_costs), and they pay the commission it shows.
        scripted = generate_account(
            seed,
            self.clock.now_ms(),
            profile=profile,
            listed_markets=listed_symbols,
            ids=CoinbaseIds(),
            fees_in_quote=True,
        )
        self.account: ScriptedAccount = with_commissions(with_exact_costs(scripted))
        self.book = CoinbaseBook(self.account, portfolio_id=str(uuid.UUID(int=seed + 1, version=4)))
        self._windows: dict[tuple[str, str], SlidingWindow] = {}

    def reset_rate_limits(self) -> None:
        self._windows.clear()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(KEY_PERMISSIONS, self._key_permissions)
        app.router.add_get(FILLS, self._fills)
        app.router.add_get(PRODUCTS, self._products)
        app.router.add_get(ACCOUNTS, self._accounts)
        app.router.add_get(ACCOUNTS + "/{account_id}/transactions", self._transactions)

    async def _key_permissions(self, request: web.Request) -> web.Response:
        return self._serve(request, V3_PRIVATE, lambda call: self.book.key_permissions(call))

    async def _fills(self, request: web.Request) -> web.Response:
        return self._serve(request, V3_PRIVATE, lambda call: self.book.historical_fills(call))

    async def _products(self, request: web.Request) -> web.Response:
        return self._serve(request, V3_PUBLIC, lambda call: self.book.products(call))

    async def _accounts(self, request: web.Request) -> web.Response:
        return self._serve(request, V2, lambda call: self.book.accounts(call, request.path))

    async def _transactions(self, request: web.Request) -> web.Response:
        account_id = request.match_info["account_id"]
        return self._serve(request, V2, lambda call: self.book.account_transactions(call, account_id, request.path))

    # -- the request pipeline -------------------------------------------------------------------------------

    def _serve(self, request: web.Request, budget: str, handler: object) -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        try:
            key = None
            if budget == V3_PUBLIC:
                self._spend((budget, ip), now)
            else:
                key = self._authenticate(request, ip, now, v2=budget == V2)
                self._spend((budget, key.api_key), now)
            call = Call(params=dict(request.query), key=key, now_ms=now)
            body = handler(call)  # type: ignore[operator]
        except CoinbaseError as error:
            return self._error(error, v2=budget == V2)
        return web.json_response(body, dumps=compact_json)

    @staticmethod
    def _error(error: CoinbaseError, *, v2: bool) -> web.Response:
        if v2:
            listed = {"errors": [{"id": error.error_id, "message": error.message}]}
            return web.json_response(listed, status=error.status, dumps=compact_json)
        if error.status == 401:
            return web.Response(status=401, text="Unauthorized\n")
        if error.status == 429:
            return web.Response(status=429, text="Too Many Requests\n")
        body: dict[str, str] = {"error": error.error_id, "error_details": error.message, "message": error.message}
        return web.json_response(body, status=error.status, dumps=compact_json)

    def _spend(self, owner: tuple[str, str], now: int) -> None:
        window = self._windows.get(owner)
        if window is None:
            count, span = self.limits.rules[owner[0]]
            window = self._windows[owner] = SlidingWindow(count, span)
        if not window.try_spend(now, 1):
            raise CoinbaseError(429, "rate_limit_exceeded", "Too many requests")

    def _authenticate(self, request: web.Request, ip: str, now: int, *, v2: bool) -> ApiKey:
        token = parse_token(request.headers.get("Authorization", ""))
        kid = token.header.get("kid")
        key = self.keys.lookup(kid) if isinstance(kid, str) else None
        refused = CoinbaseError(401, "authentication_error", "invalid api key")
        if key is None or self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.EXPIRED:
            raise refused
        if not signature_valid(key, token):
            raise refused
        if v2 and token.header.get("alg") == "EdDSA":
            # "When using Coinbase App SDKs, Ed25519 (EdDSA) keys are NOT supported. You must use ES256" (the Coinbase
            # App's API key page); the answer to such a token is not documented: the generic 401.
            raise refused
        uris = request_uris(request.method, request.host, request.path)
        if not claims_valid(token, key.api_key, uris, now // SECOND_MS):
            raise refused
        if self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.IP_NOT_ALLOWED:
            raise refused
        if not key.permissions.read:
            if v2:
                raise CoinbaseError(403, "invalid_scope", "Key does not have the view permission")
            raise CoinbaseError(403, "PERMISSION_DENIED", "Missing required scopes")
        return key
