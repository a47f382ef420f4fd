"""Progress messages a killed process left open are closed by the next instance in their reader's language
(bot/open_messages.py): the catalogue's `closing.*.interrupted` texts, worded in the stored language of the user
whose private chat holds the message."""

from __future__ import annotations

from typing import cast

from telegram import Bot

from bot.open_messages import SYNC, UPLOAD, OpenMessages
from bot.users import UserService
from db.engine import Database
from i18n import t

BOT_ID = 4242
HANAKO, ADA = 5001, 5002  # private chats: the chat id is the user's Telegram id


class EditingBot:
    """The one Bot API call closing makes, recorded."""

    def __init__(self) -> None:
        self.edits: list[tuple[int, int, str]] = []

    async def edit_message_text(self, text: str, chat_id: int, message_id: int) -> None:
        self.edits.append((chat_id, message_id, text))


async def test_a_message_left_open_is_closed_in_its_readers_language(database: Database) -> None:
    users = UserService(database)
    await users.remember_language(HANAKO, "ja-JP")
    await users.register(ADA)  # no language stored: English
    crashed = OpenMessages(database, BOT_ID, holder="host-a:crashed-process")
    await crashed.opened(HANAKO, 11, SYNC)
    await crashed.opened(ADA, 12, UPLOAD)

    bot = EditingBot()
    closed = await OpenMessages(database, BOT_ID, holder="host-a:next-process").close_left_open(cast(Bot, bot))

    assert closed == 2
    assert sorted(bot.edits) == [
        (HANAKO, 11, t("closing.sync.interrupted", locale="ja")),
        (ADA, 12, t("closing.upload.interrupted", locale="en")),
    ]
    japanese = t("closing.sync.interrupted", locale="ja")
    assert japanese != t("closing.sync.interrupted", locale="en") and "/sync" in japanese
    # Closed once: the rows are gone.
    assert await OpenMessages(database, BOT_ID, holder="host-a:third").close_left_open(cast(Bot, bot)) == 0
    assert len(bot.edits) == 2
