"""The progress messages this bot instance keeps up to date, recorded in the database while they are open.

A process killed with SIGKILL (or lost with its machine) cannot close its messages: they would show "🔄 Syncing…"
for ever (issue 12, finding 11). The rows it leaves name them, and the next instance of the same bot closes them at
start-up, once its instance lease proves the previous holder dead.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from db.engine import Database
from db.repositories.instances import InstanceRepository
from db.types import utcnow

log = logging.getLogger(__name__)

SYNC = "sync"
UPLOAD = "upload"

LEFT_OPEN = {
    SYNC: "⚠️ This sync was interrupted: the bot stopped before it finished. Everything fetched so far is kept; "
    "run /sync to continue.",
    UPLOAD: "⚠️ This upload was interrupted: the bot stopped before it finished. Send the file again; only what is "
    "missing is added.",
}


class OpenMessages:
    def __init__(self, database: Database, bot_id: int, holder: str) -> None:
        self.database = database
        self.bot_id = bot_id
        self.holder = holder

    async def opened(self, chat_id: int, message_id: int, kind: str) -> None:
        async with self.database.writer() as session:
            await InstanceRepository(session).open_progress(
                self.bot_id, chat_id, message_id, holder=self.holder, kind=kind, now=utcnow()
            )

    async def closed(self, chat_id: int, message_id: int) -> None:
        async with self.database.writer() as session:
            await InstanceRepository(session).close_progress(self.bot_id, chat_id, message_id)

    async def close_left_open(self, bot: Bot) -> int:
        """Close the messages earlier (dead) instances of this bot left open; how many. Call only while holding
        this bot's instance lease. A holder that still has a lease is a live webhook replica beside this one
        (bot/instance.py): its messages are its own to close."""
        async with self.database.reader() as session:
            repo = InstanceRepository(session)
            left = await repo.progress_left_open(self.bot_id, except_holder=self.holder)
            live = {lease.holder for lease in await repo.all()}
            rows = [(row.chat_id, row.message_id, row.kind) for row in left if row.holder not in live]
        for chat_id, message_id, kind in rows:
            try:
                await bot.edit_message_text(LEFT_OPEN.get(kind, LEFT_OPEN[SYNC]), chat_id, message_id)
            except TelegramError as problem:  # deleted by the user, chat blocked: nothing left to close
                log.info("could not close a progress message left open: %s", type(problem).__name__)
            await self.closed(chat_id, message_id)
        return len(rows)
