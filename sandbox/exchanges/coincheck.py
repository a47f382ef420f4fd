"""Coincheck exchange API emulator: balance, trades (paginated), BTC deposits and sends, JPY withdrawals, over a
scripted account (coincheck_book.py).

Private requests are checked as the document's "Authentication" describes: ``ACCESS-KEY``, ``ACCESS-NONCE`` ("Positive
integer will increase every time you send request (managed for each API key)", at most 9223372036854775807) and
``ACCESS-SIGNATURE``, the hex HMAC-SHA256, keyed with the secret, of the nonce, the request URL (with its query) and
the body. Keys may be limited to IP addresses ("you can also give permission to IP addresses you prefer") and given
rights per function. The answers to a refused request other than ccxt's two recorded ones are unsourced; every rule
and its source: docs/exchange-apis/coincheck.md.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.exchanges.base import Clock, ExchangeEmulator, KeyAccess
from sandbox.exchanges.coincheck_book import CoincheckAccount, CoincheckBook, CoincheckError, script_account
from sandbox.exchanges.keys import ApiKey
from sandbox.exchanges.protocol import Call, NotEmulated

__all__ = ["CoincheckEmulator"]

NONCE_MAX = 9_223_372_036_854_775_807


class CoincheckEmulator(ExchangeEmulator):
    """``CoincheckEmulator(seed=7)``: a scripted Coincheck account behind Coincheck's exchange API."""

    exchange_id = "coincheck"
    key_length = 16
    secret_length = 32

    def __init__(self, *, seed: int = 0, years: float = 3.0, trades: int = 150, clock: Clock | None = None) -> None:
        super().__init__(clock=clock)
        self.account: CoincheckAccount = script_account(seed, self.clock.now_ms(), years=years, trades=trades)
        self.book = CoincheckBook(self.account)
        self._nonces: dict[str, int] = {}
        book = self.book
        self.private: dict[str, Callable[[Call], object]] = {
            "/api/accounts/balance": book.balance,
            "/api/exchange/orders/transactions_pagination": book.transactions,
            "/api/deposit_money": book.deposits,
            "/api/send_money": book.sends,
            "/api/withdraws": book.withdrawals,
        }

    def add_routes(self, app: web.Application) -> None:
        for path, handler in self.private.items():
            app.router.add_get(path, self._route(handler))

    def _route(self, handler: Callable[[Call], object]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, handler)

        return handle

    def serve(self, request: web.Request, handler: Callable[[Call], object]) -> web.Response:
        now = self.clock.now_ms()
        try:
            key = self._authenticate(request, now)
            data = handler(Call(params=dict(request.rel_url.query), key=key, now_ms=now))
        except CoincheckError as error:
            body = {"success": False, "error": error.error}
            return web.Response(text=json.dumps(body), status=error.http_status, content_type="application/json")
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.Response(text=json.dumps(data, separators=(",", ":")), content_type="application/json")

    def _authenticate(self, request: web.Request, now: int) -> ApiKey:
        api_key = request.headers.get("ACCESS-KEY", "")
        nonce = request.headers.get("ACCESS-NONCE", "")
        signature = request.headers.get("ACCESS-SIGNATURE", "")
        key = self.keys.lookup(api_key) if api_key else None
        # "invalid authentication" and "disabled API Key" are the two answers ccxt records; which one each refusal
        # gets is not documented (coincheck.md): an unknown, lapsed or foreign-bound key, a bad signature or nonce
        # all get "invalid authentication" here, HTTP 401.
        if key is None or self.keys.access(key, ip=request.remote or "", now_ms=now) is not KeyAccess.OK:
            raise CoincheckError("invalid authentication", 401)
        if not nonce.isdigit() or not 0 < int(nonce) <= NONCE_MAX or int(nonce) <= self._nonces.get(api_key, 0):
            raise CoincheckError("invalid authentication", 401)
        url = f"{request.scheme}://{request.host}{request.rel_url.raw_path_qs}"
        if not signature or not key.signature_matches(nonce + url, signature):
            raise CoincheckError("invalid authentication", 401)
        self._nonces[api_key] = int(nonce)
        if not key.permissions.read:
            raise CoincheckError("disabled API Key", 401)
        return key
