"""The progress messages this bot instance keeps up to date, recorded in the database while they are open.

A process killed with SIGKILL (or lost with its machine) cannot close its messages: they would show "🔄 Syncing…"
for ever (issue 12, finding 11). The rows it leaves name them, and the next instance of the same bot closes them at
start-up, once its instance lease proves the previous holder dead.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.users import UserService
from db.engine import Database
from db.repositories.instances import InstanceRepository
from db.types import utcnow
from i18n import msgid, t

log = logging.getLogger(__name__)


class ProgressKind(StrEnum):
    """The work a progress message follows: a code stored with the open message (`open_progress_messages.kind`)."""

    SYNC = "sync"
    UPLOAD = "upload"


# The kinds under the short names the handlers that open such messages import.
SYNC = ProgressKind.SYNC
UPLOAD = ProgressKind.UPLOAD

# What a message left open says once the next instance closes it, by kind (catalogue ids).
LEFT_OPEN: dict[str, str] = {SYNC: msgid("closing.sync.interrupted"), UPLOAD: msgid("closing.upload.interrupted")}


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
        users = UserService(self.database)
        for chat_id, message_id, kind in rows:
            # Progress messages are sent in a private chat, whose id is its user's Telegram id: the user's
            # stored language (English for a chat that is not a known user's).
            await self._say_interrupted(bot, chat_id, message_id, kind, await users.locale(chat_id))
            await self.closed(chat_id, message_id)
        return len(rows)

    async def interrupt(self, bot: Bot, chat_id: int, message_id: int, kind: str, locale: str) -> None:
        """Close a message this instance opened for work that will not run (cancelled at shutdown before it
        started) as the next instance closes those left open. Telegram unreachable: recorded open, so the next
        instance does."""
        if not await self._say_interrupted(bot, chat_id, message_id, kind, locale):
            await self.opened(chat_id, message_id, kind)

    @staticmethod
    async def _say_interrupted(bot: Bot, chat_id: int, message_id: int, kind: str, locale: str) -> bool:
        """Whether the message is closed (or gone: deleted by the user, the chat blocked)."""
        text = t(LEFT_OPEN.get(kind, LEFT_OPEN[SYNC]), locale=locale)
        try:
            await bot.edit_message_text(text, chat_id, message_id)
        except (BadRequest, Forbidden) as problem:  # deleted by the user, chat blocked: nothing left to close
            log.info("could not close a progress message left open: %s", type(problem).__name__)
        except TelegramError as problem:
            log.info("could not close a progress message left open: %s", type(problem).__name__)
            return False
        return True
