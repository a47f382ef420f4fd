"""Migration 0010: English stored by earlier versions becomes catalogue ids, and reads the same as before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from bot.sync.stored import endpoint_reason, gap_reason
from db.engine import Database
from db.migrate import alembic_config
from db.models import Integration, SyncRun, User
from db.types import UTCDateTime

SKIP_NOTE = "Kraken does not offer convert history through its API."
NOT_FETCHED = "Tallybot cannot fetch funding fees from Kraken yet; add them with a file upload."
OTHER_KEY = "Spot transaction records (tax) cannot be read with this kind of Bitget key."
ODD_NOTE = "Skipped for a reason nobody wrote down."
UNKNOWN_KIND = "This kind of history is unknown to Tallybot and was left out."
RATE_LIMITED_GAP = (
    "Kraken asked Tallybot to slow down before this range was fetched; the next sync continues from here."
)
FETCHER_GAP = "Kraken only returns the last 90 days of deposits through its API; add older history by file upload."
RATE_LIMITED_TITLE = "Kraken asked Tallybot to slow down"

states = sa.table(
    "endpoint_states",
    sa.column("id", sa.BigInteger),
    sa.column("integration_id", sa.BigInteger),
    sa.column("endpoint", sa.String),
    sa.column("market", sa.String),
    sa.column("last_status", sa.String),
    sa.column("last_error_code", sa.String),
    sa.column("last_error_message", sa.Text),
    sa.column("last_note", sa.JSON),
    sa.column("updated_at", UTCDateTime()),
)
runs = sa.table("sync_runs", sa.column("summary", sa.JSON))


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


async def _rows(database: Database, *columns: sa.ColumnClause[Any]) -> list[tuple[Any, ...]]:
    async with database.engine.connect() as connection:
        result = await connection.execute(sa.select(states.c.endpoint, *columns).order_by(states.c.endpoint))
        return [tuple(row) for row in result]


async def _summary(database: Database) -> dict[str, Any]:
    async with database.engine.connect() as connection:
        summary = (await connection.execute(sa.select(runs.c.summary))).scalar_one()
    assert isinstance(summary, dict)
    return summary


async def test_stored_english_becomes_ids_and_reads_the_same(database_url: str) -> None:
    database = Database(database_url)
    try:
        await _migrate(database, "0009")
        summary = {
            "status": "partial",
            "endpoints": {
                "spot_trades": {"gaps": [{"reason": RATE_LIMITED_GAP, "start": None}], "note": None},
                "deposits": {"gaps": [{"reason": FETCHER_GAP}], "note": None},
                "convert": {"gaps": [], "note": SKIP_NOTE},
            },
        }
        # Users, accounts and runs are as they were at 0009; endpoint_states is written as 0009 had it.
        async with database.writer() as session:
            # The columns users had then (0011 added the language): an insert naming them, not the model of today.
            user_id = await session.scalar(
                sa.insert(User).values(telegram_user_id=1001, timezone="UTC").returning(User.id)
            )
            account = Integration(user_id=user_id, exchange_id="kraken", account_name="Kraken-1")
            session.add(account)
            await session.flush()
            session.add(SyncRun(integration_id=account.id, status="partial", summary=summary))
            account_id = account.id
        async with database.engine.execution_options(tallybot_write=True).begin() as connection:
            rows = [
                ("convert", "skipped", None, SKIP_NOTE),
                ("funding", "skipped", None, NOT_FETCHED),
                ("futures_trades", "skipped", None, OTHER_KEY),
                ("ledger", "skipped", None, ODD_NOTE),
                ("earn_rewards", "skipped", None, UNKNOWN_KIND),
                ("spot_trades", "partial", "rate_limited", RATE_LIMITED_TITLE),
                ("deposits", "ok", None, None),
            ]
            for endpoint, status, code, message in rows:
                await connection.execute(
                    sa.insert(states).values(
                        integration_id=account_id,
                        endpoint=endpoint,
                        market="",
                        last_status=status,
                        last_error_code=code,
                        last_error_message=message,
                        updated_at=datetime(2026, 12, 1, tzinfo=UTC),
                    )
                )

        await _migrate(database, "0010")

        notes = dict(await _rows(database, states.c.last_note))
        assert notes == {
            "convert": {
                "id": "sync.skip.not_offered",
                "args": {"name": "Kraken", "label": {"id": "endpoint.convert.phrase", "args": {}}},
            },
            "funding": {
                "id": "sync.skip.not_fetched_yet",
                "args": {"label": {"id": "endpoint.funding.phrase", "args": {}}, "name": "Kraken"},
            },
            # A profile's own label has no id of its own in the old rows: kept as the profile spelled it.
            "futures_trades": {
                "id": "sync.skip.not_for_key_type",
                "args": {"label": "Spot transaction records (tax)", "name": "Bitget"},
            },
            "ledger": {"id": "sync.skip.earlier", "args": {}},
            "earn_rewards": {"id": "sync.skip.unknown_endpoint", "args": {}},
            "spot_trades": None,  # its code says it
            "deposits": None,
        }
        migrated = await _summary(database)
        assert migrated["endpoints"]["spot_trades"]["gaps"] == [
            {"reason": {"id": "sync.gap.rate_limited", "args": {"name": "Kraken"}}, "start": None}
        ]
        assert migrated["endpoints"]["deposits"]["gaps"] == [{"reason": FETCHER_GAP}]  # a fetcher's own words
        assert migrated["endpoints"]["convert"]["note"] == notes["convert"]

        # What /status says is what it said before.
        async with database.engine.connect() as connection:
            columns = [column["name"] for column in await connection.run_sync(_columns)]
        assert "last_error_message" not in columns and "last_note" in columns
        assert endpoint_reason(None, notes["convert"], "Kraken") == SKIP_NOTE
        assert endpoint_reason(None, notes["funding"], "Kraken") == NOT_FETCHED
        assert endpoint_reason(None, notes["futures_trades"], "Bitget") == OTHER_KEY
        assert endpoint_reason(None, notes["ledger"], "Kraken") == "Not synced."
        assert endpoint_reason(None, notes["earn_rewards"], "Kraken") == UNKNOWN_KIND
        assert endpoint_reason("rate_limited", None, "Kraken") == RATE_LIMITED_TITLE
        assert endpoint_reason(None, None, "Kraken") is None
        reasons = [gap_reason(migrated["endpoints"][e]["gaps"][0]["reason"]) for e in ("spot_trades", "deposits")]
        assert reasons == [RATE_LIMITED_GAP, FETCHER_GAP]

        # And back: the notes are English again, and a diagnosis's title is worded from its code and the exchange.
        await _migrate(database, "0009", down=True)
        messages = dict(await _rows(database, states.c.last_error_message))
        assert messages == {
            "convert": SKIP_NOTE,
            "funding": NOT_FETCHED,
            "futures_trades": OTHER_KEY,
            "ledger": "Not synced.",
            "earn_rewards": UNKNOWN_KIND,
            "spot_trades": RATE_LIMITED_TITLE,
            "deposits": None,
        }
        back = await _summary(database)
        assert back["endpoints"]["spot_trades"]["gaps"][0]["reason"] == RATE_LIMITED_GAP
        assert back["endpoints"]["convert"]["note"] == SKIP_NOTE
    finally:
        await database.dispose()


def _columns(connection: Connection) -> list[dict[str, Any]]:
    return [dict(column) for column in sa.inspect(connection).get_columns("endpoint_states")]


async def test_the_columns_are_dropped_without_sqlite_335_and_the_key_stays_autoincrement(tmp_path: Path) -> None:
    # SQLite before 3.35 has no ALTER TABLE ... DROP COLUMN: the migration must not send one, and a rebuilt table
    # must keep the AUTOINCREMENT key 0005 gave it (ids are never reused).
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    try:
        await _migrate(database, "0009")
        sa.event.listen(database.engine.sync_engine, "before_cursor_execute", record)
        await _migrate(database, "0010")
        assert await _table_sql(database) is not None and "AUTOINCREMENT" in str(await _table_sql(database))
        await _migrate(database, "0009", down=True)
        assert "AUTOINCREMENT" in str(await _table_sql(database))
        assert "last_note" not in str(await _table_sql(database))
    finally:
        await database.dispose()
    assert sent, "the migration ran no statement at all"
    assert not [statement for statement in sent if "DROP COLUMN" in statement.upper()]


async def _table_sql(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        found = await connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'endpoint_states'"
        )
        return found.scalar_one_or_none()
