"""MEXC spot API v3 emulator: exchange info, account, trades, deposits, withdrawals, transfers between the user's
spot and futures accounts and small balances converted to MX, over a scripted account.

Signed requests are checked as MEXC's "SIGNED" section describes: the key in ``X-MEXC-APIKEY`` (missing: code 400
"api key required"; malformed: 700001; unknown, revoked or expired: 10072), ``timestamp`` within ``recvWindow``
(default 5000, at most 60000: 700005) by the rule ``timestamp < serverTime + 1000 and serverTime - timestamp <=
recvWindow`` (700003), ``signature`` the lowercase hex HMAC-SHA256 of the query string before it, keyed with the
secret (700002), the caller's IP on the key's list (700006) and the key's read permission (700007). Keys without an
IP binding expire after 90 days (FAQ Q1). Each endpoint has its own budget of 500 weight per 10 seconds per IP
(LIMITS); past it the answer is HTTP 429 with ``Retry-After``.

The futures account (contract API v1, ``/api/v1/private/…``, on the same host as ccxt calls it) is served by
mexc_futures.py, signed its own way (headers ``ApiKey``, ``Request-Time``, ``Signature``); `futures=True` scripts the
account with five months of perpetual futures (mexc_futures_script.py). Rules and sources: docs/exchange-apis/mexc.md.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

from aiohttp import web

from sandbox.exchanges.base import (
    DAY_MS,
    SECOND_MS,
    ApiKey,
    Clock,
    ExchangeEmulator,
    KeyAccess,
    KeyRegistry,
    SlidingWindow,
    compact_json,
    retry_after_seconds,
)
from sandbox.exchanges.mexc_book import (
    TRADES_REACH_MS,
    TRANSFERS_REACH_MS,
    MexcBook,
    MexcError,
    MexcIds,
    with_dust_conversions,
)
from sandbox.exchanges.mexc_futures import ContractError, MexcFuturesBook, authenticate
from sandbox.exchanges.mexc_futures_script import fold_into_account, script_futures
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.raw_numbers import raw_json
from sandbox.exchanges.records import AccountProfile, ScriptedAccount, TradeRecord
from sandbox.exchanges.scripted import generate_account

__all__ = ["MexcEmulator", "MexcLimits"]

RECV_WINDOW_DEFAULT_MS = 5_000
RECV_WINDOW_MAX_MS = 60_000
FUTURE_TOLERANCE_MS = 1_000  # "timestamp < (serverTime + 1000)"
_KEY = re.compile(r"mx0[A-Za-z0-9]{15}")


@dataclass(frozen=True)
class MexcLimits:
    """Weight per endpoint per IP in each window (LIMITS: "an independent 500 every 10 second limit")."""

    weight: int = 500
    window_ms: int = 10 * SECOND_MS
    # The contract API: "Rate limit:20 times/2 seconds" on each endpoint.
    contract_requests: int = 20
    contract_window_ms: int = 2 * SECOND_MS


@dataclass(frozen=True)
class Endpoint:
    path: str
    weight: int  # "Weight(IP)" on the endpoint's page
    signed: bool
    handler: Callable[[Call], object]


class MexcKeys(KeyRegistry):
    """Access keys as in the docs' signing example (``mx0aBYs33eIilxBWC5``), secrets 32 hex digits."""

    def new_key_string(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "mx0" + "".join(secrets.choice(alphabet) for _ in range(15))

    def new_secret_string(self) -> str:
        return secrets.token_hex(16)


class MexcEmulator(ExchangeEmulator):
    """``MexcEmulator(seed=7)``: a scripted MEXC spot account behind MEXC's spot v3 REST protocol."""

    exchange_id = "mexc"
    key_length = 18
    secret_length = 32
    unrestricted_key_lifetime_ms = 90 * DAY_MS  # FAQ Q1: a key without a linked IP is valid for 90 days

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 300,
        limits: MexcLimits | None = None,
        clock: Clock | None = None,
        futures: bool = False,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = MexcKeys(self.key_length, self.secret_length)
        self.limits = limits or MexcLimits()
        profile = profile or AccountProfile()
        # Nothing near the trade list's one-month reach or the transfer list's six months, so results never hinge
        # on the seconds of a test run.
        profile = replace(profile, quiet_ages_ms=(*profile.quiet_ages_ms, TRADES_REACH_MS, TRANSFERS_REACH_MS))
        scripted = generate_account(
            seed, self.clock.now_ms(), profile=profile, listed_markets=listed_symbols, ids=MexcIds()
        )
        self.account: ScriptedAccount
        self.account, dust_fees = with_dust_conversions(scripted, seed)
        self.futures = script_futures(seed, self.clock.now_ms()) if futures else None
        if self.futures is not None:
            self.account = fold_into_account(self.account, self.futures)
        self.book = MexcBook(self.account, dust_fees, self.futures.wallet if self.futures else None)
        self.contract = MexcFuturesBook(self.futures)
        self._windows: dict[tuple[str, str], SlidingWindow] = {}
        book = self.book
        self.endpoints = (
            Endpoint("/api/v3/time", 1, False, book.time),
            Endpoint("/api/v3/exchangeInfo", 10, False, book.exchange_info),
            Endpoint("/api/v1/contract/detail", 1, False, self.contract.contract_detail),
            Endpoint("/api/v3/account", 10, True, book.account_info),
            Endpoint("/api/v3/myTrades", 10, True, book.my_trades),
            Endpoint("/api/v3/capital/deposit/hisrec", 1, True, book.deposits),
            Endpoint("/api/v3/capital/withdraw/history", 1, True, book.withdrawals),
            Endpoint("/api/v3/capital/transfer", 1, True, book.transfers),
            Endpoint("/api/v3/capital/convert", 1, True, book.dust_log),
        )

    @property
    def trades_in_reach(self) -> tuple[TradeRecord, ...]:
        """The trades the Account Trade List can still return now (the last month)."""
        floor = self.clock.now_ms() - TRADES_REACH_MS
        return tuple(t for t in self.account.trades if t.timestamp >= floor)

    def reset_rate_limits(self) -> None:
        self._windows.clear()

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_get(endpoint.path, self._handler(endpoint))
        for path, handler in self.contract.routes().items():
            app.router.add_get(path, self._contract_handler(path, handler))

    def _contract_handler(
        self, path: str, handler: Callable[[Call], object]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve_contract(request, path, handler)

        return handle

    def serve_contract(self, request: web.Request, path: str, handler: Callable[[Call], object]) -> web.Response:
        """A signed contract API request: its key, its endpoint's budget, then the answer (errors come with HTTP
        200 and ``success: false``; the docs tie no HTTP status to a code)."""
        now, ip = self.clock.now_ms(), request.remote or ""
        pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)
        try:
            key = authenticate(self.keys, request.headers, pairs, ip, now, path)
            window = self._windows.get((path, "account"))
            if window is None:
                window = SlidingWindow(self.limits.contract_requests, self.limits.contract_window_ms)
                self._windows[(path, "account")] = window
            if not window.try_spend(now, 1):
                raise ContractError(510, "Excessive frequency of requests")
            data = handler(Call(params=dict(pairs), key=key, now_ms=now))
        except ContractError as error:
            data = error.body()
        return web.Response(text=raw_json(data), content_type="application/json")

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, endpoint)

        return handle

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, endpoint: Endpoint) -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        window = self._windows.get((endpoint.path, ip))
        if window is None:
            window = self._windows[(endpoint.path, ip)] = SlidingWindow(self.limits.weight, self.limits.window_ms)
        if not window.try_spend(now, endpoint.weight):
            wait = retry_after_seconds(window.retry_after_ms(now, endpoint.weight))
            body = {"code": 429, "msg": "Too Many Requests"}
            return web.json_response(body, status=429, headers={"Retry-After": wait}, dumps=compact_json)
        raw = request.rel_url.raw_query_string
        try:
            params = dict(parse_qsl(raw, keep_blank_values=True))
            key = self._authenticate(request, raw, params, ip, now) if endpoint.signed else None
            data = endpoint.handler(Call(params=params, key=key, now_ms=now))
        except MexcError as error:
            return web.json_response({"code": error.code, "msg": error.msg}, status=error.status, dumps=compact_json)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.Response(text=raw_json(data), content_type="application/json")

    def _authenticate(self, request: web.Request, raw: str, params: dict[str, str], ip: str, now: int) -> ApiKey:
        api_key = request.headers.get("X-MEXC-APIKEY", "")
        if not api_key:
            raise MexcError(400, "api key required")
        if not _KEY.fullmatch(api_key):
            raise MexcError(700001, "API-key format invalid.")
        key = self.keys.lookup(api_key)
        # An expired key's answer is not documented; it is a key MEXC no longer knows.
        if key is None or self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.EXPIRED:
            raise MexcError(10072, "Api key info invalid")
        window_text, stamp = params.get("recvWindow", str(RECV_WINDOW_DEFAULT_MS)), params.get("timestamp", "")
        if not window_text.isdigit() or not stamp.isdigit():
            raise MexcError(33333, "param is error")
        if int(window_text) > RECV_WINDOW_MAX_MS:
            raise MexcError(700005, "recvWindow must less than 60000")
        if not (int(stamp) < now + FUTURE_TOLERANCE_MS and now - int(stamp) <= int(window_text)):
            raise MexcError(700003, "Timestamp for this request is outside of the recvWindow.")
        # totalParams is the query string (a GET has no body); the signature is the last parameter.
        signed, _, signature = raw.rpartition("&signature=")
        if not signature or not key.signature_matches(signed, signature) or signature != signature.lower():
            raise MexcError(700002, "Signature for this request is not valid.")
        if self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.IP_NOT_ALLOWED:
            raise MexcError(700006, f"IP [{ip}] not in the ip white list")
        if not key.permissions.read:
            raise MexcError(700007, "No permission to access the endpoint.")
        return key
