"""Rate budgets shared by every process of a PostgreSQL deployment: one GCRA row per budget in `telegram_budget`.

A limit that an outside service counts for the whole deployment (Telegram's per bot, an exchange's per IP) cannot
be kept by a limiter in each process: N processes would spend N times the budget. PostgreSQL is the one service
every process shares, so each budget is one row holding when its next unit may go (GCRA's theoretical arrival
time, in seconds of the database's clock). Reserving `units` moves the row on by `units` intervals in a single
upsert and says how long to wait for the turn; nothing is held between statements, so a process that dies leaves
nothing to clean up.

The table is migration 0015's `telegram_budget` (the Telegram budget came first: bot/telegram_budget.py); exchange
budgets are rows of their own there (keys `x:<exchange>`, see connectors/exchange_budget.py). Rows of a budget
not used for a minute are swept: an absent row is the same as one whose turn has passed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# Rows outlive their last reservation by this much, then the next sweep deletes them (a chat id is a user's id).
IDLE_ROW_SECONDS = 60.0
# What a database that does not answer raises: the caller then goes on paced by whatever it has in-process.
UNREACHABLE = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

_RESERVE = """
INSERT INTO telegram_budget AS b (key, next_at)
VALUES ($1, extract(epoch FROM clock_timestamp())::float8 + $2::float8)
ON CONFLICT (key) DO UPDATE SET next_at = greatest(b.next_at, extract(epoch FROM clock_timestamp())::float8) + $2
RETURNING next_at, extract(epoch FROM clock_timestamp())::float8 AS now
"""
# The same reservation, made only when its turn comes within $3 seconds (a caller that would not wait that long
# leaves the row as it was: nothing reserved is wasted). No row back: the turn is further away than that.
_RESERVE_WITHIN = """
INSERT INTO telegram_budget AS b (key, next_at)
VALUES ($1, extract(epoch FROM clock_timestamp())::float8 + $2::float8)
ON CONFLICT (key) DO UPDATE SET next_at = greatest(b.next_at, extract(epoch FROM clock_timestamp())::float8) + $2
WHERE b.next_at - extract(epoch FROM clock_timestamp())::float8 <= $3::float8
RETURNING next_at, extract(epoch FROM clock_timestamp())::float8 AS now
"""
# Two limits in one statement: the first's turn reserved always, the second's only when the first's turn is now
# ($3: the first's burst tolerance). A message that must wait for its chat does not hold an overall slot meanwhile.
_RESERVE_PAIR = """
WITH turn1 AS (
    INSERT INTO telegram_budget AS b (key, next_at)
    VALUES ($1, extract(epoch FROM clock_timestamp())::float8 + $2::float8)
    ON CONFLICT (key) DO UPDATE SET next_at = greatest(b.next_at, extract(epoch FROM clock_timestamp())::float8) + $2
    RETURNING next_at, extract(epoch FROM clock_timestamp())::float8 AS now
), turn2 AS (
    INSERT INTO telegram_budget AS b (key, next_at)
    SELECT $4, extract(epoch FROM clock_timestamp())::float8 + $5::float8 FROM turn1
    WHERE turn1.next_at - $2::float8 - $3::float8 - turn1.now <= 0
    ON CONFLICT (key) DO UPDATE SET next_at = greatest(b.next_at, extract(epoch FROM clock_timestamp())::float8) + $5
    RETURNING next_at, extract(epoch FROM clock_timestamp())::float8 AS now
)
SELECT turn1.next_at AS first_next, turn1.now AS first_now, turn2.next_at AS second_next, turn2.now AS second_now
FROM turn1 LEFT JOIN turn2 ON true
"""
_TURN = """
SELECT next_at, extract(epoch FROM clock_timestamp())::float8 AS now FROM telegram_budget WHERE key = $1
"""
_PAUSE = """
INSERT INTO telegram_budget AS b (key, next_at)
VALUES ($1, extract(epoch FROM clock_timestamp())::float8 + $2::float8)
ON CONFLICT (key) DO UPDATE SET next_at = greatest(b.next_at, extract(epoch FROM clock_timestamp())::float8 + $2)
"""
_SWEEP = """
DELETE FROM telegram_budget WHERE key <> $1 AND next_at < extract(epoch FROM clock_timestamp())::float8 - $2::float8
"""


@dataclass(frozen=True)
class Limit:
    """A GCRA limit: one unit every `interval` seconds, `burst` of them at once after a quiet spell."""

    interval: float
    burst: int = 1

    @property
    def tolerance(self) -> float:
        return self.interval * (self.burst - 1)


def plain_dsn(database_url: str) -> str:
    """asyncpg's DSN from the SQLAlchemy URL (any PostgreSQL driver named in it)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_postgresql(database_url: str | None) -> bool:
    return database_url is not None and database_url.startswith(("postgresql://", "postgresql+"))


