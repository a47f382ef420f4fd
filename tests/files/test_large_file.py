"""A 50,000-row export is read in a worker thread: other users' updates keep being served meanwhile.

Parsing is what is under test here, so this runs on SQLite only; storage on both backends is covered by
test_imports.py.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.imports import ImportService
from db.engine import Database
from db.migrate import upgrade_to_head
from db.repositories import TransactionRepository
from tests.files import samples
from tests.files.samples import csv_bytes
from tests.files.test_imports import USER, account

ROWS = 50_000


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'large.sqlite3'}")
    await upgrade_to_head(database)
    yield database
    await database.dispose()


def big_binance_export() -> bytes:
    start = datetime(2022, 1, 1, tzinfo=UTC)
    rows: list[list[object]] = [samples.BINANCE_TRADE_HEADER]
    for n in range(ROWS):
        when = (start + timedelta(seconds=n * 37)).strftime("%Y-%m-%d %H:%M:%S")
        side = "BUY" if n % 3 else "SELL"
        amount = f"0.{n % 997 + 1:08}"
        rows.append([when, "ETHUSDT", side, "2500.5", f"{amount}ETH", f"{n}.25USDT", f"0.0000{n % 9 + 1}BNB"])
    return csv_bytes(rows, quote_all=True)


async def test_a_large_file_is_parsed_while_the_event_loop_keeps_running(sqlite_database: Database) -> None:
    database = sqlite_database
    integration_id = await account(database)
    data = big_binance_export()
    ticks = 0
    ticks_at_progress: list[int] = []
    stop = asyncio.Event()

    async def another_user_being_served() -> None:
        # Counts turns of the event loop; it sleeps a little each turn so it does not fight the parser for the GIL.
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    def progress(done: int, total: int) -> None:
        ticks_at_progress.append(ticks)

    ticker = asyncio.create_task(another_user_being_served())
    try:
        report = await ImportService(database).import_file(
            USER, integration_id, "Binance-Spot-Trade-History.csv", data, progress=progress
        )
    finally:
        stop.set()
        await ticker

    assert (report.rows_read, report.new, report.rejected_total) == (ROWS, ROWS, 0)
    # Progress is reported every 2,000 rows while the thread parses; the loop ran between every two reports.
    assert len(ticks_at_progress) >= ROWS // 2_000
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks_at_progress)]
    assert all(gap > 0 for gap in gaps[:-1]), gaps
    async with database.reader() as session:
        assert await TransactionRepository(session).count(integration_id) == ROWS
