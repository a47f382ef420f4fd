"""Storage on SQLite and PostgreSQL: migrations, exact amounts, UTC times, idempotent inserts."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.engine import Connection

from db.engine import Database
from db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from db.models import (
    AssistantDraft,
    Base,
    Credential,
    EndpointState,
    Integration,
    SyncLease,
    SyncRun,
    Transaction,
    User,
)
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


async def test_pages_of_every_size_share_one_compiled_insert_on_sqlite(database: Database) -> None:
    """sqlite3 keeps up to 128 compiled statements per connection: an INSERT text per page size (a multi-row
    statement per page) held the bot's peak memory about 110 MiB higher in docs/BENCHMARKS.md §4."""
    if not database.is_sqlite:
        pytest.skip("a cache of SQLite's driver")
    integration_id = await _integration(database)
    inserts: set[str] = set()

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith("INSERT INTO transactions"):
            inserts.add(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        start = 0
        for size in (1, 7, 250, 999, 1000, 3):
            rows = [_trade(integration_id, f"t{start + i}") for i in range(size)]
            start += size
            async with database.writer() as session:
                assert await TransactionRepository(session).insert_missing(rows) == size
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)

    assert len(inserts) == 1


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


# ------------------------------------------------------------------------------------------------ ids never reused


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    """Like upgrade_to_head, to (or back to) one revision."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


async def _delete_integration(database: Database, integration_id: int) -> None:
    async with database.writer() as session:
        integration = await session.get(Integration, integration_id)
        assert integration is not None
        await session.delete(integration)


async def test_the_id_of_a_deleted_account_is_never_handed_out_again(database: Database) -> None:
    """A stale button names an account by id: the id must not come to mean the account created after it."""
    first = await _integration(database)
    await _delete_integration(database, first)  # the last row: SQLite without AUTOINCREMENT reuses its id

    second = await _integration(database)

    assert second != first


async def test_every_table_keyed_by_an_integer_is_autoincrement_on_sqlite(tmp_path: Any) -> None:
    keyed_by_an_integer = {
        table.name
        for table in Base.metadata.sorted_tables
        if [column.type.python_type for column in table.primary_key.columns] == [int]
        and not table.primary_key.columns[0].foreign_keys
    }
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'ddl.sqlite3'}")
    try:
        await upgrade_to_head(database)
        async with database.reader() as session:
            tables = await session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
            ddl = {name: sql for name, sql in tables}
    finally:
        await database.dispose()

    assert keyed_by_an_integer == {
        "users",
        "integrations",
        "endpoint_states",
        "sync_runs",
        "transactions",
        "reconciled_balances",
    }
    assert {name for name in keyed_by_an_integer if "AUTOINCREMENT" not in ddl[name]} == set()


# Columns a later revision replaced or added (0010: endpoint_states' English message became a catalogue note; 0011:
# the user's language): rows are compared on the columns every revision has.
REPLACED_COLUMNS = {"endpoint_states": ("last_error_message", "last_note"), "users": ("language",)}


async def _snapshot(database: Database, only: Collection[str] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables the database has (of `only`, when given: tables of later revisions left out)."""
    async with database.reader() as session:
        present = {name for (name,) in await session.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
        snapshot = {}
        for table in Base.metadata.sorted_tables:
            if table.name not in present or (only is not None and table.name not in only):
                continue
            info = await session.execute(text(f'PRAGMA table_info("{table.name}")'))
            kept = ", ".join(f'"{row[1]}"' for row in info if row[1] not in REPLACED_COLUMNS.get(table.name, ()))
            rows = await session.execute(text(f'SELECT {kept} FROM "{table.name}"'))  # noqa: S608  # our own names
            snapshot[table.name] = sorted(tuple(row) for row in rows)
        return snapshot


async def _foreign_key_problems(database: Database) -> list[Any]:
    async with database.reader() as session:
        return list(await session.execute(text("PRAGMA foreign_key_check")))


async def test_a_sqlite_database_with_data_migrates_to_autoincrement_keeping_every_row(tmp_path: Any) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'at_0004.sqlite3'}")
    now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    try:
        await _migrate(database, "0004")
        async with database.writer() as session:
            # Only the columns 0004 had (0011 added the language): an insert naming them, not the model of today.
            users = [
                await session.scalar(
                    insert(User).values(telegram_user_id=telegram_id, timezone="UTC").returning(User.id)
                )
                for telegram_id in (1001, 1002)
            ]
            accounts = [
                Integration(user_id=users[n % 2], exchange_id="bitget", account_name=f"Bitget-{n}") for n in range(3)
            ]
            session.add_all(accounts)
            await session.flush()
            for account in accounts:
                session.add_all(
                    [
                        Credential(integration_id=account.id, sealed={"secret": "sealed"}),
                        SyncRun(integration_id=account.id, summary={"trades": {"new": 1}}),
                        SyncLease(integration_id=account.id, holder="worker", expires_at=now),
                    ]
                )
            # Only the columns 0004 had (0010 replaced one): an insert naming them, not the model of today.
            await session.execute(
                insert(EndpointState),
                [{"integration_id": account.id, "endpoint": "trades", "cursor": {"since": 1}} for account in accounts],
            )
            session.add(AssistantDraft(telegram_user_id=1001, chat_id=1001, token="abc", expires_at=now))
        async with database.writer() as session:
            await TransactionRepository(session).insert_missing(
                [_trade(account.id, f"t{i}", "0.000000000000000001") for account in accounts for i in range(3)]
            )
        before = await _snapshot(database)
        assert all(before.values()), "every table has rows to carry over"

        await upgrade_to_head(database)

        assert await current_revision(database) == head_revision()
        assert await _snapshot(database, only=before) == before
        assert await _foreign_key_problems(database) == []
        async with database.reader() as session:
            assert await session.scalar(text("PRAGMA foreign_keys")) == 1
        # The foreign keys still cascade: deleting the last account takes its rows along, and its id stays retired.
        last = max(account.id for account in accounts)
        await _delete_integration(database, last)
        remaining = await _snapshot(database)
        assert all(row[1] != last for name in ("credentials", "transactions") for row in remaining[name])
        assert await _integration(database, telegram_user_id=1003) > last

        before_downgrade = await _snapshot(database, only=before)
        await _migrate(database, "0004", down=True)

        assert await current_revision(database) == "0004"
        assert await _snapshot(database, only=before) == before_downgrade
        assert await _foreign_key_problems(database) == []
    finally:
        await database.dispose()
