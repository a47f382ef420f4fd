"""Delete everything Tallybot holds about a user, in one transaction, after they confirmed it (issue 18, item 6).

What is deleted is listed in db/repositories/erase.py. A sync running for the user at that moment, in this process or
another, loses its lease in the same transaction: its next page finds no lease and writes nothing (the lease is the
fence, bot/sync/lease.py), and a write that is not fenced (the balance check after a sync) names an account that no
longer exists and is refused by the foreign key. Nothing is re-created afterwards.

The confirmation button carries the user's row id and a deadline, never anything secret: only the presser's own data
is ever deleted (Telegram vouches for who pressed), and the row id makes a confirmation from before an earlier
deletion (the user has a new row since) or from another user's menu delete nothing.

On SQLite, deleted rows stay in the file's free pages and in the write-ahead log until overwritten. The deletion runs
with `secure_delete` (SQLite overwrites what it deletes with zeros) and is followed by a checkpoint that copies the
log into the file and truncates it, so the sealed keys' ciphertext is gone from the bytes on disk. On PostgreSQL the
rows are gone from every query and dump at commit; the space they took is reclaimed by autovacuum.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.context import Services
from connectors.clients import ClientPool
from connectors.profiles import get_profile
from db.engine import Database
from db.repositories.erase import FILE_TRANSACTIONS, EraseRepository, UserRows
from db.types import utcnow

__all__ = ["CONFIRMATION_TTL", "FILE_TRANSACTIONS", "EraseService", "UserRows"]

log = logging.getLogger(__name__)

# How long a confirmation button stays good: long enough to read what will be deleted, short enough that a menu
# found later in the chat history cannot delete anything.
CONFIRMATION_TTL = timedelta(minutes=10)


class EraseService:
    def __init__(
        self, database: Database, pool: ClientPool | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.database = database
        self.pool = pool
        self.clock = clock

    @classmethod
    def of(cls, services: Services) -> EraseService:
        return cls(services.database, services.pool)

    async def inventory(self, telegram_user_id: int, chat_ids: Collection[int]) -> UserRows | None:
        """What a deletion would remove now (None: Tallybot holds nothing about this user)."""
        async with self.database.reader() as session:
            return await EraseRepository(session).count(telegram_user_id, chat_ids)

    def deadline(self) -> int:
        """Until when (seconds since the epoch) a confirmation shown now may be pressed."""
        return int((self.clock() + CONFIRMATION_TTL).timestamp())

    def still_valid(self, deadline: int) -> bool:
        return datetime.fromtimestamp(deadline, UTC) >= self.clock()

    async def erase(self, telegram_user_id: int, chat_ids: Collection[int], *, user_id: int) -> UserRows | None:
        """Delete every row of the user in one transaction; None when `user_id` is no longer their row (deleted
        already, or the confirmation was not theirs). Returns the rows deleted per table."""
        async with self.database.writer() as session:
            if self.database.is_sqlite:
                await session.execute(text("PRAGMA secure_delete = ON"))
            try:
                erased = await EraseRepository(session).erase(telegram_user_id, chat_ids, user_id=user_id)
            finally:
                if self.database.is_sqlite:  # the pooled connection goes back as it came (a failed one is dropped)
                    with contextlib.suppress(Exception):
                        await session.execute(text("PRAGMA secure_delete = OFF"))
        if erased is None:
            return None
        if self.database.is_sqlite:
            await self._checkpoint()
        await self._close_clients(erased)
        log.info(
            "erased a user's data: %d accounts, %d keys, %d transactions",
            erased["integrations"],
            erased["credentials"],
            erased["transactions"],
        )
        return erased

    async def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and truncate it: the log's older frames still hold the
        deleted rows as they were."""
        try:
            async with self.database.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver = raw.driver_connection
                if driver is None:  # pragma: no cover - an open pooled connection always has its driver connection
                    return
                cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, _log_frames, _copied = await cursor.fetchone()
                await cursor.close()
        except Exception as error:  # the rows are deleted either way; the next checkpoint copies them over
            log.warning("checkpoint after erasing a user failed: %s", type(error).__name__)
            return
        if busy:
            log.warning("checkpoint after erasing a user was blocked by a reader; the next one completes it")

    async def _close_clients(self, erased: UserRows) -> None:
        """Close the exchange clients of the deleted keys now: they hold the opened key in memory."""
        if self.pool is None:
            return
        for exchange_id, credential_id in erased.keys:
            try:
                await self.pool.forget(get_profile(exchange_id).ccxt_id, credential_id)
            except Exception as error:  # an exchange no longer known, a client failing to close: it idles out
                log.warning("closing a deleted key's client failed: %s", type(error).__name__)
