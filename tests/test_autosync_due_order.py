"""The due pass hands an account's automatic sync on first and moves its next run after: a pass that dies between the
two (its process killed) leaves the run due for the next pass instead of skipping it (bot/jobs/auto.py `due_pass`)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest
from telegram import Bot

from bot.autosync import AutoSyncStore, Cadence
from bot.jobs.auto import AutoSyncOrder, AutoSyncWork, due_pass
from bot.sync import SyncService
from db.engine import Database
from db.models import AutoSync, Credential, Integration, User
from db.types import utcnow


class Died(Exception):
    """The pass's process stopping right after handing the account on."""


class Recorded:
    """Queues nothing: records each hand-on and whether the account was still due at that moment."""

    def __init__(self, store: AutoSyncStore, *, die: bool = False) -> None:
        self.store = store
        self.die = die
        self.handed: list[tuple[int, bool]] = []

    async def defer_auto(self, order: AutoSyncOrder) -> bool:
        due = {d.integration_id for d in await self.store.due(utcnow())}
        self.handed.append((order.integration_id, order.integration_id in due))
        if self.die:
            raise Died
        return True


async def daily_account(database: Database) -> tuple[AutoSyncStore, int]:
    async with database.writer() as session:
        user = User(telegram_user_id=1001, timezone="UTC")
        session.add(user)
        await session.flush()
        integration = Integration(user_id=user.id, exchange_id="binance", account_name="Binance-1", options={})
        session.add(integration)
        await session.flush()
        session.add(Credential(integration_id=integration.id, sealed={}, api_key_fingerprint="…abcd"))
        found = integration.id
    store = AutoSyncStore(database)
    assert await store.choose(found, Cadence.DAILY, None)  # never synced: due at once
    return store, found


def work(store: AutoSyncStore) -> AutoSyncWork:
    # The pass reads only the store (no key here expires, so no warning is sent through the bot).
    return AutoSyncWork(cast(SyncService, None), store, cast(Bot, None))


async def next_due(database: Database, integration_id: int) -> timedelta:
    async with database.reader() as session:
        row = await session.get(AutoSync, integration_id)
        assert row is not None
        return row.next_due_at - utcnow()


async def test_the_account_is_handed_on_while_still_due_and_moved_a_day_on_after(database: Database) -> None:
    store, account = await daily_account(database)
    jobs = Recorded(store)

    await due_pass(work(store), jobs)

    assert jobs.handed == [(account, True)]
    assert timedelta(hours=23) < await next_due(database, account) <= timedelta(hours=24, minutes=73)
    assert await store.due(utcnow()) == []


async def test_a_pass_that_dies_after_handing_on_leaves_the_run_due_for_the_next(database: Database) -> None:
    store, account = await daily_account(database)

    with pytest.raises(Died):
        await due_pass(work(store), Recorded(store, die=True))
    assert [d.integration_id for d in await store.due(utcnow())] == [account]
    again = Recorded(store)
    await due_pass(work(store), again)

    assert again.handed == [(account, True)]
    assert await store.due(utcnow()) == []


async def test_two_passes_that_saw_the_same_run_move_it_once(database: Database) -> None:
    store, account = await daily_account(database)
    now = utcnow()

    assert await store.move_on(account, now) is True
    moved = await next_due(database, account)
    assert await store.move_on(account, now) is False

    assert await next_due(database, account) - moved < timedelta(seconds=1)


class OtherReplicaMovesOn(Recorded):
    """While the first account syncs here, another replica's pass syncs the second and moves it on."""

    def __init__(self, store: AutoSyncStore, second: int) -> None:
        super().__init__(store)
        self.second = second

    async def defer_auto(self, order: AutoSyncOrder) -> bool:
        if order.integration_id != self.second:
            assert await self.store.move_on(self.second, utcnow())
        return await super().defer_auto(order)


async def test_a_pass_skips_an_account_another_pass_moved_since_it_listed_it(database: Database) -> None:
    store, first = await daily_account(database)
    async with database.writer() as session:
        user_id = (await session.get(Integration, first)).user_id  # type: ignore[union-attr]
        second = Integration(user_id=user_id, exchange_id="binance", account_name="Binance-2", options={})
        session.add(second)
        await session.flush()
        session.add(Credential(integration_id=second.id, sealed={}, api_key_fingerprint="…efgh"))
        second_id = second.id
    assert await store.choose(second_id, Cadence.DAILY, None)
    jobs = OtherReplicaMovesOn(store, second_id)

    await due_pass(work(store), jobs)

    assert jobs.handed == [(first, True)]
    assert await store.due(utcnow()) == []
