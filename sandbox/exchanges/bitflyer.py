"""bitFlyer Lightning HTTP API emulator: market lists, balance, permissions, executions, crypto deposits and sends,
JPY deposits and withdrawals, over a scripted account (bitflyer_book.py).

Private requests are checked as the docs' "Authentication" section describes: ``ACCESS-KEY``, ``ACCESS-TIMESTAMP``
and ``ACCESS-SIGN``, the lowercase hex HMAC-SHA256, keyed with the API secret, of the timestamp, the HTTP method,
the request path (with its query string) and the body, concatenated. A key may call only the paths it was given
("API key permissions"; GET /v1/me/getpermissions lists them). Private APIs: 500 queries per 5 minutes; the same IP
address: 500 per 5 minutes ("API Limits"). The answers to a refused request are not documented: the ones used here
are marked unsourced in docs/exchange-apis/bitflyer.md, with every other rule and its source.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from sandbox.exchanges.base import MINUTE_MS, Clock, ExchangeEmulator, KeyAccess, KeyRegistry, SlidingWindow
from sandbox.exchanges.base import retry_after_seconds as retry_after
from sandbox.exchanges.bitflyer_book import BitflyerAccount, BitflyerBook, BitflyerError, raw_json, script_account
from sandbox.exchanges.get_routes import GetRoutes
from sandbox.exchanges.keys import ApiKey, Permissions
from sandbox.exchanges.protocol import Call, NotEmulated

__all__ = ["BitflyerEmulator", "BitflyerLimits"]

# The private paths each right opens, as the key settings page groups them (bitflyer.md, "Key permissions").
READ_PATHS = (
    "/v1/me/getpermissions",
    "/v1/me/getbalance",
    "/v1/me/getcollateral",
    "/v1/me/getaddresses",
    "/v1/me/getcoinins",
    "/v1/me/getcoinouts",
    "/v1/me/getbankaccounts",
    "/v1/me/getdeposits",
    "/v1/me/getwithdrawals",
    "/v1/me/getchildorders",
    "/v1/me/getparentorders",
    "/v1/me/getparentorder",
    "/v1/me/getexecutions",
    "/v1/me/getbalancehistory",
    "/v1/me/getpositions",
    "/v1/me/getcollateralhistory",
    "/v1/me/gettradingcommission",
)
TRADE_PATHS = (
    "/v1/me/sendchildorder",
    "/v1/me/cancelchildorder",
    "/v1/me/sendparentorder",
    "/v1/me/cancelparentorder",
    "/v1/me/cancelallchildorders",
)
WITHDRAW_PATHS = ("/v1/me/withdraw",)


def permitted_paths(permissions: Permissions) -> tuple[str, ...]:
    paths: tuple[str, ...] = READ_PATHS if permissions.read else ()
    paths += TRADE_PATHS if permissions.trade else ()
    return paths + (WITHDRAW_PATHS if permissions.withdraw else ())


@dataclass(frozen=True)
class BitflyerLimits:
    """ "Private APIs: 500 queries per 5 minutes"; "Same IP Address: 500 queries per 5 minutes"."""

    private: int = 500
    per_ip: int = 500
    window_ms: int = 5 * MINUTE_MS


class BitflyerKeys(KeyRegistry):
    """Keys of 22 letters and digits, secrets the base64 of 32 bytes (44 characters with "+", "/", "="): the shape of
    keys the developer page issues (unsourced: the docs show placeholders only)."""

    def new_secret_string(self) -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()


class BitflyerEmulator(GetRoutes, ExchangeEmulator):
    """``BitflyerEmulator(seed=7)``: a scripted bitFlyer account behind bitFlyer Lightning's HTTP API."""

    exchange_id = "bitflyer"
    key_length = 22
    secret_length = 44

    def __init__(
        self,
        *,
        seed: int = 0,
        years: float = 3.0,
        executions: int = 240,
        limits: BitflyerLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = BitflyerKeys(self.key_length, self.secret_length)
        self.limits = limits or BitflyerLimits()
        self.account: BitflyerAccount = script_account(seed, self.clock.now_ms(), years=years, executions=executions)
        self.book = BitflyerBook(self.account)
        self._windows: dict[str, SlidingWindow] = {}
        book = self.book
        self.public: dict[str, Callable[[Call], object]] = {
            "/v1/getmarkets": book.markets,
            "/v1/getmarkets/usa": book.markets_usa,
            "/v1/getmarkets/eu": book.markets_eu,
        }
        self.private: dict[str, Callable[[Call], object]] = {
            "/v1/me/getpermissions": self._permissions,
            "/v1/me/getbalance": book.balance,
            "/v1/me/getexecutions": book.executions,
            "/v1/me/getcoinins": book.coin_ins,
            "/v1/me/getcoinouts": book.coin_outs,
            "/v1/me/getdeposits": book.deposits,
            "/v1/me/getwithdrawals": book.withdrawals,
        }

    @staticmethod
    def _permissions(call: Call) -> list[str]:
        if call.key is None:
            raise NotEmulated("the permission list is a signed endpoint")
        return list(permitted_paths(call.key.permissions))

    # -- the request pipeline -------------------------------------------------------------------------------

    def _spend(self, bucket: str, limit: int, now: int) -> int | None:
        window = self._windows.setdefault(bucket, SlidingWindow(limit, self.limits.window_ms))
        return None if window.try_spend(now, 1) else window.retry_after_ms(now, 1)

    def serve(self, request: web.Request, handler: Callable[[Call], object], *, signed: bool) -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        wait = self._spend(f"ip:{ip}", self.limits.per_ip, now)
        if wait is None and signed:
            wait = self._spend(f"key:{request.headers.get('ACCESS-KEY', '')}", self.limits.private, now)
        if wait is not None:
            # Past a limit "future API requests will be blocked temporarily"; the answer is not documented.
            body = BitflyerError(-1, "Over API limit", 429).body()
            headers = {"Retry-After": retry_after(wait)}
            return web.Response(text=raw_json(body), status=429, headers=headers, content_type="application/json")
        params = dict(request.rel_url.query)
        try:
            key = self._authenticate(request, ip, now) if signed else None
            data = handler(Call(params=params, key=key, now_ms=now))
        except BitflyerError as error:
            return web.Response(text=raw_json(error.body()), status=error.http_status, content_type="application/json")
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.Response(text=raw_json(data), content_type="application/json")

    def _authenticate(self, request: web.Request, ip: str, now: int) -> ApiKey:
        api_key = request.headers.get("ACCESS-KEY", "")
        stamp = request.headers.get("ACCESS-TIMESTAMP", "")
        signature = request.headers.get("ACCESS-SIGN", "")
        key = self.keys.lookup(api_key) if api_key else None
        # bitFlyer documents no expiry and no IP binding for keys: a lapsed or foreign-bound demo key is one bitFlyer
        # does not know (bitflyer.md, "Demo keys").
        if key is None or self.keys.access(key, ip=ip, now_ms=now) is not KeyAccess.OK:
            raise BitflyerError(-500, "Key not found", 401)
        if not stamp.isdigit():
            raise BitflyerError(-500, "Invalid timestamp", 401)
        payload = stamp + request.method + request.rel_url.raw_path_qs
        if not signature or signature != signature.lower() or not key.signature_matches(payload, signature):
            raise BitflyerError(-500, "Invalid signature", 401)
        if request.path not in permitted_paths(key.permissions):
            raise BitflyerError(-500, "Permission denied", 403)
        return key
