"""BigONE API v3 emulator: asset pairs, spot balances, the user's trades per asset pair, deposits and withdrawals over
a scripted account.

Private requests are checked as BigONE's "Authentication" page describes: ``Authorization: Bearer <JWT>``, the JWT
signed with HS256 (header ``{"alg": "HS256", "typ": "JWT"}``) keyed with the API secret as-is, its payload
``{"type": "OpenAPIV2", "sub": <API key>, "nonce": <nanoseconds as a string>, "recv_window": <seconds, optional,
default 30>}``; "the difference between nonce and the server's current timestamp must be less than recv_window
seconds". Refusals use the "Error Codes" page: 40107 (400) for a malformed Authorization header, 40106 (401) for a
token that is malformed, wrongly signed or out of its window, 40004 (401) for a key BigONE does not know, 10403
(403) for a key without the scope or from an IP not on its whitelist, 10429 (429) beyond "500 requests per 10
seconds per IP" (the "General Information" page). Rules and sources: docs/exchange-apis/bigone.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.exchanges.base import SECOND_MS, ApiKey, Clock, ExchangeEmulator, KeyAccess, KeyRegistry, SlidingWindow
from sandbox.exchanges.base import retry_after_seconds as retry_after
from sandbox.exchanges.bigone_book import BigoneBook, BigoneError, BigoneIds
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import AccountProfile, ScriptedAccount
from sandbox.exchanges.scripted import generate_account, with_exact_costs

__all__ = ["VIEW_SCOPES", "BigoneEmulator", "BigoneLimits", "jwt_token", "signed_with", "token_parts"]

DEFAULT_RECV_WINDOW_S = 30  # "Allowable timestamp offset in seconds. Default: 30"
# The two forms the page's examples show: a UUID, and (in the example token) 32 hex digits.
_KEY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


@dataclass(frozen=True)
class BigoneLimits:
    """Requests per IP: "HTTP Requests: 500 requests per 10 seconds per IP"."""

    requests: int = 500
    window_ms: int = 10 * SECOND_MS


@dataclass(frozen=True)
class Route:
    path: str
    signed: bool
    handler: Callable[[Call], object]
    scope: str | None = None  # the key's permission scope the path needs ("API Key Setup")


# "API Key Setup" (https://open.bigone.com/docs/api-key-setup): the scopes a key is given; a path whose scope the key
# lacks answers 403 code 10403 "Permission denied".
BALANCES = "View Account Balance Information"
TRADES = "View Trade Information"
DEPOSITS = "View Deposit History"
WITHDRAWALS = "View Withdrawal History"
VIEW_SCOPES = frozenset({BALANCES, TRADES, DEPOSITS, WITHDRAWALS})
CREATE_ORDERS, EXECUTE_WITHDRAWALS = "Create Orders", "Execute Withdrawals"


class BigoneKeys(KeyRegistry):
    """API keys are UUIDs (the page's example ``765fc50d-39e0-11f0-9669-5a69d7ba6f46``); the secret's form is not
    shown (the example signs with ``testsecret``): 64 hex characters here (unsourced)."""

    def new_key_string(self) -> str:
        return str(uuid.uuid4())

    def new_secret_string(self) -> str:
        return hashlib.sha256(uuid.uuid4().bytes).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The JWT's header and claims, or None when it is not a JWT at all."""
    if token.count(".") != 2:
        return None
    head_text, body_text, _ = token.split(".")
    try:
        head, claims = json.loads(_unb64url(head_text)), json.loads(_unb64url(body_text))
    except (binascii.Error, ValueError):
        return None
    return (head, claims) if isinstance(head, dict) and isinstance(claims, dict) else None


def signed_with(token: str, secret: str) -> bool:
    """Whether the token's HS256 signature is the secret's, the secret used as-is ("Do not Base64 encode")."""
    head_text, body_text, signature_text = token.split(".")
    expected = hmac.new(secret.encode(), f"{head_text}.{body_text}".encode(), hashlib.sha256).digest()
    try:
        return hmac.compare_digest(expected, _unb64url(signature_text))
    except (binascii.Error, ValueError):
        return False


def jwt_token(payload: dict[str, Any], secret: str) -> str:
    """An HS256 JWT as BigONE's page builds one (for tests that sign by hand)."""
    head = _b64url(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(signature)}"


class BigoneEmulator(ExchangeEmulator):
    """``BigoneEmulator(seed=7)``: a scripted BigONE spot account behind BigONE's API v3."""

    exchange_id = "bigone"
    key_length = 36
    secret_length = 64

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_pairs: int = 300,
        limits: BigoneLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = BigoneKeys(self.key_length, self.secret_length)
        self.limits = limits or BigoneLimits()
        # BigONE's trade rows show price and amount, no quote amount: a fill moves exactly their product, and the
        # balances follow (scripted.with_exact_costs).
        self.account: ScriptedAccount = with_exact_costs(
            generate_account(
                seed,
                self.clock.now_ms(),
                profile=profile or AccountProfile(),
                listed_markets=listed_pairs,
                ids=BigoneIds(),
            )
        )
        self.book = BigoneBook(self.account, seed)
        self._windows: dict[str, SlidingWindow] = {}
        book = self.book
        self.routes = (
            Route("/api/v3/asset_pairs", False, book.asset_pairs),
            Route("/api/contract/v2/symbols", False, book.contract_symbols),
            Route("/api/v3/viewer/accounts", True, book.accounts, BALANCES),
            Route("/api/v3/viewer/trades", True, book.trades, TRADES),
            Route("/api/v3/viewer/deposits", True, book.deposits, DEPOSITS),
            Route("/api/v3/viewer/withdrawals", True, book.withdrawals, WITHDRAWALS),
        )
        # Scopes by API key, where a test chose them; any other key has the four view scopes if it may read, and
        # Create Orders and Execute Withdrawals as its rights say.
        self.scopes: dict[str, frozenset[str]] = {}

    def reset_rate_limits(self) -> None:
        self._windows.clear()

    def add_routes(self, app: web.Application) -> None:
        for route in self.routes:
            app.router.add_get(route.path, self._handler(route))

    def _handler(self, route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, route)

        return handle

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, route: Route) -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        window = self._windows.setdefault(ip, SlidingWindow(self.limits.requests, self.limits.window_ms))
        try:
            if not window.try_spend(now, 1):
                raise BigoneError(10429, "Too many requests", 429)
            key = self._authenticate(request, now) if route.signed else None
            if key is not None and route.scope is not None and route.scope not in self.key_scopes(key):
                raise BigoneError(10403, "Permission denied", 403)
            data = route.handler(Call(params=dict(request.query), key=key, now_ms=now))
        except BigoneError as error:
            headers = {"Retry-After": retry_after(window.retry_after_ms(now, 1))} if error.status == 429 else {}
            body = json.dumps({"code": error.code, "message": error.message})
            return web.Response(text=body, status=error.status, headers=headers, content_type="application/json")
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.Response(text=json.dumps(data, separators=(",", ":")), content_type="application/json")

    def key_scopes(self, key: ApiKey) -> frozenset[str]:
        chosen = self.scopes.get(key.api_key)
        if chosen is not None:
            return chosen
        rights = key.permissions
        granted = {
            *(VIEW_SCOPES if rights.read else ()),
            *((CREATE_ORDERS,) if rights.trade else ()),
            *((EXECUTE_WITHDRAWALS,) if rights.withdraw else ()),
        }
        return frozenset(granted)

    def _authenticate(self, request: web.Request, now: int) -> ApiKey:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token.count(".") != 2:
            raise BigoneError(40107, "Unexpected request header", 400)
        invalid = BigoneError(40106, "Invalid token", 401)
        parts = token_parts(token)
        if parts is None:
            raise invalid
        head, claims = parts
        if head.get("alg") != "HS256" or claims.get("type") != "OpenAPIV2":
            raise invalid
        api_key = str(claims.get("sub", ""))
        key = self.keys.lookup(api_key) if _KEY.fullmatch(api_key) else None
        if key is None:
            raise BigoneError(40004, "Unauthorized", 401)
        if not signed_with(token, key.secret):
            raise invalid
        try:
            nonce_ms = int(str(claims["nonce"])) // 1_000_000
            window_s = int(str(claims.get("recv_window", DEFAULT_RECV_WINDOW_S)))
        except (KeyError, ValueError):
            raise invalid from None
        if abs(now - nonce_ms) >= window_s * SECOND_MS:
            raise invalid
        access = self.keys.access(key, ip=request.remote or "", now_ms=now)
        if access is KeyAccess.EXPIRED:
            # BigONE documents no expiry; a lapsed key here answers as one BigONE no longer knows (unsourced).
            raise BigoneError(40004, "Unauthorized", 401)
        if access is KeyAccess.IP_NOT_ALLOWED or not key.permissions.read:
            raise BigoneError(10403, "Permission denied", 403)
        return key
