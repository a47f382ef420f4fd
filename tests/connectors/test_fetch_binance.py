"""Binance fetcher against the Binance emulator through real ccxt clients from the ClientPool.

A user connects a Binance key: the first sync must bring back every record the exchange holds (exact amounts,
UTC times, no duplicates) — including trades in markets whose coins they no longer hold — and a later sync must
ask only for what is new.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited
from connectors.fetchers.binance import BINANCE_OPENED, BinanceFetcher
from connectors.fetchers.registry import fetcher_for, sync_order
from connectors.fetchers.windows import date_ms, span_ms, to_ms
from connectors.profiles import Endpoint, ExchangeProfile, get_profile
from connectors.records import NormalizedRecord, RecordKind
from sandbox.exchanges import (
    AccountProfile,
    BalanceRecord,
    BinanceEmulator,
    BinanceLimits,
    DepositRecord,
    TradeRecord,
)

PROFILE = AccountProfile(
    years=3.0, traded_markets=16, trades=900, deposits=40, withdrawals=25, converts=20, transfers=25, rewards=30
)
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
ENDPOINTS = (Endpoint.DEPOSITS, Endpoint.WITHDRAWALS, Endpoint.CONVERT, Endpoint.EARN_REWARDS, Endpoint.SPOT_TRADES)
WALLET_PATHS = {
    Endpoint.DEPOSITS: "/sapi/v1/capital/deposit/hisrec",
    Endpoint.WITHDRAWALS: "/sapi/v1/capital/withdraw/history",
    Endpoint.CONVERT: "/sapi/v1/convert/tradeFlow",
    Endpoint.EARN_REWARDS: "/sapi/v1/asset/assetDividend",
}


@dataclass
class Sync:
    """What one sync saw, kept the way the sync engine keeps it: records, and the last cursor per market."""

    cursors: dict[Endpoint, dict[str, Cursor]] = field(default_factory=dict)
    records: dict[Endpoint, list[NormalizedRecord]] = field(default_factory=dict)
    reports: dict[Endpoint, FetchReport] = field(default_factory=dict)

    def of(self, endpoint: Endpoint) -> list[NormalizedRecord]:
        return self.records.get(endpoint, [])


async def run_sync(
    fetcher: Any,
    endpoints: Iterable[Endpoint],
    cursors: dict[Endpoint, dict[str, Cursor]] | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sync:
    result = Sync(cursors={e: dict(c) for e, c in (cursors or {}).items()})
    until = until or datetime.now(UTC)
    for endpoint in sync_order(endpoints):
        report = result.reports.setdefault(endpoint, FetchReport())
        stored = result.cursors.setdefault(endpoint, {})
        pages = fetcher.fetch(endpoint, since=since, until=until, cursors=dict(stored), report=report)
        async for page in pages:
            assert page.endpoint is endpoint
            assert page.covered_until.tzinfo is not None
            stored[page.market] = json.loads(json.dumps(page.cursor))  # as the database will hand it back
            result.records.setdefault(endpoint, []).extend(page.records)
    return result


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=20240611, profile=PROFILE, listed_symbols=150, limits=UNLIMITED) as emulator:
        yield emulator


@asynccontextmanager
async def binance_client(emulator: BinanceEmulator, exchange_id: str = "binance") -> AsyncIterator[Any]:
    keys = emulator.create_demo_keys()
    pool = ClientPool({exchange_id: emulator.base_url})
    credentials = {"apiKey": keys.read_only.api_key, "secret": keys.read_only.secret}
    try:
        async with pool.client(exchange_id, "credential-1", credentials) as client:
            # Counts, not times, are under test: let the shared throttler through at once.
            client.throttler.config["refillRate"] = 1e6
            yield client
    finally:
        await pool.close()


def new_fetcher(client: Any, **options: Any) -> BinanceFetcher:
    fetcher = fetcher_for(get_profile("binance"), client, uid_weight_per_minute=10**9, **options)
    assert isinstance(fetcher, BinanceFetcher)
    return fetcher


# -------------------------------------------------------------------------------------------- ground truth


def trade_rows(records: Iterable[NormalizedRecord]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {
        (str(r.raw["symbol"]), str(r.exchange_tx_id)): (
            r.amount,
            r.price,
            r.quote_amount,
            r.fee_amount,
            r.fee_asset,
            to_ms(r.occurred_at),
            r.side,
        )
        for r in records
    }


def truth_trades(trades: Iterable[TradeRecord]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {(t.symbol, t.id): (t.amount, t.price, t.cost, t.fee, t.fee_asset, t.timestamp, t.side) for t in trades}


def assert_ground_truth(emulator: BinanceEmulator, sync: Sync) -> None:
    account = emulator.account
    for endpoint in ENDPOINTS:
        keys = [r.natural_key for r in sync.of(endpoint)]
        assert len(keys) == len(set(keys)), f"duplicates in {endpoint}"
        assert all(r.occurred_at.utcoffset() == timedelta(0) for r in sync.of(endpoint))
    assert trade_rows(sync.of(Endpoint.SPOT_TRADES)) == truth_trades(account.trades)
    assert {
        r.exchange_tx_id: (r.kind, r.asset, r.amount, to_ms(r.occurred_at)) for r in sync.of(Endpoint.DEPOSITS)
    } == {d.id: (RecordKind.DEPOSIT, d.asset, d.amount, d.timestamp) for d in account.deposits}
    assert {
        r.exchange_tx_id: (r.asset, r.amount, r.fee_amount, to_ms(r.occurred_at)) for r in sync.of(Endpoint.WITHDRAWALS)
    } == {w.id: (w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals}
    assert {
        r.exchange_tx_id: (r.quote_asset, r.quote_amount, r.asset, r.amount, to_ms(r.occurred_at))
        for r in sync.of(Endpoint.CONVERT)
    } == {c.id: (c.from_asset, c.from_amount, c.to_asset, c.to_amount, c.timestamp) for c in account.converts}
    assert {r.exchange_tx_id: (r.asset, r.amount, to_ms(r.occurred_at)) for r in sync.of(Endpoint.EARN_REWARDS)} == {
        r.id: (r.asset, r.amount, r.timestamp) for r in account.rewards
    }


def windows_between(endpoint: Endpoint, start_ms: int, until: datetime) -> int:
    spec = get_profile("binance").endpoint(endpoint)
    assert spec is not None and spec.window is not None
    return math.ceil((to_ms(until) - start_ms + 1) / span_ms(spec.window))


def add_activity(
    emulator: BinanceEmulator,
    *,
    trades: Iterable[TradeRecord] = (),
    deposits: Iterable[DepositRecord] = (),
    balances: dict[str, Decimal] | None = None,
) -> None:
    """New activity on the account, as if the user traded and deposited since the last sync. The emulator has no
    API for this: the test swaps in a grown copy of its scripted account."""
    account = emulator.account
    held = {b.asset: b for b in account.balances}
    for asset, total in (balances or {}).items():
        held[asset] = BalanceRecord(asset, total, Decimal(0))
    grown = dataclasses.replace(
        account,
        trades=tuple(sorted((*account.trades, *trades), key=lambda t: t.timestamp)),
        deposits=tuple(sorted((*account.deposits, *deposits), key=lambda d: d.timestamp)),
        balances=tuple(held.values()),
    )
    emulator.account = grown
    emulator.book.account = grown


def next_trade(emulator: BinanceEmulator, symbol: str, when: int, trade_id: int) -> TradeRecord:
    market = emulator.account.market(symbol)
    return TradeRecord(
        id=str(trade_id),
        order_id="999000111",
        symbol=symbol,
        base=market.base,
        quote=market.quote,
        side="buy",
        price=market.price,
        amount=Decimal("0.00012345"),
        cost=(market.price * Decimal("0.00012345")).quantize(Decimal("0.00000001")),
        fee=Decimal("0.00000012"),
        fee_asset=market.base,
        is_maker=False,
        timestamp=when,
    )


# -------------------------------------------------------------------------------------------- stories


async def test_first_sync_returns_the_ground_truth_and_a_resync_asks_only_for_new_data(
    binance: BinanceEmulator,
) -> None:
    async with binance_client(binance) as client:
        binance.requests.reset()
        until = datetime.now(UTC)
        first = await run_sync(new_fetcher(client), ENDPOINTS, until=until)
        assert_ground_truth(binance, first)

        # Requests: one per window from Binance's opening for the wallet, one balance call, one myTrades call
        # per market asked (every market here holds fewer than 1,000 trades, so one page each).
        opened = date_ms(BINANCE_OPENED)
        for endpoint, path in WALLET_PATHS.items():
            assert binance.requests.count(path) == windows_between(endpoint, opened, until), endpoint
        scanned = first.reports[Endpoint.SPOT_TRADES].markets_scanned
        assert binance.requests.count("/api/v3/account") == 1
        assert binance.requests.count("/api/v3/myTrades") == len(scanned)
        assert not first.reports[Endpoint.SPOT_TRADES].gaps  # Binance keeps everything since it opened
        assert binance.requests.unexpected == []

        # Nothing new: one request per traded market and per open window, plus the balance call.
        binance.requests.reset()
        second = await run_sync(new_fetcher(client), ENDPOINTS, first.cursors)
        assert all(not records for records in second.records.values())
        traded = set(binance.account.traded_symbols)
        assert binance.requests.count("/api/v3/myTrades") == len(traded)
        assert set(second.reports[Endpoint.SPOT_TRADES].markets_scanned) == traded
        # Earn rewards also ask Simple Earn's real-time and locked rewards and locked redemptions (simple_earn.py):
        # three requests more; ETH staking's four lists (eth_staking.py: staking, redemption, wrap, unwrap; BETH
        # rewards are dividend rows) and the rebate list (rebates.py) one each; convert history also asks the
        # Auto-Invest list (auto_invest.py): one.
        assert binance.requests.total == 1 + len(traded) + len(WALLET_PATHS) + 3 + 4 + 1 + 1


async def test_a_later_sync_fetches_only_the_new_activity_and_finds_a_newly_traded_market(
    binance: BinanceEmulator,
) -> None:
    async with binance_client(binance) as client:
        first_until = datetime.now(UTC)
        first = await run_sync(new_fetcher(client), ENDPOINTS, until=first_until)
        scanned = first.reports[Endpoint.SPOT_TRADES].markets_scanned
        traded = set(binance.account.traded_symbols)
        fresh_market = next(m for m in scanned if m not in traded)  # probed once, found empty
        market = binance.account.market(fresh_market)
        existing = binance.account.trades_for("BTCUSDT")[-1]
        after = to_ms(first_until)  # what happened since the first sync
        new_trades = [
            next_trade(binance, "BTCUSDT", after + 1, int(existing.id) + 10),
            next_trade(binance, fresh_market, after + 2, 7_000_000),
        ]
        amount = Decimal("123456789.12345678")
        new_deposit = DepositRecord("424242", "f" * 64, "USDT", "ETH", amount, "0xabc", after + 3)
        add_activity(binance, trades=new_trades, deposits=[new_deposit], balances={market.base: Decimal("0.5")})

        binance.requests.reset()
        later = await run_sync(new_fetcher(client), ENDPOINTS, first.cursors)
        assert trade_rows(later.of(Endpoint.SPOT_TRADES)) == truth_trades(new_trades)
        assert [(r.exchange_tx_id, r.amount) for r in later.of(Endpoint.DEPOSITS)] == [("424242", new_deposit.amount)]
        for endpoint in (Endpoint.WITHDRAWALS, Endpoint.CONVERT, Endpoint.EARN_REWARDS):
            assert later.of(endpoint) == []
        # Only the empty markets touching the coin whose balance moved are asked again.
        report = later.reports[Endpoint.SPOT_TRADES]
        rechecked = {m for m in report.markets_scanned if m not in traded}
        assert fresh_market in rechecked
        expected = {
            m
            for m, c in first.cursors[Endpoint.SPOT_TRADES].items()
            if m
            and c["from_id"] == 0
            and market.base in (binance.account.market(m).base, binance.account.market(m).quote)
        }
        assert rechecked == expected
        assert binance.requests.count("/api/v3/myTrades") == len(traded) + len(rechecked)
        assert later.cursors[Endpoint.SPOT_TRADES][fresh_market]["from_id"] == 7_000_001


async def test_discovery_finds_markets_whose_coins_are_gone_and_says_what_it_scanned(binance: BinanceEmulator) -> None:
    account = binance.account
    assert account.abandoned_symbols, "the scripted account must have emptied some markets"
    async with binance_client(binance) as client:
        sync = await run_sync(new_fetcher(client), ENDPOINTS)
    report = sync.reports[Endpoint.SPOT_TRADES]
    assert set(account.traded_symbols) <= set(report.markets_scanned)
    for symbol in account.abandoned_symbols:
        base = account.market(symbol).base
        assert base not in account.held_assets
        reasons = " / ".join(report.market_sources[symbol])
        assert base in reasons and any(s in reasons for s in ("deposits", "withdrawals", "converts", "rewards"))
    # A bounded scan: never the made-up tokens nobody holds, far fewer calls than markets listed.
    assert not [m for m in report.markets_scanned if m.startswith("TKN")]
    assert len(report.markets_scanned) < len(account.markets) / 2
    assert report.markets_not_scanned == {}
    # The evidence survives in the discovery cursor for later syncs.
    evidence = sync.cursors[Endpoint.SPOT_TRADES][""]["assets"]
    assert {account.market(s).base for s in account.abandoned_symbols} <= set(evidence)


async def test_the_probe_budget_defers_candidates_to_the_next_sync(binance: BinanceEmulator) -> None:
    async with binance_client(binance) as client:
        first = await run_sync(new_fetcher(client, probe_budget=10), ENDPOINTS)
        report = first.reports[Endpoint.SPOT_TRADES]
        assert len(report.markets_scanned) == 10
        deferred = set(report.markets_not_scanned)
        assert deferred and all("budget" in why for why in report.markets_not_scanned.values())
        second = await run_sync(new_fetcher(client), ENDPOINTS, first.cursors)
        assert deferred <= set(second.reports[Endpoint.SPOT_TRADES].markets_scanned)
        every_trade = first.of(Endpoint.SPOT_TRADES) + second.of(Endpoint.SPOT_TRADES)
        assert trade_rows(every_trade) == truth_trades(binance.account.trades)


async def test_a_sync_from_date_skips_older_history(binance: BinanceEmulator) -> None:
    """With a sync-from date the wallet records before it are not read, so they cannot point at markets: here
    the evidence comes from an earlier sync's discovery cursor, as it would for a user who narrows the range."""
    since = datetime.now(UTC) - timedelta(days=200)
    markets = [binance.account.market(s) for s in binance.account.traded_symbols]
    evidence = {asset: "earlier sync" for m in markets for asset in (m.base, m.quote)}
    cursors: dict[Endpoint, dict[str, Cursor]] = {Endpoint.SPOT_TRADES: {"": {"assets": evidence}}}
    async with binance_client(binance) as client:
        binance.requests.reset()
        until = datetime.now(UTC)
        sync = await run_sync(new_fetcher(client), ENDPOINTS, cursors, since=since, until=until)
    cut = to_ms(since)
    assert {r.exchange_tx_id for r in sync.of(Endpoint.DEPOSITS)} == {
        d.id for d in binance.account.deposits if d.timestamp >= cut
    }
    assert trade_rows(sync.of(Endpoint.SPOT_TRADES)) == truth_trades(
        t for t in binance.account.trades if t.timestamp >= cut
    )
    assert binance.requests.count(WALLET_PATHS[Endpoint.DEPOSITS]) == windows_between(Endpoint.DEPOSITS, cut, until)


