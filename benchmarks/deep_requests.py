"""Request efficiency of OKX, Bybit and Bitget: a first full sync and a re-sync of the heavy benchmark account through
the real SyncService, against the minimum their documented rules allow (Binance: benchmarks/requests.py).

    .venv/bin/python -m benchmarks.deep_requests              # the heavy account (bot_load's: 40,000 trades a year)
    .venv/bin/python -m benchmarks.deep_requests --quick      # a small account
    .venv/bin/python -m benchmarks.deep_requests --json PATH  # also keep every figure

Each exchange's emulator scripts the account (`AccountProfile`, 600 listed markets); one user connects it with no
sync-from date, as the Assistant stores it; a real ccxt client from a real ClientPool, its throttle lifted, every
emulator limit lifted (Bybit's own pacer too: requests are counted, not timed) but OKX's quarterly archive's 12
applications a day, which decides what a sync may ask. The emulator counts every request per path.

The minimum per path comes from each list's documented window, page and reach (docs/exchange-apis/<exchange>.md, the
numbers quoted beside each rule), never from the fetcher's own count: a list walked in windows from its reach costs
one request per window times the lists a mandatory parameter splits it into, plus one more per full page; where a
list needs a key the client must find (Bitget's transfers need a coin), the minimum is as if the client knew which
keys hold rows, as benchmarks/requests.py counts Binance's traded markets. Markets loading and the reads that tell
whether a kind is used at all (the account's kind, a wallet's existence) are counted as what they are.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.common import Report, command_line, connect_account, ratio, rounded
from benchmarks.requests import DAY_MS, ListRule, UnthrottledPool, windows
from bot.integrations import IntegrationService
from bot.sync import SyncService
from bot.vault import KeyRing, Vault, generate_key
from connectors.fetchers.bybit.pacing import Pacer
from connectors.fetchers.windows import date_ms, to_ms
from db.engine import Database
from db.migrate import upgrade_to_head
from sandbox.exchanges import BitgetEmulator, BitgetLimits, BybitEmulator
from sandbox.exchanges.bybit import BybitLimits
from sandbox.exchanges.okx import OkxEmulator, OkxLimits
from sandbox.exchanges.records import AccountProfile, ScriptedAccount

HEAVY = AccountProfile(
    years=1.0, traded_markets=12, trades=40_000, deposits=150, withdrawals=60, converts=40, transfers=40, rewards=60
)
QUICK = AccountProfile(years=0.25, traded_markets=4, trades=3_000, deposits=10, withdrawals=5, converts=5, rewards=5)
TELEGRAM_USER = 8_000_002
OKX_LIMITS = OkxLimits(rules={"POST /api/v5/account/bills-history-archive": (12, DAY_MS)}, default_rule=(10**9, 1_000))


@dataclass(frozen=True)
class PathMinimum:
    """One path's minimum on a first sync and on a re-sync with nothing new, and the rule that gives it."""

    path: str
    first: int
    again: int
    rule: str


def from_list(rule: ListRule, until_ms: int, why: str) -> PathMinimum:
    return PathMinimum(rule.path, rule.first(until_ms), rule.again(), why)


def window_pages(times: Iterable[int], start_ms: int, until_ms: int, window_ms: int, page: int, more_flag: bool) -> int:
    """Requests to walk [start, until] in windows of `window_ms`: each window one page, and one more per full page
    (a list that says whether more exist, `more_flag`, needs no page after the last full one)."""
    ordered = sorted(t for t in times if start_ms <= t <= until_ms)
    total, index = 0, 0
    for begin, end in windows(start_ms, until_ms, window_ms):
        inside = 0
        while index < len(ordered) and ordered[index] <= end:
            inside += ordered[index] >= begin
            index += 1
        total += max(1, math.ceil(inside / page)) if more_flag else inside // page + 1
    return total


def pages(rows: int, page: int) -> int:
    """A list without windows, newest first, ended by a short page."""
    return rows // page + 1


# ------------------------------------------------------------------------------------------------ OKX


