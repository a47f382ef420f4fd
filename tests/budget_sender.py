"""One process sending as the bot, for tests/test_telegram_budget.py: `python -m tests.budget_sender LIMITER START
FIRST COUNT CHATS...` sends COUNT messages round robin over the chats, all at once from the epoch second START (so
processes started one after another on a busy machine still send together), through PTB's ExtBot with the shared
budget (`shared`, on DATABASE_URL) or PTB's in-process AIORateLimiter (`local`), and prints how many got through."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter, ExtBot

from bot.telegram_budget import SharedTelegramBudget


async def send_all(limiter: BaseRateLimiter[int], start: float, first: int, count: int, chats: list[int]) -> int:
    bot = ExtBot(os.environ["TELEGRAM_BOT_TOKEN"], base_url=os.environ["TELEGRAM_API_BASE_URL"], rate_limiter=limiter)
    async with bot:
        await asyncio.sleep(max(0.0, start - time.time()))

        async def one(n: int) -> bool:
            try:
                await bot.send_message(chats[n % len(chats)], f"message {first + n}")
            except RetryAfter:
                return False
            return True

        sent = await asyncio.gather(*(one(n) for n in range(count)))
    return sum(sent)


def main() -> None:
    kind, start, first, count, *chats = sys.argv[1:]
    limiter: BaseRateLimiter[int] = (
        SharedTelegramBudget(os.environ["DATABASE_URL"]) if kind == "shared" else AIORateLimiter(max_retries=0)
    )
    print(asyncio.run(send_all(limiter, float(start), int(first), int(count), [int(chat) for chat in chats])))


if __name__ == "__main__":
    main()
