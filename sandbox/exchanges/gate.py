"""Gate API v4 emulator: currency pairs, key details, spot trades, deposits, withdrawals, flash swaps, Simple Earn
dividends, the spot account book and balances, and (``derivatives=True``) perpetual futures (gate_futures.py) over a
scripted account.

Signed requests are checked as Gate's "Authentication" section describes: headers ``KEY``, ``Timestamp`` (Unix
seconds) and ``SIGN``, the lowercase hex HMAC-SHA512, keyed with the secret, of
``METHOD\\n/api/v4/<path>\\n<query string>\\nhex(SHA512(body))\\n<Timestamp>``. A missing header is
``MISSING_REQUIRED_HEADER``, an unknown or revoked key ``INVALID_KEY``, a timestamp more than 60 seconds off the
server's ``REQUEST_EXPIRED``, a wrong signature ``INVALID_SIGNATURE``, a caller outside the key's whitelist
``IP_FORBIDDEN``. Every key reads spot and the wallet; a key whose Perpetual Futures group is disabled
(``add_key_without``; the demo key ``no_futures``) is refused every ``/futures/…`` endpoint with ``FORBIDDEN`` (ccxt's
``exceptions['exact']`` raises it as PermissionDenied; Gate's own label table was not found in the stored pages, and
``READ_ONLY`` is the answer to a write with a read-only key, which Tallybot never sends).
Each endpoint has its own budget of 200 requests per 10 seconds (ccxt's table of Gate's limits); past it the answer
is HTTP 429 ``TOO_MANY_REQUESTS``. Rules and sources: docs/exchange-apis/gate.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from aiohttp import web

from sandbox.exchanges.base import (
    SECOND_MS,
    ApiKey,
    Clock,
    DemoKeys,
    ExchangeEmulator,
    KeyAccess,
    KeyRegistry,
    SlidingWindow,
    compact_json,
)
from sandbox.exchanges.gate_account_book import GateAccountBook
from sandbox.exchanges.gate_book import GateBook, GateError, GateIds
from sandbox.exchanges.gate_futures import (
    SETTLES,
    GateFutures,
    SpotMove,
    script_delivery,
    script_futures,
    spot_balances,
    spot_moves_of,
    with_futures,
)
from sandbox.exchanges.keys import READ_ONLY, Credentials
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import AccountProfile, ScriptedAccount
from sandbox.exchanges.scripted import generate_account, with_exact_costs

__all__ = ["GateEmulator", "GateLimits"]

PREFIX = "/api/v4"
FUTURES_GROUP = "futures"  # ApiV4KeyPerm `name` of the Perpetual Futures group
DELIVERY_GROUP = "delivery"  # … of the Delivery Futures group
TIMESTAMP_TOLERANCE_S = 60  # REQUEST_EXPIRED: "the gap between request time and server time exceeds 60s"
EMPTY_BODY_SHA512 = hashlib.sha512(b"").hexdigest()


@dataclass(frozen=True)
class GateLimits:
    """Requests per endpoint in each window (ccxt's table: "200r/10s per endpoint")."""

    requests: int = 200
    window_ms: int = 10 * SECOND_MS


@dataclass(frozen=True)
class Endpoint:
    path: str  # after /api/v4
    signed: bool
    handler: Callable[[Call], object]
    group: str = ""  # the key permission group (ApiV4KeyPerm `name`) a key needs beyond spot and wallet reading


@dataclass(frozen=True)
class GateDemoKeys(DemoKeys):
    """The usual demo keys and a read-only key whose Perpetual Futures group is disabled."""

    no_futures: Credentials


class GateKeys(KeyRegistry):
    """APIv4 keys as Gate issues them: a 32-hex-digit key and a 64-hex-digit secret (unsourced: see the docs)."""

    def new_key_string(self) -> str:
        return secrets.token_hex(16)

    def new_secret_string(self) -> str:
        return secrets.token_hex(32)

    def __init__(self, key_length: int, secret_length: int) -> None:
        super().__init__(key_length, secret_length)
        self.denied: dict[str, frozenset[str]] = {}  # key -> the permission groups disabled on it

    def groups_denied(self, key: ApiKey) -> frozenset[str]:
        return self.denied.get(key.api_key, frozenset())

    def listed(self) -> list[ApiKey]:
        """The account's keys as GET /account/main_keys lists them: every key not deleted."""
        return [key for key in self._keys.values() if not key.revoked]


class GateEmulator(ExchangeEmulator):
    """``GateEmulator(seed=7)``: a scripted Gate spot account behind Gate's API v4 REST protocol."""

    exchange_id = "gate"
    keys: GateKeys
    key_length = 32
    secret_length = 64

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 300,
        limits: GateLimits | None = None,
        clock: Clock | None = None,
        derivatives: bool = False,
        delivery: bool = False,
        options_total: Decimal = Decimal(0),
    ) -> None:
        """`derivatives`: the account also traded USDT- and BTC-settled perpetual futures (gate_futures.py);
        `delivery`: USDT-settled delivery futures (gate_futures_script.script_delivery); `options_total`: what
        the options account holds (its history is not emulated: Tallybot does not read options)."""
        super().__init__(clock=clock)
        self.keys = GateKeys(self.key_length, self.secret_length)
        self.limits = limits or GateLimits()
        # Gate's fills show a price and an amount only (Trade.md): the quote each moved is their exact product.
        self.account: ScriptedAccount = with_exact_costs(
            generate_account(seed, self.clock.now_ms(), profile=profile, listed_markets=listed_symbols, ids=GateIds())
        )
        self.futures_script = script_futures(seed, self.clock.now_ms()) if derivatives else None
        self.options_total = options_total
        self.delivery_script = script_delivery(seed, self.clock.now_ms()) if delivery else None
        for script in (self.futures_script, self.delivery_script):
            if script is not None:
                self.account = with_futures(self.account, script)
        self.book = GateBook(
            self.account, user_id=10_000_000 + seed, keys=self.keys.listed, denied=self.keys.groups_denied
        )
        self.account_book = GateAccountBook(self.account)
        self.account_book.futures_moves = self.spot_moves()
        self.futures = GateFutures(self.futures_script)
        self.delivery = GateFutures(self.delivery_script, delivery=True)
        self._windows: dict[tuple[str, str], SlidingWindow] = {}
        book = self.book
        self.endpoints: tuple[Endpoint, ...] = (
            Endpoint("/spot/currency_pairs", False, book.currency_pairs),
            Endpoint("/margin/currency_pairs", False, book.margin_currency_pairs),
            Endpoint("/account/detail", True, book.account_detail),
            Endpoint("/account/main_keys", True, book.main_keys),
            Endpoint("/spot/my_trades", True, book.my_trades),
            Endpoint("/wallet/deposits", True, book.deposits),
            Endpoint("/wallet/withdrawals", True, book.withdrawals),
            Endpoint("/flash_swap/orders", True, book.converts),
            Endpoint("/earn/uni/interest_records", True, book.interest_records),
            Endpoint("/spot/account_book", True, self.account_book.account_book),
            Endpoint("/spot/accounts", True, self.spot_accounts),
        )
        futures = self.futures
        for settle in SETTLES:
            self.endpoints += (
                Endpoint(f"/futures/{settle}/contracts", False, partial(futures.contracts, settle)),
                Endpoint(f"/futures/{settle}/accounts", True, partial(futures.accounts, settle), FUTURES_GROUP),
                Endpoint(f"/futures/{settle}/account_book", True, partial(futures.account_book, settle), FUTURES_GROUP),
                Endpoint(
                    f"/futures/{settle}/my_trades_timerange", True, partial(futures.my_trades, settle), FUTURES_GROUP
                ),
            )
        delivery_book = self.delivery
        self.endpoints += (  # settle: "usdt" only, the pages' one enumerated value
            Endpoint("/delivery/usdt/contracts", False, partial(delivery_book.contracts, "usdt")),
            Endpoint("/delivery/usdt/accounts", True, partial(delivery_book.accounts, "usdt"), DELIVERY_GROUP),
            Endpoint("/delivery/usdt/account_book", True, partial(delivery_book.account_book, "usdt"), DELIVERY_GROUP),
            Endpoint("/delivery/usdt/my_trades", True, partial(delivery_book.my_trades, "usdt"), DELIVERY_GROUP),
            Endpoint("/options/accounts", True, self.options_account, "options"),
        )

    def options_account(self, call: Call) -> dict[str, object]:
        """GET /options/accounts, the documented example's fields: `total` as scripted, no position. An account
        that never used options answers zeros here (**unsourced**: Gate may answer an error label instead)."""
        total, zero = str(self.options_total), "0"
        return {
            "user": self.book.user_id,
            "currency": "USDT",
            "short_enabled": True,
            "mmp_enabled": False,
            "liq_triggered": False,
            "margin_mode": 0,
            "total": total,
            "position_value": zero,
            "equity": total,
            "unrealised_pnl": zero,
            "init_margin": zero,
            "maint_margin": zero,
            "order_margin": zero,
            "ask_order_margin": zero,
            "bid_order_margin": zero,
            "available": total,
            "point": zero,
            "orders_limit": 10,
            "position_notional_limit": 1000000,
        }

    def spot_moves(self) -> list[SpotMove]:
        """Every scripted move between spot and the futures and delivery accounts."""
        return [m for script in (self.futures_script, self.delivery_script) for m in spot_moves_of(script)]

    def add_key_without(self, *groups: str, label: str = "no-futures") -> Credentials:
        """A read-only key made with the named permission groups (`futures`, `delivery`, `options`) disabled."""
        made = self.add_key(READ_ONLY, label=label)
        self.keys.denied[made.api_key] = frozenset(groups)
        return made

    def create_demo_keys(self) -> GateDemoKeys:
        keys = super().create_demo_keys()
        return GateDemoKeys(**vars(keys), no_futures=self.add_key_without(FUTURES_GROUP))

    def spot_accounts(self, call: Call) -> list[dict[str, object]]:
        """GET /spot/accounts: what the account holds in spot, with what a test scripted beside the account."""
        return spot_balances(self.account, self.spot_moves(), self.spot_adjustments())

    def spot_adjustments(self) -> dict[str, Decimal]:
        """Sub-account moves, and fees paid with GT instead of the fee currency (points are no spot currency)."""
        change: dict[str, Decimal] = {}

        def add(asset: str, amount: Decimal) -> None:
            change[asset] = change.get(asset, Decimal(0)) + amount

        for move in self.account_book.sub_account_moves:
            add(move.currency, move.change)
        trades = {t.id: t for t in self.account.trades}
        for trade_id, paid in self.book.deductions.items():
            trade = trades[trade_id]
            add(trade.fee_asset, trade.fee - paid.fee)
            add("GT", -paid.gt_fee)
        return change

    def reset_rate_limits(self) -> None:
        self._windows.clear()

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_get(PREFIX + endpoint.path, self._handler(endpoint))

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, endpoint, await request.text())

        return handle

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, endpoint: Endpoint, body: str) -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        try:
            key = self._authenticate(request, body, ip, now) if endpoint.signed else None
            if key is not None and endpoint.group in self.keys.groups_denied(key):
                raise GateError("FORBIDDEN", "Your key has no permission for this operation", 403)
            # Private limits count per key (UID), public ones per IP (ccxt's table), each endpoint on its own.
            self._spend(endpoint.path, key.api_key if key is not None else ip, now)
            params = dict(request.rel_url.query)
            data = endpoint.handler(Call(params=params, key=key, now_ms=now))
        except GateError as error:
            return self._error(error)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.json_response(data, dumps=compact_json)

    def _spend(self, path: str, who: str, now: int) -> None:
        window = self._windows.get((path, who))
        if window is None:
            window = self._windows[(path, who)] = SlidingWindow(self.limits.requests, self.limits.window_ms)
        if not window.try_spend(now, 1):
            # No Retry-After: Gate documents none (its own rate-limit headers are not emulated).
            raise GateError("TOO_MANY_REQUESTS", "Request Rate limit Exceeded", 429)

    @staticmethod
    def _error(error: GateError) -> web.Response:
        body = {"label": error.label, "message": error.message}
        return web.json_response(body, status=error.status, dumps=compact_json)

    def _authenticate(self, request: web.Request, body: str, ip: str, now: int) -> ApiKey:
        api_key, stamp, signature = (request.headers.get(h, "") for h in ("KEY", "Timestamp", "SIGN"))
        if not api_key or not stamp or not signature:
            raise GateError("MISSING_REQUIRED_HEADER", "Missing required header", 401)
        key = self.keys.lookup(api_key)
        # Gate keys have no expiry of their own; a lapsed test key is one Gate no longer knows.
        if key is None or self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.EXPIRED:
            raise GateError("INVALID_KEY", "Invalid key provided", 401)
        try:
            stamp_s = float(stamp)
        except ValueError:
            raise GateError("INVALID_PARAM_VALUE", "Invalid Timestamp header") from None
        if abs(now / SECOND_MS - stamp_s) > TIMESTAMP_TOLERANCE_S:
            raise GateError("REQUEST_EXPIRED", "gap between request Timestamp and server time exceeds 60", 401)
        body_hash = hashlib.sha512(body.encode()).hexdigest() if body else EMPTY_BODY_SHA512
        signed = "\n".join((request.method, request.path, request.rel_url.raw_query_string, body_hash, stamp))
        if not signature_matches(key, signed, signature):
            raise GateError("INVALID_SIGNATURE", "Signature mismatch", 401)
        if self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.IP_NOT_ALLOWED:
            raise GateError("IP_FORBIDDEN", f"Request IP not in whitelist: {ip}", 403)
        if not key.permissions.read:
            raise GateError("FORBIDDEN", "Your key has no permission for this operation", 403)
        return key


def signature_matches(key: ApiKey, signed: str, signature: str) -> bool:
    """Lowercase hex HMAC-SHA512 of the signature string, keyed with the secret."""
    if key.public_key is not None or not key.secret:
        return False
    expected = hmac.new(key.secret.encode(), signed.encode(), hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, signature)
