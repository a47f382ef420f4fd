"""OKX REST emulator (API v5): public instruments, account, trade-fill and funding endpoints a read-only sync uses.

Private requests are checked as OKX checks them: ``OK-ACCESS-KEY`` (missing 50103, malformed 50111, unknown,
deleted or lapsed 50119), ``OK-ACCESS-TIMESTAMP`` as ISO-8601 with milliseconds within 30 seconds of the
server's clock (unparsable 50112, outside 50102), ``OK-ACCESS-PASSPHRASE`` (missing 50104, wrong 50105),
``OK-ACCESS-SIGN`` = base64 HMAC-SHA256 of timestamp + method + request path with query + body (missing 50106,
wrong 50113), IPs outside the key's list (50110), all with HTTP 401; unknown keys (50119) and keys without the read
right (50120) with HTTP 200, as OKX's error-code table says.
Every endpoint has its own limit (per IP for public data, per account otherwise) over a 1- or 2-second window;
past it the answer is HTTP 429 with code 50011. Swaps, futures, options and margin are served by
``okx_derivatives`` (a fixed script, with ``derivatives=True``; empty lists otherwise); funding bills beyond transfers
and rewards by ``okx_funding_kinds`` (with ``funding_kinds=True``).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
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
)
from sandbox.exchanges.okx_archive import FILES_PATH
from sandbox.exchanges.okx_book import (
    FILLS_HISTORY_LOOKBACK_MS,
    FILLS_HISTORY_SHORT_LOOKBACK_MS,
    FILLS_LOOKBACK_MS,
    FUNDING_BILLS_LOOKBACK_MS,
    OkxBook,
)
from sandbox.exchanges.okx_funding_kinds import OkxFundingKindsBook
from sandbox.exchanges.okx_protocol import Call, NotEmulated, OkxError, OkxIds
from sandbox.exchanges.records import AccountProfile, ScriptedAccount
from sandbox.exchanges.scripted import generate_account, with_exact_costs

# (requests, window in ms) per endpoint, each from the endpoint's page of OKX's docs (docs/exchange-apis/okx.md).
DEFAULT_RULES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "/api/v5/public/time": (10, 2 * SECOND_MS),
        "/api/v5/public/instruments": (20, 2 * SECOND_MS),  # per IP and instType
        "/api/v5/account/config": (5, 2 * SECOND_MS),
        "/api/v5/account/balance": (10, 2 * SECOND_MS),
        "/api/v5/asset/balances": (6, SECOND_MS),
        "/api/v5/trade/fills": (60, 2 * SECOND_MS),
        "/api/v5/trade/fills-history": (10, 2 * SECOND_MS),
        "/api/v5/asset/deposit-history": (6, SECOND_MS),
        "/api/v5/asset/withdrawal-history": (6, SECOND_MS),
        "/api/v5/asset/convert/history": (6, SECOND_MS),
        "/api/v5/asset/bills": (6, SECOND_MS),
        "/api/v5/asset/bills-history": (1, SECOND_MS),
        "/api/v5/account/bills-archive": (5, 2 * SECOND_MS),  # Get_Bills_Details_Last_3_Months.md
        "/api/v5/finance/savings/balance": (6, SECOND_MS),  # Financial Product, "GET / Saving balance"
        "/api/v5/finance/savings/lending-history": (6, SECOND_MS),  # Financial Product, "GET / Lending history"
        "/api/v5/account/spot-borrow-repay-history": (5, 2 * SECOND_MS),  # "Get borrow/repay history"
        "/api/v5/finance/staking-defi/orders-active": (3, SECOND_MS),  # On-chain earn, "GET / Active orders"
        # "Get bills details (since 2021)" and "Apply bills details (since 2021)" (okx_archive.py)
        "/api/v5/account/bills-history-archive": (10, 2 * SECOND_MS),
        "POST /api/v5/account/bills-history-archive": (12, DAY_MS),
    }
)
TIMESTAMP_TOLERANCE_MS = 30 * SECOND_MS
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ISO_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


@dataclass(frozen=True)
class OkxLimits:
    """OKX's request limits; tests shrink them to reach 50011 quickly (`rules` for the paths it names,
    `default_rule`, when given, for every other path). Otherwise a path's limit is the documented one, and a path
    with no documented limit is not emulated."""

    rules: Mapping[str, tuple[int, int]] = field(default_factory=lambda: DEFAULT_RULES)
    default_rule: tuple[int, int] | None = None

    def for_path(self, path: str) -> tuple[int, int]:
        if path in self.rules:
            return self.rules[path]
        if self.default_rule is not None:
            return self.default_rule
        if path in DEFAULT_RULES:
            return DEFAULT_RULES[path]
        raise NotEmulated(f"{path}: no documented rate limit")


@dataclass(frozen=True)
class Endpoint:
    path: str
    private: bool
    handler: Callable[[Call], object]
    method: str = "GET"

    @property
    def rule(self) -> str:
        """The key of the endpoint's limit: its path, prefixed for the one POST (its own limit on a shared path)."""
        return self.path if self.method == "GET" else f"{self.method} {self.path}"


