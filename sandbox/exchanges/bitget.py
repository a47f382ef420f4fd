"""Bitget REST emulator (API v2, v3 for unified accounts): market data, account, fills, wallet, convert, tax.

Private requests are checked as Bitget checks them: ``ACCESS-KEY`` (missing 40001, unknown 40006, deleted or
lapsed 40037), ``ACCESS-TIMESTAMP`` in ms within 30 seconds of the server's clock (unparsable 40005, outside
40008), ``ACCESS-SIGN`` = base64 HMAC-SHA256 of timestamp + method + path + ``?`` + query (decoded, as ccxt
signs it) + body (missing 40003, wrong 40009), ``ACCESS-PASSPHRASE`` for normal keys (missing 40011, wrong 40012;
a Tax API key has none and the header is ignored), IPs outside the key's list (40018) and keys whose
``authorities`` do not open the endpoint (40014): a Tax API key opens only ``/api/v2/tax/*``, a normal key
everything else. Errors come with HTTP 400. Each endpoint has a per-second limit (per IP for public data, per
account otherwise) and every IP 6,000 requests a minute (common/faq Q10), after which the IP waits 5 minutes; past
either the answer is HTTP 429 with code 429. A key of a unified trading account gets 40085 from every v2 endpoint and
reads ``/api/v3/*`` (``bitget_uta``; its futures and margin fills and financial records: ``bitget_uta_derivatives``);
classic futures and margin lists and accounts: ``bitget_derivatives``. Futures
contracts and coin lists are not emulated (plain 404, listed in ``requests.unexpected``). Rules and sources:
docs/exchange-apis/bitget.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote

from aiohttp import web

from sandbox.exchanges.base import (
    MINUTE_MS,
    SECOND_MS,
    ApiKey,
    Clock,
    Credentials,
    DemoKeys,
    ExchangeEmulator,
    KeyAccess,
    KeyRegistry,
    Permissions,
    SlidingWindow,
    compact_json,
)
from sandbox.exchanges.bitget_book import FILLS_REACH_MS, LOOKBACK_MS, BitgetBook, TaxRecord
from sandbox.exchanges.bitget_derivatives import PER_SECOND as DERIVATIVES_PER_SECOND
from sandbox.exchanges.bitget_derivatives import BitgetDerivativesBook
from sandbox.exchanges.bitget_derivatives_script import DerivativesScript, grow_account, script_for
from sandbox.exchanges.bitget_loans import PER_SECOND as LOANS_PER_SECOND
from sandbox.exchanges.bitget_protocol import (
    ANY_KEY,
    DERIVATIVES_READ,
    SPOT_READ,
    SPOT_WINDOW_MS,
    TAX_READ,
    BitgetError,
    BitgetIds,
    Call,
    NotEmulated,
    authorities,
)
from sandbox.exchanges.bitget_uta import UTA_KEY, UTA_TAX_KEY, BitgetUtaBook
from sandbox.exchanges.bitget_wallets import PER_SECOND as WALLETS_PER_SECOND
from sandbox.exchanges.records import AccountProfile, ScriptedAccount
from sandbox.exchanges.scripted import generate_account

# Requests per second per endpoint, from Bitget's docs (ccxt's cost table says the same).
DEFAULT_PER_SECOND: Mapping[str, int] = MappingProxyType(
    {
        "/api/v2/public/time": 20,
        "/api/v2/spot/public/symbols": 20,
        "/api/v2/margin/currencies": 10,
        "/api/v2/spot/account/info": 1,
        "/api/v2/spot/account/assets": 10,
        "/api/v2/spot/trade/fills": 10,
        "/api/v2/spot/wallet/deposit-records": 10,
        "/api/v2/spot/wallet/withdrawal-records": 10,
        "/api/v2/convert/convert-record": 10,
        "/api/v2/spot/account/transferRecords": 20,
        "/api/v2/tax/spot-record": 1,
        "/api/v2/tax/future-record": 1,
        "/api/v2/tax/margin-record": 1,
        "/api/v2/tax/p2p-record": 1,
        "/api/v3/account/info": 5,
        "/api/v3/trade/fills": 20,
        "/api/v3/account/deposit-records": 10,
        "/api/v3/account/withdrawal-records": 10,
        "/api/v3/tax/records": 1,
        "/api/v3/account/assets": 20,
        "/api/v3/account/funding-assets": 20,
        "/api/v3/account/financial-records": 20,  # uta/account/Get-Financial-Records
        **DERIVATIVES_PER_SECOND,
        **WALLETS_PER_SECOND,
        **LOANS_PER_SECOND,
    }
)
# Not in Bitget's docs (bitget.md, "Not sourced"): the emulator's own choice, OKX's documented 30 s.
TIMESTAMP_TOLERANCE_MS = 30 * SECOND_MS
IP_RECOVERY_MS = 5 * MINUTE_MS
TAX_KEY = "tax"
# Recorded by ccxt 4.5.90 (bitget.py error map) from the live API.
UTA_REFUSAL = BitgetError(
    "40085", "You are in Unified Account mode, and the Classic Account API is not supported at this time"
)


@dataclass(frozen=True)
class BitgetLimits:
    """Bitget's limits; tests shrink them to reach 429 quickly (`per_second` for the paths it names,
    `default_per_second`, when given, for every other path). Otherwise a path's budget is the documented one, and a
    path with no documented budget is not emulated."""

    per_second: Mapping[str, int] = field(default_factory=lambda: DEFAULT_PER_SECOND)
    default_per_second: int | None = None
    ip_requests_per_minute: int = 6000

    def for_path(self, path: str) -> int:
        if path in self.per_second:
            return self.per_second[path]
        if self.default_per_second is not None:
            return self.default_per_second
        if path in DEFAULT_PER_SECOND:
            return DEFAULT_PER_SECOND[path]
        raise NotEmulated(f"{path}: no documented rate limit")


@dataclass(frozen=True)
class BitgetDemoKeys(DemoKeys):
    """The usual demo keys (normal keys, with passphrases), a Tax API key (no passphrase) and a read-only key of a
    unified trading account (UTA), which every v2 endpoint refuses with 40085."""

    tax: Credentials
    unified: Credentials


@dataclass(frozen=True)
class Endpoint:
    path: str
    scope: frozenset[str] | None  # None: public; else the authorities of which the key needs one
    handler: Callable[[Call], object]


class BitgetKeys(KeyRegistry):
    """Bitget keys look like ``bg_`` + 32 hex digits; secrets 64 hex digits."""

    def new_key_string(self) -> str:
        return f"bg_{secrets.token_hex(16)}"

    def new_secret_string(self) -> str:
        return secrets.token_hex(32)


class BitgetEmulator(ExchangeEmulator):
    """``BitgetEmulator(seed=7)``: a scripted Bitget spot account behind the real v2 wire protocol."""

    exchange_id = "bitget"
    key_length = 35
    secret_length = 64
    uses_passphrase = True

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 300,
        limits: BitgetLimits | None = None,
        clock: Clock | None = None,
        derivatives: bool = False,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = BitgetKeys(self.key_length, self.secret_length)
        self.limits = limits or BitgetLimits()
        profile = profile or AccountProfile()
        quiet = (*profile.quiet_ages_ms, LOOKBACK_MS, FILLS_REACH_MS, SPOT_WINDOW_MS)
        profile = replace(profile, quiet_ages_ms=quiet)
        self.account: ScriptedAccount = generate_account(
            seed, self.clock.now_ms(), profile=profile, listed_markets=listed_symbols, ids=BitgetIds()
        )
        # `derivatives`: the account also traded futures and margin (bitget_derivatives_script), funded from spot.
        self.derivatives: DerivativesScript | None = script_for(self.account) if derivatives else None
        if self.derivatives is not None:
            self.account = grow_account(self.account, self.derivatives)
        self.book = BitgetBook(self.account)
        self.book.derivatives = BitgetDerivativesBook(self.derivatives)
        self._windows: dict[tuple[str, str], SlidingWindow] = {}
        self._ip_blocked_until: dict[str, int] = {}
        book = self.book
        uta = BitgetUtaBook(book)
        self.endpoints = (
            Endpoint("/api/v2/public/time", None, book.server_time),
            # uta/account/Get-Account-Info: "Permission: No permission required", 5/s per UID.
            Endpoint("/api/v3/account/info", ANY_KEY, uta.account_info),
            Endpoint("/api/v3/trade/fills", ANY_KEY, uta.fills),
            Endpoint("/api/v3/account/financial-records", ANY_KEY, uta.financial_records),
            Endpoint("/api/v3/account/deposit-records", ANY_KEY, uta.deposit_records),
            Endpoint("/api/v3/account/withdrawal-records", ANY_KEY, uta.withdrawal_records),
            Endpoint("/api/v3/tax/records", TAX_READ, uta.tax_records),
            # uta/account/Get-Account and Get-Account-Funding-Assets: "UTA mgt. (read)", 20/s per UID.
            Endpoint("/api/v3/account/assets", ANY_KEY, uta.account_assets),
            Endpoint("/api/v3/account/funding-assets", ANY_KEY, uta.funding_assets),
            Endpoint("/api/v2/spot/public/symbols", None, book.symbols_list),
            Endpoint("/api/v2/margin/currencies", None, book.margin_currencies),
            Endpoint("/api/v2/spot/account/info", SPOT_READ, book.account_info),
            Endpoint("/api/v2/spot/account/assets", SPOT_READ, book.assets),
            Endpoint("/api/v2/spot/trade/fills", SPOT_READ, book.fills),
            Endpoint("/api/v2/spot/wallet/deposit-records", SPOT_READ, book.deposit_records),
            Endpoint("/api/v2/spot/wallet/withdrawal-records", SPOT_READ, book.withdrawal_records),
            Endpoint("/api/v2/convert/convert-record", SPOT_READ, book.convert_records),
            Endpoint("/api/v2/spot/account/transferRecords", SPOT_READ, book.transfer_records),
            Endpoint("/api/v2/tax/spot-record", TAX_READ, book.tax_handler("spot_records")),
            Endpoint("/api/v2/tax/future-record", TAX_READ, book.tax_handler("future_records")),
            Endpoint("/api/v2/tax/margin-record", TAX_READ, book.tax_handler("margin_records")),
            Endpoint("/api/v2/tax/p2p-record", TAX_READ, book.tax_handler("p2p_records")),
            *(Endpoint(path, DERIVATIVES_READ, serve) for path, serve in book.derivatives.routes()),
            # The pages name no permission: a normal key's spot read opens them, as the other v2 wallet lists.
            *(Endpoint(path, SPOT_READ, serve) for path, serve in book.wallets.routes()),
            *(Endpoint(path, SPOT_READ, serve) for path, serve in book.loans.routes()),
        )

    # -- keys -------------------------------------------------------------------------------------------------

    def add_tax_key(self, *, expires_at: int | None = None, label: str = "tax", unified: bool = False) -> Credentials:
        """A Tax API key, as made on Bitget's Tax API page: key and secret, no passphrase, tax records only (of a
        unified account: v2 answers 40085, ``/api/v3/tax/records`` reads them)."""
        return self._add_key(
            Permissions(),
            expires_at=expires_at,
            ip_whitelist=(),
            label=label,
            passphrase=None,
            key_type=UTA_TAX_KEY if unified else TAX_KEY,
        )

    def add_uta_key(self, permissions: Permissions | None = None, *, label: str = "unified") -> Credentials:
        """A key of this account switched to Unified mode: v2 answers 40085, v3 reads the account."""
        return self._add_key(
            permissions or Permissions(),
            expires_at=None,
            ip_whitelist=(),
            label=label,
            passphrase=secrets.token_urlsafe(12),
            key_type=UTA_KEY,
        )

    def create_demo_keys(self) -> BitgetDemoKeys:
        keys = super().create_demo_keys()
        return BitgetDemoKeys(**vars(keys), tax=self.add_tax_key(), unified=self.add_uta_key())

    @property
    def tax_spot_records(self) -> tuple[TaxRecord, ...]:
        """Ground truth of ``/api/v2/tax/spot-record``, oldest first."""
        return self.book.tax.spot

    def reachable_since(self, lookback_ms: int = LOOKBACK_MS) -> int:
        """The oldest moment an endpoint with ``lookback_ms`` still returns, by the server's clock."""
        return self.clock.now_ms() - lookback_ms

    def reset_rate_limits(self) -> None:
        self._windows.clear()
        self._ip_blocked_until.clear()

    # -- server -----------------------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_get(endpoint.path, self._handler(endpoint))

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, endpoint)

        return handle

    def serve(self, request: web.Request, endpoint: Endpoint) -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        try:
            # common/faq Q10: "The overall rate limit is 6000/IP/Min, After the rate limit is triggered, it takes
            # 5 minutes to recover."
            if now < self._ip_blocked_until.get(ip, 0):
                raise BitgetError("429", "Too Many Requests", 429)
            try:
                self._spend(("ip", ip), self.limits.ip_requests_per_minute, MINUTE_MS, now)
            except BitgetError:
                self._ip_blocked_until[ip] = now + IP_RECOVERY_MS
                raise
            raw_query = request.rel_url.raw_query_string
            params = dict(parse_qsl(raw_query, keep_blank_values=True))
            key = None
            if endpoint.scope is None:
                self._spend((ip, endpoint.path), self.limits.for_path(endpoint.path), SECOND_MS, now)
            else:
                key = self._authenticate(request, raw_query, ip, now)
                if key.key_type in (UTA_KEY, UTA_TAX_KEY) and endpoint.path.startswith("/api/v2/"):
                    raise UTA_REFUSAL
                if endpoint.scope is not ANY_KEY and not endpoint.scope.intersection(authorities(key)):
                    raise BitgetError("40014", "Incorrect permissions")
                self._spend(("account", endpoint.path), self.limits.for_path(endpoint.path), SECOND_MS, now)
            call = Call(params=params, key=key, now_ms=now)
            data = endpoint.handler(call)
        except BitgetError as error:
            body = {"code": error.code, "msg": error.msg, "requestTime": now, "data": None}
            return web.json_response(body, status=error.status, dumps=compact_json)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        body = {"code": "00000", "msg": "success", "requestTime": now, "data": data}
        return web.json_response(body, dumps=compact_json)

    def _spend(self, owner: tuple[str, str], limit: int, span_ms: int, now: int) -> None:
        window = self._windows.get(owner)
        if window is None:
            window = self._windows[owner] = SlidingWindow(limit, span_ms)
        if not window.try_spend(now, 1):
            raise BitgetError("429", "Too Many Requests", 429)

    def _authenticate(self, request: web.Request, raw_query: str, ip: str, now: int) -> ApiKey:
        headers = request.headers
        api_key = headers.get("ACCESS-KEY", "")
        if not api_key:
            raise BitgetError("40001", "ACCESS_KEY cannot be empty")
        signature = headers.get("ACCESS-SIGN", "")
        if not signature:
            raise BitgetError("40003", "Signature cannot be empty")
        timestamp_text = headers.get("ACCESS-TIMESTAMP", "")
        if not timestamp_text.isdigit():
            raise BitgetError("40005", "Invalid ACCESS_TIMESTAMP")
        if abs(now - int(timestamp_text)) > TIMESTAMP_TOLERANCE_MS:
            raise BitgetError("40008", "Request timestamp expired")
        key = self.keys.lookup(api_key)
        if key is None:
            if self.keys.lookup(api_key, include_revoked=True) is not None:
                raise BitgetError("40037", "Apikey does not exist")
            raise BitgetError("40006", "Invalid ACCESS_KEY")
        if self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.EXPIRED:
            raise BitgetError("40037", "Apikey does not exist")
        if key.key_type not in (TAX_KEY, UTA_TAX_KEY):
            passphrase = headers.get("ACCESS-PASSPHRASE", "")
            if not passphrase:
                raise BitgetError("40011", "ACCESS_PASSPHRASE cannot be empty")
            if not key.passphrase_matches(passphrase):
                raise BitgetError("40012", "apikey/password is incorrect")
        # Bitget signs the query with its values decoded (ccxt: "bitget signs the raw, non-percent-encoded query").
        query = f"?{unquote(raw_query)}" if raw_query else ""
        payload = f"{timestamp_text}{request.method}{request.path}{query}"
        if not key.base64_signature_matches(payload, signature):
            raise BitgetError("40009", "sign signature error")
        if self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.IP_NOT_ALLOWED:
            raise BitgetError("40018", "Invalid IP")
        return key