async def test_withdrawal_history_is_paced_by_the_account_weight_budget() -> None:
    """Ten withdrawal-history calls spend Binance's 180,000 UID weight for a minute; ccxt does not know that."""
    limits = dataclasses.replace(UNLIMITED, sapi_uid_weight_per_minute=180_000)
    async with (
        BinanceEmulator(seed=3, profile=PROFILE, listed_symbols=60, limits=limits) as emulator,
        binance_client(emulator) as client,
    ):
        cursors: dict[Endpoint, dict[str, Cursor]] = {}
        found: list[NormalizedRecord] = []
        until = datetime.now(UTC)
        rounds = 0
        while True:
            rounds += 1
            emulator.requests.reset()
            fetcher = fetcher_for(get_profile("binance"), client, max_pause=0)  # real budget, never wait
            report = FetchReport()
            stored = cursors.setdefault(Endpoint.WITHDRAWALS, {})
            try:
                async for page in fetcher.fetch(
                    Endpoint.WITHDRAWALS, since=None, until=until, cursors=dict(stored), report=report
                ):
                    stored[page.market] = page.cursor
                    found.extend(page.records)
            except RateLimited as stop:
                assert stop.endpoint is Endpoint.WITHDRAWALS
                assert stop.retry_after is not None and 0 < stop.retry_after <= 60
                # Stopped before Binance had to refuse anything: exactly ten calls made it.
                assert emulator.requests.count(WALLET_PATHS[Endpoint.WITHDRAWALS]) == 10
                emulator.reset_rate_limits()  # as if the minute passed
                continue
            break
    windows = windows_between(Endpoint.WITHDRAWALS, date_ms(BINANCE_OPENED), until)
    assert rounds == math.ceil(windows / 10)
    assert {r.exchange_tx_id: r.amount for r in found} == {w.id: w.amount for w in emulator.account.withdrawals}
    assert len(found) == len(emulator.account.withdrawals)


