"""Each update processed once across a bot's webhook replicas.

Telegram sends an update again when its request failed or timed out ("we will repeat the request and give up after
a reasonable number of attempts", setWebhook), and the retry may reach another replica; Update's docs name
`update_id` as the way to ignore repeated updates. A replica records the id in the database before it processes the
update; a second replica (or a second request to the same one) finds it taken and answers without processing.

The record is made before processing, so delivery is at most once: a replica that dies mid-update leaves it taken
and Telegram's retry is dropped. Processing an update twice is worse here (a pasted key stored twice, a sync started
twice), and the user sees the lost reply and can repeat the command.

Telegram keeps an update at most 24 hours ("Incoming updates are stored on the server until the bot receives them
either way, but they will not be kept longer than 24 hours", Getting updates), so an id older than that can never
come back: rows are forgotten after KEEP, a day and a margin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from db.engine import Database
from db.repositories.webhook_updates import WebhookUpdateRepository
from db.types import utcnow

log = logging.getLogger(__name__)

KEEP = timedelta(hours=25)


class SeenUpdates:
    def __init__(self, database: Database, bot_id: int, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.bot_id = bot_id
        self.clock = clock

    async def claim(self, update_id: int) -> bool:
        """True if this call took the update (process it); False if it was taken before (drop it). One statement,
        with no transaction around it on PostgreSQL (Database.single_write): the database every replica shares is
        asked once before every update."""
        async with self.database.single_write() as session:
            return await WebhookUpdateRepository(session).claim(self.bot_id, update_id, now=self.clock())

    async def forget_expired(self) -> int:
        """Delete the ids Telegram can no longer send; how many. Safe in every replica at once."""
        async with self.database.writer() as session:
            return await WebhookUpdateRepository(session).forget_before(self.clock() - KEEP)
