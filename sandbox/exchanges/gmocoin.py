"""GMO Coin REST API emulator: trade rules (public), assets, latest executions, and the crypto and JPY deposit and
withdrawal histories, over a scripted account (gmocoin_book.py).

Private requests are checked as the official "認証" section and every request sample show: ``API-KEY``,
``API-TIMESTAMP`` (Unix milliseconds) and ``API-SIGN``, the hex HMAC-SHA256, keyed with the secret, of timestamp +
method + path (``/v1/…``, without ``/private`` and without the query string) + body. Limits: Tier 1, 20 GET a second
per account, past it ERR-5003 with HTTP 429. Error codes are the documented ones (ERR-5007…5012, ERR-5106, ERR-846);
the answers the documentation leaves open are marked unsourced in docs/exchange-apis/gmocoin.md.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from sandbox.exchanges.base import SECOND_MS, Clock, ExchangeEmulator, KeyAccess, SlidingWindow
from sandbox.exchanges.base import retry_after_seconds as retry_after
from sandbox.exchanges.gmocoin_book import GmoCoinAccount, GmoCoinBook, GmoCoinError, iso, script_account
from sandbox.exchanges.keys import ApiKey
from sandbox.exchanges.protocol import Call, NotEmulated

__all__ = ["GmoCoinEmulator", "GmoCoinLimits"]

PRIVATE_PREFIX = "/private"
# How far API-TIMESTAMP may stray from the API's clock before ERR-5008 (ahead) or ERR-5009 (behind): not documented.
AHEAD_MS, BEHIND_MS = 5_000, 60_000


@dataclass(frozen=True)
class GmoCoinLimits:
    """Tier 1: "同一アカウントからGETのAPI呼出は、1秒間に20回が上限です"."""

    per_second: int = 20
    window_ms: int = SECOND_MS


def _failure(error: GmoCoinError, now_ms: int) -> web.Response:
    body = {"status": 5, "messages": [{"message_code": error.code, "message_string": error.message}]}
    body["responsetime"] = iso(now_ms)
    return web.Response(text=json.dumps(body), status=error.http_status, content_type="application/json")


class GmoCoinEmulator(ExchangeEmulator):
    """``GmoCoinEmulator(seed=7)``: a scripted GMO Coin account behind GMO Coin's REST API."""

    exchange_id = "gmocoin"
    key_length = 32  # unsourced: the docs show placeholders only
    secret_length = 64

    def __init__(
        self,
        *,
        seed: int = 0,
        days: float = 3.0,
        fills: int = 40,
        limits: GmoCoinLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.limits = limits or GmoCoinLimits()
        self.account: GmoCoinAccount = script_account(seed, self.clock.now_ms(), days=days, fills=fills)
        self.book = GmoCoinBook(self.account)
        self._windows: dict[str, SlidingWindow] = {}
        book = self.book
        self.public: dict[str, Callable[[Call], object]] = {"/public/v1/symbols": book.symbols}
        self.private: dict[str, Callable[[Call], object]] = {
            "/v1/account/assets": book.assets,
            "/v1/latestExecutions": book.latest_executions,
            "/v1/account/deposit/history": book.deposits,
            "/v1/account/withdrawal/history": book.withdrawals,
            "/v1/account/fiatDeposit/history": book.fiat_deposits,
            "/v1/account/fiatWithdrawal/history": book.fiat_withdrawals,
        }

    def reset_rate_limits(self) -> None:
        self._windows.clear()

    def add_routes(self, app: web.Application) -> None:
        for path, handler in self.public.items():
            app.router.add_get(path, self._route(path, handler, signed=False))
        for path, handler in self.private.items():
            app.router.add_get(PRIVATE_PREFIX + path, self._route(path, handler, signed=True))

    def _route(
        self, path: str, handler: Callable[[Call], object], *, signed: bool
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, path, handler, signed=signed)

        return handle

    def serve(
        self, request: web.Request, path: str, handler: Callable[[Call], object], *, signed: bool
    ) -> web.Response:
        now = self.clock.now_ms()
        try:
            key = self._authenticate(request, path, now) if signed else None
            if key is not None:
                window = self._windows.setdefault(
                    key.api_key, SlidingWindow(self.limits.per_second, self.limits.window_ms)
                )
                if not window.try_spend(now, 1):
                    wait = retry_after(window.retry_after_ms(now, 1))
                    response = _failure(GmoCoinError("ERR-5003", "Requests are too many.", 429), now)
                    response.headers["Retry-After"] = wait  # not documented (unsourced): tells the client how long
                    return response
            data = handler(Call(params=dict(request.rel_url.query), key=key, now_ms=now))
        except GmoCoinError as error:
            return _failure(error, now)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        body = {"status": 0, "data": data, "responsetime": iso(now)}
        return web.Response(text=json.dumps(body), content_type="application/json")

    def _authenticate(self, request: web.Request, path: str, now: int) -> ApiKey:
        api_key = request.headers.get("API-KEY", "")
        if not api_key:
            raise GmoCoinError("ERR-5011", "API-KEY is empty.", 401)
        stamp = request.headers.get("API-TIMESTAMP", "")
        if not stamp.isdigit():
            raise GmoCoinError("ERR-5007", "API-TIMESTAMP is not set or not numeric.", 401)
        if int(stamp) > now + AHEAD_MS:
            raise GmoCoinError("ERR-5008", "API-TIMESTAMP is later than the system time.", 401)
        if int(stamp) < now - BEHIND_MS:
            raise GmoCoinError("ERR-5009", "API-TIMESTAMP is earlier than the system time.", 401)
        key = self.keys.lookup(api_key)
        # No documented answer for an unknown, lapsed or foreign-IP key, nor for a key without the reading
        # permission: all are "The API authentication is invalid" (gmocoin.md, "Not documented").
        refused = GmoCoinError("ERR-5012", "The API authentication is invalid.", 401)
        if key is None or self.keys.access(key, ip=request.remote or "", now_ms=now) is not KeyAccess.OK:
            raise refused
        payload = stamp + request.method + path  # a GET has no body; the query is not signed
        if not key.signature_matches(payload, request.headers.get("API-SIGN", "")):
            raise GmoCoinError("ERR-5010", "The API-SIGN is invalid.", 401)
        if not key.permissions.read:
            raise refused
        return key