async def test_each_wallet_endpoint_spends_its_own_budget_not_one_shared_with_the_others() -> None:
    """Wallet docs, Limits: every /sapi endpoint has an independent budget. Withdrawal history (18,000 of its
    180,000 UID weight a call) and convert history (3,000 of its own 180,000) each get their full minute."""
    limits = dataclasses.replace(UNLIMITED, sapi_uid_weight_per_minute=180_000, sapi_ip_weight_per_minute=12_000)
    async with (
        BinanceEmulator(seed=3, profile=PROFILE, listed_symbols=60, limits=limits) as emulator,
        binance_client(emulator) as client,
    ):
        fetcher = fetcher_for(get_profile("binance"), client, max_pause=0)  # real budgets, never wait
        until = datetime.now(UTC)
        made: dict[Endpoint, int] = {}
        for endpoint in (Endpoint.WITHDRAWALS, Endpoint.CONVERT, Endpoint.DEPOSITS, Endpoint.EARN_REWARDS):
            report = FetchReport()
            with contextlib.suppress(RateLimited):
                async for _ in fetcher.fetch(endpoint, since=None, until=until, cursors={}, report=report):
                    pass
            made[endpoint] = emulator.requests.count(WALLET_PATHS[endpoint])
    walk = {e: windows_between(e, date_ms(BINANCE_OPENED), until) for e in made}
    assert walk[Endpoint.WITHDRAWALS] > 10 and walk[Endpoint.CONVERT] > 60
    # Withdrawals stop at their tenth call, converts at their sixtieth; deposits (weight 1) and distributions
    # (weight 10) walk every window since 2017 within their own 12,000.
    assert made == {
        Endpoint.WITHDRAWALS: 10,
        Endpoint.CONVERT: 60,
        Endpoint.DEPOSITS: walk[Endpoint.DEPOSITS],
        Endpoint.EARN_REWARDS: walk[Endpoint.EARN_REWARDS],
    }


