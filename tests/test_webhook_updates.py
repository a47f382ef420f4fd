"""Each update id taken once (bot/webhook_updates.py), on SQLite and PostgreSQL: the dedupe is one INSERT ... ON
CONFLICT DO NOTHING RETURNING (autocommitted on PostgreSQL, in SQLite's writer), so the answer comes from the
primary key, never from an error; concurrent claims of one id have one winner; reads outside a transaction
(Database.reads) see what was committed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.webhook_updates import KEEP, SeenUpdates
from db.engine import Database
from db.models import WebhookUpdate

BOT = 4242
NOON = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


async def stored(database: Database) -> list[tuple[int, int]]:
    async with database.reads() as session:
        rows = await session.execute(
            select(WebhookUpdate.bot_id, WebhookUpdate.update_id).order_by(
                WebhookUpdate.update_id, WebhookUpdate.bot_id
            )
        )
        return [(bot_id, update_id) for bot_id, update_id in rows.all()]


async def test_an_update_is_taken_once_whoever_asks(database: Database) -> None:
    first = SeenUpdates(database, BOT, clock=lambda: NOON)
    second = SeenUpdates(database, BOT, clock=lambda: NOON)  # another replica on the same database
    other_bot = SeenUpdates(database, BOT + 1, clock=lambda: NOON)

    assert await first.claim(700) is True
    assert await second.claim(700) is False
    assert await first.claim(700) is False
    assert await other_bot.claim(700) is True  # another bot's update 700 is another update
    # Ten claims of one new id at once: one winner.
    assert sorted(await asyncio.gather(*(second.claim(701) for _ in range(10)))) == [False] * 9 + [True]
    assert await stored(database) == [(BOT, 700), (BOT + 1, 700), (BOT, 701)]


async def test_ids_older_than_telegram_keeps_them_are_forgotten(database: Database) -> None:
    now = [NOON]
    seen = SeenUpdates(database, BOT, clock=lambda: now[0])
    assert await seen.claim(800) is True
    now[0] = NOON + KEEP + timedelta(seconds=1)
    assert await seen.claim(801) is True
    assert await seen.forget_expired() == 1
    async with database.reads() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookUpdate)) == 1
    assert await seen.claim(801) is False
