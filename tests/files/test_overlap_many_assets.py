"""Past MAX_ASSET_FILTER distinct assets the stored-record query drops its asset filter (a bounded IN list): a file
or a sync page with that many assets must still meet what is stored. One loader serves both (bot/overlap.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.imports import ImportService
from bot.sync.commit import known_from_files
from connectors.records import NormalizedRecord, RecordKind
from db.engine import Database
from db.repositories.imports import MAX_ASSET_FILTER
from tests.files.samples import csv_bytes
from tests.files.test_imports import TRADES, USER, account

ASSETS = [f"C{n:03}" for n in range(MAX_ASSET_FILTER + 1)]
HEADER = ["time_utc", "kind", "side", "asset", "amount"]


def deposits_file() -> bytes:
    rows = [[f"2024-02-28T09:{n // 60 % 60:02}:{n % 60:02}Z", "deposit", "", asset, "250"] for n, asset in
            enumerate(ASSETS)]  # fmt: skip
    return csv_bytes([HEADER, *rows])


async def test_the_same_file_with_more_assets_than_the_cap_adds_nothing_the_second_time(database: Database) -> None:
    integration_id = await account(database)
    imports = ImportService(database)

    first = await imports.import_file(USER, integration_id, "deposits.csv", deposits_file())
    again = await imports.import_file(USER, integration_id, "deposits.csv", deposits_file())

    assert (first.new, first.already_known) == (501, 0)
    assert (again.new, again.already_known) == (0, 501)


async def test_a_sync_page_with_more_assets_than_the_cap_still_meets_the_files_trades(database: Database) -> None:
    integration_id = await account(database)
    await ImportService(database).import_file(USER, integration_id, "t.csv", TRADES)
    trade = NormalizedRecord(
        RecordKind.TRADE,
        datetime(2024, 3, 1, 12, 30, 0, 250000, tzinfo=UTC),
        "trade:BTCUSDT:11",
        "BTC",
        Decimal("0.00100000"),
        exchange_tx_id="11",
        market="BTC/USDT",
        side="buy",
        quote_asset="USDT",
        quote_amount=Decimal("62.00050000"),
        price=Decimal("62000.50000000"),
        fee_asset="BNB",
        fee_amount=Decimal("0.00000150"),
    )
    others = [
        NormalizedRecord(RecordKind.TRADE, datetime(2024, 3, 1, 12, 30, tzinfo=UTC), f"trade:{a}USDT:1", a,
                         Decimal("1"), exchange_tx_id="1", market=f"{a}/USDT", side="buy", quote_asset="USDT",
                         quote_amount=Decimal("1"), price=Decimal("1"))
        for a in ASSETS
    ]  # fmt: skip

    async with database.writer() as session:
        known = await known_from_files(session, integration_id, [trade, *others])

    assert len({r.asset for r in [trade, *others]}) > MAX_ASSET_FILTER
    assert known == {"trade:BTCUSDT:11"}