async def test_a_second_key_meets_the_ip_budget_the_machine_spent_and_the_uid_budget_binance_reports() -> None:
    """IP limits count the machine's address, whoever's key signs; UID limits count the account (wallet docs,
    Limits). A second key (the emulator has one account behind every key) through the same ClientPool finds the
    distribution budget spent by Tallybot's own count, and learns from Binance's X-SAPI-USED-UID-WEIGHT-1M header that
    the account's withdrawal budget is spent too."""
    async with BinanceEmulator(seed=3, profile=PROFILE, listed_symbols=60, limits=UNLIMITED) as emulator:
        pool = ClientPool({"binance": emulator.base_url})
        first_key, second_key = emulator.add_key(label="first"), emulator.add_key(label="second")
        made: list[tuple[str, Endpoint, int]] = []
        try:
            for name, key in (("first", first_key), ("second", second_key)):
                credentials = {"apiKey": key.api_key, "secret": key.secret}
                async with pool.client("binance", name, credentials) as client:
                    # Two distribution calls (weight 10) a minute per IP here; ten withdrawal calls per account.
                    fetcher = fetcher_for(get_profile("binance"), client, ip_weight_per_minute=20, max_pause=0)
                    for endpoint in (Endpoint.EARN_REWARDS, Endpoint.WITHDRAWALS):
                        before = emulator.requests.count(WALLET_PATHS[endpoint])
                        with contextlib.suppress(RateLimited):
                            async for _ in fetcher.fetch(
                                endpoint, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport()
                            ):
                                pass
                        made.append((name, endpoint, emulator.requests.count(WALLET_PATHS[endpoint]) - before))
        finally:
            await pool.close()
    assert made == [
        ("first", Endpoint.EARN_REWARDS, 2),
        ("first", Endpoint.WITHDRAWALS, 10),
        ("second", Endpoint.EARN_REWARDS, 0),  # the machine's budget, counted by the pool: no call
        ("second", Endpoint.WITHDRAWALS, 1),  # the account's budget: one call, whose header says it is spent
    ]


