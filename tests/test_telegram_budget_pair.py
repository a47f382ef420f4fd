"""The Telegram budget's one-statement reservation (connectors/shared_budget.py `reserve_pair`, used by
bot/telegram_budget.py for every message that names a chat): the chat's turn and the overall one in one round trip
while the chat is within its burst; a chat past its burst gets its own turn only, and the overall row is left as it
was until that message's wait is over (a message waiting for its chat holds no overall slot).

Limits as bot/telegram_budget.py's TelegramLimits: a private chat one a second after a burst of 3, overall 25 a
second after a burst of 4. Waits are read back against the database's clock, so they are compared with a margin
for the statement's own duration."""

from __future__ import annotations

from bot.telegram_budget import ALL_CHATS, TELEGRAM_LIMITS
from connectors.shared_budget import BudgetTable
from db.engine import Database
from db.migrate import upgrade_to_head
from tests.postgres import fresh_database

CHAT = "6100"
SLACK = 0.2  # seconds: the statements' own time on a busy machine


async def test_the_overall_turn_is_reserved_with_the_chats_only_while_the_chat_may_send() -> None:
    chat, overall = TELEGRAM_LIMITS.private_chat, TELEGRAM_LIMITS.overall
    async with fresh_database() as url:
        database = Database(url)
        try:
            await upgrade_to_head(database)
        finally:
            await database.dispose()
        table = BudgetTable(url, keep=ALL_CHATS)
        try:
            # The chat's burst of three: each message's chat turn is now, and its overall turn is reserved with it,
            # 1/25 s after the previous one's.
            within = [await table.reserve_pair(CHAT, chat, ALL_CHATS, overall) for _ in range(3)]
            for chat_wait, overall_wait in within:
                assert chat_wait <= 0
                assert overall_wait is not None
            overall_waits = [wait for _chat_wait, wait in within if wait is not None]
            assert overall_waits[0] <= 0
            assert overall_waits[2] <= 2 * overall.interval + SLACK

            # The fourth: its chat turn is about a second away, and no overall turn is taken for it.
            chat_wait, overall_wait = await table.reserve_pair(CHAT, chat, ALL_CHATS, overall)
            assert overall_wait is None
            assert 1.0 - SLACK < chat_wait <= 1.0
            # The overall row is where the three left it: another chat's message takes the turn right after the
            # third's (its wait at most one interval past the third's, less the time since), not one after a slot
            # the waiting message would have held (two intervals past).
            other_chat_wait, other_overall_wait = await table.reserve_pair("6101", chat, ALL_CHATS, overall)
            assert other_chat_wait <= 0
            assert other_overall_wait is not None
            assert other_overall_wait <= overall_waits[2] + overall.interval
        finally:
            await table.close()
