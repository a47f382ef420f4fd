"""One process sending as the bot, for tests/test_telegram_budget.py: `python -m tests.budget_sender LIMITER FIRST
COUNT CHATS...` sends COUNT messages round robin over the chats, all at once, through PTB's ExtBot with the shared
budget (`shared`, on DATABASE_URL) or PTB's in-process AIORateLimiter (`local`), and prints how many got through."""

from __future__ import annotations

import asyncio
import os
import sys

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot

from bot.telegram_budget import SharedTelegramBudget


async def send_all(limiter: BaseRateLimiter[int], first: int, count: int, chats: list[int]) -> int:
    bot = ExtBot(os.environ["TELEGRAM_BOT_TOKEN"], base_url=os.environ["TELEGRAM_API_BASE_URL"], rate_limiter=limiter)
    async with bot:

        async def one(n: int) -> bool:
            try:
                await bot.send_message(chats[n % len(chats)], f"message {first + n}")
            except RetryAfter:
                return False
            return True

        sent = await asyncio.gather(*(one(n) for n in range(count)))
    return sum(sent)


def main() -> None:
    kind, first, count, *chats = sys.argv[1:]
    limiter: BaseRateLimiter[int] = (
        SharedTelegramBudget(os.environ["DATABASE_URL"]) if kind == "shared" else AIORateLimiter(max_retries=0)
    )
    print(asyncio.run(send_all(limiter, int(first), int(count), [int(chat) for chat in chats])))


if __name__ == "__main__":
    main()
