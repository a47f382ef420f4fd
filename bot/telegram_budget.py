"""Telegram's sending limits, shared by every process that sends as the bot.

Telegram's Bots FAQ ("My bot is hitting limits, how do I avoid this?", core.telegram.org/bots/faq): in one chat
"avoid sending more than one message per second", short bursts allowed "but eventually you'll begin receiving 429
errors"; to many users "not more than 30 messages per second or so"; in a group "not more than 20 messages per
minute". Those are one bot's limits, whatever sends: with webhook replicas and sync workers, a limiter in each
process (PTB's AIORateLimiter) would let N processes send N times the budget.

So on PostgreSQL — the one service every process of such a deployment shares — each request that names a chat first
reserves its turn in the `telegram_budget` table (GCRA: one row per limit holds when its next message may go, moved on
by one interval per message in a single upsert, on the database's clock: connectors/shared_budget.py, which the
exchanges' per-IP budgets share), then waits for it. The chat's own limit is reserved first and the bot's overall one
last, right before the request leaves, so a message waiting for its chat does not sit on a slot of the overall
budget. Both are one statement when the chat's turn is now (a reply within its chat's burst: one round trip per
message, on the database every reply shares); a message that must wait for its chat reserves the overall turn
after that wait, in a second. Requests without a chat (answerCallbackQuery, getUpdates) are not
paced, as in PTB's AIORateLimiter. A 429 that gets through anyway (another bot's traffic, Telegram being stricter)
moves the overall row past its `retry_after`: every process pauses, not only the one that was told.

The embedded deployment (SQLite, one process) keeps PTB's AIORateLimiter: `rate_limiter_for` decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.settings import Settings
from connectors.shared_budget import UNREACHABLE, BudgetTable, Limit, is_postgresql

log = logging.getLogger(__name__)

# The overall limit's row; a chat's row is its id (a number, or a channel's @username).
ALL_CHATS = "*"
MAX_RETRIES = 3

__all__ = ["ALL_CHATS", "Limit", "SharedTelegramBudget", "TelegramLimits", "chat_key", "rate_limiter_for"]


@dataclass(frozen=True)
class TelegramLimits:
    # 25 a second, not 30: the FAQ says "or so", and requests reserved in order may reach Telegram a little bunched.
    # A burst of 4 after a quiet spell: no second holds more than 25 + 3 = 28, within the FAQ's 30, and a reply that
    # meets a worker's progress edit is not held one whole interval (40 ms) behind it (docs/BENCHMARKS.md §3).
    overall: Limit = Limit(1 / 25, burst=4)  # noqa: RUF009  (Limit is frozen: one shared default is safe)
    # One a second with a short burst: a reply and a menu, or a progress edit beside an answer, go at once.
    private_chat: Limit = Limit(1.0, burst=3)  # noqa: RUF009
    # 20 a minute, evenly: a group's bursts are not documented as allowed.
    group: Limit = Limit(60 / 20)  # noqa: RUF009


TELEGRAM_LIMITS = TelegramLimits()

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


def chat_key(chat_id: object) -> tuple[str, bool] | None:
    """The budget row of the request's chat and whether it is a group (negative id or @username, as PTB reads it)."""
    if chat_id is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        chat_id = int(chat_id)  # type: ignore[call-overload]
    group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
    return str(chat_id)[:40], group


class SharedTelegramBudget(BaseRateLimiter[int]):
    """PTB's rate-limiter interface over the `telegram_budget` table (see the module's docstring)."""

    def __init__(
        self, database_url: str, *, limits: TelegramLimits = TELEGRAM_LIMITS, max_retries: int = MAX_RETRIES
    ) -> None:
        self._table = BudgetTable(database_url, keep=ALL_CHATS)
        self._limits = limits
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to open yet: the table's pool opens at the first message. PTB initializes the rate limiter before
        the start-up checks run, so a connection here would turn an unreachable database into a traceback instead of
        their one line (and a message that finds the database gone is sent unpaced, see `_take`)."""

    async def shutdown(self) -> None:
        await self._table.close()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,  # the chat decides, as in PTB's AIORateLimiter
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = rate_limit_args or self._max_retries
        chat = chat_key(data.get("chat_id"))
        for attempt in range(retries + 1):
            if chat is not None:
                key, group = chat
                await self._take_turns(key, self._limits.group if group else self._limits.private_chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as flood:
                if attempt == retries:
                    raise
                pause = flood.retry_after
                seconds = pause.total_seconds() if hasattr(pause, "total_seconds") else float(pause)
                log.info("Telegram asked to wait %.1f s: every process pauses", seconds)
                await self._pause(seconds)
                if chat is None:  # nothing reserves for it, so it waits here
                    await asyncio.sleep(seconds)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _take_turns(self, key: str, limit: Limit) -> None:
        """The chat's turn, then the overall one. A reply's chat is usually within its burst: both are reserved in one
        statement (one round trip). A chat that must wait first gets its overall turn only after that wait."""
        try:
            chat_wait, overall_wait = await self._table.reserve_pair(key, limit, ALL_CHATS, self._limits.overall)
        except UNREACHABLE as problem:
            log.warning("Telegram budget not reachable (%s): sending unpaced", type(problem).__name__)
            return
        if overall_wait is None:
            await asyncio.sleep(chat_wait)
            await self._take(ALL_CHATS, self._limits.overall)
        elif overall_wait > 0:
            await asyncio.sleep(overall_wait)

    async def _take(self, key: str, limit: Limit) -> None:
        """Reserve the limit's next turn and sleep until it (no sleep while a burst is left)."""
        try:
            wait = await self._table.reserve(key, limit)
        except UNREACHABLE as problem:
            # The database is the bot's own: when it does not answer, a message still goes (Telegram's 429 is
            # waited out above) rather than failing the user's request.
            log.warning("Telegram budget not reachable (%s): sending unpaced", type(problem).__name__)
            return
        if wait > 0:
            await asyncio.sleep(wait)

    async def _pause(self, seconds: float) -> None:
        try:
            await self._table.pause(ALL_CHATS, seconds)
        except UNREACHABLE:
            await asyncio.sleep(seconds)


def rate_limiter_for(settings: Settings) -> BaseRateLimiter[int]:
    """The shared budget on PostgreSQL (replicas and workers may send at once); PTB's in-process limiter otherwise."""
    url = settings.database_url
    if url is not None and is_postgresql(url):
        return SharedTelegramBudget(url)
    # Wait out Telegram's flood-wait answers (429 retry_after) instead of failing the update.
    return AIORateLimiter(max_retries=MAX_RETRIES)
