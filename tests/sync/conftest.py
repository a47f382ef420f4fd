"""The sync engine's test bench: a real Binance emulator, real ccxt clients from the ClientPool, a real database
(SQLite and PostgreSQL through the `database` fixture) and a user with one connected Binance account."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.sync import EndpointStatus, ProgressEvent, RetryPolicy, SyncResult, SyncService
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from connectors.profiles import Endpoint
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models import Transaction
from sandbox.exchanges import (
    AccountProfile,
    BalanceRecord,
    BinanceEmulator,
    BinanceLimits,
    Credentials,
    DepositRecord,
    TradeRecord,
)
from sandbox.exchanges.binance_truth import binance_truth, stored_values

SMALL = AccountProfile(
    years=1.0, traded_markets=6, trades=150, deposits=20, withdrawals=10, converts=12, transfers=0, rewards=20
)
UNLIMITED = BinanceLimits(
    request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
)
TELEGRAM_USER = 424242
# Binance's per-account withdrawal budget is paced by the fetcher with real sleeps: lifted here, counts are
# under test, not minutes.
FETCHER_OPTIONS = {"binance": {"uid_weight_per_minute": 10**9}}
WALLET_PATHS = (
    "/sapi/v1/capital/deposit/hisrec",
    "/sapi/v1/capital/withdraw/history",
    "/sapi/v1/convert/tradeFlow",
    "/sapi/v1/asset/assetDividend",
)

# Futures and margin are on by default; the bench's account never opened a futures wallet or a margin account, so
# a sync skips these kinds, saying why, after one look at each (GET /fapi/v2/balance, GET /sapi/v1/margin/account).
UNUSED_KINDS = frozenset({Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_TRADES, Endpoint.MARGIN_LOANS})
UNUSED_KIND_LOOKS = 2


def as_without_fault(endpoint: Endpoint | None, status: EndpointStatus) -> bool:
    """How an endpoint a fault did not touch ends on the bench: synced, or skipped if the account never used it."""
    return status is (EndpointStatus.SKIPPED if endpoint in UNUSED_KINDS else EndpointStatus.OK)


@dataclass
class FakeSleep:
    """Stands in for asyncio.sleep: records each wait and runs `then` (e.g. "the rate limit window passed")."""

    waits: list[float] = field(default_factory=list)
    then: Callable[[], None] | None = None

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.then is not None:
            self.then()


@dataclass
class Bench:
    database: Database
    emulator: BinanceEmulator
    pool: ClientPool
    integrations: IntegrationService
    keys: Credentials
    integration_id: int = 0
    sleep: FakeSleep = field(default_factory=FakeSleep)

    def service(self, **options: Any) -> SyncService:
        options.setdefault("sleep", self.sleep)
        options.setdefault("fetcher_options", FETCHER_OPTIONS)
        options.setdefault("retry", RetryPolicy())
        return SyncService(self.database, self.integrations, self.pool, **options)

    async def sync(
        self, *, on_progress: Callable[[ProgressEvent], Awaitable[None] | None] | None = None, **options: Any
    ) -> SyncResult:
        return await self.service(**options).run(TELEGRAM_USER, self.integration_id, on_progress=on_progress)

    async def connect(self, *, sync_from: date | None, name: str = "Binance-1", keys: Credentials | None = None) -> int:
        keys = keys or self.keys
        summary = await self.integrations.connect(
            TELEGRAM_USER,
            exchange_id="binance",
            key_type="normal",
            account_name=name,
            fields={"apiKey": Secret(keys.api_key), "secret": Secret(keys.secret)},
            options=AdvancedOptions(sync_from=sync_from),
        )
        return summary.id

    async def rows(self, integration_id: int | None = None) -> list[Transaction]:
        async with self.database.reader() as session:
            result = await session.scalars(
                select(Transaction).where(Transaction.integration_id == (integration_id or self.integration_id))
            )
            return list(result.all())


def account_start(emulator: BinanceEmulator) -> date:
    """A sync-from date just before the scripted account's first record: the whole history, in a few windows."""
    account = emulator.account
    first = min(
        record.timestamp
        for records in (account.trades, account.deposits, account.withdrawals, account.converts, account.rewards)
        for record in records
    )
    return (datetime.fromtimestamp(first / 1000, UTC) - timedelta(days=1)).date()


@pytest.fixture
async def emulator() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=20240711, profile=SMALL, listed_symbols=60, limits=UNLIMITED) as running:
        yield running


async def fast_pool(emulator: BinanceEmulator) -> ClientPool:
    """A pool pointed at the emulator whose shared Binance throttler lets requests through at once (counts, not
    times, are under test). Loading the markets here costs the one exchangeInfo request a process makes."""
    pool = ClientPool({"binance": emulator.base_url})
    async with pool.client("binance", "warm-up", {}) as client:
        client.throttler.config["refillRate"] = 1e6
    await pool.forget("binance", "warm-up")
    emulator.requests.reset()
    return pool


@asynccontextmanager
async def make_bench(database: Database, emulator: BinanceEmulator) -> AsyncIterator[Bench]:
    """A user with one Binance account connected by a read-only key, syncing from just before its history."""
    pool = await fast_pool(emulator)
    integrations = IntegrationService(database, Vault(KeyRing([generate_key()])))
    keys = emulator.add_key(label="tallybot")
    made = Bench(database, emulator, pool, integrations, keys)
    made.integration_id = await made.connect(sync_from=account_start(emulator))
    try:
        yield made
    finally:
        await pool.close()


@pytest.fixture
async def bench(database: Database, emulator: BinanceEmulator) -> AsyncIterator[Bench]:
    """The bench on SQLite and on PostgreSQL: for stories about what gets stored."""
    async with make_bench(database, emulator) as made:
        yield made


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'sync.sqlite3'}")
    await upgrade_to_head(db)
    yield db
    await db.dispose()


@pytest.fixture
async def sqlite_bench(sqlite_database: Database, emulator: BinanceEmulator) -> AsyncIterator[Bench]:
    """The bench on SQLite only: for stories about the exchange's behaviour rather than storage."""
    async with make_bench(sqlite_database, emulator) as made:
        yield made


# ------------------------------------------------------------------------------------------------ ground truth


def truth(emulator: BinanceEmulator) -> dict[str, tuple[object, ...]]:
    """Every record of the scripted account by the natural key the sync stores it under, with its exact values."""
    return binance_truth(emulator.account)


def stored(rows: Iterable[Transaction]) -> dict[str, tuple[object, ...]]:
    found: dict[str, tuple[object, ...]] = {}
    for row in rows:
        assert row.natural_key not in found, f"stored twice: {row.natural_key}"
        found[row.natural_key] = stored_values(row)
    return found


async def assert_ground_truth(bench: Bench) -> None:
    rows = await bench.rows()
    assert stored(rows) == truth(bench.emulator)
    assert all(isinstance(row.amount, Decimal) for row in rows)


# ------------------------------------------------------------------------------------------------ new activity


def add_activity(
    emulator: BinanceEmulator,
    *,
    trades: Iterable[TradeRecord] = (),
    deposits: Iterable[DepositRecord] = (),
    balances: dict[str, Decimal] | None = None,
) -> None:
    """New activity on the account, as if the user traded and deposited since the last sync. The emulator has no
    API for this: the test swaps in a grown copy of its scripted account (the emulator serves `account` live)."""
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
