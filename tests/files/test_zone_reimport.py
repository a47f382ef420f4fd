"""Files without a time zone imported again in another zone (issue 12, finding 5): planned moves, not copies.

Expected times are written by hand from samples.BITGET_TRADES: "2024-06-01 09:00:00" is 09:00 UTC read in UTC,
01:00 UTC read in Asia/Shanghai (UTC+8).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.imports import ImportService
from connectors.files import StoredRecords, parse
from connectors.files.matching import plan_import
from db.engine import Database
from db.models import Transaction
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository
from tests.files import samples

SHANGHAI = ZoneInfo("Asia/Shanghai")
FILE = samples.csv_bytes(samples.BITGET_TRADES)
TWICE = samples.csv_bytes([*samples.BITGET_TRADES, samples.BITGET_TRADES[1]])  # the BTC buy on two lines


def stored_from(rows: list[dict[str, object]], *, moved_to: dict[str, datetime] | None = None) -> StoredRecords:
    stored = StoredRecords()
    for row in rows:
        stored.add_values(
            kind=str(row["kind"]),
            occurred_at=(moved_to or {}).get(str(row["natural_key"]), row["occurred_at"]),  # type: ignore[arg-type]
            natural_key=str(row["natural_key"]),
            asset=str(row["asset"]),
            amount=row["amount"],  # type: ignore[arg-type]
            quote_asset=row["quote_asset"],  # type: ignore[arg-type]
            side=row["side"],  # type: ignore[arg-type]
            price=row["price"],  # type: ignore[arg-type]
            fee_amount=row["fee_amount"],  # type: ignore[arg-type]
            raw=row["raw"],
            from_file=row["source"] == "file",
        )
    return stored


def test_identical_rows_keep_their_own_keys_and_both_move_to_the_corrected_zone() -> None:
    in_utc = parse("Bitget.csv", TWICE, user_timezone="UTC", exchange_id="bitget")
    first = plan_import(in_utc.records, StoredRecords(), 1, wall_zone=UTC)
    in_shanghai = parse("Bitget.csv", TWICE, user_timezone="Asia/Shanghai", exchange_id="bitget")
    again = plan_import(in_shanghai.records, stored_from(first.new), 1, wall_zone=SHANGHAI)

    assert len(first.new) == 3 and len({row["natural_key"] for row in first.new}) == 3
    assert (again.new, again.known, again.dropped) == ([], 3, [])
    assert sorted(moment for _, _, moment in again.moved) == [
        datetime(2024, 6, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2024, 6, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2024, 6, 2, 10, 30, 10, tzinfo=UTC),
    ]
    assert all(stored_key == key for stored_key, key, _ in again.moved)  # same keys: wall time, not UTC


def test_a_copy_at_the_wrong_time_is_dropped_when_the_api_stored_the_record_at_the_right_one() -> None:
    in_utc = parse("Bitget.csv", FILE, user_timezone="UTC", exchange_id="bitget")
    first = plan_import(in_utc.records, StoredRecords(), 1, wall_zone=UTC)
    stored = stored_from(first.new)
    in_shanghai = parse("Bitget.csv", FILE, user_timezone="Asia/Shanghai", exchange_id="bitget")
    # The API sync's record of the first trade, at the right time (01:00 UTC), under its own key.
    api = dict(first.new[0], natural_key="trade:1234567", occurred_at=datetime(2024, 6, 1, 1, 0, 0, tzinfo=UTC))
    api["raw"], api["source"] = {}, "api"
    stored_with_api = stored_from([*first.new, api])

    again = plan_import(in_shanghai.records, stored_with_api, 1, wall_zone=SHANGHAI)

    assert len(stored) == 2
    assert again.new == [] and again.known == 2
    assert again.dropped == [first.new[0]["natural_key"]]  # one copy kept: the API's, at the right time
    assert [moment for _, _, moment in again.moved] == [datetime(2024, 6, 2, 10, 30, 10, tzinfo=UTC)]


# -- Through the import service and the database: rows an earlier version stored, keyed on the UTC time ---------

BOTH_FILLS = samples.csv_bytes([*samples.BITGET_TRADES[:2], samples.BITGET_TRADES[1]])  # one fill, twice
USER = 7301


async def _bitget_account(database: Database) -> int:
    async with database.writer() as session:
        owner = await UserRepository(session).ensure(USER)
        integration = await IntegrationRepository(session).add(
            user_id=owner.id, exchange_id="bitget", account_name="Main"
        )
        return integration.id


async def _store_as_the_previous_version(database: Database, integration_id: int, *, reverse: bool) -> None:
    """The previous version keyed a zone-less file's rows on their UTC time (no wall zone) and kept the file row."""
    parsed = parse("Bitget.csv", BOTH_FILLS, user_timezone="UTC", exchange_id="bitget")
    rows = plan_import(parsed.records, StoredRecords(), integration_id).new
    assert len(rows) == 2 and rows[0]["natural_key"] != rows[1]["natural_key"]
    async with database.writer() as session:
        repository = TransactionRepository(session)
        for row in reversed(rows) if reverse else rows:  # the order the database hands them back in
            assert await repository.insert_missing([row]) == 1


async def _rows(database: Database, integration_id: int) -> int:
    async with database.reader() as session:
        query = select(func.count()).select_from(Transaction).where(Transaction.integration_id == integration_id)
        return int(await session.scalar(query) or 0)


@pytest.mark.parametrize("reverse", [False, True], ids=["stored-in-file-order", "stored-in-reverse-order"])
async def test_two_identical_fills_stored_by_the_previous_version_stay_two_over_repeated_imports(
    database: Database, reverse: bool
) -> None:
    integration_id = await _bitget_account(database)
    await _store_as_the_previous_version(database, integration_id, reverse=reverse)
    service = ImportService(database)

    seen = []
    for _ in range(3):
        report = await service.import_file(USER, integration_id, "Bitget.csv", BOTH_FILLS, user_timezone="UTC")
        seen.append((await _rows(database, integration_id), report.new, report.already_known))

    assert seen == [(2, 0, 2), (2, 0, 2), (2, 0, 2)]
