"""Engine and session factories: SQLite tuned for a bot, PostgreSQL through the same interface."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
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


class Database:
    """Owns the engine. `reader()` for queries, `writer()` for a unit of work that commits on success."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_async_engine(url, echo=echo, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine)
        write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
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
