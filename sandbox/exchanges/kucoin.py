"""KuCoin REST emulator (spot, classic account API): symbols, key info, balances, HF and classic fills, deposits,
withdrawals, the spot ledger and convert orders (market and limit).

Private requests are checked as KuCoin documents: ``KC-API-KEY``, ``KC-API-SIGN``, ``KC-API-TIMESTAMP`` and
``KC-API-PASSPHRASE`` must all be there (400001); the timestamp in ms within 5 seconds of the server's clock
(400002); the key must exist (400003); the passphrase must match (400004): for ``KC-API-KEY-VERSION: 2`` it is
base64 HMAC-SHA256 of the passphrase with the secret, for version 1 the passphrase itself; ``KC-API-SIGN`` is base64
HMAC-SHA256 of timestamp + method + path with query + body (400005); the caller's IP must be on the key's list
(400006); the key must hold the General permission (400007). Requests are weighed against KuCoin's resource pools
(VIP0: Spot 4000, Futures 2000, Management 2000 per account, Public 2000 per IP, each per 30 s); past a pool the
answer is HTTP 429 with code 429000. The rules and their sources are in docs/exchange-apis/kucoin.md.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from urllib.parse import parse_qsl

from aiohttp import web

from sandbox.exchanges.base import (
    SECOND_MS,
    ApiKey,
    Clock,
    ExchangeEmulator,
    KeyAccess,
    KeyRegistry,
    SlidingWindow,
    compact_json,
)
from sandbox.exchanges.kucoin_book import KucoinBook, KucoinError, KucoinIds
from sandbox.exchanges.kucoin_classic import classic_fills
from sandbox.exchanges.kucoin_convert import ConvertHistory
from sandbox.exchanges.kucoin_futures import KucoinFutures, funded, script_futures, spot_legs
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import AccountProfile, ScriptedAccount
from sandbox.exchanges.scripted import generate_account

POOL_WINDOW_MS = 30 * SECOND_MS
# Resource pools at VIP0 ("Rate Limit" page of KuCoin's docs): quota per 30 s.
DEFAULT_POOLS: Mapping[str, int] = MappingProxyType({"spot": 4000, "futures": 2000, "management": 2000, "public": 2000})
FILLS = "/api/v1/fills"  # on the spot host (classic fills) and on the futures host
TIMESTAMP_TOLERANCE_MS = 5 * SECOND_MS  # "must be less than 5 seconds"
_KEY = re.compile(r"[0-9a-f]{24}")


@dataclass(frozen=True)
class Endpoint:
    path: str
    pool: str  # "spot", "management" (per account) or "public" (per IP)
    weight: int
    handler: Callable[[Call], object]

    @property
    def private(self) -> bool:
        return self.pool != "public"


@dataclass(frozen=True)
class KucoinLimits:
    """Pool quotas per 30 s; tests shrink them to reach 429000 quickly."""

    pools: Mapping[str, int] = field(default_factory=lambda: DEFAULT_POOLS)


class KucoinKeys(KeyRegistry):
    """KuCoin keys are 24 hex digits (``5c2db93503aa674c74a31734``), secrets UUIDs, as in the docs' signing example."""

    def new_key_string(self) -> str:
        return secrets.token_hex(12)

    def new_secret_string(self) -> str:
        return str(uuid.uuid4())


