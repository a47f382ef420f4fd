"""Request efficiency: a heavy Binance account synced through the real SyncService, against the minimum.

    python -m benchmarks.requests [--quick] [--json PATH] [--seed N]

The account (issue 8): 3 years, 2,000 listed markets, 40 traded (the generator empties a third of the traded bases,
so some markets hold trades in coins the user no longer has), 60,000 trades, 400 deposits, 200 withdrawals,
100 converts and 60 reward distributions, on the Binance emulator. One user connects it with no sync-from date
(what the Assistant stores by default); the real SyncService with a real ccxt client from a real ClientPool does a
first full sync and then a re-sync with nothing new. Every request the emulator serves is logged with its time.

The minimum is what the emulator's rules allow for that data, for a client that must prove it has everything:

- wallet endpoints: every window from Binance's opening (2017-07-14: no record can be older, and no API says when
  an account was opened) to now, at the longest span the emulator accepts (deposits and withdrawals 90 days,
  converts 30, reward distributions 180), plus one more page in a window for every full page it holds (offset
  paging ends on a short page; converts and distributions say whether more exist, so they need no extra page);
- spot trades: for each market that holds trades, floor(n / 1000) + 1 requests (``fromId`` paging ends on a short
  page) — as if the client knew which markets were traded. Finding them (the balance call, probes of candidate
  markets found empty) and loading the markets are Tallybot's overhead;
- every other list the sync asks (issue 15's kinds: universal transfers, dust, P2P, Pay, fiat, Simple Earn,
  Auto-Invest, ETH staking, rebates, crypto loans, and the reads that tell whether futures, margin or sub-accounts
  are used): `LIST_RULES`, each list by its documented window and reach times the lists a mandatory parameter splits
  it into (none holds a row on this account, or a full page);
- a re-sync with nothing new: one request per traded market and one window per wallet endpoint and other list.

Simulated wall time under Binance's real limits is derived, not slept: the run uses an emulator with the limits
lifted, an unthrottled client and the fetcher's /sapi pacing lifted, then replays the logged requests through a
model of what would have made them wait (benchmarks/request_model.py), under two pacing policies: Tallybot's
before per-endpoint budgets (one /sapi budget per kind shared by every endpoint, one endpoint at a time, /sapi in
ccxt's bucket) and now (a budget per /sapi endpoint as Binance documents, the four wallet endpoints at the same
time). Both are set against the floor the documented limits allow for the same requests.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
from sqlalchemy import select

from benchmarks.common import Report, command_line, connect_account, ratio, rounded
from benchmarks.request_model import AFTER, BEFORE, Simulated, Weight, floor, lanes_of, request_weights, simulate
from bot.integrations import IntegrationService
from bot.sync import SyncResult, SyncService
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import READ_ONLY_CONFIG, ClientPool
from connectors.fetchers.binance import BINANCE_OPENED
from connectors.fetchers.windows import date_ms, to_ms
from connectors.profiles import Endpoint
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models import Transaction
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits, RequestCounter, ScriptedAccount
from sandbox.exchanges.binance_book import CONVERT_WINDOW_MS, DIVIDEND_WINDOW_MS, TRANSFERS_WINDOW_MS
from sandbox.exchanges.binance_truth import binance_truth, stored_values

SEED = 20261121
TELEGRAM_USER = 8_000_001
LIFTED = BinanceLimits(
    request_weight_per_minute=10**12, sapi_ip_weight_per_minute=10**12, sapi_uid_weight_per_minute=10**12
)
REAL = BinanceLimits()
MINUTE_MS = 60_000
TRADES_PAGE = 1000  # myTrades: limit at most 1000, ascending from fromId
WALLET_PATHS: dict[Endpoint, str] = {
    Endpoint.DEPOSITS: "/sapi/v1/capital/deposit/hisrec",
    Endpoint.WITHDRAWALS: "/sapi/v1/capital/withdraw/history",
    Endpoint.CONVERT: "/sapi/v1/convert/tradeFlow",
    Endpoint.EARN_REWARDS: "/sapi/v1/asset/assetDividend",
}


@dataclass(frozen=True)
class WalletRule:
    """What the emulator accepts for one wallet endpoint: the longest window and the largest page."""

    window_ms: int
    page: int
    short_page_ends: bool  # offset paging: a full page may be followed by more, so one more request


WALLET_RULES: dict[Endpoint, WalletRule] = {
    # "time between startTime and endTime must be less than 90 days"
    Endpoint.DEPOSITS: WalletRule(TRANSFERS_WINDOW_MS - 1, 1000, True),
    Endpoint.WITHDRAWALS: WalletRule(TRANSFERS_WINDOW_MS - 1, 1000, True),
    Endpoint.CONVERT: WalletRule(CONVERT_WINDOW_MS, 1000, False),  # "moreData" says whether more exist
    Endpoint.EARN_REWARDS: WalletRule(DIVIDEND_WINDOW_MS, 500, False),  # "total" says how many exist
}
DAY_MS = 86_400_000


@dataclass(frozen=True)
class ListRule:
    """Every other list a sync asks (issue 15's kinds), by its documented rules (docs/exchange-apis/binance.md): it is
    asked `per` times a window (a mandatory `type` names one direction, ...), in windows of `window_days` from
    `start` (a date, or `reach_days` before now; None: one window), and `resync` times a re-sync with nothing new.
    On the benchmark account these lists hold no row, or never a full page, so windows are the whole minimum."""

    path: str
    per: int
    window_days: int | None
    start: date | None = None
    reach_days: int | None = None
    resync: int | None = None  # default: `per`
    end: date | None = None  # a list that holds nothing after this day (an older edition of a list)

    def first(self, until_ms: int) -> int:
        begin = date_ms(self.start) if self.start else until_ms - (self.reach_days or 0) * DAY_MS
        if self.window_days is None:
            return self.per
        last = min(until_ms, date_ms(self.end)) if self.end else until_ms
        return self.per * len(windows(begin, last, self.window_days * DAY_MS))

    def again(self) -> int:
        return self.per if self.resync is None else self.resync


# A first sync with no sync-from date, and a re-sync with nothing new (the numbers: docs/exchange-apis/binance.md).
LIST_RULES: tuple[ListRule, ...] = (
    # The signs a kind is used, read each sync: the USD-M wallet (futures, funding; -2015 without one), the cross
    # margin account (margin; -3003 without one), subUserHistory then the master's sub-account list (2 a sync).
    ListRule("/fapi/v2/balance", 1, None),
    ListRule("/sapi/v1/margin/account", 1, None),
    ListRule("/sapi/v1/sub-account/transfer/subUserHistory", 1, None),
    ListRule("/sapi/v1/sub-account/list", 1, None),
    # Universal transfers: `type` mandatory (18 directions), "within the last 6 months only", no longest span.
    ListRule("/sapi/v1/asset/transfer", 18, None),
    # Dust: "Only return last 100 records", no span limit: one request.
    ListRule("/sapi/v1/asset/dribblet", 1, None),
    # P2P: BUY and SELL apart, at most 30 days a request, "the past 6 months" (180 days).
    ListRule("/sapi/v1/c2c/orderMatch/listUserOrderHistory", 2, 30, reach_days=180),
    # Pay: at most 90 days, "within the last 18 months" (540 days).
    ListRule("/sapi/v1/pay/transactions", 1, 90, reach_days=540),
    # Fiat orders and payments: `transactionType` 0 and 1 apart, no span limit or reach stated: one window each. The
    # orders weigh 45,000 of their own 180,000 UID a minute: a list read to its end less than a minute before waits
    # for the next sync (nothing is lost: its cursor stays), and this re-sync follows the first within the minute.
    ListRule("/sapi/v1/fiat/orders", 2, None, resync=0),
    ListRule("/sapi/v1/fiat/payments", 2, None),
    # Simple Earn: "cannot be longer than 3 months" (89 days: the shortest three months, Feb-Apr); flexible from
    # Binance's opening (reach not stated), locked from Simple Earn's launch.
    ListRule("/sapi/v1/simple-earn/flexible/history/rewardsRecord", 1, 89, BINANCE_OPENED),
    ListRule("/sapi/v1/simple-earn/locked/history/rewardsRecord", 1, 89, date(2022, 9, 22)),
    ListRule("/sapi/v1/simple-earn/locked/history/redemptionRecord", 1, 89, date(2022, 9, 22)),
    # Auto-Invest: "Max span between startTime and endTime is 30days", reach not stated.
    ListRule("/sapi/v1/lending/auto-invest/history/list", 1, 30, BINANCE_OPENED),
    # ETH staking's four lists read: 3 months (89 days) a request, from ETH staking's launch.
    ListRule("/sapi/v1/eth-staking/eth/history/stakingHistory", 1, 89, date(2020, 12, 2)),
    ListRule("/sapi/v1/eth-staking/eth/history/redemptionHistory", 1, 89, date(2020, 12, 2)),
    ListRule("/sapi/v1/eth-staking/wbeth/history/wrapHistory", 1, 89, date(2020, 12, 2)),
    ListRule("/sapi/v1/eth-staking/wbeth/history/unwrapHistory", 1, 89, date(2020, 12, 2)),
    # Spot rebates: "max interval ... 30 days", "The earliest startTime is supported on June 10, 2020".
    ListRule("/sapi/v1/rebate/taxQuery", 1, 30, date(2020, 6, 10)),
    # Crypto loans (flexible rate): "The max interval between startTime and endTime is 180 days"; the v1 lists from
    # their first day (the change log: 2023-08-26) until the v2 lists took over ("history before 2024-02-27 08:00"),
    # nothing to ask of them again; the v2 lists from then, liquidations from their own first day (2024-12-20); the
    # open loans once a sync (the interest their debt grew by).
    *(
        ListRule(f"/sapi/v1/loan/flexible/{name}/history", 1, 180, date(2023, 8, 26), end=date(2024, 2, 28), resync=0)
        for name in ("borrow", "repay", "ltv/adjustment")
    ),
    *(
        ListRule(f"/sapi/v2/loan/flexible/{name}/history", 1, 180, date(2024, 2, 27))
        for name in ("borrow", "repay", "ltv/adjustment")
    ),
    ListRule("/sapi/v2/loan/flexible/liquidation/history", 1, 180, date(2024, 12, 20)),
    ListRule("/sapi/v2/loan/flexible/ongoing/orders", 1, None),
)


@dataclass(frozen=True)
class Shape:
    profile: AccountProfile
    listed: int


FULL = Shape(
    AccountProfile(
        years=3.0,
        traded_markets=40,
        trades=60_000,
        deposits=400,
        withdrawals=200,
        converts=100,
        transfers=0,
        rewards=60,
    ),
    listed=2000,
)
QUICK = Shape(
    AccountProfile(
        years=1.0, traded_markets=6, trades=2_500, deposits=30, withdrawals=12, converts=10, transfers=0, rewards=10
    ),
    listed=200,
)


# ------------------------------------------------------------------------------------------------ instruments


@dataclass
class RequestLog(RequestCounter):
    """The emulator's request counter, also keeping every request's path and arrival time, in order."""

    entries: list[tuple[float, str]] = field(default_factory=list)

    def record(self, path: str) -> None:
        super().record(path)
        self.entries.append((time.monotonic(), path))

    def reset(self) -> None:
        super().reset()
        self.entries.clear()


class UnthrottledPool(ClientPool):
    """The product's ClientPool, with ccxt's shared throttler let through at once: the run counts requests and
    logs their order; the time the throttler would add is put back by the model."""

    def _new_client(self, exchange_id: str, credentials: Mapping[str, str]) -> Any:
        client = super()._new_client(exchange_id, credentials)
        client.throttler.config["refillRate"] = 1e9
        return client


# ------------------------------------------------------------------------------------------------ the minimum


def windows(start_ms: int, until_ms: int, window_ms: int) -> list[tuple[int, int]]:
    """Consecutive windows covering [start, until], each as long as the emulator accepts (end - start <= max)."""
    spans: list[tuple[int, int]] = []
    begin = start_ms
    while begin <= until_ms:
        end = min(begin + window_ms, until_ms)
        spans.append((begin, end))
        begin = end + 1
    return spans


def wallet_minimum(times: Sequence[int], rule: WalletRule, start_ms: int, until_ms: int) -> int:
    ordered = sorted(times)
    total = 0
    index = 0
    for begin, end in windows(start_ms, until_ms, rule.window_ms):
        inside = 0
        while index < len(ordered) and ordered[index] <= end:
            if ordered[index] >= begin:
                inside += 1
            index += 1
        total += inside // rule.page + 1 if rule.short_page_ends else max(1, math.ceil(inside / rule.page))
    return total


def wallet_times(account: ScriptedAccount, until_ms: int) -> dict[Endpoint, list[int]]:
    return {
        Endpoint.DEPOSITS: [d.timestamp for d in account.deposits if d.timestamp <= until_ms],
        Endpoint.WITHDRAWALS: [w.timestamp for w in account.withdrawals if w.timestamp <= until_ms],
        Endpoint.CONVERT: [c.timestamp for c in account.converts if c.timestamp <= until_ms],
        Endpoint.EARN_REWARDS: [r.timestamp for r in account.rewards if r.timestamp <= until_ms],
    }


def trades_minimum(account: ScriptedAccount, until_ms: int) -> dict[str, int]:
    per_market = Counter(t.symbol for t in account.trades if t.timestamp <= until_ms)
    return {symbol: n // TRADES_PAGE + 1 for symbol, n in per_market.items()}


@dataclass(frozen=True)
class Minimum:
    wallet: dict[Endpoint, int]
    trades: dict[str, int]
    lists: dict[str, int]  # every other list the sync asks, by path

    @property
    def total(self) -> int:
        return sum(self.wallet.values()) + sum(self.trades.values()) + sum(self.lists.values())

    def by_path(self) -> dict[str, int]:
        paths = {WALLET_PATHS[e]: n for e, n in self.wallet.items()}
        return {**paths, "/api/v3/myTrades": sum(self.trades.values()), **self.lists}


def first_sync_minimum(account: ScriptedAccount, until_ms: int) -> Minimum:
    start = date_ms(BINANCE_OPENED)
    times = wallet_times(account, until_ms)
    wallet = {e: wallet_minimum(times[e], rule, start, until_ms) for e, rule in WALLET_RULES.items()}
    lists = {rule.path: rule.first(until_ms) for rule in LIST_RULES}
    return Minimum(wallet, trades_minimum(account, until_ms), lists)


def resync_minimum(account: ScriptedAccount, since_ms: int, until_ms: int) -> Minimum:
    """Nothing new since `since_ms`: one window per wallet endpoint (more if the pause outlasted a window), one
    request per traded market to see that no trade follows its last one, and each other list's one window."""
    wallet = {e: len(windows(since_ms, until_ms, rule.window_ms)) for e, rule in WALLET_RULES.items()}
    lists = {rule.path: rule.again() for rule in LIST_RULES}
    return Minimum(wallet, {symbol: 1 for symbol in account.traded_symbols}, lists)


# ------------------------------------------------------------------------------------------------ ground truth


@dataclass(frozen=True)
class Recovery:
    expected: int
    recovered: int  # stored with exactly the ground truth's values
    wrong: int  # stored, but some value differs
    missing: int
    extra: int  # stored, but not in the ground truth
    duplicates: int

    @property
    def share(self) -> float:
        return self.recovered / self.expected if self.expected else 1.0


def recovery(expected: Mapping[str, tuple[object, ...]], rows: Iterable[Transaction]) -> Recovery:
    found: dict[str, tuple[object, ...]] = {}
    duplicates = 0
    for row in rows:
        if row.natural_key in found:
            duplicates += 1
        found[row.natural_key] = stored_values(row)
    recovered = sum(1 for key, values in expected.items() if found.get(key) == values)
    wrong = sum(1 for key, values in expected.items() if key in found and found[key] != values)
    extra = sum(1 for key in found if key not in expected)
    return Recovery(len(expected), recovered, wrong, len(expected) - recovered - wrong, extra, duplicates)


# ------------------------------------------------------------------------------------------------ the run


@dataclass
class SyncRun:
    result: SyncResult
    entries: list[tuple[float, str]]
    by_path: dict[str, int]
    started: float
    ended: float
    until_ms: int

    @property
    def requests(self) -> int:
        return len(self.entries)

    @property
    def engine_requests(self) -> int:
        """Requests the fetcher counted (the engine's own report): excludes the pool's markets load."""
        return sum(endpoint.requests for endpoint in self.result.endpoints)


async def timed_sync(service: SyncService, log: RequestLog, integration_id: int) -> SyncRun:
    log.reset()
    started = time.monotonic()
    result = await service.run(TELEGRAM_USER, integration_id)
    ended = time.monotonic()
    until_ms = to_ms(result.finished_at)
    return SyncRun(result, list(log.entries), dict(log.by_path), started, ended, until_ms)


async def measure(shape: Shape, seed: int = SEED) -> dict[str, Any]:
    async with BinanceEmulator(seed=seed, profile=shape.profile, listed_symbols=shape.listed, limits=LIFTED) as emu:
        log = RequestLog()
        emu.requests = log
        account = emu.account
        with tempfile.TemporaryDirectory(prefix="tallybot-bench-") as directory:
            database = Database(f"sqlite+aiosqlite:///{Path(directory) / 'requests.sqlite3'}")
            await upgrade_to_head(database)
            integrations = IntegrationService(database, Vault(KeyRing([generate_key()])))
            summary = await connect_account(
                integrations, TELEGRAM_USER, "binance", emu.add_key(label="tallybot"), name="Binance-1"
            )
            pool = UnthrottledPool({"binance": emu.base_url})
            # The fetcher's own pacing of the /sapi budgets sleeps for real: lifted here, put back by the model.
            lifted = {"uid_weight_per_minute": 10**12, "ip_weight_per_minute": 10**12}
            service = SyncService(database, integrations, pool, fetcher_options={"binance": lifted})
            try:
                first = await timed_sync(service, log, summary.id)
                async with database.reader() as session:
                    rows = list((await session.scalars(select(Transaction))).all())
                got = recovery(binance_truth(account, first.until_ms), rows)
                second = await timed_sync(service, log, summary.id)
                async with database.reader() as session:
                    after = len((await session.scalars(select(Transaction.id))).all())
                probe = ccxt_async.binance(dict(READ_ONLY_CONFIG["binance"]))
                weights = request_weights(emu.endpoints, probe)
                await probe.close()
            finally:
                await pool.close()
                await database.dispose()
        return {
            "account": account,
            "first": first,
            "second": second,
            "recovery": got,
            "rows_after_resync": after,
            "rows_after_first": len(rows),
            "weights": weights,
            "unexpected": list(log.unexpected),
        }


def evidence_shapes(account: ScriptedAccount, scanned: Iterable[str]) -> dict[str, int]:
    """Each market asked, by the evidence its two assets have in the ground truth: both moved (deposited,
    withdrawn, converted or paid as a reward), or one of them only held now; and whether it holds trades."""
    moved = (
        {d.asset for d in account.deposits}
        | {w.asset for w in account.withdrawals}
        | {c.from_asset for c in account.converts}
        | {c.to_asset for c in account.converts}
        | {r.asset for r in account.rewards}
    )
    traded = set(account.traded_symbols)
    shapes: Counter[str] = Counter()
    for symbol in scanned:
        market = account.market(symbol)
        both = market.base in moved and market.quote in moved
        shapes[f"{'traded' if symbol in traded else 'empty'}, {'both moved' if both else 'one side only held'}"] += 1
    return dict(shapes)


def spot(result: SyncResult) -> Any:
    return next(e for e in result.endpoints if e.endpoint is Endpoint.SPOT_TRADES)


def product_rate_limit_ms() -> float:
    """The rateLimit Tallybot's Binance clients run with: ClientPool's override if it sets one, else ccxt's."""
    configured = READ_ONLY_CONFIG["binance"].get("rateLimit")
    if configured is None:
        configured = ccxt.binance().rateLimit  # the synchronous client: nothing to close
    return float(configured)


def describe_sync(
    report: Report, name: str, run: SyncRun, minimum: Minimum, weights: Mapping[str, Weight], traded: set[str]
) -> dict[str, Any]:
    rate_limit_ms = product_rate_limit_ms()
    lanes = lanes_of(run.entries, run.started, run.ended, together_paths(run.by_path))
    real = simulate(lanes, weights, policy=AFTER, rate_limit_ms=rate_limit_ms, limits=REAL)
    before = simulate(lanes, weights, policy=BEFORE, rate_limit_ms=rate_limit_ms, limits=REAL)
    least = floor(run.by_path, weights, REAL)
    trades = spot(run.result)
    scanned = list(trades.markets_scanned)
    probes_empty = [m for m in scanned if m not in traded]
    wallet_requests = {e: run.by_path.get(p, 0) for e, p in WALLET_PATHS.items()}
    my_trades = run.by_path.get("/api/v3/myTrades", 0)
    figures = {
        "requests": run.requests,
        "engine_requests": run.engine_requests,
        "by_path": run.by_path,
        "minimum": minimum.total,
        "minimum_wallet": {str(e): n for e, n in minimum.wallet.items()},
        "minimum_trades": sum(minimum.trades.values()),
        "minimum_lists": dict(minimum.lists),
        "above_minimum_by_path": above_minimum(run.by_path, minimum),
        "ratio": rounded(ratio(run.requests, minimum.total), 4),
        "status": str(run.result.status),
        "endpoints": {str(e.endpoint): str(e.status) for e in run.result.endpoints},
        "new_records": sum(e.new for e in run.result.endpoints),
        "fetched_records": sum(e.fetched for e in run.result.endpoints),
        "markets_scanned": len(scanned),
        "markets_probed_empty": len(probes_empty),
        "markets_not_scanned": len(trades.markets_not_scanned),
        "measured_seconds": rounded(run.ended - run.started, 2),
        "simulated_seconds": rounded(real.seconds, 1),
        "simulated": simulated_figures(real),
        "simulated_before_per_endpoint_budgets": simulated_figures(before),
        "floor_seconds": rounded(least.seconds, 1),
        "floor_by_budget": {key: rounded(value, 1) for key, value in least.by_budget.items()},
        "floor_binding_budget": least.binding,
        "ratio_to_floor": rounded(ratio(real.seconds, least.seconds), 3) if least.seconds else None,
        "ratio_to_floor_before": rounded(ratio(before.seconds, least.seconds), 3) if least.seconds else None,
        "ccxt_rate_limit_ms": rate_limit_ms,
    }
    report.section(name)
    report.say(
        f"  requests served by the emulator: {run.requests:,} (the engine's own count: {run.engine_requests:,}; "
        f"the difference is the pool loading markets)"
    )
    paths = ", ".join(
        f"{path.rsplit('/', 1)[-1]} {n:,}" for path, n in sorted(run.by_path.items(), key=lambda i: -i[1])
    )
    report.say(f"  by endpoint: {paths}")
    wallet_min = ", ".join(f"{e} {n}" for e, n in minimum.wallet.items())
    lists_min = ", ".join(f"{path.rsplit('/', 1)[-1]} {n}" for path, n in minimum.lists.items())
    report.say(
        f"  minimum: {minimum.total:,} = wallet windows and pages ({wallet_min}) + myTrades pages of the "
        f"{len(minimum.trades)} traded markets ({sum(minimum.trades.values()):,}) + the other lists "
        f"({sum(minimum.lists.values()):,}: {lists_min})"
    )
    above = ", ".join(f"{path} {n:+,}" for path, n in above_minimum(run.by_path, minimum).items())
    report.say(f"  asked beyond the minimum, by path: {above or 'none'}")
    report.say(
        f"  made: wallet {sum(wallet_requests.values()):,} ("
        + ", ".join(f"{e} {n}" for e, n in wallet_requests.items())
        + f"), myTrades {my_trades:,} over {len(scanned):,} markets asked ({len(scanned) - len(probes_empty)} traded, "
        f"{len(probes_empty)} probed and found empty), account balances "
        f"{run.by_path.get('/api/v3/account', 0)}, exchangeInfo {run.by_path.get('/api/v3/exchangeInfo', 0)}"
    )
    if trades.markets_not_scanned:
        report.say(f"  candidate markets left for the next sync (probe budget): {len(trades.markets_not_scanned)}")
    report.say(f"  ratio to the minimum: {figures['ratio']:.3f}")
    report.say(
        f"  outcome: {run.result.status}; records fetched {figures['fetched_records']:,}, "
        f"new {figures['new_records']:,}"
    )
    report.say(f"  measured, unthrottled run: {run.ended - run.started:.1f} s")
    for label, simulated in (("now", real), ("before per-endpoint budgets", before)):
        stages = ", ".join(f"{stage} {seconds:,.1f} s" for stage, seconds in simulated.stages.items())
        report.say(
            f"  simulated wall time under Binance's real limits, {label}: {simulated.seconds:,.1f} s ({stages}; "
            f"slowest wallet endpoint {simulated.slowest_wallet_lane.rsplit('/', 1)[-1]}); waits: ccxt throttle "
            f"{simulated.throttle:,.1f} s, /sapi pacing {simulated.sapi_pacing:,.1f} s, {simulated.rate_limited} × "
            f"429 waited out {simulated.retry_after:.0f} s"
        )
    budgets = ", ".join(f"{key.rsplit('/', 1)[-1]} {value:,.0f} s" for key, value in least.by_budget.items())
    report.say(
        f"  floor set by the documented limits for these requests: {least.seconds:,.0f} s ({budgets}); "
        + (
            f"now {figures['ratio_to_floor']}× the floor, before {figures['ratio_to_floor_before']}×"
            if least.seconds
            else "no budget makes this sync wait"
        )
    )
    report.say(
        f"  /api weight in any 60 s: at most {real.peak_api_weight_60s:,} of the 6,000 Binance allows per IP (the "
        f"{my_trades} myTrades calls took {real.trades_span_seconds:.0f} s) "
        f"(ccxt rateLimit {rate_limit_ms:g} ms, shared by every Binance client of the process)"
    )
    return figures


# Asked after the wallet stage, one endpoint at a time: spot trades (the balance call, then myTrades) and the futures
# and margin kinds (not in the fetcher's `concurrent_endpoints`).
AFTER_WALLETS = ("/api/v3/account", "/api/v3/myTrades", "/api/v3/exchangeInfo", "/fapi/", "/dapi/", "/sapi/v1/margin/")


def together_paths(by_path: Mapping[str, int]) -> list[str]:
    """The paths of the endpoints a Binance sync runs at the same time (BinanceFetcher.concurrent_endpoints: the four
    wallet endpoints, transfers and issue 15's kinds), each replayed as a lane of its own from the markets load. The
    lists one endpoint asks in turn (the reward lists, ETH staking, rebates) are replayed side by side: their waits
    come from their own budgets, and the measured time between them is milliseconds."""
    return [path for path in by_path if not path.startswith(AFTER_WALLETS)]


def above_minimum(by_path: Mapping[str, int], minimum: Minimum) -> dict[str, int]:
    """Each path asked more (or less) often than its minimum; a path with no minimum (exchangeInfo, the balance
    call) is overhead in full."""
    least = minimum.by_path()
    return {
        path: by_path.get(path, 0) - least.get(path, 0)
        for path in sorted(set(by_path) | set(least))
        if by_path.get(path, 0) != least.get(path, 0)
    }


def simulated_figures(simulated: Simulated) -> dict[str, Any]:
    return {
        "seconds": rounded(simulated.seconds, 1),
        "stages": {stage: rounded(seconds, 1) for stage, seconds in simulated.stages.items()},
        "slowest_wallet_endpoint": simulated.slowest_wallet_lane,
        "ccxt_throttle": rounded(simulated.throttle, 1),
        "sapi_pacing": rounded(simulated.sapi_pacing, 1),
        "rate_limited_429": simulated.rate_limited,
        "retry_after": rounded(simulated.retry_after, 1),
        "peak_api_weight_60s": simulated.peak_api_weight_60s,
        "trades_span_seconds": rounded(simulated.trades_span_seconds, 1),
    }


def build_report(shape: Shape, data: dict[str, Any], command: str, quick: bool) -> Report:
    report = Report("Request efficiency: a heavy Binance account through the real SyncService", command, quick)
    account: ScriptedAccount = data["account"]
    first: SyncRun = data["first"]
    second: SyncRun = data["second"]
    got: Recovery = data["recovery"]
    traded = set(account.traded_symbols)
    p = shape.profile
    report.section("Account (ground truth on the Binance emulator)")
    report.say(
        f"  {p.years:g} years, {len(account.markets):,} listed markets, {len(traded)} traded "
        f"({len(account.abandoned_symbols)} in coins no longer held), {len(account.trades):,} trades, "
        f"{len(account.deposits)} deposits, {len(account.withdrawals)} withdrawals, {len(account.converts)} converts, "
        f"{len(account.rewards)} reward distributions; no sync-from date (the walk starts at Binance's opening, "
        f"{BINANCE_OPENED.isoformat()})"
    )
    first_minimum = first_sync_minimum(account, first.until_ms)
    second_minimum = resync_minimum(account, first.until_ms + 1, second.until_ms)
    figures: dict[str, Any] = {
        "account": {
            "years": p.years,
            "listed_markets": len(account.markets),
            "traded_markets": len(traded),
            "abandoned_markets": len(account.abandoned_symbols),
            "trades": len(account.trades),
            "deposits": len(account.deposits),
            "withdrawals": len(account.withdrawals),
            "converts": len(account.converts),
            "rewards": len(account.rewards),
        }
    }
    weights: dict[str, Weight] = data["weights"]
    figures["first_sync"] = describe_sync(report, "First full sync", first, first_minimum, weights, traded)
    figures["first_sync_markets"] = list(spot(first.result).markets_scanned)
    report.section("Ground truth")
    report.say(
        f"  expected {got.expected:,} records; recovered exactly {got.recovered:,} ({got.share:.2%}); "
        f"wrong values {got.wrong}, missing {got.missing}, extra {got.extra}, duplicates {got.duplicates}"
    )
    figures["ground_truth"] = {
        "expected": got.expected,
        "recovered": got.recovered,
        "share": got.share,
        "wrong": got.wrong,
        "missing": got.missing,
        "extra": got.extra,
        "duplicates": got.duplicates,
    }
    shapes = evidence_shapes(account, figures["first_sync_markets"])
    figures["first_sync"]["evidence_shapes"] = shapes
    report.say(
        "  markets asked, by the evidence of their assets (moved: deposited, withdrawn, converted or rewarded): "
        + ", ".join(f"{shape} {n}" for shape, n in sorted(shapes.items()))
    )
    figures["resync"] = describe_sync(report, "Re-sync with nothing new", second, second_minimum, weights, traded)
    figures["resync"]["rows_added"] = data["rows_after_resync"] - data["rows_after_first"]
    figures["unexpected_requests"] = data["unexpected"]
    report.say(f"  rows added by the re-sync: {figures['resync']['rows_added']}")
    report.section("Targets")
    first_ratio, second_ratio = figures["first_sync"]["ratio"], figures["resync"]["ratio"]
    report.target("first_sync_ratio", first_ratio <= 1.2, f"first sync ≤ 1.2× the minimum: {first_ratio:.3f}×")
    report.target("resync_ratio", second_ratio <= 1.05, f"re-sync ≤ 1.05× the minimum: {second_ratio:.3f}×")
    report.target("ground_truth", got.share == 1.0 and not got.extra, f"100% of the ground truth: {got.share:.2%}")
    overhead = first.requests - first_minimum.total
    allowed = math.floor(first_minimum.total * 0.2)
    if first_ratio > 1.2:
        report.say(
            f"  first sync: {overhead} requests above the minimum, {allowed} allowed by 1.2×; "
            f"the probes of candidate markets found empty are {figures['first_sync']['markets_probed_empty']} of them"
        )
    figures["first_sync"]["overhead"] = overhead
    figures["first_sync"]["overhead_allowed_at_1_2"] = allowed
    report.figures.update(figures)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Request efficiency of a Binance sync against the minimum.")
    parser.add_argument("--quick", action="store_true", help="a small account (seconds, not minutes)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of the scripted account (default {SEED})")
    options = parser.parse_args(argv)
    shape = QUICK if options.quick else FULL
    began = time.monotonic()
    data = asyncio.run(measure(shape, options.seed))
    report = build_report(shape, data, command_line("benchmarks.requests", argv), options.quick)
    report.figures["seed"] = options.seed
    report.figures["wall_seconds"] = rounded(time.monotonic() - began, 1)
    report.emit(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
