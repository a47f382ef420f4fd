"""Bybit v5 REST emulator: the market, user, account, execution and asset endpoints a read-only sync uses.

Private requests are checked as Bybit checks them: ``X-BAPI-API-KEY``, ``X-BAPI-TIMESTAMP`` within
``X-BAPI-RECV-WINDOW`` (10002), ``X-BAPI-SIGN`` = HMAC-SHA256 of timestamp + key + recvWindow + query string
(10004), unknown or deleted keys (10003), expired keys (33004), IPs outside the key's list (10010) and keys
without read scopes (10005). Errors come with HTTP 200 and a ``retCode``, as Bybit sends them. Each endpoint has
its own per-UID budget from Bybit's rate-limit table (docs/v5/rate-limit/rate-limit.mdx: per second for most, per
minute for deposit, withdrawal and internal-transfer records), reported in ``X-Bapi-Limit*`` headers and answered
with 10006 when spent; more than 600 requests in 5 s from one IP get HTTP 403 "access too frequent" and a 10-minute
ban. Derivative instruments are not emulated (plain 404, listed in ``requests.unexpected``); derivatives executions,
the transaction logs and the borrow history come from ``bybit_derivatives``. ``classic=True`` serves a classic
(non-unified) account: its spot rows, its SPOT and CONTRACT wallets and its contract transaction log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType
from urllib.parse import parse_qsl

from aiohttp import web

from sandbox.exchanges.base import (
    DAY_MS,
    MINUTE_MS,
    READ_ONLY,
    SECOND_MS,
    ApiKey,
    Clock,
    Credentials,
    DemoKeys,
    ExchangeEmulator,
    KeyAccess,
    Permissions,
    SlidingWindow,
    compact_json,
)
from sandbox.exchanges.bybit_assets import API_CONVERT_ACCOUNT, BybitAssets, convert_account
from sandbox.exchanges.bybit_book import (
    ASSET_WINDOW_MS,
    EXECUTION_LOOKBACK_MS,
    BybitBook,
    BybitError,
    BybitIds,
    Call,
    NotEmulated,
)
from sandbox.exchanges.bybit_derivatives import BybitDerivatives
from sandbox.exchanges.bybit_derivatives_script import DERIVATIVES, script_span
from sandbox.exchanges.bybit_earn import NO_EARN, BybitEarn, script_earn
from sandbox.exchanges.bybit_loans import NO_LOANS, BybitLoans, script_loans
from sandbox.exchanges.bybit_log_kinds import with_log_kinds
from sandbox.exchanges.bybit_subaccounts import BybitSubAccounts, script_moves
from sandbox.exchanges.keys import READ_ONLY_WITHOUT_EARN
from sandbox.exchanges.records import AccountProfile, ScriptedAccount
from sandbox.exchanges.scripted import generate_account
from sandbox.exchanges.self_generated import KeyPairKind, check_public_key

# Bybit's per-UID budgets (count, window in ms) from its rate-limit table, docs/v5/rate-limit/rate-limit.mdx.
DOCUMENTED_BUDGETS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "/v5/execution/list": (50, SECOND_MS),
        "/v5/account/wallet-balance": (50, SECOND_MS),
        "/v5/asset/transfer/query-account-coins-balance": (5, SECOND_MS),
        "/v5/account/info": (50, SECOND_MS),
        "/v5/user/query-api": (10, SECOND_MS),
        "/v5/asset/deposit/query-record": (100, MINUTE_MS),
        "/v5/asset/deposit/query-internal-record": (300, SECOND_MS),
        "/v5/asset/withdraw/query-record": (300, MINUTE_MS),
        "/v5/asset/transfer/query-inter-transfer-list": (60, MINUTE_MS),
        "/v5/asset/transfer/query-universal-transfer-list": (60, MINUTE_MS),
        "/v5/asset/exchange/query-convert-history": (50, SECOND_MS),
        "/v5/account/transaction-log": (25, SECOND_MS),
        "/v5/account/borrow-history": (50, SECOND_MS),
        # Not in the table: each crypto-loan page's own "UID rate limit: 5 req / second" (docs/v5/new-crypto-loan/).
        "/v5/crypto-loan-flexible/borrow-history": (5, SECOND_MS),
        "/v5/crypto-loan-flexible/repayment-history": (5, SECOND_MS),
        "/v5/crypto-loan-common/adjustment-history": (5, SECOND_MS),
        "/v5/crypto-loan-common/position": (5, SECOND_MS),
    }
)


# Paths no page gives a per-UID budget (the classic contract log: not in the rate-limit table, its page moved to
# docs/v5/abandon/ without one): only the IP limit applies to them, unless a test sets a budget.
IP_LIMIT_ONLY = frozenset(
    {
        "/v5/account/contract-transaction-log",
        # Earn: the rate-limit table has no Earn section and the Earn pages state none.
        "/v5/earn/position",
        "/v5/earn/order",
        "/v5/earn/yield",
    }
)


@dataclass(frozen=True)
class BybitLimits:
    """Bybit's limits. Tests shrink or lift budgets to reach 10006 quickly or not at all: `per_second` names paths
    and their budget per second; `default_per_second`, when given, is the budget of every path it leaves out. Without
    either, a path's budget is the documented one, and a path with no documented budget is not emulated."""

    per_second: Mapping[str, int] | None = None
    default_per_second: int | None = None
    ip_requests_per_5s: int = 600
    ip_ban_ms: int = 10 * MINUTE_MS

    def budget(self, path: str) -> tuple[int, int] | None:
        """(requests, window in ms) of one UID on one path; None: the IP limit only."""
        if self.per_second is not None and path in self.per_second:
            return self.per_second[path], SECOND_MS
        if self.default_per_second is not None:
            return self.default_per_second, SECOND_MS
        if path in DOCUMENTED_BUDGETS:
            return DOCUMENTED_BUDGETS[path]
        if path in IP_LIMIT_ONLY:
            return None
        raise NotEmulated(f"{path}: no documented rate limit")