class BudgetTable:
    """The budget rows of one deployment, through a small pool of this process (opened at first use)."""

    def __init__(self, database_url: str, *, keep: str = "") -> None:
        # Parsed at first use, not here: the rate limiter is built before the start-up checks, which say in one
        # line what is wrong with a malformed DATABASE_URL.
        self._database_url = database_url
        self._keep = keep  # a row the sweep never deletes (Telegram's overall row carries its 429 pauses)
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()  # the first messages arrive together: one pool, not one each
        self._swept_at = 0.0

    async def reserve(self, key: str, limit: Limit, units: float = 1.0) -> float:
        """Reserve `units` turns of the limit in a row; seconds until the first may go (≤ 0: at once).

        Raises one of UNREACHABLE when the database does not answer."""
        pool = await self.ready()
        async with pool.acquire() as connection:
            row = await connection.fetchrow(_RESERVE, key, limit.interval * units)
            if row is None:
                return 0.0
            wait: float = row["next_at"] - limit.interval * units - limit.tolerance - row["now"]
            await self._sweep(connection)
        return wait

    async def reserve_pair(
        self, first: str, first_limit: Limit, then: str, then_limit: Limit
    ) -> tuple[float, float | None]:
        """Reserve one turn of `first` and, when that turn is now, one of `then`, in one round trip: (seconds until
        the first's turn, seconds until the second's or None when it was not reserved: reserve it after the wait).

        Raises one of UNREACHABLE when the database does not answer."""
        pool = await self.ready()
        async with pool.acquire() as connection:
            row = await connection.fetchrow(
                _RESERVE_PAIR, first, first_limit.interval, first_limit.tolerance, then, then_limit.interval
            )
            await self._sweep(connection)
        first_wait: float = row["first_next"] - first_limit.interval - first_limit.tolerance - row["first_now"]
        if row["second_next"] is None:
            return first_wait, None
        then_wait: float = row["second_next"] - then_limit.interval - then_limit.tolerance - row["second_now"]
        return first_wait, then_wait

    async def reserve_within(self, key: str, limit: Limit, units: float, max_wait: float) -> tuple[float, bool]:
        """Like `reserve`, but only if the first unit's turn comes within `max_wait` seconds: (the wait, reserved).
        Not reserved: the row is left as it was and the wait says how far away the turn is.

        Raises one of UNREACHABLE when the database does not answer."""
        pool = await self.ready()
        async with pool.acquire() as connection:
            row = await connection.fetchrow(_RESERVE_WITHIN, key, limit.interval * units, max_wait + limit.tolerance)
            if row is not None:
                await self._sweep(connection)
                return row["next_at"] - limit.interval * units - limit.tolerance - row["now"], True
            turn = await connection.fetchrow(_TURN, key)
        if turn is None:  # swept between the two statements: the turn is now
            return 0.0, False
        return max(turn["next_at"] - limit.tolerance - turn["now"], 0.0), False

    async def pause(self, key: str, seconds: float) -> None:
        """No turn of `key` before `seconds` from now (a 429's retry_after, for every process)."""
        pool = await self.ready()
        async with pool.acquire() as connection:
            await connection.execute(_PAUSE, key, seconds)

    async def _sweep(self, connection: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now - self._swept_at < IDLE_ROW_SECONDS:
            return
        self._swept_at = now
        await connection.execute(_SWEEP, self._keep, IDLE_ROW_SECONDS)

    async def ready(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        async with self._opening:
            return await self._open()

    async def _open(self) -> asyncpg.Pool:
        if self._pool is None:
            # Two connections: a reservation is one short statement, and the second keeps a sweep from queueing one.
            # No reset on release: asyncpg's default (advisory unlocks, CLOSE ALL, UNLISTEN, RESET ALL) is one more
            # round trip per reservation, and these connections hold no session state: single statements, no
            # transactions, locks, cursors, listeners or settings (asyncpg still rolls back an open transaction).
            self._pool = await asyncpg.create_pool(
                plain_dsn(self._database_url), min_size=1, max_size=2, reset=_nothing_to_reset
            )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _nothing_to_reset(_connection: asyncpg.Connection) -> None:
    """The pool's reset: see `_open`."""
