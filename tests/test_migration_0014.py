"""Migration 0014: uploads waiting for their account move from one process's memory to `pending_uploads`, on SQLite
and PostgreSQL; the rules of that table (owner only, three newest, a day at most, gone when finished), and the way
down drops it and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from bot.pending_uploads import PendingUploads
from db.engine import Database
from db.migrate import alembic_config
from db.models import User

users = User.__table__
START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


async def _tables(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names()))


async def test_pending_uploads_live_in_their_table_and_the_way_down_drops_only_it(database_url: str) -> None:
    database = Database(database_url)
    now = [START]
    try:
        await _migrate(database, "0013")
        assert "pending_uploads" not in await _tables(database)
        async with database.engine.execution_options(tallybot_write=True).begin() as connection:
            await connection.execute(sa.insert(users).values(telegram_user_id=1001, timezone="UTC"))

        # Up to today's schema: the service below is today's code (0017 added the claim's lease columns).
        await _migrate(database, "head")

        uploads = PendingUploads(database, clock=lambda: now[0])
        sent = []
        for minute, name in enumerate(["a.csv", "b.csv", "c.csv", "d.csv"]):
            now[0] = START + timedelta(minutes=minute)
            sent.append(await uploads.add(1001, f"file-id-{name}", name))
        other = await uploads.add(2002, "file-id-bob", "bob.csv")
        found = [await uploads.get(1001, upload.token) for upload in sent]
        bobs_by_ada = await uploads.get(1001, other.token)
        await uploads.finish(1001, sent[3].token)
        finished = await uploads.get(1001, sent[3].token)
        now[0] = START + timedelta(days=1, minutes=2)  # b.csv was sent a day and a minute ago, c.csv a day ago
        after_a_day = [await uploads.get(1001, upload.token) for upload in sent[1:3]]

        await _migrate(database, "0013", down=True)
        tables_down = await _tables(database)
        async with database.engine.connect() as connection:
            kept_users = [row[0] for row in await connection.execute(sa.select(users.c.telegram_user_id))]
    finally:
        await database.dispose()

    assert found[0] is None, "a fourth upload pushes the oldest out"
    assert [(u.file_id, u.name) for u in found[1:] if u is not None] == [
        ("file-id-b.csv", "b.csv"),
        ("file-id-c.csv", "c.csv"),
        ("file-id-d.csv", "d.csv"),
    ]
    assert len({upload.token for upload in sent}) == 4
    assert bobs_by_ada is None, "a token of another user's upload finds nothing"
    assert finished is None, "a finished upload's buttons are stale"
    assert after_a_day == [None, None], "an upload a day old is stale"
    assert "pending_uploads" not in tables_down and "users" in tables_down
    assert kept_users == [1001]