async def test_a_429_mid_fetch_ends_after_a_complete_page_and_the_cursor_resumes() -> None:
    # Room for the balance call and 24 myTrades calls a minute (weight 20 each): a sync takes several minutes.
    limits = dataclasses.replace(UNLIMITED, request_weight_per_minute=20 * 25)
    async with (
        BinanceEmulator(seed=20240611, profile=PROFILE, listed_symbols=150, limits=limits) as emulator,
        binance_client(emulator) as client,
    ):
        fetcher = new_fetcher(client)
        cursors = (await run_sync(fetcher, ENDPOINTS[:-1])).cursors
        trades: list[NormalizedRecord] = []
        stops = 0
        while True:
            report, committed = FetchReport(), set()
            stored = cursors.setdefault(Endpoint.SPOT_TRADES, {})
            before = dict(stored)
            pages = fetcher.fetch(
                Endpoint.SPOT_TRADES, since=None, until=datetime.now(UTC), cursors=dict(stored), report=report
            )
            try:
                async for page in pages:
                    stored[page.market] = json.loads(json.dumps(page.cursor))
                    committed.add(page.market)
                    trades.extend(page.records)
            except RateLimited as stop:
                stops += 1
                assert stop.retry_after is not None and stop.retry_after > 0  # Binance's Retry-After
                # The refused page committed nothing: that market resumes from its old cursor.
                assert stop.market not in committed and stored.get(stop.market) == before.get(stop.market)
                emulator.reset_rate_limits()  # as if the engine waited Retry-After
                fetcher = new_fetcher(client)  # the next attempt is a new sync, from the stored cursors
                continue
            break
    assert stops >= 2
    keys = [r.natural_key for r in trades]
    assert len(keys) == len(set(keys))
    assert trade_rows(trades) == truth_trades(emulator.account.trades)


