"""Convert legs stored one per coin with their direction (Kraken's Buy Crypto `spend`/`receive` ledger lines, Coinbase's
`trade` transaction in each account; side `out` for the coin spent, `in` for the coin received) in the two places that
knew only buy/sell: the balance effect /status and every export total (bot/exports.py HistorySummary.totals,
writers.flows), and the Tallybot CSV read back into a fresh account. Totals are written by hand from the scripted
rows in tests/files/test_export_convert_legs.py: Kraken spent 25.0000 EUR with a 0.37 EUR fee for 0.0125 ETH;
Coinbase converted 0.5 ETH into 1500 USDC."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from bot.exports import ExportService
from bot.imports import ImportService
from connectors.files import parse, tallybot
from db.engine import Database
from i18n import Text
from tests.files.samples import csv_bytes
from tests.files.test_export_convert_legs import coinbase_convert, kraken_buy_crypto
from tests.files.test_exports import fields
from tests.files.test_imports import USER, account, store_api, stored

D = Decimal
KRAKEN_TOTALS = {"EUR": D("-25.3700"), "ETH": D("0.0125")}
COINBASE_TOTALS = {"ETH": D("-0.5"), "USDC": D("1500")}


async def accounts(database: Database) -> tuple[int, int]:
    kraken = await account(database, exchange="kraken", name="Kraken-1")
    coinbase = await account(database, exchange="coinbase", name="Coinbase-1")
    await store_api(database, kraken, kraken_buy_crypto())
    await store_api(database, coinbase, coinbase_convert())
    return kraken, coinbase


def test_the_scripted_legs_are_stored_with_their_direction() -> None:
    """The premise: each convert is two one-coin legs, out and in, no quote (else the test below proves nothing)."""
    legs = kraken_buy_crypto() + coinbase_convert()
    assert [(leg.kind, leg.side, leg.asset, leg.amount, leg.quote_asset) for leg in legs] == [
        ("convert", "out", "EUR", D("25.0000"), None),
        ("convert", "in", "ETH", D("0.0125000000"), None),
        ("convert", "out", "ETH", D("0.50000000"), None),
        ("convert", "in", "USDC", D("1500.000000"), None),
    ]


async def test_status_and_export_totals_count_each_convert_leg_its_way(database: Database, tmp_path: Path) -> None:
    kraken, coinbase = await accounts(database)
    service = ExportService(database, batch_size=1)

    assert (await service.summary(USER, kraken)).totals == KRAKEN_TOTALS
    assert (await service.summary(USER, coinbase)).totals == COINBASE_TOTALS
    everything = await service.summary(USER)
    assert everything.totals == {"ETH": D("0.0125") - D("0.5"), "EUR": D("-25.37"), "USDC": D("1500")}
    for fmt in ("tallybot", "koinly", "cryptact"):
        report = await service.export(USER, fmt=fmt, path=tmp_path / f"{fmt}.csv")
        assert report.totals == everything.totals, fmt


@pytest.mark.parametrize("exchange", ["kraken", "coinbase"])
async def test_tallybots_csv_of_convert_legs_restores_the_same_records(
    database: Database, tmp_path: Path, exchange: str
) -> None:
    kraken, coinbase = await accounts(database)
    original_id = kraken if exchange == "kraken" else coinbase
    path = tmp_path / f"{exchange}.csv"
    await ExportService(database).export(USER, fmt="tallybot", integration_id=original_id, path=path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert sorted(row["side"] for row in csv.DictReader(handle)) == ["in", "out"]
    fresh = await account(database, user=USER + 9, exchange=exchange, name="Restored")

    first = await ImportService(database).import_file(USER + 9, fresh, path.name, path.read_bytes())
    again = await ImportService(database).import_file(USER + 9, fresh, path.name, path.read_bytes())

    assert (first.format_name, first.new, first.already_known, first.rejected_total) == ("tallybot", 2, 0, 0)
    assert (again.new, again.already_known, again.rejected_total) == (0, 2, 0)
    assert [fields(tx) for tx in await stored(database, fresh)] == [
        fields(tx) for tx in await stored(database, original_id)
    ]
    restored_totals = (await ExportService(database).summary(USER + 9, fresh)).totals
    assert restored_totals == (KRAKEN_TOTALS if exchange == "kraken" else COINBASE_TOTALS)


def leg_row(side: str, *, key: str, kind: str = "convert", quote: tuple[str, str] = ("", "")) -> list[str]:
    row = dict.fromkeys(tallybot.COLUMNS, "")
    row.update(time_utc="2024-03-01T00:00:00Z", kind=kind, side=side, asset="ETH", amount="0.0125", natural_key=key)
    row.update(quote_asset=quote[0], quote_amount=quote[1])
    return [row[column] for column in tallybot.COLUMNS]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        # A keyed convert leg whose side is no direction at all.
        (leg_row("sideways", key="convert:L1"), Text.of("file.row.not_a_convert_side", text="sideways")),
        # A trade is bought or sold, never a leg.
        (
            leg_row("out", key="trade:T1", kind="trade", quote=("EUR", "25")),
            Text.of("file.row.not_buy_or_sell", text="out"),
        ),
        # A hand-written convert names a purchase or a sale with its quote (docs/FILE-FORMATS.md, `side`).
        (leg_row("in", key="", quote=("EUR", "25")), Text.of("file.row.not_buy_or_sell", text="in")),
    ],
)
async def test_sides_that_are_no_convert_leg_are_still_refused(
    database: Database, row: list[str], reason: Text
) -> None:
    target = await account(database, exchange="kraken", name="Kraken-1")
    upload = csv_bytes([list(tallybot.COLUMNS), row])

    report = await ImportService(database).import_file(USER, target, "legs.csv", upload)

    assert (report.new, report.rejected_total) == (0, 1)
    assert [(r.line, r.column, r.reason) for r in report.rejected] == [(2, "side", reason)]
    assert await stored(database, target) == []


def test_a_keyed_convert_leg_is_read_with_the_side_it_was_written_with() -> None:
    upload = csv_bytes([list(tallybot.COLUMNS), leg_row("in", key="convert:LRECV-BBBBB-000002")])
    parsed = parse("legs.csv", upload, exchange_id="kraken")
    assert [(p.record.kind, p.record.side, p.record.asset, p.record.amount, p.record.natural_key) for p in
            parsed.records] == [("convert", "in", "ETH", D("0.0125"), "convert:LRECV-BBBBB-000002")]  # fmt: skip
