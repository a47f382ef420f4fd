"""bitbank private REST API emulator: pairs, assets, the trade list of every pair, deposit and withdrawal history per
asset, over a scripted account (bitbank_book.py).

Private requests are checked as rest-api.md's "Authorization" describes: ``ACCESS-KEY`` and ``ACCESS-SIGNATURE``,
the hex HMAC-SHA256, keyed with the API secret, of either ``ACCESS-REQUEST-TIME`` + ``ACCESS-TIME-WINDOW`` + the path
with its query string (the time-window method, which "takes precedence" when both are sent; the window defaults to
5000 ms, at most 60000, and a request is served only if ``ACCESS-REQUEST-TIME < serverTime + 1000`` and ``serverTime -
ACCESS-REQUEST-TIME <= ACCESS-TIME-WINDOW``) or ``ACCESS-NONCE`` + the path (the nonce "increased every time").
"Rate limit": QUERY requests 10 a second per user, past it HTTP 429. Error codes are errors.md's; where the docs do
not say which code an answer carries the choice is marked unsourced in docs/exchange-apis/bitbank.md.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from sandbox.exchanges.base import SECOND_MS, Clock, ExchangeEmulator, KeyAccess, KeyRegistry, SlidingWindow
from sandbox.exchanges.base import retry_after_seconds as retry_after
from sandbox.exchanges.bitbank_book import BitbankAccount, BitbankBook, BitbankError, script_account
from sandbox.exchanges.get_routes import GetRoutes
from sandbox.exchanges.keys import ApiKey
from sandbox.exchanges.protocol import Call, NotEmulated

__all__ = ["BitbankEmulator", "BitbankLimits"]

TIME_WINDOW_DEFAULT_MS = 5_000
TIME_WINDOW_MAX_MS = 60_000
FUTURE_TOLERANCE_MS = 1_000  # "ACCESS-REQUEST-TIME < (serverTime + 1000)"


@dataclass(frozen=True)
class BitbankLimits:
    """ "We usually limits QUERY requests to 10 calls per second" (per user)."""

    query: int = 10
    window_ms: int = SECOND_MS


class BitbankKeys(KeyRegistry):
    """Keys and secrets of 64 hex digits (unsourced: the docs show placeholders only)."""

    def new_key_string(self) -> str:
        return secrets.token_hex(32)

    def new_secret_string(self) -> str:
        return secrets.token_hex(32)


class BitbankEmulator(GetRoutes, ExchangeEmulator):
    """``BitbankEmulator(seed=7)``: a scripted bitbank account behind bitbank's private REST API."""

    exchange_id = "bitbank"
    key_length = 64
    secret_length = 64

    def __init__(
        self,
        *,
        seed: int = 0,
        years: float = 3.0,
        trades: int = 300,
        limits: BitbankLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = BitbankKeys(self.key_length, self.secret_length)
        self.limits = limits or BitbankLimits()
        self.account: BitbankAccount = script_account(seed, self.clock.now_ms(), years=years, trades=trades)
        self.book = BitbankBook(self.account)
        self._windows: dict[str, SlidingWindow] = {}
        self._nonces: dict[str, int] = {}
        book = self.book
        # GET /spot/pairs is documented under /v1; ccxt asks it without the version (its "markets" API): both served.
        self.public: dict[str, Callable[[Call], object]] = {"/v1/spot/pairs": book.pairs, "/spot/pairs": book.pairs}
        self.private: dict[str, Callable[[Call], object]] = {
            "/v1/user/assets": book.assets,
            "/v1/user/spot/trade_history": book.trade_history,
            "/v1/user/deposit_history": book.deposit_history,
            "/v1/user/withdrawal_history": book.withdrawal_history,
        }

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, handler: Callable[[Call], object], *, signed: bool) -> web.Response:
        now = self.clock.now_ms()
        if signed:
            user = request.headers.get("ACCESS-KEY", "")
            window = self._windows.setdefault(user, SlidingWindow(self.limits.query, self.limits.window_ms))
            if not window.try_spend(now, 1):
                # "We return HTTP 429 when you reached a limit"; the body is not documented (bitbank.md): plain text.
                wait = retry_after(window.retry_after_ms(now, 1))
                return web.Response(text="Too Many Requests", status=429, headers={"Retry-After": wait})
        params = dict(request.rel_url.query)
        try:
            key = self._authenticate(request, request.remote or "", now) if signed else None
            data = handler(Call(params=params, key=key, now_ms=now))
        except BitbankError as error:
            return web.json_response(error.body(), status=error.http_status)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.Response(text=json.dumps({"success": 1, "data": data}), content_type="application/json")

    def _authenticate(self, request: web.Request, ip: str, now: int) -> ApiKey:
        api_key = request.headers.get("ACCESS-KEY", "")
        signature = request.headers.get("ACCESS-SIGNATURE", "")
        key = self.keys.lookup(api_key) if api_key else None
        # bitbank documents neither key expiry nor an IP binding in its API docs: a lapsed or foreign-bound demo key
        # is answered as a key bitbank does not know (bitbank.md, "Demo keys").
        if key is None or self.keys.access(key, ip=ip, now_ms=now) is not KeyAccess.OK:
            raise BitbankError(20003)  # "Api key not found"
        path = request.rel_url.raw_path_qs
        stamp = request.headers.get("ACCESS-REQUEST-TIME")
        if stamp is not None:
            window = request.headers.get("ACCESS-TIME-WINDOW", str(TIME_WINDOW_DEFAULT_MS))
            if not stamp.isdigit() or not window.isdigit() or int(window) > TIME_WINDOW_MAX_MS:
                raise BitbankError(20001)  # the code is not documented (bitbank.md)
            if not (int(stamp) < now + FUTURE_TOLERANCE_MS and now - int(stamp) <= int(window)):
                raise BitbankError(20001)
            payload = stamp + window + path
        else:
            nonce = request.headers.get("ACCESS-NONCE", "")
            if not nonce.isdigit() or int(nonce) <= self._nonces.get(key.api_key, -1):
                raise BitbankError(20004)  # "Invalid api nonce"
            self._nonces[key.api_key] = int(nonce)
            payload = nonce + path
        if not signature or not key.signature_matches(payload, signature):
            raise BitbankError(20005)  # "Invalid api signature"
        return key