def small_pages(size: int) -> ExchangeProfile:
    """Binance's profile with tiny pages, so every paging path (fromId, offset, moving end) is walked."""
    profile = get_profile("binance")
    return dataclasses.replace(
        profile, endpoints=tuple(dataclasses.replace(s, page_size=size) for s in profile.endpoints)
    )


async def test_small_pages_interrupted_anywhere_resume_exactly_after_the_last_committed_page() -> None:
    small = AccountProfile(
        years=1.0, traded_markets=6, trades=120, deposits=30, withdrawals=12, converts=25, rewards=40
    )
    async with BinanceEmulator(seed=11, profile=small, listed_symbols=60, limits=UNLIMITED) as emulator:
        # Crowd a few windows so the window-internal paging has work: all converts in one 30-day window, all
        # rewards in one 180-day window.
        account = emulator.account
        base = emulator.clock.now_ms() - 20 * 86_400_000
        crowded = dataclasses.replace(
            account,
            converts=tuple(dataclasses.replace(c, timestamp=base + i * 1000) for i, c in enumerate(account.converts)),
            rewards=tuple(
                dataclasses.replace(r, timestamp=base + (i // 2) * 1000) for i, r in enumerate(account.rewards)
            ),
        )
        emulator.account = emulator.book.account = crowded
        async with binance_client(emulator) as client:
            until = datetime.now(UTC)
            every: list[NormalizedRecord] = []
            cursors: dict[Endpoint, dict[str, Cursor]] = {}
            for stop_after in (7, 3, 11, 5, 10**6):  # an interrupted sync, then more, until one finishes
                fetcher = BinanceFetcher(small_pages(4), client, uid_weight_per_minute=10**9)
                fetcher.learn_assets({r.asset for r in every} | {r.quote_asset or "" for r in every})
                pages = 0
                for endpoint in sync_order(ENDPOINTS):
                    stored = cursors.setdefault(endpoint, {})
                    report = FetchReport()
                    async for page in fetcher.fetch(
                        endpoint, since=None, until=until, cursors=dict(stored), report=report
                    ):
                        stored[page.market] = json.loads(json.dumps(page.cursor))
                        every.extend(page.records)
                        pages += 1
                        if pages >= stop_after:
                            break
                    if pages >= stop_after:
                        break
                else:
                    break
    by_endpoint: dict[Endpoint, list[NormalizedRecord]] = {}
    kinds = {
        RecordKind.TRADE: Endpoint.SPOT_TRADES,
        RecordKind.DEPOSIT: Endpoint.DEPOSITS,
        RecordKind.WITHDRAWAL: Endpoint.WITHDRAWALS,
        RecordKind.CONVERT: Endpoint.CONVERT,
        RecordKind.REWARD: Endpoint.EARN_REWARDS,
    }
    for record in every:
        by_endpoint.setdefault(kinds[record.kind], []).append(record)
    # Exact resumes: nothing fetched twice across the interrupted syncs, and nothing missing.
    assert_ground_truth(emulator, Sync(records=by_endpoint))