def okx_minimum(account: ScriptedAccount, until_ms: int) -> list[PathMinimum]:
    """docs/exchange-apis/okx.md. fills-history: `limit` max 100, newest first, the last year, `instType` required;
    deposit, withdrawal and convert history: 100 a page, no reach stated (one walk); bills-history: 100 a page since
    2021-02-01; bills-archive: the last 3 months, filtered by instType or type; the quarterly archive: 12
    applications a day; borrow/repay and savings lending history: 100 a page, one page here."""
    year = until_ms - 365 * DAY_MS
    trades = sum(1 for t in account.trades if year <= t.timestamp <= until_ms)
    funding_bills = len(account.deposits) + len(account.withdrawals) + len(account.transfers) + len(account.rewards)
    return [
        PathMinimum(
            "/api/v5/trade/fills-history",
            pages(trades, 100) + 4,
            1 + 4,
            f"SPOT {trades:,} fills in the year: {pages(trades, 100)} pages of 100; SWAP, FUTURES, OPTION, MARGIN one "
            "(empty) page each",
        ),
        PathMinimum("/api/v5/asset/deposit-history", pages(len(account.deposits), 100), 1, "100 a page, newest first"),
        PathMinimum("/api/v5/asset/withdrawal-history", pages(len(account.withdrawals), 100), 1, "100 a page"),
        PathMinimum("/api/v5/asset/convert/history", pages(len(account.converts), 100), 1, "100 a page"),
        PathMinimum(
            "/api/v5/asset/bills-history",
            pages(funding_bills, 100),
            1,
            f"every funding bill ({funding_bills}: deposits, withdrawals, transfers, rewards) since 2021-02-01, 100 "
            "a page: one walk serves transfers and rewards",
        ),
        PathMinimum(
            "/api/v5/account/bills-archive",
            5,
            5,
            "the last 3 months, one (empty) page per filter: P&L of SWAP, FUTURES, OPTION; type 8 funding; type 7 "
            "interest",
        ),
        PathMinimum(
            "/api/v5/account/bills-history-archive",
            12,
            0,
            "23 quarters since 2021 Q1 to apply for, 12 applications a day; a file applied for is ready after 2 hours "
            "and the day's 12 are spent, so a re-sync at once has none to ask",
        ),
        PathMinimum("/api/v5/account/spot-borrow-repay-history", 1, 1, "100 a page, no reach stated: one page"),
        PathMinimum("/api/v5/finance/savings/lending-history", 1, 1, "the past month, 100 a page: one page"),
    ]


# ------------------------------------------------------------------------------------------------ Bybit

BYBIT_OPENED = date(2018, 3, 1)  # docs/exchange-apis/bybit.md: lists with no stated reach start at Bybit's opening


def bybit_minimum(account: ScriptedAccount, until_ms: int) -> list[PathMinimum]:
    """docs/exchange-apis/bybit.md. execution list: 7 days a request, 2 years, 100 a page, `cursor` says whether more
    exist; transaction log: 7 days, 2 years, 50 a page (no category or type needed: one walk holds every line);
    borrow history: 30 days, 2 years; deposits (on-chain, internal) and withdrawals: under 30 days, no reach stated;
    internal and universal transfer lists: 7 days, no reach stated; convert history and the three crypto loan lists:
    one page; Earn positions: one per category (FlexibleSaving, OnChain)."""
    two_years = until_ms - 730 * DAY_MS
    week, month = 7 * DAY_MS, 30 * DAY_MS - 1
    fills = window_pages((t.timestamp for t in account.trades), two_years, until_ms, week, 100, True)
    return [
        PathMinimum("/v5/execution/list", fills, 1, "category spot: 7-day windows over 2 years, 100 a page"),
        from_list(ListRule("/v5/account/transaction-log", 1, 7, reach_days=730), until_ms, "7 days, 2 years"),
        from_list(ListRule("/v5/account/borrow-history", 1, 30, reach_days=730), until_ms, "30 days, 2 years"),
        *(
            PathMinimum(path, len(windows(date_ms(BYBIT_OPENED), until_ms, month)), 1, "under 30 days since 2018-03")
            for path in (
                "/v5/asset/deposit/query-record",
                "/v5/asset/deposit/query-internal-record",
                "/v5/asset/withdraw/query-record",
            )
        ),
        *(
            from_list(ListRule(path, 1, 7, BYBIT_OPENED), until_ms, "7 days since 2018-03")
            for path in (
                "/v5/asset/transfer/query-inter-transfer-list",
                "/v5/asset/transfer/query-universal-transfer-list",
            )
        ),
        PathMinimum("/v5/asset/exchange/query-convert-history", 1, 1, "no window: one page"),
        *(
            PathMinimum(path, 1, 1, "crypto loans: no time parameters, newest first, 100 a page: one page")
            for path in (
                "/v5/crypto-loan-flexible/borrow-history",
                "/v5/crypto-loan-flexible/repayment-history",
                "/v5/crypto-loan-common/adjustment-history",
            )
        ),
        PathMinimum("/v5/earn/position", 2, 2, "`category` required: FlexibleSaving, OnChain"),
        PathMinimum("/v5/account/info", 1, 1, "the account's kind (unified or classic): which lists exist"),
        PathMinimum("/v5/user/query-api", 1, 1, "the key's owner: a master's or a sub-account's transfer lists"),
    ]


# ------------------------------------------------------------------------------------------------ Bitget


