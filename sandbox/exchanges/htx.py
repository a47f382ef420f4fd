"""HTX (formerly Huobi) spot API emulator: symbols, the key's uid and details, match results, deposits and
withdrawals over a scripted account.

Signed requests are checked as HTX's "Authentication" page describes (signature version 2, HmacSHA256): the query
carries ``AccessKeyId``, ``SignatureMethod=HmacSHA256``, ``SignatureVersion=2``, ``Timestamp`` (UTC
``YYYY-MM-DDThh:mm:ss``, "valid within 5 minutes") and ``Signature``, the base64 HMAC-SHA256, keyed with the
secret, of ``GET\\n<host in lower case>\\n<path>\\n<every other parameter URL-encoded (upper-case hex), sorted by
ASCII, joined by &>``. Every refusal of a key (unknown, revoked, expired, wrong signature, stale timestamp, IP not
bound) is ``api-signature-not-valid`` on v1 paths and code 1003 on v2 paths, as HTX answers. Each private endpoint
allows 20 requests per 2 seconds per UID ("Rate Limit: 20times/2s").

`futures=True` scripts a USDT-margined futures account (htx_futures.py: cross margin, and `isolated` contracts in
isolated margin; a coin-margined BTC-USD swap account; `coin_held` other coin-margined accounts, their history not
read), served on the contract API's
paths beside the spot ones: POSTs signed the same way over ``POST\\n<host>\\n<path>\\n<query>`` with the contract
API's host (``api.hbdm.com`` or ``api.hbdm.vn``, the one ccxt signs), at most 72 read requests per 3 seconds per UID.
Rules and sources: docs/exchange-apis/htx.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, quote

from aiohttp import web

from sandbox.exchanges.base import (
    DAY_MS,
    MINUTE_MS,
    SECOND_MS,
    ApiKey,
    Clock,
    ExchangeEmulator,
    KeyAccess,
    KeyRegistry,
    SlidingWindow,
    retry_after_seconds,
)
from sandbox.exchanges.htx_book import LEDGER_REACH_MS, TRADES_REACH_MS, HtxBook, HtxError, HtxIds
from sandbox.exchanges.htx_coin_swap import fold_coin_swap, script_coin_swap
from sandbox.exchanges.htx_futures import ContractError, HtxFuturesBook, for_htx
from sandbox.exchanges.mexc_futures_script import fold_into_account, script_futures
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.raw_numbers import raw_json
from sandbox.exchanges.records import AccountProfile, ScriptedAccount, TradeRecord, TransferRecord
from sandbox.exchanges.scripted import generate_account, with_exact_costs

__all__ = ["HtxEmulator", "HtxLimits"]

TIMESTAMP_VALID_MS = 5 * MINUTE_MS  # "The value is valid within 5 minutes"
CONTRACT_HOSTS = ("api.hbdm.com", "api.hbdm.vn")  # each contract page's "Request Address"
# ccxt's recorded refusal of a key on the contract API.
CONTRACT_REFUSAL = "Incorrect Access key [Access key错误]"
_KEY = re.compile(r"[0-9a-z]{8}-[0-9a-z]{8}-[0-9a-z]{8}-[0-9a-z]{5,10}")
_SIGNING = ("AccessKeyId", "SignatureMethod", "SignatureVersion", "Timestamp")


@dataclass(frozen=True)
class HtxLimits:
    """Requests per endpoint per UID in each window ("Rate Limit: 20times/2s" on each endpoint Tallybot calls)."""

    requests: int = 20
    window_ms: int = 2 * SECOND_MS
    # The contract API: "Read Interface: at most 72 times every 3 seconds" for each UID, all read endpoints together.
    contract_reads: int = 72
    contract_window_ms: int = 3 * SECOND_MS


@dataclass(frozen=True)
class Endpoint:
    path: str
    signed: bool
    handler: Callable[[Call], object]


class HtxKeys(KeyRegistry):
    """Access keys shaped as in the docs' example (``e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx``); secrets alike (unsourced)."""

    def new_key_string(self) -> str:
        return "-".join(secrets.token_hex(4) for _ in range(3)) + "-" + secrets.token_hex(3)[:5]

    def new_secret_string(self) -> str:
        return "-".join(secrets.token_hex(4) for _ in range(3)) + "-" + secrets.token_hex(3)[:5]


def canonical_query(params: list[tuple[str, str]]) -> str:
    """The parameters as HTX signs them: URL-encoded with upper-case hex, sorted by ASCII, joined by ``&``."""
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in encoded)


