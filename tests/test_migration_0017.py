"""Migration 0017: a press importing an upload holds a lease on its row (`claimed_by`, `claimed_until`), on SQLite and
PostgreSQL. An upload waiting during the upgrade stays waiting, and is claimed once; the way down drops the two
columns and keeps every upload, claimed or not, as the older code knows it: waiting for its account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from bot.pending_uploads import CLAIM_LEASE, PendingUploads
from db.engine import Database
from db.migrate import alembic_config

SENT_AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
# pending_uploads as 0014 made it, with the rows the older code wrote (SQLite keeps times as naive UTC text).
_uploads = sa.table(
    "pending_uploads",
    sa.column("token", sa.String),
    sa.column("telegram_user_id", sa.BigInteger),
    sa.column("file_id", sa.Text),
    sa.column("file_name", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


async def _columns(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        return {
            column["name"]
            for column in await connection.run_sync(lambda sync: sa.inspect(sync).get_columns("pending_uploads"))
        }


async def _rows(database: Database) -> list[tuple[str, str]]:
    async with database.engine.connect() as connection:
        query = sa.select(_uploads.c.token, _uploads.c.file_name).order_by(_uploads.c.token)
        return [(token, name) for token, name in await connection.execute(query)]


async def test_uploads_waiting_at_the_upgrade_are_claimed_once_and_the_way_down_keeps_every_upload(
    database_url: str,
) -> None:
    database = Database(database_url)
    clock = [SENT_AT + timedelta(minutes=1)]
    created = SENT_AT if not database.is_sqlite else SENT_AT.replace(tzinfo=None)
    try:
        await _migrate(database, "0016")
        columns_before = await _columns(database)
        async with database.engine.execution_options(tallybot_write=True).begin() as connection:
            await connection.execute(
                sa.insert(_uploads),
                [
                    {"token": "waiting1", "telegram_user_id": 1001, "file_id": "f-1", "file_name": "a.csv",
                     "created_at": created},
                    {"token": "waiting2", "telegram_user_id": 1001, "file_id": "f-2", "file_name": "b.csv",
                     "created_at": created},
                ],
            )  # fmt: skip

        await _migrate(database, "0017")
        columns_up = await _columns(database)
        uploads = PendingUploads(database, clock=lambda: clock[0])
        carried = [await uploads.get(1001, token) for token in ("waiting1", "waiting2")]
        claims = [await uploads.claim(1001, "waiting1") for _ in range(2)]
        clock[0] += CLAIM_LEASE
        lapsed = await uploads.claim(1001, "waiting1")  # claimed again: its first claim lapsed
        second = await uploads.claim(1001, "waiting2")  # still held when the way down runs

        await _migrate(database, "0016", down=True)
        columns_down = await _columns(database)
        rows_down = await _rows(database)
        await _migrate(database, "0017")
        after_round_trip = [await uploads.claim(1001, token) for token in ("waiting1", "waiting2")]
    finally:
        await database.dispose()

    assert {"claimed_by", "claimed_until"}.isdisjoint(columns_before)
    assert columns_up - columns_before == {"claimed_by", "claimed_until"}
    assert [(u.file_id, u.name, u.created_at) for u in carried if u is not None] == [
        ("f-1", "a.csv", SENT_AT),
        ("f-2", "b.csv", SENT_AT),
    ], "waiting before the upgrade, unclaimed after it"
    assert claims[0] is not None and claims[1] is None, "claimed once"
    assert lapsed is not None and second is not None
    assert columns_down == columns_before
    assert rows_down == [("waiting1", "a.csv"), ("waiting2", "b.csv")], "the way down keeps claimed uploads"
    assert [u.name for u in after_round_trip if u is not None] == ["a.csv", "b.csv"], "unclaimed after the way up"
