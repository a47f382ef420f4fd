"""Binance REST emulator: spot (``/api/v3``) and wallet (``/sapi/v1``) endpoints a read-only sync uses.

Requests are checked as Binance checks them: ``X-MBX-APIKEY``, ``timestamp`` + ``recvWindow`` (-1021), HMAC-SHA256
of the query string (-1022), unknown keys (-2015 on ``/api``, -2008 on ``/sapi``), malformed keys (-2014), and
expired, IP-restricted or unreadable keys (-2015). Weight is counted as Binance documents it
(``sandbox/exchanges/binance_limits.py``): one ``/api`` budget per IP, and one budget per ``/sapi`` endpoint per IP
or per account; over a budget a request gets 429 with ``Retry-After``, and a client that keeps going on ``/api`` is
banned with 418. Futures (``/fapi``, ``/dapi``: binance_futures.py) and margin (binance_margin.py) history is
served for an account scripted with it (``derivatives=True``); options calls get a plain 404 and are listed in
``requests.unexpected``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from urllib.parse import parse_qsl

from aiohttp import web

from sandbox.exchanges.base import (
    READ_ONLY,
    ApiKey,
    Clock,
    Credentials,
    DemoKeys,
    ExchangeEmulator,
    KeyAccess,
    Permissions,
    compact_json,
)
from sandbox.exchanges.binance_auto_invest import AutoInvestBook, scripted_purchases, with_spot
from sandbox.exchanges.binance_book import (
    CONVERT_WINDOW_MS,
    DIVIDEND_WINDOW_MS,
    TRANSFERS_WINDOW_MS,
    BinanceBook,
    BinanceError,
    Call,
    int_param,
    missing,
)
from sandbox.exchanges.binance_futures import COINM, USDM, FuturesBook, fold_into_spot, script_futures
from sandbox.exchanges.binance_limits import BinanceLimits, Bucket, Refusal, WeightBudgets
from sandbox.exchanges.binance_loans import LoansBook, loan_deposits, scripted_loans
from sandbox.exchanges.binance_margin import CROSS_IN, MarginBook, script_margin, with_emptied_market
from sandbox.exchanges.binance_rebates import BinanceRebatesBook, scripted_rebates
from sandbox.exchanges.binance_staking import EthStakingBook
from sandbox.exchanges.binance_subaccounts import SubAccountBook, script_sub_accounts, with_master_futures
from sandbox.exchanges.binance_transfers import TransfersBook, scripted_transfers
from sandbox.exchanges.binance_wallet_kinds import WalletKindsBook
from sandbox.exchanges.binance_wallet_kinds_script import WalletKindsScript
from sandbox.exchanges.records import AccountProfile, IdStyle, ScriptedAccount
from sandbox.exchanges.scripted import generate_account
from sandbox.exchanges.self_generated import KeyPairKind, check_public_key, new_private_key, public_key_pem

__all__ = ["BinanceDemoKeys", "BinanceEmulator", "BinanceLimits"]

INVALID_KEY = "Invalid API-key, IP, or permissions for action."
_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{64}")


@dataclass(frozen=True)
class Endpoint:
    path: str
    weight: int
    bucket: Bucket
    signed: bool
    handler: Callable[[Call], object]
    method: str = "GET"


@dataclass(frozen=True)
class BinanceDemoKeys(DemoKeys):
    """The usual demo keys (System generated, HMAC) plus read-only Self-generated Ed25519 and RSA keys, whose
    ``secret`` is the private key in PEM form."""

    ed25519: Credentials
    rsa: Credentials


class BinanceIds(IdStyle):
    """Withdrawal ids are 32 hex digits on Binance; everything else is numeric."""

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        if kind == "withdrawal":
            return f"{rng.getrandbits(64):016x}{n:016x}"
        return str(n)


class BinanceEmulator(ExchangeEmulator):
    """``BinanceEmulator(seed=7)``: a scripted Binance account behind the real wire protocol."""

    exchange_id = "binance"
    key_length = 64
    secret_length = 64

    def __init__(
        self,
        *,
        seed: int = 0,
        profile: AccountProfile | None = None,
        listed_symbols: int = 400,
        limits: BinanceLimits | None = None,
        clock: Clock | None = None,
        derivatives: bool = False,
        wallet_kinds: bool = False,
        sub_account: str = "",
        margin_emptied: bool = False,
        auto_invest: bool = False,
        rebates: bool = False,
        crypto_loans: bool = False,
    ) -> None:
        """`derivatives`: the account also traded USDⓈ-M and COIN-M futures and on cross and isolated margin.
        `sub_account`: "sub" (the key is a sub-account's) or "master" (the account has sub-accounts), each with the
        transfers binance_subaccounts.py scripts; "": neither. `margin_emptied` (with `derivatives`): cross margin also
        bought and sold back all of a listed USDT market's coin the account never held otherwise (the first such)."""
        super().__init__(clock=clock)
        self.limits = limits or BinanceLimits()
        profile = profile or AccountProfile()
        # Keep history clear of the default-window edges so results never hinge on the seconds of a test run.
        quiet = (*profile.quiet_ages_ms, TRANSFERS_WINDOW_MS, CONVERT_WINDOW_MS, DIVIDEND_WINDOW_MS)
        profile = replace(profile, quiet_ages_ms=quiet, transfers=0)
        self.account: ScriptedAccount = generate_account(
            seed, self.clock.now_ms(), profile=profile, listed_markets=listed_symbols, ids=BinanceIds()
        )
        futures = script_futures(seed, self.clock.now_ms()) if derivatives else None
        margin = script_margin(seed, self.clock.now_ms()) if derivatives else None
        if margin is not None and margin_emptied:
            held = {"BNB", "BTC", "ETH", "USDT"} | {t.base for t in self.account.trades} | set(margin.cross)
            market = next(m for m in self.account.markets if m.quote == "USDT" and m.base not in held)
            margin = with_emptied_market(margin, market, self.clock.now_ms())
        for extra in (futures, margin):
            if extra is not None:
                self.account = fold_into_spot(self.account, extra.deposits, extra.spot_change)
        subs = script_sub_accounts(sub_account, seed, self.clock.now_ms())
        self.sub_accounts = SubAccountBook(subs)
        self.account = fold_into_spot(self.account, subs.deposits, subs.spot_change())
        # `crypto_loans`: the account also deposited BTC and ETH and borrowed against them (binance_loans.py).
        deposits = loan_deposits(self.clock.now_ms(), crypto_loans)
        self.account = fold_into_spot(self.account, deposits, {d.asset: d.amount for d in deposits})
        # A master's futures wallets hold what its futures moves to and from sub-accounts left in them.
        self.futures, self.margin = FuturesBook(with_master_futures(futures, subs)), MarginBook(margin)
        self.transfers = TransfersBook(scripted_transfers(futures, margin, CROSS_IN))
        self.book = BinanceBook(self.account, self._rate_limit_info())
        self.budgets = WeightBudgets(self.limits)
        book, fut, mar = self.book, self.futures, self.margin
        self.endpoints: tuple[Endpoint, ...] = (
            Endpoint("/api/v3/ping", 1, "api", False, book.ping),
            Endpoint("/api/v3/time", 1, "api", False, book.time),
            Endpoint("/api/v3/exchangeInfo", 20, "api", False, book.exchange_info),
            Endpoint("/api/v3/account", 20, "api", True, book.account_info),
            Endpoint("/api/v3/myTrades", 20, "api", True, book.my_trades),
            Endpoint("/sapi/v1/account/apiRestrictions", 1, "sapi_ip", True, book.api_restrictions),
            Endpoint("/sapi/v1/capital/deposit/hisrec", 1, "sapi_ip", True, book.deposits),
            Endpoint("/sapi/v1/capital/withdraw/history", 18_000, "sapi_uid", True, book.withdrawals),
            Endpoint("/sapi/v1/convert/tradeFlow", 3_000, "sapi_uid", True, book.convert_trade_flow),
            Endpoint("/sapi/v1/asset/assetDividend", 10, "sapi_ip", True, book.asset_dividends),
            Endpoint("/sapi/v1/asset/get-funding-asset", 1, "sapi_ip", True, book.funding_assets, "POST"),
            Endpoint("/fapi/v1/userTrades", 5, "fapi", True, fut.user_trades(USDM)),
            Endpoint("/fapi/v1/income", 30, "fapi", True, fut.income(USDM)),
            Endpoint("/fapi/v2/balance", 5, "fapi", True, fut.balance(USDM)),
            Endpoint("/dapi/v1/userTrades", 20, "dapi", True, fut.user_trades(COINM)),
            Endpoint("/dapi/v1/income", 20, "dapi", True, fut.income(COINM)),
            Endpoint("/dapi/v1/balance", 1, "dapi", True, fut.balance(COINM)),
            Endpoint("/sapi/v1/margin/account", 10, "sapi_ip", True, mar.account),
            Endpoint("/sapi/v1/margin/isolated/account", 10, "sapi_ip", True, mar.isolated_account),
            Endpoint("/sapi/v1/margin/myTrades", 10, "sapi_ip", True, mar.my_trades),
            Endpoint("/sapi/v1/margin/borrow-repay", 10, "sapi_ip", True, mar.loans),
            Endpoint("/sapi/v1/margin/interestHistory", 1, "sapi_ip", True, mar.interest_history),
            Endpoint("/sapi/v1/margin/transfer", 1, "sapi_ip", True, mar.transfers),
            Endpoint("/sapi/v1/asset/transfer", 1, "sapi_ip", True, self.transfers.history),
            *(Endpoint(path, 1, "sapi_ip", True, serve) for path, serve in self.sub_accounts.routes()),
        )
        # `wallet_kinds`: the account also converted dust, traded P2P, paid with Binance Pay, moved fiat, bought with a
        # card and holds Simple Earn positions (binance_wallet_kinds.py); its routes answer empty otherwise.
        kinds = self.wallet_kinds = WalletKindsBook(WalletKindsScript.of(seed, self.clock.now_ms(), wallet_kinds))
        self.endpoints = (
            *(replace(e, handler=kinds.wrapped(e.path, e.handler)) for e in self.endpoints),
            *(Endpoint(path, weight, bucket, True, serve, how) for path, weight, bucket, serve, how in kinds.routes()),
        )
        # `auto_invest`: the account also bought through Auto-Invest plans and staked ETH for WBETH
        # (binance_auto_invest.py, binance_staking.py), in its spot wallet; their routes answer empty otherwise.
        self.auto_invest = AutoInvestBook(scripted_purchases(seed, self.clock.now_ms(), auto_invest))
        self.eth_staking = EthStakingBook(seed, self.clock.now_ms(), auto_invest)
        # BETH distributions are dividend rows (asset/assetDividend, enInfo "ETH 2.0 Staking"): the book adds them.
        wrapped = self.eth_staking.wrapped_route
        self.endpoints = tuple(replace(e, handler=wrapped(e.path, e.handler)) for e in self.endpoints)
        spot = self._invest_spot_change
        self.endpoints = (
            *(
                replace(e, handler=with_spot(e.handler, spot)) if e.path == "/api/v3/account" else e
                for e in self.endpoints
            ),
            *(
                Endpoint(path, weight, bucket, True, serve, how)
                for path, weight, bucket, serve, how in (*self.auto_invest.routes(), *self.eth_staking.routes())
            ),
        )
        # `rebates`: the account also earned commission rebates and referral kickbacks, paid into its spot wallet
        # (binance_rebates.py); the list answers empty otherwise.
        self.rebates = BinanceRebatesBook(scripted_rebates(self.clock.now_ms(), rebates))
        rebate_routes = self.rebates.routes()
        self.endpoints = (
            *(
                replace(e, handler=with_spot(e.handler, self.rebates.spot_change)) if e.path == "/api/v3/account" else e
                for e in self.endpoints
            ),
            *(Endpoint(path, weight, bucket, True, serve, how) for path, weight, bucket, serve, how in rebate_routes),
        )
        # Crypto loans' lists and open loans (answering empty without `crypto_loans`); the spot wallet holds what they
        # paid out and returned, less the collateral pledged.
        self.loans = LoansBook(scripted_loans(self.clock.now_ms(), crypto_loans))
        loan_routes = self.loans.routes()
        self.endpoints = (
            *(
                replace(e, handler=with_spot(e.handler, self.loans.spot_change)) if e.path == "/api/v3/account" else e
                for e in self.endpoints
            ),
            *(Endpoint(path, weight, bucket, True, serve, how) for path, weight, bucket, serve, how in loan_routes),
        )

    def _invest_spot_change(self) -> dict[str, Decimal]:
        change = dict(self.auto_invest.spot_change())
        for asset, amount in self.eth_staking.spot_change().items():
            change[asset] = change.get(asset, Decimal(0)) + amount
        return change

    # -- self-generated keys -----------------------------------------------------------------------------------

    def register_self_generated_key(
        self, public_key: str, permissions: Permissions = READ_ONLY, *, label: str = "self-generated"
    ) -> str:
        """Stand-in for the user's action on binance.com (API Management → Create API → Self-generated → paste the
        public key): register an Ed25519 or RSA public key and return the API key Binance issues for it."""
        check_public_key(public_key, (KeyPairKind.ED25519, KeyPairKind.RSA))
        return self._add_public_key(public_key, permissions, label=label)

    def add_self_generated_key(self, kind: KeyPairKind, permissions: Permissions = READ_ONLY) -> Credentials:
        """A user's own key pair registered as above: the credentials hold the API key and the private key (PEM)."""
        private_pem = new_private_key(kind)
        api_key = self.register_self_generated_key(public_key_pem(private_pem), permissions, label=str(kind))
        return Credentials(api_key, private_pem)

    def create_demo_keys(self) -> BinanceDemoKeys:
        keys = super().create_demo_keys()
        return BinanceDemoKeys(
            **vars(keys),
            ed25519=self.add_self_generated_key(KeyPairKind.ED25519),
            rsa=self.add_self_generated_key(KeyPairKind.RSA),
        )

    def _rate_limit_info(self) -> list[dict[str, object]]:
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.limits.request_weight_per_minute,
            },
            # The two other limiters exactly as the spot docs' enums.md ("Rate limiters (rateLimitType)") shows them.
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 1, "limit": 10},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61_000},
        ]

    def reset_rate_limits(self) -> None:
        """Forget spent weight, violations and bans (as if the test waited them out); apply `self.limits` anew."""
        self.budgets.reset(self.limits)

    def add_routes(self, app: web.Application) -> None:
        for endpoint in self.endpoints:
            app.router.add_route(endpoint.method, endpoint.path, self._handler(endpoint))

    def _handler(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            # A POST's parameters may come in the query and in the form body; Binance signs "the query string
            # concatenated with the request body" (spot REST API, "SIGNED (TRADE and USER_DATA) Endpoint security").
            if endpoint.method == "POST":
                return self.serve(request, endpoint, await request.text())
            return self.serve(request, endpoint)

        return handle

    # -- the request pipeline -------------------------------------------------------------------------------

    def serve(self, request: web.Request, endpoint: Endpoint, body: str = "") -> web.Response:
        now = self.clock.now_ms()
        ip = request.remote or ""
        headers: dict[str, str] = {}
        banned = self.budgets.banned(endpoint.path, ip, now)
        if banned is not None:
            return self._refused(banned)
        try:
            query = request.rel_url.raw_query_string
            raw_query = query + body
            params = dict(parse_qsl("&".join(part for part in (query, body) if part), keep_blank_values=True))
            if endpoint.bucket != "sapi_uid":
                limited = self._spend(endpoint, ip, ip, now, headers)
                if limited is not None:
                    return limited
            key = self._authenticate(request, endpoint, raw_query, params, ip, now) if endpoint.signed else None
            if endpoint.bucket == "sapi_uid":
                # One account behind every key of this emulator: its UID budget per endpoint.
                limited = self._spend(endpoint, "uid", ip, now, headers)
                if limited is not None:
                    return limited
            payload = endpoint.handler(Call(params=params, key=key, now_ms=now))
        except BinanceError as error:
            return self._error(error.status, error.code, error.msg, headers)
        return web.json_response(payload, headers=headers, dumps=compact_json)

    def _spend(self, endpoint: Endpoint, owner: str, ip: str, now: int, headers: dict[str, str]) -> web.Response | None:
        refusal = self.budgets.spend(endpoint.path, endpoint.bucket, owner, ip, endpoint.weight, now, headers)
        return None if refusal is None else self._refused(refusal)

    def _refused(self, refusal: Refusal) -> web.Response:
        return self._error(refusal.status, -1003, refusal.msg, refusal.headers)

    @staticmethod
    def _error(status: int, code: int, msg: str, headers: dict[str, str]) -> web.Response:
        return web.json_response({"code": code, "msg": msg}, status=status, headers=headers, dumps=compact_json)

    def _authenticate(
        self, request: web.Request, endpoint: Endpoint, raw_query: str, params: dict[str, str], ip: str, now: int
    ) -> ApiKey:
        api_key = request.headers.get("X-MBX-APIKEY", "")
        if not _KEY_FORMAT.fullmatch(api_key):
            raise BinanceError(-2014, "API-key format invalid.", 401)
        key = self.keys.lookup(api_key)
        if key is None:
            if endpoint.path.startswith("/sapi/"):
                raise BinanceError(-2008, "Invalid Api-Key ID.", 400)
            raise BinanceError(-2015, INVALID_KEY, 401)
        timestamp = int_param(params, "timestamp")
        if timestamp is None:
            raise missing("timestamp")
        recv_window = int_param(params, "recvWindow")
        recv_window = 5000 if recv_window is None else recv_window
        if recv_window > 60_000:
            raise BinanceError(-1131, "recvWindow must be less than 60000")
        if timestamp >= now + 1000:
            raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
        if now - timestamp > recv_window:
            raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
        signature = params.get("signature", "")
        if not signature:
            raise missing("signature")
        # Binance signs the query string exactly as sent, minus the signature itself.
        payload = "&".join(part for part in raw_query.split("&") if not part.startswith("signature="))
        # HMAC keys sign in hex (any case); self-generated Ed25519 and RSA keys in base64, percent-encoded in the
        # query (parse_qsl decoded it), case-sensitive (REST API docs, "SIGNED Endpoint security").
        if key.public_key is not None:
            valid = key.public_key_signature_matches(payload, signature)
        else:
            valid = key.signature_matches(payload, signature)
        if not valid:
            raise BinanceError(-1022, "Signature for this request is not valid.")
        if self.keys.access(key, ip=ip, now_ms=now) is not KeyAccess.OK or not key.permissions.read:
            raise BinanceError(-2015, INVALID_KEY, 401)
        return key
