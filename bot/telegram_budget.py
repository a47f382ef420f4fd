"""Telegram's sending limits, shared by every process that sends as the bot.

Telegram's Bots FAQ ("My bot is hitting limits, how do I avoid this?", core.telegram.org/bots/faq): in one chat
"avoid sending more than one message per second", short bursts allowed "but eventually you'll begin receiving 429
errors"; to many users "not more than 30 messages per second or so"; in a group "not more than 20 messages per
minute". Those are one bot's limits, whatever sends: with webhook replicas and sync workers, a limiter in each
process (PTB's AIORateLimiter) would let N processes send N times the budget.

So on PostgreSQL — the one service every process of such a deployment shares — each request that names a chat first
reserves its turn in the `telegram_budget` table (GCRA: one row per limit holds when its next message may go, moved on
by one interval per message in a single upsert, on the database's clock), then waits for it. The chat's own limit is
reserved first and the bot's overall one last, right before the request leaves, so a message waiting for its chat
does not sit on a slot of the overall budget. Requests without a chat (answerCallbackQuery, getUpdates) are not
paced, as in PTB's AIORateLimiter. A 429 that gets through anyway (another bot's traffic, Telegram being stricter)
moves the overall row past its `retry_after`: every process pauses, not only the one that was told.

The embedded deployment (SQLite, one process) keeps PTB's AIORateLimiter: `rate_limiter_for` decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.settings import Settings

log = logging.getLogger(__name__)

# The overall limit's row; a chat's row is its id (a number, or a channel's @username).
ALL_CHATS = "*"
# Chat rows outlive their last message by this much, then the next sweep deletes them (a chat id is a user's id).
CHAT_ROW_SECONDS = 60.0
MAX_RETRIES = 3


@dataclass(frozen=True)
class Limit:
    """A GCRA limit: one message every `interval` seconds, `burst` of them at once after a quiet spell."""

    interval: float
    burst: int = 1

    @property
    def tolerance(self) -> float:
        return self.interval * (self.burst - 1)


@dataclass(frozen=True)
class TelegramLimits:
    # 25 a second, not 30: the FAQ says "or so", and requests reserved in order may reach Telegram a little bunched.
    overall: Limit = Limit(1 / 25)
    # One a second with a short burst: a reply and a menu, or a progress edit beside an answer, go at once.
    private_chat: Limit = Limit(1.0, burst=3)
    # 20 a minute, evenly: a group's bursts are not documented as allowed.
    group: Limit = Limit(60 / 20)


TELEGRAM_LIMITS = TelegramLimits()

_RESERVE = """
INSERT INTO telegram_budget AS b (key, next_at)
VALUES ($1, extract(epoch FROM clock_timestamp())::float8 + $2::float8)
ON CONFLICT (key) DO UPDATE SET next_at = greatest(b.next_at, extract(epoch FROM clock_timestamp())::float8) + $2
RETURNING next_at, extract(epoch FROM clock_timestamp())::float8 AS now
"""
_PAUSE = """
INSERT INTO telegram_budget AS b (key, next_at)
VALUES ($1, extract(epoch FROM clock_timestamp())::float8 + $2::float8)
ON CONFLICT (key) DO UPDATE SET next_at = greatest(b.next_at, extract(epoch FROM clock_timestamp())::float8 + $2)
"""
_SWEEP = """
DELETE FROM telegram_budget WHERE key <> $1 AND next_at < extract(epoch FROM clock_timestamp())::float8 - $2::float8
"""

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


def chat_key(chat_id: object) -> tuple[str, bool] | None:
    """The budget row of the request's chat and whether it is a group (negative id or @username, as PTB reads it)."""
    if chat_id is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        chat_id = int(chat_id)  # type: ignore[call-overload]
    group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
    return str(chat_id)[:40], group


def plain_dsn(database_url: str) -> str:
    """asyncpg's DSN from the SQLAlchemy URL (any PostgreSQL driver named in it)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class SharedTelegramBudget(BaseRateLimiter[int]):
    """PTB's rate-limiter interface over the `telegram_budget` table (see the module's docstring)."""

    def __init__(
        self, database_url: str, *, limits: TelegramLimits = TELEGRAM_LIMITS, max_retries: int = MAX_RETRIES
    ) -> None:
        self._dsn = plain_dsn(database_url)
        self._limits = limits
        self._max_retries = max_retries
        self._pool: asyncpg.Pool | None = None
        self._swept_at = 0.0

    async def initialize(self) -> None:
        await self._ready()

    async def shutdown(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

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
                await self._take(key, self._limits.group if group else self._limits.private_chat)
                await self._take(ALL_CHATS, self._limits.overall)
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

    async def _take(self, key: str, limit: Limit) -> None:
        """Reserve the limit's next turn and sleep until it (no sleep while a burst is left)."""
        try:
            pool = await self._ready()
            async with pool.acquire() as connection:
                row = await connection.fetchrow(_RESERVE, key, limit.interval)
                if row is None:
                    return
                wait = row["next_at"] - limit.interval - limit.tolerance - row["now"]
                await self._sweep(connection)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as problem:
            # The database is the bot's own: when it does not answer, a message still goes (Telegram's 429 is
            # waited out above) rather than failing the user's request.
            log.warning("Telegram budget not reachable (%s): sending unpaced", type(problem).__name__)
            return
        if wait > 0:
            await asyncio.sleep(wait)

    async def _pause(self, seconds: float) -> None:
        try:
            pool = await self._ready()
            async with pool.acquire() as connection:
                await connection.execute(_PAUSE, ALL_CHATS, seconds)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await asyncio.sleep(seconds)

    async def _sweep(self, connection: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now - self._swept_at < CHAT_ROW_SECONDS:
            return
        self._swept_at = now
        await connection.execute(_SWEEP, ALL_CHATS, CHAT_ROW_SECONDS)

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            # Two connections: a reservation is one short statement, and the second keeps a sweep from queueing sends.
            self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=2)
        return self._pool


def rate_limiter_for(settings: Settings) -> BaseRateLimiter[int]:
    """The shared budget on PostgreSQL (replicas and workers may send at once); PTB's in-process limiter otherwise."""
    url = settings.database_url
    if url is not None and url.startswith(("postgresql://", "postgresql+")):
        return SharedTelegramBudget(url)
    # Wait out Telegram's flood-wait answers (429 retry_after) instead of failing the update.
    return AIORateLimiter(max_retries=MAX_RETRIES)
