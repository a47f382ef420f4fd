"""Deleting a user's data: every table is accounted for, and the deletion and a sync's page cannot deadlock.

On SQLite and PostgreSQL, against the migrated database (what the migrations made, not only the models); on
PostgreSQL with the sync job queue's tables too (db/migrate.py apply_job_schema, what a sync worker creates).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from procrastinate import App, PsycopgConnector
from procrastinate.jobs import Status

from bot.erase import EraseService
from bot.jobs.order import SyncOrder
from bot.jobs.queue import SYNC_QUEUE, QueuedJobs
from bot.sync.lease import Lease
from bot.sync.results import SyncLeaseLost
from db.engine import Database
from db.migrate import apply_job_schema, libpq_url, upgrade_to_head
from db.models import Credential, Integration, User
from db.repositories import SyncRepository, TransactionRepository
from db.repositories.erase import ERASED, JOB_QUEUE_TABLES, NOT_USER_DATA
from tests.postgres import fresh_database
from tests.test_erase_e2e import NOBODYS, owner_condition, rows_of, table_columns

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def database(database: Database) -> AsyncIterator[Database]:
    """The migrated database; on PostgreSQL with the sync job queue's tables, as a deployment with workers has."""
    if not database.is_sqlite:
        assert await apply_job_schema(database.url)
    yield database


async def test_every_table_is_either_deleted_for_the_user_or_holds_nobodys_data(database: Database) -> None:
    """A new table fails here until db/repositories/erase.py deletes its rows of the user (or says it holds none),
    and until this test knows how to tell whose rows it holds."""
    tables = await table_columns(database)
    expected = set(ERASED) | NOT_USER_DATA
    if database.is_sqlite:  # no job queue: sync workers need PostgreSQL
        expected -= JOB_QUEUE_TABLES
    assert set(ERASED) | NOT_USER_DATA >= JOB_QUEUE_TABLES
    assert set(tables) == expected, "a table is neither deleted for the user nor listed as nobody's"
    assert NOT_USER_DATA == NOBODYS
    for table, columns in tables.items():
        if table not in NOBODYS:
            owner_condition(table, columns, [1], [1], 1001)  # raises for a table it cannot attribute
    assert ERASED.index("sync_leases") < ERASED.index("integrations"), "the fence goes first (see erase.py)"


async def user_with_account(database: Database) -> tuple[int, int]:
    async with database.writer() as session:
        user = User(telegram_user_id=1001, timezone="UTC")
        session.add(user)
        await session.flush()
        integration = Integration(user_id=user.id, exchange_id="binance", account_name="Binance-1", options={})
        session.add(integration)
        await session.flush()
        session.add(Credential(integration_id=integration.id, sealed={}, api_key_fingerprint="…abcd"))
        return user.id, integration.id


def trades(integration_id: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "integration_id": integration_id,
            "natural_key": f"trade:{n}",
            "kind": "trade",
            "occurred_at": NOW,
            "asset": "BTC",
            "amount": Decimal("0.1"),
            "source": "api",
        }
        for n in range(count)
    ]


async def test_a_deletion_during_a_page_waits_for_it_deletes_it_too_and_the_next_page_is_fenced_off(
    database: Database,
) -> None:
    """The page transaction holds the sync's lease row (PostgreSQL: a row lock) while it inserts records that need
    the account (a foreign key check). The deletion takes the lease first, so it waits for the page and then
    deletes what the page stored; deleting the account first would deadlock with the page."""
    user_id, integration_id = await user_with_account(database)
    lease = Lease(database, integration_id, ttl=timedelta(minutes=2), clock=lambda: datetime.now(UTC))
    assert await lease.acquire() is not None
    eraser = EraseService(database)
    async with database.writer() as page:
        await lease.fence(page)
        erasing = asyncio.create_task(eraser.erase(1001, [1001], user_id=user_id))
        await asyncio.sleep(0.5)
        waited = not erasing.done()
        await TransactionRepository(page).insert_missing(trades(integration_id, 3))
    erased = await asyncio.wait_for(erasing, timeout=20)
    with pytest.raises(SyncLeaseLost):
        async with database.writer() as next_page:
            await lease.fence(next_page)
            await TransactionRepository(next_page).insert_missing(trades(integration_id, 5))
    async with database.reader() as session:
        lease_row = await SyncRepository(session).lease(integration_id)

    assert waited, "the deletion waited for the page being written"
    assert erased is not None
    assert (erased["transactions"], erased["sync_leases"], erased["credentials"], erased["users"]) == (3, 1, 1, 1)
    assert lease_row is None
    left = await rows_of(database, 1001, user_ids=[user_id], integration_ids=[integration_id])
    assert left == dict.fromkeys(left, 0), left