class OkxKeys(KeyRegistry):
    """OKX keys are UUIDs; secrets 32 upper-case hex digits."""

    def new_key_string(self) -> str:
        return str(uuid.uuid4())

    def new_secret_string(self) -> str:
        return secrets.token_hex(16).upper()


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso_ms(text: str) -> int | None:
    if not _ISO_MS.fullmatch(text):
        return None
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(moment.timestamp() * 1000 + 0.5)


class OkxEmulator(ExchangeEmulator):
    """``OkxEmulator(seed=7)``: a scripted OKX account behind the real v5 wire protocol."""

    exchange_id = "okx"
    key_length = 36
    secret_length = 32
    uses_passphrase = True

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 300,
        limits: OkxLimits | None = None,
        fills_history_lookback_ms: int = FILLS_HISTORY_LOOKBACK_MS,
        clock: Clock | None = None,
        derivatives: bool = False,
        bill_history: bool = False,
        funding_kinds: bool = False,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = OkxKeys(self.key_length, self.secret_length)
        self.limits = limits or OkxLimits()
        profile = profile or AccountProfile()
        # Keep history clear of the lookback edges so results never hinge on the seconds of a test run.
        quiet = (
            *profile.quiet_ages_ms,
            FILLS_LOOKBACK_MS,
            FILLS_HISTORY_LOOKBACK_MS,
            FILLS_HISTORY_SHORT_LOOKBACK_MS,
            FUNDING_BILLS_LOOKBACK_MS,
        )
        profile = replace(profile, quiet_ages_ms=quiet)
        # OKX's fills carry no quote amount: a fill moves exactly fillPx times fillSz (with_exact_costs).
        self.account: ScriptedAccount = with_exact_costs(
            generate_account(seed, self.clock.now_ms(), profile=profile, listed_markets=listed_symbols, ids=OkxIds())
        )
        # `funding_kinds`: funding bills of fiat, gifts, staking swaps, structured products, loans and commissions
        # (okx_funding_kinds.py), and the funding balance they leave.
        book_class = OkxFundingKindsBook if funding_kinds else OkxBook
        self.book = book_class(
            self.account,
            fills_history_lookback_ms=fills_history_lookback_ms,
            derivatives=derivatives,
            bill_history=bill_history,
        )
        self._windows: dict[tuple[str, ...], SlidingWindow] = {}
        book = self.book
        self.endpoints = (
            Endpoint("/api/v5/public/time", False, book.server_time),
            Endpoint("/api/v5/public/instruments", False, book.instruments),
            Endpoint("/api/v5/account/config", True, book.account_config),
            Endpoint("/api/v5/account/balance", True, book.balance),
            Endpoint("/api/v5/trade/fills", True, book.fills),
            Endpoint("/api/v5/trade/fills-history", True, book.fills_history),
            Endpoint("/api/v5/asset/deposit-history", True, book.deposit_history),
            Endpoint("/api/v5/asset/withdrawal-history", True, book.withdrawal_history),
            Endpoint("/api/v5/asset/convert/history", True, book.convert_history),
            Endpoint("/api/v5/asset/bills", True, book.funding_bill_list),
            Endpoint("/api/v5/asset/bills-history", True, book.funding_bill_history),
            Endpoint("/api/v5/asset/balances", True, book.funding_balances),
            Endpoint("/api/v5/account/bills-archive", True, book.bills_archive),
            Endpoint("/api/v5/finance/savings/balance", True, book.savings_balance),
            Endpoint("/api/v5/finance/savings/lending-history", True, book.lending_history),
            Endpoint("/api/v5/account/spot-borrow-repay-history", True, book.borrow_repay_history),
            Endpoint("/api/v5/finance/staking-defi/orders-active", True, book.onchain_orders),
            Endpoint("/api/v5/account/bills-history-archive", True, book.archive.link),
            Endpoint("/api/v5/account/bills-history-archive", True, book.archive.apply, "POST"),
        )

    def reachable_since(self, lookback_ms: int) -> int:
        """The oldest moment an endpoint with ``lookback_ms`` still returns, by the server's clock."""
        return self.clock.now_ms() - lookback_ms

    def reset_rate_limits(self) -> None:
        self._windows.clear()

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, endpoint.path, self._handler(endpoint))
        app.router.add_get(f"{FILES_PATH}/{{token}}.zip", self._archive_file)

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            body = await request.text() if endpoint.method == "POST" else ""
            return self.serve(request, endpoint, body)

        return handle

    async def _archive_file(self, request: web.Request) -> web.Response:
        """A bill archive's download link (okx_archive.py): outside the signed API, like a storage link."""
        content = self.book.archive.file(request.match_info["token"], self.clock.now_ms())
        if content is None:
            return web.Response(status=403, text="link expired or unknown")
        return web.Response(body=content, content_type="application/zip")

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, endpoint: Endpoint, body: str = "") -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        self.book.archive.base_url = f"{request.scheme}://{request.host}"
        try:
            params = dict(parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True))
            if body:
                params.update(_body_params(body))
            key = None
            if endpoint.private:
                key = self._authenticate(request, ip, now, body)
                self._spend(("account", endpoint.rule), endpoint.rule, now)
            else:
                self._spend((ip, endpoint.rule, params.get("instType", "")), endpoint.rule, now)
            data = endpoint.handler(Call(params=params, key=key, now_ms=now))
        except OkxError as error:
            answer = {"code": error.code, "data": [], "msg": error.msg}
            return web.json_response(answer, status=error.status, dumps=compact_json)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.json_response({"code": "0", "data": data, "msg": ""}, dumps=compact_json)

    def _spend(self, owner: tuple[str, ...], path: str, now: int) -> None:
        window = self._windows.get(owner)
        if window is None:
            count, span = self.limits.for_path(path)
            window = self._windows[owner] = SlidingWindow(count, span)
        if not window.try_spend(now, 1):
            raise OkxError("50011", "Too Many Requests", 429)

    def _authenticate(self, request: web.Request, ip: str, now: int, body: str = "") -> ApiKey:
        headers = request.headers
        api_key = headers.get("OK-ACCESS-KEY", "")
        if not api_key:
            raise OkxError("50103", 'Request header "OK-ACCESS-KEY" cannot be empty.', 401)
        if not _UUID.fullmatch(api_key):
            raise OkxError("50111", "Invalid OK-ACCESS-KEY.", 401)
        signature = headers.get("OK-ACCESS-SIGN", "")
        if not signature:
            raise OkxError("50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.', 401)
        timestamp_text = headers.get("OK-ACCESS-TIMESTAMP", "")
        if not timestamp_text:
            raise OkxError("50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.', 401)
        passphrase = headers.get("OK-ACCESS-PASSPHRASE", "")
        if not passphrase:
            raise OkxError("50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.', 401)
        timestamp = parse_iso_ms(timestamp_text)
        if timestamp is None:
            raise OkxError("50112", "Invalid OK-ACCESS-TIMESTAMP.", 401)
        if abs(now - timestamp) > TIMESTAMP_TOLERANCE_MS:
            raise OkxError("50102", "Timestamp request expired.", 401)
        key = self.keys.lookup(api_key)
        # OKX deletes keys that lapse; a deleted key is as unknown as one never issued.
        if key is None or self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.EXPIRED:
            raise OkxError("50119", "API key doesn't exist", 200)  # the docs' status for 50119 and 50120
        if not key.passphrase_matches(passphrase):
            raise OkxError("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.', 401)
        # OKX signs the path with its query exactly as sent, plus the body (empty for GET).
        payload = f"{timestamp_text}{request.method}{request.raw_path}{body}"
        if not key.base64_signature_matches(payload, signature):
            raise OkxError("50113", "Invalid signature.", 401)
        if self.keys.access(key, ip=ip, now_ms=now) is KeyAccess.IP_NOT_ALLOWED:
            raise OkxError("50110", f"Your IP {ip} is not included in your API key's IP whitelist.", 401)
        if not key.permissions.read:
            raise OkxError("50120", "This API key doesn't have permission to use this function", 200)
        return key


def _body_params(body: str) -> dict[str, str]:
    """A POST's JSON body as parameters (OKX's POST bodies are flat objects of strings); 50014's "can not be empty"
    answers a body that is not one, as for a missing parameter."""
    try:
        parsed = json.loads(body)
    except ValueError:
        raise OkxError("50014", "Parameter body can not be empty.") from None
    if not isinstance(parsed, dict):
        raise OkxError("50014", "Parameter body can not be empty.")
    return {str(k): str(v) for k, v in parsed.items()}