class KucoinEmulator(ExchangeEmulator):
    """``KucoinEmulator(seed=7)``: a scripted KuCoin spot account behind KuCoin's REST protocol."""

    exchange_id = "kucoin"
    key_length = 24
    secret_length = 36
    uses_passphrase = True

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 300,
        limits: KucoinLimits | None = None,
        clock: Clock | None = None,
        end_inclusive: bool = True,
        hf_upgrade_ms: int | None = None,
        derivatives: bool = False,
        unified: bool = False,
    ) -> None:
        """`end_inclusive`: whether a row stamped exactly `endAt` is listed, which KuCoin's docs leave open.
        `hf_upgrade_ms`: when the account moved to high-frequency trading; its fills before then are classic ones
        (GET /api/v1/fills). None: every fill is an HF fill. `derivatives`: the account also traded futures
        (kucoin_futures.py); without it the futures ledger and fills are empty. `unified`: the account is in unified
        mode (GET /api/ua/v1/account/mode answers UNIFIED); the classic futures endpoints still answer the script,
        which is what a reader that never asks the mode would take for the whole story."""
        super().__init__(clock=clock)
        self.keys = KucoinKeys(self.key_length, self.secret_length)
        self.limits = limits or KucoinLimits()
        self.account: ScriptedAccount = generate_account(
            seed,
            self.clock.now_ms(),
            profile=profile or AccountProfile(),
            listed_markets=listed_symbols,
            ids=KucoinIds(),
        )
        self.futures_script = script_futures(seed, self.clock.now_ms()) if derivatives else None
        if self.futures_script is not None:
            # What went into futures is no longer in the trading account: the spot balances answer without it, and
            # deposits of the same amounts fund it, so no balance goes below zero.
            self.account = funded(self.account, self.futures_script)
        self.book = KucoinBook(self.account, end_inclusive=end_inclusive, hf_since_ms=hf_upgrade_ms)
        if self.futures_script is not None:
            self.book.ledger = tuple(
                sorted((*self.book.ledger, *spot_legs(self.futures_script)), key=lambda r: r.created_at)
            )
        self.converts = ConvertHistory(self.book)
        futures = KucoinFutures(self.futures_script)
        # The futures host's endpoints (api-futures.kucoin.com), served on this same port: the URL override sends
        # every KuCoin host here. GET /api/v1/fills is on both hosts: a request naming `tradeTypes` is the futures one.
        self.futures_fills = Endpoint(FILLS, "futures", 5, futures.fills)
        self._pools: dict[tuple[str, str], SlidingWindow] = {}
        book = self.book
        mode = {"selfAccountMode": "UNIFIED" if unified else "CLASSIC"}
        # Weights from each endpoint's page (docs/exchange-apis/kucoin.md).
        self.endpoints = (
            Endpoint("/api/v1/timestamp", "public", 3, book.server_time),
            Endpoint("/api/v2/symbols", "public", 4, book.symbols),
            Endpoint("/api/v1/user/api-key", "management", 20, book.api_key_info),
            Endpoint("/api/v1/hf/accounts/opened", "spot", 30, book.account_type),
            Endpoint("/api/v1/accounts", "management", 5, book.accounts),
            Endpoint("/api/ua/v1/account/mode", "management", 30, lambda call: mode),
            Endpoint("/api/v1/hf/fills", "spot", 2, book.hf_fills),
            Endpoint(FILLS, "spot", 10, partial(classic_fills, book)),
            Endpoint("/api/v1/transaction-history", "management", 2, futures.ledger),
            Endpoint("/api/v1/account-overview", "futures", 5, futures.overview),
            Endpoint("/api/v1/deposits", "management", 5, book.deposits),
            Endpoint("/api/v1/withdrawals", "management", 20, book.withdrawals),
            Endpoint("/api/v1/accounts/ledgers", "management", 2, book.ledgers),
            Endpoint("/api/v1/convert/order/history", "spot", 5, self.converts.history),
            Endpoint("/api/v1/convert/limit/orders", "spot", 5, self.converts.limit_orders),
        )

    def reset_rate_limits(self) -> None:
        self._pools.clear()

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_get(endpoint.path, self._handler(endpoint))

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            futures = endpoint.path == FILLS and "tradeTypes" in request.rel_url.query
            return self.serve(request, self.futures_fills if futures else endpoint)

        return handle

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, endpoint: Endpoint) -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        try:
            params = dict(parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True))
            key = self._authenticate(request, ip, now) if endpoint.private else None
            self._spend(endpoint, key.api_key if key is not None else ip, now)
            data = endpoint.handler(Call(params=params, key=key, now_ms=now))
        except KucoinError as error:
            body = {"code": error.code, "msg": error.msg}
            return web.json_response(body, status=error.status, dumps=compact_json)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.json_response({"code": "200000", "data": data}, dumps=compact_json)

    def _spend(self, endpoint: Endpoint, owner: str, now: int) -> None:
        # Private pools count per account (all keys of the scripted account share them), the public pool per IP.
        who = owner if endpoint.pool == "public" else self.book.uid
        window = self._pools.get((endpoint.pool, who))
        if window is None:
            window = self._pools[(endpoint.pool, who)] = SlidingWindow(self.limits.pools[endpoint.pool], POOL_WINDOW_MS)
        if not window.try_spend(now, endpoint.weight):
            raise KucoinError("429000", "Too Many Requests", 429)

    def _authenticate(self, request: web.Request, ip: str, now: int) -> ApiKey:
        headers = request.headers
        names = ("KC-API-KEY", "KC-API-SIGN", "KC-API-TIMESTAMP", "KC-API-PASSPHRASE")
        api_key, signature, timestamp_text, passphrase = (headers.get(name, "") for name in names)
        if not all((api_key, signature, timestamp_text, passphrase)):
            raise KucoinError("400001", "Please check the header of your request for " + ", ".join(names), 401)
        if not timestamp_text.isdigit() or abs(now - int(timestamp_text)) >= TIMESTAMP_TOLERANCE_MS:
            raise KucoinError("400002", "KC-API-TIMESTAMP Invalid", 401)
        key = self.keys.lookup(api_key) if _KEY.fullmatch(api_key) else None
        if key is None or self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.EXPIRED:
            raise KucoinError("400003", "KC-API-KEY not exists", 401)
        if not _passphrase_ok(key, passphrase, headers.get("KC-API-KEY-VERSION", "1")):
            raise KucoinError("400004", "Invalid KC-API-PASSPHRASE", 401)
        payload = f"{timestamp_text}{request.method}{request.raw_path}"
        if not key.base64_signature_matches(payload, signature):
            raise KucoinError("400005", "Invalid KC-API-SIGN", 401)
        if self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.IP_NOT_ALLOWED:
            raise KucoinError("400006", f"Invalid request ip, the current clientIp is:{ip}", 401)
        if not key.permissions.read:
            raise KucoinError("400007", "Access denied, require more permission.", 401)
        return key


def _passphrase_ok(key: ApiKey, sent: str, version: str) -> bool:
    """Version 2 (and 3) keys send the passphrase as base64 HMAC-SHA256 of it with the secret; version 1 as chosen."""
    if version == "1":
        return key.passphrase_matches(sent)
    return key.passphrase is not None and hmac.compare_digest(key.sign_base64(key.passphrase).encode(), sent.encode())
