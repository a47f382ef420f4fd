"""Choosing an account's automatic sync when the account or its key is gone (deleted after the handler looked it up):
nothing is stored and the caller is told, instead of a foreign key error."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.autosync import AutoSyncStore, Cadence
from db.engine import Database
from db.models import AutoSync, Credential, Integration, User


async def account(database: Database, *, with_key: bool) -> int:
    async with database.writer() as session:
        user = User(telegram_user_id=1001, timezone="UTC")
        session.add(user)
        await session.flush()
        integration = Integration(user_id=user.id, exchange_id="binance", account_name="Binance-1", options={})
        session.add(integration)
        await session.flush()
        if with_key:
            session.add(Credential(integration_id=integration.id, sealed={}, api_key_fingerprint="…abcd"))
        return integration.id


async def rows(database: Database) -> int:
    async with database.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(AutoSync)) or 0)


async def test_an_account_with_a_key_is_turned_on_and_off(database: Database) -> None:
    found = await account(database, with_key=True)
    store = AutoSyncStore(database)

    assert await store.choose(found, Cadence.DAILY, None) is True
    assert await store.cadence(found) is Cadence.DAILY
    assert await store.choose(found, Cadence.OFF, None) is True
    assert await rows(database) == 0


async def test_an_account_deleted_since_stores_nothing(database: Database) -> None:
    found = await account(database, with_key=True)
    async with database.writer() as session:
        await session.delete(await session.get(Integration, found))

    assert await AutoSyncStore(database).choose(found, Cadence.DAILY, None) is False
    assert await rows(database) == 0


async def test_an_account_without_a_key_is_not_turned_on(database: Database) -> None:
    found = await account(database, with_key=False)

    assert await AutoSyncStore(database).choose(found, Cadence.SIX_HOURS, None) is False
    assert await rows(database) == 0