class HtxEmulator(ExchangeEmulator):
    """``HtxEmulator(seed=7)``: a scripted HTX spot account behind HTX's spot REST protocol."""

    exchange_id = "htx"
    key_length = 32
    secret_length = 32
    # The API key query's validDays: a key without an IP address lapses (the profile's 90 days, see htx.md).
    unrestricted_key_lifetime_ms = 90 * DAY_MS

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 300,
        limits: HtxLimits | None = None,
        clock: Clock | None = None,
        futures: bool = False,
        isolated: frozenset[str] = frozenset({"ETH-USDT"}),
        coin_held: Mapping[str, Decimal] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.keys = HtxKeys(self.key_length, self.secret_length)
        self.limits = limits or HtxLimits()
        profile = profile or AccountProfile()
        # Nothing near the 120- and 180-day reaches, so results never hinge on the seconds of a test run.
        profile = replace(profile, quiet_ages_ms=(*profile.quiet_ages_ms, TRADES_REACH_MS, LEDGER_REACH_MS))
        # A match result has no quote amount (price × filled-amount is what it moves), so the scripted fills move
        # exactly that and the balances follow (scripted.with_exact_costs).
        self.account: ScriptedAccount = with_exact_costs(
            generate_account(seed, self.clock.now_ms(), profile=profile, listed_markets=listed_symbols, ids=HtxIds())
        )
        self.uid = 60_000_000 + seed
        # Futures inside the lists' 90-day reach: round trips from 75 days back, the money deposited 85 days back.
        self.futures = for_htx(script_futures(seed, self.clock.now_ms(), days=75), seed) if futures else None
        # And a coin-margined BTC-USD swap account beside them (htx_coin_swap.py).
        self.coin_swap = script_coin_swap(seed, self.clock.now_ms()) if futures else None
        if self.futures is not None and self.coin_swap is not None:
            self.account = fold_coin_swap(fold_into_account(self.account, self.futures), self.coin_swap)
        # With futures, ETH-USDT is traded in isolated margin (its own account); coin-margined accounts only as given.
        self.contract = HtxFuturesBook(self.futures, self.account, isolated, coin_held, self.coin_swap)
        self.book = HtxBook(self.account, self.uid)
        self._windows: dict[tuple[str, str], SlidingWindow] = {}
        book = self.book
        self.endpoints = (
            Endpoint("/v1/common/symbols", False, book.symbols),
            Endpoint("/v2/user/uid", True, book.user_uid),
            Endpoint("/v2/user/api-key", True, book.api_key),
            Endpoint("/v1/order/matchresults", True, book.match_results),
            Endpoint("/v1/query/deposit-withdraw", True, book.deposit_withdraw),
            Endpoint("/v2/account/ledger", True, book.ledger),
            Endpoint("/v1/account/accounts", True, self.contract.accounts),
        )

    @property
    def transfers_in_reach(self) -> tuple[TransferRecord, ...]:
        """The transfers the account ledger can still return now (the last 180 days)."""
        floor = self.clock.now_ms() - LEDGER_REACH_MS
        return tuple(t for t in self.account.transfers if t.timestamp >= floor)

    @property
    def trades_in_reach(self) -> tuple[TradeRecord, ...]:
        floor = self.clock.now_ms() - TRADES_REACH_MS
        return tuple(t for t in self.account.trades if t.timestamp >= floor)

    def reset_rate_limits(self) -> None:
        self._windows.clear()

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_get(endpoint.path, self._handler(endpoint))
        app.router.add_get("/v1/account/accounts/{account_id}/balance", self._spot_balance)
        for path, handler in self.contract.post_routes().items():
            app.router.add_post(path, self._contract_handler(path, handler))

    async def _spot_balance(self, request: web.Request) -> web.Response:
        account_id = request.match_info["account_id"]

        def balance(call: Call) -> object:
            try:
                return self.contract.spot_balance(call, account_id)
            except ContractError as error:
                raise HtxError("base-record-invalid", error.msg) from None  # unsourced: an account id not held

        return self.serve(request, Endpoint(request.path, True, balance))

    def _contract_handler(
        self, path: str, handler: Callable[[Call], object]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve_contract(request, path, handler, await request.text())

        return handle

    def serve_contract(
        self, request: web.Request, path: str, handler: Callable[[Call], object], body: str
    ) -> web.Response:
        """A signed POST of the contract API: the signature over its query (the JSON body is not signed), the UID's
        read budget, then the answer; a refusal in the envelope of the path's version (v1 err_code, v3 code)."""
        now, v3 = self.clock.now_ms(), "/v3/" in path
        pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)
        try:
            try:
                key = self._authenticate(request, path, pairs, now, method="POST", hosts=CONTRACT_HOSTS)
            except HtxError:
                raise ContractError(403, CONTRACT_REFUSAL) from None
            window = self._windows.setdefault(
                ("contract-read", str(self.uid)),
                SlidingWindow(self.limits.contract_reads, self.limits.contract_window_ms),
            )
            if not window.try_spend(now, 1):
                raise ContractError(1032, "The number of access exceeded the limit.", status=429)  # unsourced
            fields = json.loads(body or "{}")
            data = handler(Call(params={k: str(v) for k, v in fields.items()}, key=key, now_ms=now))
        except ContractError as error:
            text = raw_json(error.body(v3, now))
            return web.Response(text=text, status=error.status, content_type="application/json")
        return web.Response(text=raw_json(data), content_type="application/json")

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, endpoint)

        return handle

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, endpoint: Endpoint) -> web.Response:
        now = self.clock.now_ms()
        v2 = endpoint.path.startswith("/v2/")
        pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)
        params = dict(pairs)
        try:
            key = self._authenticate(request, endpoint.path, pairs, now) if endpoint.signed else None
            if key is not None and not self._spend(endpoint.path, key.api_key, now):
                raise HtxError("api-request-too-frequent", "request limit", status=429)
            data = endpoint.handler(Call(params=params, key=key, now_ms=now))
        except HtxError as error:
            return self._error(error, v2, endpoint.path, key_now=now)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return web.Response(text=raw_json(data), content_type="application/json")

    def _spend(self, path: str, account: str, now: int) -> bool:
        # Counted per UID; a scripted account is one UID, so its keys share the budget.
        window = self._windows.setdefault(
            (path, str(self.uid)), SlidingWindow(self.limits.requests, self.limits.window_ms)
        )
        return window.try_spend(now, 1)

    def _error(self, error: HtxError, v2: bool, path: str, *, key_now: int) -> web.Response:
        headers = {}
        if error.status == 429:
            window = self._windows[(path, str(self.uid))]
            headers["Retry-After"] = retry_after_seconds(window.retry_after_ms(key_now, 1))
        if v2:
            body: dict[str, object] = {
                "code": int(error.code) if error.code.isdigit() else 1002,
                "message": error.msg,
                "ok": False,
            }
        else:
            body = {"status": "error", "err-code": error.code, "err-msg": error.msg, "data": None}
        return web.Response(text=raw_json(body), status=error.status, headers=headers, content_type="application/json")

    def _authenticate(
        self,
        request: web.Request,
        path: str,
        pairs: list[tuple[str, str]],
        now: int,
        *,
        method: str = "GET",
        hosts: tuple[str, ...] | None = None,
    ) -> ApiKey:
        v2 = path.startswith("/v2/")
        params = dict(pairs)

        def refuse(reason: str) -> HtxError:
            # v1: err-code api-signature-not-valid with the reason in the text; v2: 1003 "invalid signature".
            return (
                HtxError("1003", "invalid signature")
                if v2
                else HtxError("api-signature-not-valid", f"Signature not valid: {reason}")
            )

        if any(name not in params for name in (*_SIGNING, "Signature")):
            raise refuse("Incorrect Access key")
        if params["SignatureMethod"] != "HmacSHA256" or params["SignatureVersion"] != "2":
            raise refuse("Verification failure")
        api_key = params["AccessKeyId"]
        key = self.keys.lookup(api_key) if _KEY.fullmatch(api_key) else None
        if key is None:
            raise refuse("Incorrect Access key")
        try:
            stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            raise refuse("Verification failure") from None
        if abs(now - int(stamp.timestamp() * 1000)) > TIMESTAMP_VALID_MS:
            raise refuse("Verification failure")
        signed = [(k, v) for k, v in pairs if k != "Signature"]
        try:
            given = base64.b64decode(params["Signature"], validate=True)
        except binascii.Error:
            raise refuse("Verification failure") from None
        expected = [
            hmac.new(
                key.secret.encode(), "\n".join((method, host, path, canonical_query(signed))).encode(), hashlib.sha256
            )
            for host in (hosts or (request.host.lower(),))
        ]
        if not any(hmac.compare_digest(mac.digest(), given) for mac in expected):
            raise refuse("Verification failure")
        access = self.keys.access(key, ip=request.remote or "", now_ms=now)
        if access is KeyAccess.EXPIRED:
            raise refuse("API key has expired")
        if access is KeyAccess.IP_NOT_ALLOWED:
            raise refuse("Incorrect IP address")
        if not key.permissions.read:
            raise refuse("API key has no permission")
        return key
