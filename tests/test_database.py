"""Storage on SQLite and PostgreSQL: migrations, exact amounts, UTC times, idempotent inserts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from db.engine import Database
from db.migrate import current_revision, head_revision, upgrade_to_head
from db.models import Base, Integration, Transaction
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository


async def _integration(database: Database, telegram_user_id: int = 1001) -> int:
    async with database.writer() as session:
        user = await UserRepository(session).ensure(telegram_user_id)
        integration = await IntegrationRepository(session).add(
            user_id=user.id, exchange_id="bitget", account_name="Bitget-1"
        )
        return integration.id


def _trade(integration_id: int, natural_key: str, amount: str = "1") -> dict[str, Any]:
    return {
        "integration_id": integration_id,
        "natural_key": natural_key,
        "kind": "trade",
        "occurred_at": datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
        "asset": "BTC",
        "amount": Decimal(amount),
        "quote_asset": "USDT",
        "quote_amount": Decimal("61234.5678"),
        "price": Decimal("61234.5678"),
        "source": "api",
    }


async def test_migrations_reach_head_and_match_the_models(database: Database) -> None:
    assert await current_revision(database) == head_revision()

    def differences(connection: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with database.engine.connect() as connection:
        diff = await connection.run_sync(differences)
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))

    assert diff == [], "models and migrations disagree: add an Alembic revision"
    assert {"users", "integrations", "credentials", "endpoint_states", "sync_runs", "transactions"} <= tables


async def test_migrating_twice_changes_nothing(database: Database) -> None:
    await upgrade_to_head(database)

    assert await current_revision(database) == head_revision()


@pytest.mark.parametrize(
    "amount",
    ["123456789.12345678", "0.000000000000000001", "-0.00012345", "21000000.000000000000000000"],
)
async def test_amounts_come_back_exactly_as_the_exchange_wrote_them(database: Database, amount: str) -> None:
    integration_id = await _integration(database)
    async with database.writer() as session:
        await TransactionRepository(session).insert_missing([_trade(integration_id, "t1", amount)])

    async with database.reader() as session:
        stored = await session.scalar(select(Transaction.amount))

    assert stored == Decimal(amount)


async def test_a_float_amount_is_refused_instead_of_rounded(database: Database) -> None:
    integration_id = await _integration(database)
    row = _trade(integration_id, "t1") | {"amount": 0.1}

    with pytest.raises(Exception, match="Decimal"):
        async with database.writer() as session:
            await TransactionRepository(session).insert_missing([row])


async def test_times_are_stored_in_utc_and_naive_times_are_refused(database: Database) -> None:
    integration_id = await _integration(database)
    tokyo = timezone(timedelta(hours=9))
    row = _trade(integration_id, "t1") | {"occurred_at": datetime(2024, 3, 1, 21, 0, tzinfo=tokyo)}
    async with database.writer() as session:
        await TransactionRepository(session).insert_missing([row])

    async with database.reader() as session:
        stored = await session.scalar(select(Transaction.occurred_at))
    assert stored == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert stored is not None and stored.utcoffset() == timedelta(0)

    with pytest.raises(Exception, match="naive"):
        async with database.writer() as session:
            naive = _trade(integration_id, "t2") | {"occurred_at": datetime(2024, 3, 1, 12, 0)}
            await TransactionRepository(session).insert_missing([naive])


async def test_the_same_records_inserted_twice_are_stored_once(database: Database) -> None:
    integration_id = await _integration(database)
    rows = [_trade(integration_id, f"t{i}") for i in range(50)]

    async with database.writer() as session:
        first = await TransactionRepository(session).insert_missing(rows)
    async with database.writer() as session:
        overlap = rows[25:] + [_trade(integration_id, f"t{i}") for i in range(50, 60)]
        second = await TransactionRepository(session).insert_missing(overlap)
    async with database.reader() as session:
        total = await TransactionRepository(session).count(integration_id)

    assert (first, second, total) == (50, 10, 60)


async def test_a_failed_unit_of_work_leaves_nothing_behind(database: Database) -> None:
    integration_id = await _integration(database)

    with pytest.raises(RuntimeError):
        async with database.writer() as session:
            await TransactionRepository(session).insert_missing([_trade(integration_id, "t1")])
            raise RuntimeError("crash between page and cursor")

    async with database.reader() as session:
        assert await TransactionRepository(session).count(integration_id) == 0


async def test_account_names_are_unique_per_user_only(database: Database) -> None:
    await _integration(database, telegram_user_id=1)
    await _integration(database, telegram_user_id=2)

    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await _integration(database, telegram_user_id=1)


async def test_deleting_a_user_removes_their_integrations(database: Database) -> None:
    await _integration(database)
    async with database.writer() as session:
        user = await UserRepository(session).by_telegram_id(1001)
        assert user is not None
        await session.delete(user)

    async with database.reader() as session:
        assert (await session.scalars(select(Integration))).all() == []


async def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path: Any) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.sqlite3'}")
    try:
        async with database.reader() as session:
            journal = await session.scalar(text("PRAGMA journal_mode"))
            foreign_keys = await session.scalar(text("PRAGMA foreign_keys"))
            busy_timeout = await session.scalar(text("PRAGMA busy_timeout"))
    finally:
        await database.dispose()

    assert (journal, foreign_keys, busy_timeout) == ("wal", 1, 5000)


async def test_concurrent_read_then_write_units_on_sqlite_wait_instead_of_failing(tmp_path: Any) -> None:
    """Without BEGIN IMMEDIATE the second of two read-then-write transactions fails with "database is locked"."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'locks.sqlite3'}")
    await upgrade_to_head(database)
    integration_id = await _integration(database)

    async def read_then_write(worker: int) -> None:
        for step in range(10):
            async with database.writer() as session:
                repository = TransactionRepository(session)
                await repository.count(integration_id)
                await asyncio.sleep(0)
                await repository.insert_missing([_trade(integration_id, f"w{worker}-{step}")])

    try:
        await asyncio.gather(*(read_then_write(worker) for worker in range(4)))
        async with database.reader() as session:
            assert await TransactionRepository(session).count(integration_id) == 40
    finally:
        await database.dispose()