@dataclass(frozen=True)
class Endpoint:
    path: str
    private: bool
    handler: Callable[[Call], object]


@dataclass(frozen=True)
class BybitDemoKeys(DemoKeys):
    """The usual demo keys and a read-only key made without ticking Earn (its key-info Earn group empty; every Earn
    read refused with 10005), one made without SubMemberTransfer (its universal transfer list refused with
    10005), and one made without Spot trade (every crypto-loan page refused with 10005)."""

    no_earn: Credentials
    no_sub_transfer: Credentials
    no_spot_trade: Credentials


class BybitEmulator(ExchangeEmulator):
    """``BybitEmulator(seed=7)``: a scripted Bybit unified (or, ``classic=True``, classic) account behind the real
    v5 wire protocol; ``derivatives=True`` adds the derivatives, funding, loans and contract-wallet transfers of
    ``bybit_derivatives_script`` (off, the account trades spot only and its logs list nothing); ``earn=True`` adds the
    Flexible Saving stakes, redemption and daily yield of ``bybit_earn`` (off, its Earn lists nothing);
    ``log_kinds=True`` (unified) adds the airdrop, bonus and spot-margin loan lines of ``bybit_log_kinds``;
    ``subaccounts=True`` adds the moves to and from two sub-accounts of ``bybit_subaccounts`` (off, its universal
    transfer list lists nothing); ``crypto_loans=True`` adds the flexible crypto loan of ``bybit_loans`` (off, its
    loan lists and position list nothing)."""

    exchange_id = "bybit"
    key_length = 18  # user/apikey-info.mdx's example key, "opjSlSOzqIeXROT5rq"
    secret_length = 36  # not documented (bybit.md "Not verified"); Tallybot never checks a secret's length
    # "No ip bound api key will be invalid after 90 days" (user/create-subuid-apikey.mdx, `ips`).
    unrestricted_key_lifetime_ms: int | None = 90 * DAY_MS

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 300,
        limits: BybitLimits | None = None,
        clock: Clock | None = None,
        classic: bool = False,
        derivatives: bool = False,
        earn: bool = False,
        log_kinds: bool = False,
        subaccounts: bool = False,
        crypto_loans: bool = False,
    ) -> None:
        super().__init__(clock=clock)
        self.limits = limits or BybitLimits()
        profile = profile or AccountProfile()
        quiet = (*profile.quiet_ages_ms, EXECUTION_LOOKBACK_MS, ASSET_WINDOW_MS)
        profile = replace(profile, quiet_ages_ms=quiet, rewards=0)
        self.account: ScriptedAccount = generate_account(
            seed, self.clock.now_ms(), profile=profile, listed_markets=listed_symbols, ids=BybitIds()
        )
        self.book = BybitBook(self.account, classic=classic)
        self.derivatives = BybitDerivatives(self.account, classic=classic, scripted=derivatives)
        if log_kinds and not classic:  # airdrop, bonus, a spot-margin loan: the unified log's other lines
            uta = [c for c in self.account.converts if convert_account(c) == API_CONVERT_ACCOUNT]
            self.derivatives.script = with_log_kinds(self.derivatives.script, *script_span(self.account), uta)
        self.book.derivatives = self.derivatives.script
        self.loans = BybitLoans(script_loans(self.clock.now_ms()) if crypto_loans else NO_LOANS)
        own_transfers = (*self.derivatives.script.transfers, *self.loans.script.transfers)
        self.assets = BybitAssets(self.account, contract_transfers=own_transfers)
        self.assets.funding = self.loans.script.funding()
        self.book.lifecycle = self.assets.lifecycle
        usdt = self.book.wallet_totals("SPOT" if classic else "UNIFIED")[0].get("USDT", Decimal(0))
        self.earn = BybitEarn(script_earn(self.clock.now_ms(), usdt) if earn else NO_EARN)
        self.subaccounts = BybitSubAccounts(script_moves(self.clock.now_ms()) if subaccounts else ())
        # Earn's, the sub-accounts' and the loans' collateral moves, all into or out of the unified wallet
        # (bybit_book.wallet_totals).
        changes = (self.earn.script.unified_change(), self.subaccounts.change(), self.loans.script.unified_change())
        self.book.earn_change = {
            c: sum((d.get(c, Decimal(0)) for d in changes), Decimal(0)) for c in set().union(*changes)
        }
        self._ip_windows: dict[str, SlidingWindow] = {}
        self._ip_bans: dict[str, int] = {}
        self._uid_windows: dict[str, SlidingWindow] = {}
        book, assets, logs = self.book, self.assets, self.derivatives
        self.endpoints: tuple[Endpoint, ...] = (
            Endpoint("/v5/market/time", False, book.market_time),
            Endpoint("/v5/market/instruments-info", False, book.instruments_info),
            Endpoint("/v5/user/query-api", True, self._key_info),
            Endpoint("/v5/account/info", True, book.account_info),
            Endpoint("/v5/account/wallet-balance", True, book.wallet_balance),
            Endpoint("/v5/execution/list", True, self._executions),
            Endpoint("/v5/account/transaction-log", True, logs.transaction_log),
            Endpoint("/v5/account/contract-transaction-log", True, logs.contract_transaction_log),
            Endpoint("/v5/account/borrow-history", True, logs.borrow_history),
            Endpoint("/v5/asset/deposit/query-record", True, assets.deposits),
            Endpoint("/v5/asset/deposit/query-internal-record", True, assets.internal_deposits),
            Endpoint("/v5/asset/withdraw/query-record", True, assets.withdrawals),
            Endpoint("/v5/asset/transfer/query-inter-transfer-list", True, assets.transfers),
            Endpoint("/v5/asset/transfer/query-universal-transfer-list", True, self.subaccounts.transfers),
            Endpoint("/v5/asset/exchange/query-convert-history", True, assets.converts),
            Endpoint("/v5/asset/transfer/query-account-coins-balance", True, assets.coins_balance),
            Endpoint("/v5/earn/position", True, self.earn.positions),
            Endpoint("/v5/earn/order", True, self.earn.orders),
            Endpoint("/v5/earn/yield", True, self.earn.yields),
            Endpoint("/v5/crypto-loan-flexible/borrow-history", True, self.loans.borrows),
            Endpoint("/v5/crypto-loan-flexible/repayment-history", True, self.loans.repayments),
            Endpoint("/v5/crypto-loan-common/adjustment-history", True, self.loans.adjustments),
            Endpoint("/v5/crypto-loan-common/position", True, self.loans.position),
        )

    def _key_info(self, call: Call) -> object:
        answer = self.book.query_api(call)
        if call.key is None:
            return answer
        return self.loans.key_info(call.key.api_key, self.subaccounts.key_info(call.key.api_key, answer))

    def _executions(self, call: Call) -> object:
        """Spot rows from the spot book, linear, inverse and option rows from the derivatives script."""
        category = call.params.get("category", "")
        if category in DERIVATIVES:
            return self.derivatives.executions(call, category)
        return self.book.executions(call)

    @property
    def trades_reachable(self) -> tuple[int, int]:
        """The span of execution times the API still returns: (now - 730 days, now)."""
        now = self.clock.now_ms()
        return now - EXECUTION_LOOKBACK_MS, now

    def register_self_generated_key(
        self, public_key: str, permissions: Permissions = READ_ONLY, *, label: str = "self-generated"
    ) -> str:
        """Stand-in for the user's action on bybit.com (API → Create New Key → Self-generated API Keys → paste the
        public key): register an RSA public key and return the API key Bybit issues for it."""
        check_public_key(public_key, (KeyPairKind.RSA,))
        return self._add_public_key(public_key, permissions, label=label)

    def create_demo_keys(self) -> BybitDemoKeys:
        keys = super().create_demo_keys()
        no_earn = self.add_key(READ_ONLY_WITHOUT_EARN, label="read-only, no Earn")
        no_sub_transfer = self.add_key(READ_ONLY, label="read-only, no SubMemberTransfer")
        self.subaccounts.refused.add(no_sub_transfer.api_key)
        no_spot_trade = self.add_key(READ_ONLY, label="read-only, no Spot trade")
        self.loans.refused.add(no_spot_trade.api_key)
        return BybitDemoKeys(
            **vars(keys), no_earn=no_earn, no_sub_transfer=no_sub_transfer, no_spot_trade=no_spot_trade
        )

    def reset_rate_limits(self) -> None:
        self._ip_windows.clear()
        self._ip_bans.clear()
        self._uid_windows.clear()

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_get(endpoint.path, self._handler(endpoint))

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return self.serve(request, endpoint)

        return handle

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, endpoint: Endpoint) -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        if not self._ip_allowed(ip, now):
            return web.Response(status=403, text="access too frequent")
        headers: dict[str, str] = {}
        try:
            raw_query = request.rel_url.raw_query_string
            params = dict(parse_qsl(raw_query, keep_blank_values=True))
            key = None
            if endpoint.private:
                key = self._authenticate(request, raw_query, ip, now)
                self._spend(key, endpoint.path, now, headers)
            result = endpoint.handler(Call(params=params, key=key, now_ms=now))
        except BybitError as error:
            return self._envelope(error.code, error.msg, {}, now, headers)
        except NotEmulated as reason:
            return self.not_emulated(request, str(reason))
        return self._envelope(0, "OK", result, now, headers)

    @staticmethod
    def _envelope(code: int, msg: str, result: object, now: int, headers: dict[str, str]) -> web.Response:
        body = {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": now}
        return web.json_response(body, headers=headers, dumps=compact_json)

    def _ip_allowed(self, ip: str, now: int) -> bool:
        if now < self._ip_bans.get(ip, 0):
            return False
        window = self._ip_windows.setdefault(ip, SlidingWindow(self.limits.ip_requests_per_5s, 5 * SECOND_MS))
        if window.try_spend(now, 1):
            return True
        self._ip_bans[ip] = now + self.limits.ip_ban_ms
        return False

    def _spend(self, key: ApiKey, path: str, now: int, headers: dict[str, str]) -> None:
        # One account per emulator, so the UID budget is per endpoint.
        budget = self.limits.budget(path)
        if budget is None:
            return
        window = self._uid_windows.setdefault(path, SlidingWindow(*budget))
        allowed = window.try_spend(now, 1)
        headers["X-Bapi-Limit"] = str(window.limit)
        headers["X-Bapi-Limit-Status"] = str(max(0, window.limit - window.used(now)))
        headers["X-Bapi-Limit-Reset-Timestamp"] = str(window.reset_at_ms(now) if not allowed else now)
        if not allowed:
            raise BybitError(10006, "Too many visits. Exceeded the API Rate Limit.")

    def _authenticate(self, request: web.Request, raw_query: str, ip: str, now: int) -> ApiKey:
        api_key = request.headers.get("X-BAPI-API-KEY", "")
        key = self.keys.lookup(api_key) if api_key else None
        if key is None:
            raise BybitError(10003, "API key is invalid.")
        timestamp_text = request.headers.get("X-BAPI-TIMESTAMP", "")
        recv_text = request.headers.get("X-BAPI-RECV-WINDOW", "")
        recv_window = int(recv_text) if recv_text.isdigit() else 5000
        timestamp = int(timestamp_text) if timestamp_text.isdigit() else 0
        if not now - recv_window <= timestamp < now + 1000:
            raise BybitError(
                10002,
                "invalid request, please check your server timestamp or recv_window param. "
                f"req_timestamp[{timestamp}],server_timestamp[{now}],recv_window[{recv_window}]",
            )
        payload = f"{timestamp_text}{api_key}{recv_text}{raw_query}"
        sign = request.headers.get("X-BAPI-SIGN", "")
        # System-generated keys sign HMAC_SHA256 in hex, self-generated ones RSA_SHA256 in base64 (v5 guide).
        if key.public_key is not None:
            valid = key.public_key_signature_matches(payload, sign)
        else:
            valid = key.signature_matches(payload, sign)
        if not valid:
            raise BybitError(10004, "Error sign, please check your signature generation algorithm.")
        access = self.keys.access(key, ip=ip, now_ms=now)
        if access is KeyAccess.EXPIRED:
            raise BybitError(33004, "Your api key has expired.")
        if access is KeyAccess.IP_NOT_ALLOWED:
            raise BybitError(10010, "Unmatched IP, please check your API key's bound IP addresses.")
        if not key.permissions.read:
            raise BybitError(10005, "Permission denied, please check your API key permissions.")
        return key
