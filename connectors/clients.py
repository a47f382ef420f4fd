"""ccxt clients: one per (exchange, credential), sharing one HTTP session, markets and rate limiter per exchange."""

from __future__ import annotations

import asyncio
import copy
import gc
import importlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import aiohttp

from connectors.diagnosis.facts import (
    ANSWERS_PER_TASK_ATTRIBUTE,
    RATE_LIMIT_STATUSES,
    note_http_status,
    record_answer,
    task_answer,
)
from connectors.exchange_budget import DEPLOYMENT_BUDGET, SharedExchangeBudget
from connectors.urls import apply_url_override

log = logging.getLogger(__name__)


def _growing_ms_nonce() -> Callable[[], int]:
    """The time in milliseconds, or one more than the last nonce given out when that is later (shared by every client
    of the exchange, so each key's nonces grow whichever client sends them)."""
    last = 0

    def nonce() -> int:
        nonlocal last
        last = max(time.time_ns() // 1_000_000, last + 1)
        return last

    return nonce


# What ccxt would call during load_markets that a read-only spot key may not be allowed to, or that
# loads markets Tallybot never pages (FIELD-NOTES): switched off so a key check costs one clean call.
# Measured against the emulators: with these, load_markets makes one public call (Binance exchangeInfo, Bybit
# spot instruments-info, OKX spot instruments; Bitget two: spot symbols and margin pairs) instead of up to
# eleven, some of which a read-only key may not be allowed to make.
READ_ONLY_CONFIG: Mapping[str, Mapping[str, Any]] = {
    "binance": {
        "options": {"fetchCurrencies": False, "fetchMargins": False, "fetchMarkets": {"types": ["spot"]}},
        # ccxt's own rateLimit (50 ms) is kept: its Binance costs are scaled so that 50 ms paces exactly Binance's
        # 6,000 weight a minute per IP (myTrades: cost 4 for weight 20). All our Binance clients share one
        # throttler, so the process as a whole stays within it (docs/BENCHMARKS.md §1).
    },
    "bybit": {
        # Bybit has no option for currencies; overriding `has` is how ccxt skips /v5/asset/coin/query-info.
        "has": {"fetchCurrencies": False},
        # Stops fetch_balance probing /v5/user/query-api and /v5/account/info before every call.
        "options": {"fetchMarkets": {"types": ["spot"]}, "enableUnifiedAccount": True, "enableUnifiedMargin": False},
    },
    "okx": {
        # With a key, load_markets first calls the private /api/v5/asset/currencies; `has` is the only switch.
        "has": {"fetchCurrencies": False},
        # Spot only: otherwise four more instrument lists (futures, swaps, BTC and ETH options).
        "options": {"fetchMarkets": {"types": ["spot"]}},
    },
    # Coinbase: load_markets would also read /v2/currencies, /v2/currencies/crypto and /v2/exchange-rates.
    "coinbase": {"has": {"fetchCurrencies": False}},
    "bitget": {
        # Skips /api/v2/spot/public/coins (public, but a call Tallybot does not need).
        "has": {"fetchCurrencies": False},
        # Spot only (else six futures contract lists); "uta": False stops every keyed client probing
        # /api/v3/account/settings and keeps ccxt on the v2 endpoints the profile pages. Spot still fetches
        # the public /api/v2/margin/currencies: ccxt always does, and it is harmless.
        "options": {"fetchMarkets": {"types": ["spot"]}, "uta": False},
    },
    "kucoin": {
        # Skips /api/v3/currencies and the /api/ua/v1/account/mode probe ccxt makes before it.
        "has": {"fetchCurrencies": False},
        # Spot symbols only: no contract lists, and no /api/v1/market/allTickers for fees Tallybot never reads.
        "options": {"fetchMarkets": {"types": ["spot"], "fetchTickersFees": False}},
    },
    "htx": {
        # Spot symbols only (else three contract lists); currencies are not needed.
        "has": {"fetchCurrencies": False},
        "options": {"fetchMarkets": {"types": {"spot": True, "linear": False, "inverse": False}}},
        # HTX's deposit list sends amounts as JSON numbers: parsed as Decimal they keep every digit HTX sent.
        "on_json_response": partial(json.loads, parse_float=Decimal),
        # ccxt's 100 ms a call is exactly HTX's 20 per 2 s per endpoint: a late request then meets the limit.
        "rateLimit": 110,
    },
    # MEXC: fetchCurrencies is the private /api/v3/capital/config/getall (SPOT_WITHDRAW_READ). ccxt always reads the
    # futures contract list as well (no option): the futures fetcher needs its contract sizes. The contract API sends
    # amounts as JSON numbers: parsed as Decimal they keep every digit. Its "20 times/2 seconds" per endpoint is
    # ccxt's cost 2 at 50 ms exactly; 55 ms leaves room for a late request (docs/exchange-apis/mexc.md).
    "mexc": {
        "has": {"fetchCurrencies": False},
        "on_json_response": partial(json.loads, parse_float=Decimal),
        "rateLimit": 55,
    },
    # Gate: spot pairs only (else perpetual, delivery and option contract lists); no currency list; classic
    # account assumed, which stops ccxt probing /api/v4/account/detail before load_markets.
    "gate": {
        "has": {"fetchCurrencies": False},
        "options": {"fetchMarkets": {"types": ["spot"]}, "unifiedAccount": False},
    },
    # BigONE: ccxt's currency list is an undocumented web endpoint (/api/v3/assets), which Tallybot does not need.
    # ccxt paces 1.2 s a call; BigONE allows "500 requests per 10 seconds per IP" (docs/exchange-apis/bigone.md):
    # 25 ms keeps the process at 400 per 10 s, room for the key checks beside the syncs.
    "bigone": {"has": {"fetchCurrencies": False}, "rateLimit": 25},
    # bitFlyer sends amounts as JSON numbers: parsed as Decimal they keep every digit. "Private APIs: 500 queries per
    # 5 minutes", the same per IP (docs/exchange-apis/bitflyer.md): ccxt's rolling window of 5 minutes holding
    # 300000 / 600 = 500 calls is that budget, bursts included, where ccxt would pace one call a second.
    # Coincheck states no limit for its history lists; the strictest it states for a private read is "Order details
    # API calls can be requested to the exchange at most once per second" (docs/exchange-apis/coincheck.md): one call
    # a second, where ccxt paces one every 1.5 s.
    # Its nonce must grow with every request of a key ("ACCESS-NONCE … will increase every time you send request"):
    # ccxt's is the millisecond, which two requests can share; this one never repeats in the process.
    "coincheck": {"rateLimit": 1000, "nonce": _growing_ms_nonce()},
    "bitflyer": {
        "on_json_response": partial(json.loads, parse_float=Decimal),
        "rateLimit": 600,
        "rateLimiterAlgorithm": "rollingWindow",
        "rollingWindowSize": 300_000,
    },
    # bitbank: "QUERY requests 10 calls per second" per user (docs/exchange-apis/bitbank.md); ccxt's 100 ms a call
    # is that budget exactly, so 120 ms leaves room for the key check beside a sync. The deposit and withdrawal
    # tables say "number" where the examples show strings: parsed as Decimal either keeps every digit.
    "bitbank": {"on_json_response": partial(json.loads, parse_float=Decimal), "rateLimit": 120},
}

# Endpoints whose budgets ccxt's one leaky bucket per client cannot express, paced by their fetcher instead: each
# Binance /sapi endpoint has its own IP or UID budget (connectors/fetchers/binance/budgets.py), while ccxt would
# queue them with /api calls and charge them against the shared /api budget (convert history: a second a call).
SELF_PACED: Mapping[str, frozenset[str]] = {
    "binance": frozenset(
        {"capital/deposit/hisrec", "capital/withdraw/history", "convert/tradeFlow", "asset/assetDividend"}
        # Dust, P2P, Pay, fiat and Simple Earn reward lists (connectors/fetchers/binance/wallet_kinds.py).
        | {"asset/dribblet", "c2c/orderMatch/listUserOrderHistory", "pay/transactions", "fiat/orders", "fiat/payments"}
        | {"simple-earn/flexible/history/rewardsRecord"}
        # Spot rebates (connectors/fetchers/binance/rebates.py: UID weight 12,000, its own budget).
        | {"rebate/taxQuery"}
        # Auto-Invest and ETH staking (auto_invest.py, eth_staking.py: each its own IP budget).
        | {"lending/auto-invest/history/list"}
        | {f"eth-staking/eth/history/{name}" for name in ("stakingHistory", "redemptionHistory")}
        | {"eth-staking/wbeth/history/wrapHistory", "eth-staking/wbeth/history/unwrapHistory"}
        # Crypto loans (loans.py: v1 and v2 lists, one path each as ccxt names it, and the open loans).
        | {f"loan/flexible/{tail}" for tail in ("borrow/history", "repay/history", "ltv/adjustment/history")}
        | {"loan/flexible/liquidation/history", "loan/flexible/ongoing/orders"}
    ),
}

# Exchanges whose private calls are limited per API key, not per IP: sharing one throttler would make every user's
# sync wait for every other's. Kraken: "Each API key's counter is separate" (docs/exchange-apis/kraken.md).
PER_KEY_LIMITS = frozenset({"kraken"})
# Exchanges ccxt lacks, served by a client of Tallybot's own (same calls, errors and URL override; no markets to
# load). GMO Coin's limit is per account: its client paces itself (connectors/fetchers/gmocoin/client.py).
OWN_CLIENTS = frozenset({"gmocoin"})

IDLE_SECONDS = 300.0


def _ccxt_async() -> Any:
    # Importing ccxt costs about a second and 100 MB: only when a client is first needed.
    return importlib.import_module("ccxt.async_support")


@dataclass
class _Lease:
    client: Any
    users: int = 0
    last_used: float = field(default_factory=time.monotonic)


class ClientPool:
    """Creates clients lazily, shares what is per exchange, and closes clients left idle."""

    def __init__(
        self,
        url_overrides: Mapping[str, str] | None = None,
        *,
        idle_seconds: float = IDLE_SECONDS,
        shared_budget: SharedExchangeBudget | None = None,
    ) -> None:
        self.url_overrides = dict(url_overrides or {})
        self.idle_seconds = idle_seconds
        # Other processes on this IP (workers of a PostgreSQL deployment) spend the same per-IP budgets.
        self.shared_budget = shared_budget
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[tuple[str, str], _Lease] = {}
        self._market_sources: dict[str, Any] = {}
        self._market_locks: dict[str, asyncio.Lock] = {}
        self._throttlers: dict[str, Any] = {}
        self._shared: dict[str, dict[str, Any]] = {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = _http_session()
        return self._session

    def _build_client(self, exchange_id: str, credentials: Mapping[str, str], session: aiohttp.ClientSession) -> Any:
        """A client of the exchange as Tallybot configures it, on `session` (which must belong to the loop the
        client will run on), with its own throttler."""
        if exchange_id in OWN_CLIENTS:
            return _own_client(exchange_id, credentials, session, self.url_overrides.get(exchange_id))
        ccxt = _ccxt_async()
        exchange_class = getattr(ccxt, exchange_id)
        config: dict[str, Any] = {
            "enableRateLimit": True,
            "session": session,
            **copy.deepcopy(dict(READ_ONLY_CONFIG.get(exchange_id, {}))),
            **credentials,
        }
        client = exchange_class(config)
        # ccxt sleeps 250 ms in close() for websocket clean-up we do not use.
        client.timeout_on_exit = 0
        keep_rate_limit_status(client)
        leave_pacing_to_fetcher(client, SELF_PACED.get(exchange_id, frozenset()))
        if exchange_id in self.url_overrides:
            apply_url_override(client, self.url_overrides[exchange_id])
        return client

    def _new_client(self, exchange_id: str, credentials: Mapping[str, str]) -> Any:
        """A client for the bot's event loop: the pool's HTTP session and the exchange's shared throttler."""
        client = self._build_client(exchange_id, credentials, self._http())
        # The exchange's weight limit is per IP: every client of it draws from one bucket. The first client made
        # here supplies it, so it is always a throttler of the bot's loop (markets sources never register theirs).
        # Where the limit counts per key (PER_KEY_LIMITS), each credential's client keeps its own.
        if exchange_id not in PER_KEY_LIMITS | OWN_CLIENTS:
            client.throttler = self._throttlers.setdefault(exchange_id, client.throttler)
            if self.shared_budget is not None:
                self.shared_budget.pace(client, exchange_id)
        # Budgets per IP that the fetchers pace themselves (Binance /sapi): one set for every client of the exchange,
        # and on PostgreSQL the deployment's budget, which they also draw on (connectors/fetchers/binance/budgets.py).
        client.tallybot_shared = self._shared.setdefault(exchange_id, {})
        if self.shared_budget is not None:
            client.tallybot_shared[DEPLOYMENT_BUDGET] = self.shared_budget
        return client

    async def _markets_for(self, exchange_id: str) -> Any:
        """A keyless client holding the exchange's loaded markets, loaded once and shared by reference.

        ccxt parses an exchange's whole market list inside one callback of the loop that loads it (Binance, 2,000
        markets: a 180 ms stall of every user's reply). So the load runs in a worker thread on an event loop of its
        own (`_load_markets_source`); the bot's loop only waits for it. If the waiting task is cancelled the lock
        is released, nothing is registered and the thread finishes on its own (its result is dropped).
        """
        lock = self._market_locks.setdefault(exchange_id, asyncio.Lock())
        async with lock:
            source = self._market_sources.get(exchange_id)
            if source is None:
                # A failure (ccxt's error from load_markets, as the caller always got it) propagates from here.
                source = await asyncio.to_thread(self._load_markets_source, exchange_id)
                self._market_sources[exchange_id] = source
                # An exchange's markets are hundreds of thousands of objects kept for the life of the process: out
                # of the garbage collector's sight they cost full collections nothing (a full collection walking
                # them stalled the bot for up to 0.6 s, docs/BENCHMARKS.md §3). Sources are never dropped, so
                # this freezes a bounded amount; clients come and go and are not frozen.
                gc.freeze()
            return source

    def _load_markets_source(self, exchange_id: str) -> Any:
        """Run in a worker thread: the exchange's markets, loaded on a fresh event loop of this thread."""
        return asyncio.run(self._load_markets_here(exchange_id))

    async def _load_markets_here(self, exchange_id: str) -> Any:
        """Load markets on the running (worker) loop; return the closed client as the holder of the markets.

        Everything the load touches belongs to this loop: its own HTTP session (the pool's belongs to the bot's
        loop) and the client's own throttler, which is not registered as the exchange's shared one (ccxt binds a
        throttler to the loop of its first request). Both are closed here before the loop ends; the client is
        only ever read afterwards (`set_markets_from_exchange`), never used for a request: closed, ccxt would
        refuse one (ExchangeClosedByUser) rather than open a session on a dead loop.
        """
        session = _http_session()
        try:
            client = self._build_client(exchange_id, {}, session)
            try:
                await client.load_markets()
            finally:
                await client.close()
        finally:
            await session.close()
        return client

    @asynccontextmanager
    async def client(
        self,
        exchange_id: str,
        credential_id: str,
        credentials: Mapping[str, str],
        *,
        key_fields: Collection[str] | None = None,
    ) -> AsyncIterator[Any]:
        """A ready client with markets for this credential; kept for reuse after the block.

        `key_fields` names the credentials the key type has (`KeyType.field_names`); ccxt is told not to require
        the others, so a key with fewer fields than ccxt expects still signs (a Bitget Tax API key has no
        passphrase). It applies when the client is created: one credential has one key type.
        """
        key = (exchange_id, credential_id)
        lease = self._clients.get(key)
        if lease is None:
            source = None if exchange_id in OWN_CLIENTS else await self._markets_for(exchange_id)
            lease = self._clients.get(key)  # another task may have created it while markets loaded
            if lease is None:
                created = self._new_client(exchange_id, credentials)
                if key_fields is not None:
                    fit_required_credentials(created, key_fields)
                if source is not None:
                    created.set_markets_from_exchange(source)
                lease = self._clients[key] = _Lease(created)
        lease.users += 1
        try:
            yield lease.client
        finally:
            lease.users -= 1
            lease.last_used = time.monotonic()

    async def forget(self, exchange_id: str, credential_id: str) -> None:
        """Close the client of a replaced or deleted key at once."""
        lease = self._clients.pop((exchange_id, credential_id), None)
        if lease is not None:
            await lease.client.close()

    async def close_idle(self) -> int:
        cutoff = time.monotonic() - self.idle_seconds
        idle = [key for key, lease in self._clients.items() if lease.users == 0 and lease.last_used < cutoff]
        for key in idle:
            await self._clients.pop(key).client.close()
        return len(idle)

    @property
    def open_clients(self) -> int:
        return len(self._clients)

    async def close(self) -> None:
        leases, self._clients = list(self._clients.values()), {}
        # Markets sources were closed on their own loops right after loading: nothing of theirs is open.
        self._market_sources = {}
        for lease in leases:
            await lease.client.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.shared_budget is not None:
            await self.shared_budget.close()


def _own_client(
    exchange_id: str, credentials: Mapping[str, str], session: aiohttp.ClientSession, base_url: str | None
) -> Any:
    """The client of an exchange ccxt lacks (OWN_CLIENTS), pointed at `base_url` when the URL is overridden."""
    if exchange_id == "gmocoin":
        from connectors.fetchers.gmocoin.client import GmoCoinClient  # imports ccxt's errors: only when needed

        return GmoCoinClient(credentials, session, base_url=base_url)
    raise ValueError(f"no client of Tallybot's own for {exchange_id}")


def _http_session() -> aiohttp.ClientSession:
    """An HTTP session for ccxt clients, bound to the running loop (ccxt sets each request's own timeout)."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))


def keep_rate_limit_status(client: Any) -> None:
    """Make an error raised for a 429/418 answer say so, whatever the exchange's own handler made of the body.

    ccxt calls `handle_errors` (the exchange's reading of the body) before its generic HTTP-status handler, whose
    message carries the status. Bybit's and OKX's raise ExchangeError on any JSON body without their success
    code, so a gateway's JSON 429 would read as an unknown exchange error: the status is noted on the error
    (connectors.diagnosis.note_http_status). Only rate-limit statuses: an error code in an HTTP 200 body (most
    exchanges answer errors that way) stays diagnosed by its code and type.
    """
    handle_errors = client.handle_errors

    def noting_handle_errors(code: Any, *args: Any, **kwargs: Any) -> Any:
        # ccxt calls this for every answer, with that answer's own status, headers and body: (code, reason, url,
        # method, headers, body, …). Kept per task: another task's request on this client overwrites ccxt's copy.
        record_answer(code, args[4] if len(args) >= 5 else None, args[3] if len(args) >= 4 else None)
        try:
            return handle_errors(code, *args, **kwargs)
        except Exception as error:
            if code in RATE_LIMIT_STATUSES:
                note_http_status(error, code)
            raise

    client.handle_errors = noting_handle_errors
    setattr(client, ANSWERS_PER_TASK_ATTRIBUTE, True)


def shared_by_exchange(client: Any) -> MutableMapping[str, Any]:
    """State every client of the client's exchange in this pool shares (the per-IP budgets a fetcher paces itself);
    a client made elsewhere gets its own."""
    shared = getattr(client, "tallybot_shared", None)
    if shared is None:
        shared = client.tallybot_shared = {}
    return shared


def last_response_headers() -> Mapping[str, Any] | None:
    """The headers of the answer to this task's last request through a pool client (None before any)."""
    answer = task_answer()
    return answer.headers if answer is not None else None


def leave_pacing_to_fetcher(client: Any, paths: frozenset[str]) -> None:
    """Let calls to `paths` (the exchange's API paths, as ccxt names them) skip ccxt's leaky bucket: their fetcher
    paces them by budgets ccxt does not model. Every other call still waits its turn in the bucket."""
    if not paths:
        return
    cost_of = client.calculate_rate_limiter_cost
    throttle = client.throttle

    def cost(api: Any, method: Any, path: Any, params: Any, config: Any = None) -> Any:
        if path in paths:
            return 0
        return cost_of(api, method, path, params, config if config is not None else {})

    async def throttle_unless_free(cost: Any = None) -> Any:
        if cost == 0:
            return None
        return await throttle(cost)

    client.calculate_rate_limiter_cost = cost
    client.throttle = throttle_unless_free


def fit_required_credentials(client: Any, key_fields: Collection[str]) -> None:
    """Let a key type with fewer fields than ccxt expects sign anyway (a Bitget Tax API key has no passphrase)."""
    required = dict(getattr(client, "requiredCredentials", {}) or {})
    for credential, needed in required.items():
        if needed and credential not in key_fields:
            required[credential] = False
            if getattr(client, credential, None) is None:
                setattr(client, credential, "")
    client.requiredCredentials = required