def bitget_minimum(account: ScriptedAccount, until_ms: int) -> list[PathMinimum]:
    """docs/exchange-apis/bitget.md. spot fills: 90 days a request, the last 90 days, 100 a page, `symbol` optional;
    deposit and withdrawal records: both ends required, no maximum range stated, 100 a page, 2 years (Bitget's help
    pages); convert, BGB dust, main-sub transfers (what the main account sent, without `subUid`; each sub-account's
    with its `subUid`, found by `subaccount-assets`) and cross-margin borrow, repay and interest lists: at most 90
    days, 2 years; savings (`periodType` flexible and fixed): three months, 2 years; crypto loans: the past three
    months, no longest range; transfer records: `coin` required, 90 days, 2 years; futures bills: 30 days, the last
    90 days, per `productType` (3)."""
    two_years, days_90 = until_ms - 730 * DAY_MS, until_ms - 90 * DAY_MS
    fills = sum(1 for t in account.trades if days_90 <= t.timestamp <= until_ms)
    ranges = len(windows(two_years, until_ms, 90 * DAY_MS))
    streams = sorted({(t.asset, t.from_account) for t in account.transfers if t.timestamp >= two_years})

    def two_years_90(path: str, per: int, why: str) -> PathMinimum:
        return from_list(ListRule(path, per, 90, reach_days=730), until_ms, why)

    return [
        PathMinimum("/api/v2/spot/trade/fills", pages(fills, 100), 1, f"{fills:,} fills in the 90 days, 100 a page"),
        PathMinimum(
            "/api/v2/spot/wallet/deposit-records",
            pages(sum(1 for d in account.deposits if d.timestamp >= two_years), 100),
            1,
            "no maximum range: one range over the 2 years, 100 a page",
        ),
        PathMinimum(
            "/api/v2/spot/wallet/withdrawal-records",
            pages(sum(1 for w in account.withdrawals if w.timestamp >= two_years), 100),
            1,
            "as deposits",
        ),
        two_years_90("/api/v2/convert/convert-record", 1, "90 days, 2 years"),
        two_years_90("/api/v2/convert/bgb-convert-records", 1, "90 days, 2 years"),
        from_list(
            ListRule("/api/v2/earn/savings/records", 2, 89, reach_days=730),
            until_ms,
            "periodType flexible and fixed; three months (89 days: the shortest three), 2 years",
        ),
        two_years_90(
            "/api/v2/spot/account/sub-main-trans-record",
            1,
            "role initiator without subUid (no sub-accounts: none asked with subUid); 90 days, 2 years",
        ),
        PathMinimum("/api/v2/spot/account/subaccount-assets", 1, 1, "the sub-accounts holding assets: one page"),
        *(
            two_years_90(f"/api/v2/margin/crossed/{name}-history", 1, "90 days, 2 years (reach not stated)")
            for name in ("borrow", "repay", "interest")
        ),
        *(
            PathMinimum(
                f"/api/v2/earn/loan/{name}", 1, 1, "crypto loans: the past three months, no longest range: one range"
            )
            for name in ("borrow-history", "repay-history", "revise-history", "reduces")
        ),
        PathMinimum(
            "/api/v2/spot/account/transferRecords",
            len(streams) * ranges,
            len(streams),
            f"`coin` required: the {len(streams)} (coin, account it left) pairs holding transfers, as if known, "
            f"× {ranges} ranges of 90 days over 2 years",
        ),
        from_list(ListRule("/api/v2/mix/account/bill", 3, 30, reach_days=90), until_ms, "3 productTypes, 30 days"),
        PathMinimum("/api/v2/spot/account/info", 1, 1, "the account's id and role (main or sub-account)"),
        PathMinimum("/api/v2/spot/account/assets", 1, 1, "coins held: the transfer coins"),
        PathMinimum("/api/v2/margin/crossed/account/assets", 1, 1, "whether a cross margin account is used"),
        PathMinimum("/api/v2/margin/isolated/account/assets", 1, 1, "whether an isolated margin account is used"),
    ]


# ------------------------------------------------------------------------------------------------ the runs


@dataclass(frozen=True)
class Exchange:
    name: str
    emulator: Callable[[AccountProfile], OkxEmulator | BybitEmulator | BitgetEmulator]
    minimum: Callable[[ScriptedAccount, int], list[PathMinimum]]
    options: Mapping[str, Any]
    markets_paths: tuple[str, ...]  # loading the markets: once per process, Tallybot's overhead


EXCHANGES = (
    Exchange(
        "okx",
        lambda p: OkxEmulator(seed=11, profile=p, listed_symbols=600, limits=OKX_LIMITS),
        okx_minimum,
        {},
        ("/api/v5/public/instruments",),
    ),
    Exchange(
        "bybit",
        lambda p: BybitEmulator(
            seed=11,
            profile=p,
            listed_symbols=600,
            limits=BybitLimits(per_second={}, default_per_second=10**9, ip_requests_per_5s=10**9),
        ),
        bybit_minimum,
        {"pacer": Pacer(budgets={})},
        ("/v5/market/instruments-info",),
    ),
    Exchange(
        "bitget",
        lambda p: BitgetEmulator(
            seed=15,
            profile=p,
            listed_symbols=600,
            limits=BitgetLimits(per_second={}, default_per_second=10**9, ip_requests_per_minute=10**9),
        ),
        bitget_minimum,
        {},
        ("/api/v2/spot/public/symbols", "/api/v2/margin/currencies"),
    ),
)


