"""Engine and session factories: SQLite tuned for a bot, PostgreSQL through the same interface."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

BUSY_TIMEOUT_MS = 5_000
_WRITE_OPTION = "tallybot_write"


def _install_sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (the recipe in
        # SQLAlchemy's aiosqlite docs), so writers can start with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with "database is locked"
        # when another writer holds the lock; IMMEDIATE takes the write lock up front and waits
        # for it under busy_timeout instead.
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# A pooled PostgreSQL connection idle longer than this is pinged before it is handed out.
PING_IDLE_AFTER = 10.0
_IDLE_SINCE = "tallybot_idle_since"


def _install_idle_ping(engine: AsyncEngine) -> None:
    """SQLAlchemy's pool_pre_ping, but only for a connection that sat idle: the asyncpg dialect's ping is three round
    trips (BEGIN, ";", ROLLBACK) before every session, a third of a short reply's database time on the database all
    processes share (docs/BENCHMARKS.md §3). A connection back in the pool within PING_IDLE_AFTER was alive then;
    if the server went away since, the statement fails, SQLAlchemy invalidates the whole pool and the next session
    gets a fresh connection (its "optimistic" disconnect handling). A connection idle longer (a restart or a
    network's idle timeout more likely) is pinged, and replaced when the ping fails, as pool_pre_ping does."""

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_IDLE_AFTER:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as problem:  # the pool discards this connection and checks out another (PoolEvents.checkout)
            raise DisconnectionError(type(problem).__name__) from problem


class Database:
    """Owns the engine. `reader()` for queries, `writer()` for a unit of work that commits on success."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_async_engine(url, echo=echo)
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine)
        else:
            _install_idle_ping(self.engine)
        write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Statements outside a transaction (`reads`, `single_write`): PostgreSQL only; SQLite keeps its transactions.
        self._autocommit_sessions = (
            None
            if self.is_sqlite
            else async_sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
        )
        self._write_sessions = async_sessionmaker(write_engine, expire_on_commit=False)
        # SQLite has one writer at a time. Without this lock, concurrent updates each open a connection and wait
        # in SQLite's busy handler, which gives up after BUSY_TIMEOUT_MS with "database is locked" (measured:
        # 18-32 of 4,000 Assistant updates failed while syncs wrote, docs/BENCHMARKS.md §3). Queued here, writers
        # wait in the event loop in arrival order, and busy_timeout is left for writers of other processes.
        self._sqlite_writers = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def reads(self) -> AsyncIterator[AsyncSession]:
        """A reader for statements that only read, without BEGIN and ROLLBACK around them on PostgreSQL: two round
        trips fewer on the database every process shares. At READ COMMITTED (PostgreSQL's default, and ours) each
        statement reads its own snapshot inside a transaction too, so the transaction gave such reads nothing. On
        SQLite a reader keeps its transaction (one snapshot for all its reads, in WAL mode). Never write in it: on
        PostgreSQL a write here would commit at once."""
        if self._autocommit_sessions is None:
            async with self._read_sessions() as session:
                yield session
            return
        async with self._autocommit_sessions() as session:
            yield session

    @asynccontextmanager
    async def single_write(self) -> AsyncIterator[AsyncSession]:
        """A session for one writing statement that commits by itself: on PostgreSQL without BEGIN and COMMIT around
        it (autocommit: two round trips fewer, as durable, the statement's answer comes after its commit); on SQLite
        a writer, whose lock keeps SQLite's one writer at a time. More than one statement belongs in `writer`."""
        if self._autocommit_sessions is None:
            async with self.writer() as session:
                yield session
            return
        async with self._autocommit_sessions() as session:
            yield session

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends normally, rolled back on any exception.

        Never open a writer inside another on the same database: on SQLite the inner one would wait for ever."""
        async with AsyncExitStack() as stack:
            if self._sqlite_writers is not None:
                await stack.enter_async_context(self._sqlite_writers)
            session = await stack.enter_async_context(self._write_sessions())
            await stack.enter_async_context(session.begin())
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
