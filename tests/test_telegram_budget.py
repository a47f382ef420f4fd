"""Telegram's limits: the Bot API emulator refuses what the Bots FAQ says Telegram refuses, and processes sending as
one bot through the shared budget (bot/telegram_budget.py, on PostgreSQL) stay within them together, where the same
processes with PTB's per-process limiter do not.

Numbers from core.telegram.org/bots/faq ("My bot is hitting limits"): 30 messages a second overall, 20 a minute in
a group, about one a second in a private chat with short bursts (the emulator's burst: 5, sandbox/botapi/flood.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import aiohttp
from telegram.ext import ExtBot

from bot.telegram_budget import SharedTelegramBudget
from db.engine import Database
from db.migrate import upgrade_to_head
from sandbox.botapi import BotApiEmulator
from tests.postgres import fresh_database

REPO = Path(__file__).resolve().parent.parent


async def send(session: aiohttp.ClientSession, emulator: BotApiEmulator, chat_id: int) -> tuple[int, dict[str, object]]:
    async with session.post(
        f"{emulator.base_url}{emulator.token}/sendMessage", json={"chat_id": chat_id, "text": "x"}
    ) as answer:
        body: dict[str, object] = await answer.json()
        return answer.status, body


async def test_the_emulator_answers_429_over_each_documented_limit() -> None:
    async with BotApiEmulator() as emulator, aiohttp.ClientSession() as session:
        users = [emulator.add_user(7000 + n, f"U{n}", started=True) for n in range(40)]
        group = emulator.add_group(-100_700, "Traders", members=users[:1])
        emulator.enforce_flood_limits()

        # A private chat: a burst of 5, the sixth within the second refused.
        in_one_chat = [await send(session, emulator, users[0].chat_id) for _ in range(6)]
        assert [status for status, _body in in_one_chat] == [200] * 5 + [429]
        assert in_one_chat[5][1] == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        await asyncio.sleep(1.1)  # the second is over: the overall count starts again

        # 35 chats at once: 30 accepted within the second, the rest refused.
        overall = await asyncio.gather(*(send(session, emulator, user.chat_id) for user in users[5:40]))
        assert sorted(status for status, _body in overall) == [200] * 30 + [429] * 5
        await asyncio.sleep(1.1)

        # A group: 20 a minute, the 21st told to wait most of the minute.
        in_group = [await send(session, emulator, group.chat_id) for _ in range(21)]
        assert [status for status, _body in in_group] == [200] * 20 + [429]
        parameters = in_group[20][1]["parameters"]
        assert isinstance(parameters, dict) and 55 <= parameters["retry_after"] <= 60

        # Methods that are not messages are never counted or refused.
        async with session.post(f"{emulator.base_url}{emulator.token}/getMe") as answer:
            assert answer.status == 200
        assert len(emulator.flood.refusals) == 1 + 5 + 1


async def senders(
    emulator: BotApiEmulator, database_url: str, kind: str, chats: list[str], processes: int, each: int
) -> list[int]:
    """`processes` processes sending `each` messages at once over the chats; how many each got through."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
    }
    start = time.time() + 8  # every process started and connected by then, even on a busy machine
    started = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.budget_sender",
            kind,
            str(start),
            str(n * each),
            str(each),
            *chats,
            cwd=REPO,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(processes)
    ]
    outputs = [await asyncio.wait_for(process.communicate(), 90) for process in started]
    return [int(out.decode().strip().splitlines()[-1]) for out, _err in outputs]


async def test_four_processes_sending_at_once_stay_within_one_bots_budget() -> None:
    async with fresh_database() as url, BotApiEmulator() as emulator:
        database = Database(url)
        try:
            await upgrade_to_head(database)
        finally:
            await database.dispose()
        chats = [str(emulator.add_user(7100 + n, f"U{n}", started=True).chat_id) for n in range(30)]
        emulator.enforce_flood_limits()

        # Per-process limiters: each keeps 30 a second, four together send far more and are refused.
        delivered = await senders(emulator, url, "local", chats, processes=4, each=30)
        assert emulator.flood.refusals, "four processes with their own limiters went unrefused: the check is blind"
        assert sum(delivered) < 120

        await asyncio.sleep(2)  # the emulator's windows and buckets empty
        emulator.flood.refusals.clear()
        emulator.flood.accepted.clear()
        started = time.monotonic()
        delivered = await senders(emulator, url, "shared", chats, processes=4, each=30)
        elapsed = time.monotonic() - started

    assert delivered == [30, 30, 30, 30]
    assert emulator.flood.refusals == [], "a process sent over the shared budget"
    assert emulator.flood.most_in_one_second() <= 30
    times = sorted(at for at, _chat in emulator.flood.accepted)
    # 120 messages at the budget's 25 a second after its burst of 4 take at least 116 / 25 = 4.64 s, first to last.
    assert times[-1] - times[0] >= 4.5, times[-1] - times[0]
    assert elapsed < 60


async def test_a_flood_wait_pauses_every_process_sharing_the_budget() -> None:
    """A 429 told to one process moves the overall row past its retry_after: the other's next message waits too."""
    async with fresh_database() as url, BotApiEmulator() as emulator:
        database = Database(url)
        try:
            await upgrade_to_head(database)
        finally:
            await database.dispose()
        ada, bob = emulator.add_user(7201, "Ada", started=True), emulator.add_user(7202, "Bob", started=True)
        first, second = SharedTelegramBudget(url), SharedTelegramBudget(url)
        bots = [ExtBot(emulator.token, base_url=emulator.base_url, rate_limiter=limiter) for limiter in (first, second)]
        async with bots[0], bots[1]:
            emulator.fail("sendMessage", error_code=429, retry_after=2)
            told = asyncio.create_task(bots[0].send_message(ada.chat_id, "to Ada"))
            await emulator.wait_until(lambda: len(emulator.calls_to("sendMessage")) == 1)
            await asyncio.sleep(0.3)
            started = time.monotonic()
            await bots[1].send_message(bob.chat_id, "to Bob")
            waited = time.monotonic() - started
            await told
    assert waited >= 1.5, waited
    assert [m.text for m in emulator.bot_messages(ada)] == ["to Ada"]