async def measure(exchange: Exchange, profile: AccountProfile) -> dict[str, Any]:
    """The first full sync and a re-sync at once, requests per path, and the minimum per path."""
    runs: dict[str, Any] = {}
    async with exchange.emulator(profile) as emulator:
        key = emulator.create_demo_keys().read_only
        with tempfile.TemporaryDirectory(prefix="tallybot-deep-") as directory:
            database = Database(f"sqlite+aiosqlite:///{Path(directory) / 'requests.sqlite3'}")
            await upgrade_to_head(database)
            integrations = IntegrationService(database, Vault(KeyRing([generate_key()])))
            summary = await connect_account(integrations, TELEGRAM_USER, exchange.name, key, name="Heavy")
            pool = UnthrottledPool({exchange.name: emulator.base_url})
            service = SyncService(database, integrations, pool, fetcher_options={exchange.name: exchange.options})
            try:
                for run in ("first", "again"):
                    emulator.requests.by_path.clear()
                    started = time.monotonic()
                    result = await service.run(TELEGRAM_USER, summary.id)
                    runs[run] = {
                        "status": str(result.status),
                        "seconds": rounded(time.monotonic() - started, 1),
                        "by_path": dict(sorted(emulator.requests.by_path.items())),
                        "per_kind": {str(e.endpoint): e.requests for e in result.endpoints},
                        "new_records": sum(e.new for e in result.endpoints),
                        "until_ms": to_ms(result.finished_at),
                    }
            finally:
                await pool.close()
                await database.dispose()
        minimum = exchange.minimum(emulator.account, runs["first"]["until_ms"])
        unexpected = list(emulator.requests.unexpected)
    return {"runs": runs, "minimum": minimum, "unexpected": unexpected}


def compare(
    by_path: Mapping[str, int], minimum: Sequence[PathMinimum], run: str, markets: Sequence[str]
) -> dict[str, Any]:
    least = {m.path: (m.first if run == "first" else m.again) for m in minimum}
    made = {p: n for p, n in by_path.items() if p not in markets}
    total_min = sum(least.values())
    paths = sorted(set(made) | set(least))
    return {
        "requests": sum(by_path.values()),
        "requests_without_markets": sum(made.values()),
        "minimum": total_min,
        "ratio": rounded(ratio(sum(made.values()), total_min), 3),
        "per_path": {p: {"made": made.get(p, 0), "minimum": least.get(p)} for p in paths},
    }


def describe(report: Report, exchange: Exchange, data: dict[str, Any]) -> dict[str, Any]:
    minimum: list[PathMinimum] = data["minimum"]
    figures: dict[str, Any] = {"unexpected": data["unexpected"]}
    report.section(exchange.name)
    for run in ("first", "again"):
        measured = data["runs"][run]
        numbers = compare(measured["by_path"], minimum, run, exchange.markets_paths)
        figures[run] = {**measured, **numbers}
        markets = numbers["requests"] - numbers["requests_without_markets"]
        report.say(
            f"  {run}: {numbers['requests_without_markets']:,} requests (+ markets {markets}) "
            f"/ minimum {numbers['minimum']:,} = {numbers['ratio']:.3f}; {measured['status']}, "
            f"{measured['new_records']:,} new records, {measured['seconds']} s"
        )
        for path, pair in numbers["per_path"].items():
            if pair["made"] != pair["minimum"]:
                report.say(f"    {path}: made {pair['made']:,}, minimum {pair['minimum']}")
    figures["rules"] = {m.path: {"first": m.first, "again": m.again, "rule": m.rule} for m in minimum}
    return figures


async def run_all(profile: AccountProfile) -> dict[str, dict[str, Any]]:
    return {exchange.name: await measure(exchange, profile) for exchange in EXCHANGES}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a small account")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    options = parser.parse_args(argv)
    data = asyncio.run(run_all(QUICK if options.quick else HEAVY))
    report = Report(
        "Request efficiency: OKX, Bybit and Bitget through the real SyncService",
        command_line("benchmarks.deep_requests", argv),
        options.quick,
    )
    for exchange in EXCHANGES:
        figures = describe(report, exchange, data[exchange.name])
        report.figures[exchange.name] = figures
        report.target(f"{exchange.name}_routes", not figures["unexpected"], "no request to a route the emulator lacks")
    report.emit(options.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