async def test_two_confirmations_pressed_at_once_delete_once(database: Database) -> None:
    """Two presses (a double tap, or two bot replicas) race: one deletes and says what, the other finds nothing. A
    page being written holds both at the lease (PostgreSQL), after each has read the user row."""
    user_id, integration_id = await user_with_account(database)
    async with database.writer() as session:
        await TransactionRepository(session).insert_missing(trades(integration_id, 4))
    lease = Lease(database, integration_id, ttl=timedelta(minutes=2), clock=lambda: datetime.now(UTC))
    assert await lease.acquire() is not None
    eraser = EraseService(database)
    async with database.writer() as page:
        await lease.fence(page)
        both = asyncio.gather(eraser.erase(1001, [1001], user_id=user_id), eraser.erase(1001, [1001], user_id=user_id))
        await asyncio.sleep(0.5)
    first, second = await asyncio.wait_for(both, timeout=20)
    done = [outcome for outcome in (first, second) if outcome is not None]

    assert len(done) == 1 and done[0]["transactions"] == 4 and done[0]["integrations"] == 1


def sync_order(telegram_user_id: int, integration_id: int) -> SyncOrder:
    return SyncOrder(telegram_user_id, integration_id, "Binance-1", telegram_user_id, 77, "en", "status")


async def job_rows(app: App) -> list[tuple[int, str, str | None]]:
    """Every job row: its user (from its arguments), status and lock."""
    rows = await app.connector.execute_query_all_async(
        "SELECT args->>'telegram_user_id' AS owner, status::text AS status, lock FROM procrastinate_jobs"
    )
    return sorted((int(row["owner"]), str(row["status"]), row["lock"]) for row in rows)


async def test_the_users_waiting_and_failed_sync_jobs_are_deleted_with_their_events_and_nobody_elses() -> None:
    """A worker keeps a failed job's row (it names the user, the account and the chat); the deletion takes it, the
    user's waiting job and both jobs' events, and leaves another user's jobs alone."""
    async with fresh_database() as url:
        database = Database(url)
        connector = PsycopgConnector(conninfo=libpq_url(url), min_size=1, max_size=2)
        app = App(connector=connector)
        try:
            await upgrade_to_head(database)
            await apply_job_schema(url)
            user_id, integration_id = await user_with_account(database)
            async with app.open_async():
                jobs = QueuedJobs(app)
                # A job of an account deleted earlier (/keys): found by the user's id in its arguments.
                assert await jobs.defer(sync_order(1001, integration_id + 500))
                assert await jobs.defer(sync_order(2002, integration_id + 1000))
                worker = await app.job_manager.register_worker()
                for _ in range(2):
                    taken = await app.job_manager.fetch_job([SYNC_QUEUE], worker)
                    assert taken is not None
                    await app.job_manager.finish_job(taken, Status.FAILED, delete_job=False)
                assert await jobs.defer(sync_order(1001, integration_id))  # waiting
                assert await jobs.defer(sync_order(2002, integration_id + 1000))  # waiting
                before = await job_rows(app)
                events_before = await app.connector.execute_query_one_async(
                    "SELECT count(*) AS n FROM procrastinate_events"
                )

                erased = await EraseService(database).erase(1001, [1001], user_id=user_id)

                after = await job_rows(app)
                events = await app.connector.execute_query_all_async(
                    "SELECT j.args->>'telegram_user_id' AS owner FROM procrastinate_events e "
                    "JOIN procrastinate_jobs j ON j.id = e.job_id"
                )
        finally:
            await database.dispose()

    mine, theirs = f"integration:{integration_id}", f"integration:{integration_id + 1000}"
    assert before == [
        (1001, "failed", f"integration:{integration_id + 500}"),
        (1001, "todo", mine),
        (2002, "failed", theirs),
        (2002, "todo", theirs),
    ]
    assert int(events_before["n"]) > 4  # each job's deferral, and the failed ones' start and end
    assert erased is not None
    assert erased["procrastinate_jobs"] == 2
    assert erased["procrastinate_events"] > 0
    assert after == [(2002, "failed", theirs), (2002, "todo", theirs)]
    assert events and {row["owner"] for row in events} == {"2002"}
