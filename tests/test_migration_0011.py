"""Migration 0011: users get a language, taken from Telegram on their first contact after it; the way down keeps every
row (on SQLite, a rebuild of `users` would have deleted every account below it by cascade)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from bot.users import UserService
from db.engine import Database
from db.migrate import alembic_config
from db.models import Integration, User

# Written through the models' tables, naming only the columns 0010 had (their defaults fill the rest).
users = User.__table__
integrations = Integration.__table__


async def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with database.engine.execution_options(tallybot_write=True).begin() as connection:
        await connection.run_sync(run)


async def _rows(database: Database, query: sa.Executable) -> list[tuple[Any, ...]]:
    async with database.engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(query)]


async def _columns(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        found = await connection.run_sync(lambda sync: sa.inspect(sync).get_columns("users"))
    return {column["name"] for column in found}


async def test_users_from_before_get_their_language_at_their_next_contact_and_the_way_down_keeps_every_row(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        await _migrate(database, "0010")
        async with database.engine.execution_options(tallybot_write=True).begin() as connection:
            for telegram_id in (1001, 1002, 1003):
                await connection.execute(sa.insert(users).values(telegram_user_id=telegram_id, timezone="Asia/Tokyo"))
            first = (await connection.execute(sa.select(users.c.id).where(users.c.telegram_user_id == 1001))).scalar()
            await connection.execute(
                sa.insert(integrations).values(user_id=first, exchange_id="kraken", account_name="Kraken-1")
            )

        await _migrate(database, "0011")

        assert "language" in await _columns(database)
        service = UserService(database)
        # A Japanese catalogue ships, a French one does not: Telegram's language reads its catalogue, or English
        # when there is none. Asking for a locale writes nothing; the first contact (/start) keeps the language
        # Telegram gave, whatever later updates say.
        assert await service.locale(1001, "ja-JP") == "ja"
        assert await service.locale(1003, "fr") == "en"
        await service.remember_language(1001, "ja-JP")
        await service.remember_language(1001, "fr")
        assert await service.locale(1001, "fr") == "ja"
        await service.remember_language(1002, None)  # a client that sends no language: nothing to keep
        await service.remember_language(1004, "pt-br")  # a brand-new user, created with their language
        assert await service.locale(1005, "en") == "en"  # a stranger's update: no row for them
        stored = sa.text("SELECT telegram_user_id, language, timezone FROM users ORDER BY telegram_user_id")
        assert await _rows(database, stored) == [
            (1001, "ja-JP", "Asia/Tokyo"),
            (1002, None, "Asia/Tokyo"),
            (1003, None, "Asia/Tokyo"),
            (1004, "pt-br", "UTC"),
        ]

        await _migrate(database, "0010", down=True)

        assert "language" not in await _columns(database)
        assert [
            row[0]
            for row in await _rows(database, sa.select(users.c.telegram_user_id).order_by(users.c.telegram_user_id))
        ] == [
            1001,
            1002,
            1003,
            1004,
        ]
        assert await _rows(database, sa.select(integrations.c.user_id, integrations.c.account_name)) == [
            (first, "Kraken-1")
        ]
    finally:
        await database.dispose()
