"""A user exports their history for a tax tool: every format reconciles with what /status shows, and Tallybot's own
CSV imported into a fresh account gives the same records — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.exports import ExportService, HistorySummary
from bot.imports import ImportService
from bot.integrations import IntegrationNotFound
from connectors.files.tallybot import COLUMNS
from connectors.files.writers import CRYPTACT_COLUMNS, KOINLY_COLUMNS
from connectors.records import NormalizedRecord, RecordKind, natural_key
from db.engine import Database
from db.models import Transaction
from tests.files.test_imports import USER, account, store_api, stored

D = Decimal
T0 = datetime(2024, 1, 10, 8, 0, 0, 123000, tzinfo=UTC)


def binance_history() -> list[NormalizedRecord]:
    """Records shaped as the Binance fetcher stores them (keys, codes, signs, raw strings)."""
    return [
        NormalizedRecord(RecordKind.DEPOSIT, T0, natural_key(RecordKind.DEPOSIT, "d-1"), "USDT", D("1000.00000000"),
                         exchange_tx_id="d-1", raw={"id": "d-1", "txId": "0xfeed", "amount": "1000.00000000"}),
        NormalizedRecord(RecordKind.TRADE, T0 + timedelta(hours=1), "trade:BTCUSDT:101", "BTC", D("0.01000000"),
                         exchange_tx_id="101", market="BTC/USDT", side="buy", quote_asset="USDT",
                         quote_amount=D("620.00500000"), price=D("62000.50000000"), fee_asset="BNB",
                         fee_amount=D("0.00001500"), raw={"symbol": "BTCUSDT", "id": 101, "isBuyer": True}),
        NormalizedRecord(RecordKind.TRADE, T0 + timedelta(days=3), "trade:BTCUSDT:102", "BTC", D("0.004"),
                         exchange_tx_id="102", market="BTC/USDT", side="sell", quote_asset="USDT",
                         quote_amount=D("260"), price=D("65000"), fee_asset="USDT", fee_amount=D("0.26"),
                         raw={"symbol": "BTCUSDT", "id": 102, "isBuyer": False}),
        NormalizedRecord(RecordKind.CONVERT, T0 + timedelta(days=4), "convert:c-9", "ETH", D("0.1"),
                         exchange_tx_id="c-9", side="buy", quote_asset="USDT", quote_amount=D("230.5"),
                         price=D("2305"), raw={"orderId": "c-9"}),
        NormalizedRecord(RecordKind.REWARD, T0 + timedelta(days=5), "reward:r-1", "BNB", D("0.00012345"),
                         exchange_tx_id="r-1", raw={"id": "r-1", "enInfo": "Simple Earn"}),
        NormalizedRecord(RecordKind.WITHDRAWAL, T0 + timedelta(days=6), natural_key(RecordKind.WITHDRAWAL, "w-1"),
                         "USDT", D("100"), exchange_tx_id="w-1", fee_asset="USDT", fee_amount=D("1"),
                         raw={"id": "w-1", "txId": "0xbeef"}),
    ]  # fmt: skip


def okx_history() -> list[NormalizedRecord]:
    """An OKX fill with a maker rebate (negative fee), a transfer, and a ledger entry of the generic fetcher."""
    return [
        NormalizedRecord(RecordKind.TRADE, T0 + timedelta(days=2), "trade:ETH-USDT:77", "ETH", D("0.5"),
                         exchange_tx_id="77", market="ETH/USDT", side="buy", quote_asset="USDT",
                         quote_amount=D("1150"), price=D("2300"), fee_asset="ETH", fee_amount=D("-0.0001"),
                         raw={"instId": "ETH-USDT", "tradeId": "77"}),
        NormalizedRecord(RecordKind.TRANSFER, T0 + timedelta(days=2, hours=1), "transfer:b-5", "USDT", D("50"),
                         exchange_tx_id="b-5", side="out", raw={"billId": "b-5"}),
        NormalizedRecord(RecordKind.LEDGER, T0 + timedelta(days=7), "ledger:l-1", "USDT", D("-2.5"),
                         exchange_tx_id="l-1", side="fee", raw={"id": "l-1"}),
    ]  # fmt: skip


async def history(database: Database) -> tuple[int, int]:
    binance = await account(database, exchange="binance", name="Binance-1")
    okx = await account(database, exchange="okx", name="OKX-1")
    stranger = await account(database, user=USER + 99, exchange="binance", name="Theirs")
    await store_api(database, binance, binance_history())
    await store_api(database, okx, okx_history())
    await store_api(database, stranger, binance_history())
    return binance, okx


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


KOINLY_SIDES = (
    ("Received Amount", "Received Currency", 1),
    ("Sent Amount", "Sent Currency", -1),
    ("Fee Amount", "Fee Currency", -1),
)


def koinly_totals(rows: list[dict[str, str]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in rows:
        for amount, currency, sign in KOINLY_SIDES:
            if row[amount]:
                totals[row[currency]] = totals.get(row[currency], D(0)) + sign * D(row[amount])
    return {asset: total for asset, total in sorted(totals.items()) if total}


def without_zeros(totals: dict[str, Decimal]) -> dict[str, Decimal]:
    return {asset: total for asset, total in totals.items() if total}


async def test_exports_in_all_three_formats_reconcile_with_the_status_summary(
    database: Database, tmp_path: Path
) -> None:
    await history(database)
    service = ExportService(database, batch_size=4)  # several batches: the export streams
    summary = await service.summary(USER)

    assert summary.records == 9 and summary.by_kind == {
        "convert": 1, "deposit": 1, "ledger": 1, "reward": 1, "trade": 3, "transfer": 1, "withdrawal": 1
    }  # fmt: skip
    assert summary.totals == {
        "BNB": D("0.00010845"),
        "BTC": D("0.006"),
        "ETH": D("0.6001"),
        "USDT": D("1000") - D("620.005") + D("260") - D("0.26") - D("230.5") - D("101") - D("1150") - D("2.5"),
    }
    assert (summary.first_at, summary.last_at) == (T0, T0 + timedelta(days=7))

    reports = {}
    for fmt in ("tallybot", "koinly", "cryptact"):
        report = await service.export(USER, fmt=fmt, path=tmp_path / f"{fmt}.csv")
        reports[fmt] = report
        assert report.records == summary.records
        assert report.rows == len(read_csv(tmp_path / f"{fmt}.csv")), "the stated count is the rows written"
        assert report.totals == summary.totals
        assert (report.first_at, report.last_at) == (summary.first_at, summary.last_at)

    tallybot = read_csv(tmp_path / "tallybot.csv")
    assert list(tallybot[0]) == list(COLUMNS) and len(tallybot) == 9
    assert [row["time_utc"] for row in tallybot] == sorted(row["time_utc"] for row in tallybot)
    assert tallybot[0]["time_utc"] == "2024-01-10T08:00:00.123000Z"
    assert {row["account"] for row in tallybot} == {"Binance-1", "OKX-1"}

    koinly = read_csv(tmp_path / "koinly.csv")
    assert list(koinly[0]) == list(KOINLY_COLUMNS)
    assert reports["tallybot"].rows == 9 and reports["tallybot"].skipped == {}
    assert reports["koinly"].skipped == {"export.skip.koinly_transfer": 1}
    assert len(koinly) == 9, "8 records, and the maker rebate as income of its own"
    assert koinly_totals(koinly) == without_zeros(summary.totals), "Koinly sees the same balance changes"
    buy = next(row for row in koinly if row["Received Currency"] == "BTC")
    assert (buy["Date"], buy["Sent Amount"], buy["Sent Currency"], buy["Fee Amount"], buy["Fee Currency"]) == (
        "2024-01-10 09:00:00 UTC", "620.00500000", "USDT", "0.00001500", "BNB"
    )  # fmt: skip
    labelled = [(r["Sent Amount"], r["Received Amount"], r["Received Currency"] or r["Sent Currency"], r["Label"])
                for r in koinly if r["Label"]]  # fmt: skip
    assert labelled == [
        ("", "0.0001", "ETH", "income"),  # the OKX fill's maker rebate
        ("", "0.00012345", "BNB", "lending interest"),  # Binance Simple Earn
        ("2.5", "", "USDT", "cost"),  # the ledger's fee line
    ]
    assert next(row for row in koinly if row["Sent Currency"] == "USDT" and not row["Received Currency"]
                and row["Fee Amount"])["TxHash"] == "0xbeef"  # fmt: skip

    cryptact = read_csv(tmp_path / "cryptact.csv")
    assert list(cryptact[0]) == list(CRYPTACT_COLUMNS)
    columns = ("Action", "Base", "Volume", "Price", "Counter", "Fee", "FeeCcy")
    assert [tuple(r[c] for c in columns) for r in cryptact] == [
        ("BUY", "BTC", "0.01000000", "62000.50000000", "USDT", "0.00001500", "BNB"),
        ("BUY", "ETH", "0.5", "2300", "USDT", "0", "USDT"),
        ("BONUS", "ETH", "0.0001", "", "JPY", "0", "JPY"),  # the maker rebate is income
        ("SELL", "BTC", "0.004", "65000", "USDT", "0.26", "USDT"),
        ("BUY", "ETH", "0.1", "2305", "USDT", "0", "USDT"),
        ("LENDING", "BNB", "0.00012345", "", "JPY", "0", "JPY"),
        ("SENDFEE", "USDT", "1", "", "JPY", "0", "JPY"),
        ("SENDFEE", "USDT", "2.5", "", "JPY", "0", "JPY"),  # the ledger's fee line is no longer dropped
    ]  # fmt: skip
    assert cryptact[0]["Timestamp"] == "2024/01/10 09:00:00" and cryptact[0]["Source"] == "Binance"
    assert reports["cryptact"].skipped == {"export.skip.deposit": 1, "export.skip.cryptact_transfer": 1}


async def test_one_accounts_export_over_a_date_range_reconciles_with_the_same_summary(
    database: Database, tmp_path: Path
) -> None:
    binance, _ = await history(database)
    service = ExportService(database)
    since, until = T0 + timedelta(minutes=1), T0 + timedelta(days=5)

    summary = await service.summary(USER, binance, since=since, until=until)
    report = await service.export(USER, fmt="koinly", integration_id=binance, since=since, until=until,
                                  path=tmp_path / "part.csv")  # fmt: skip

    assert summary.by_kind == {"trade": 2, "convert": 1} and report.records == 3 == report.rows
    assert report.totals == summary.totals
    assert koinly_totals(read_csv(tmp_path / "part.csv")) == without_zeros(summary.totals)


async def test_a_stranger_cannot_export_someone_elses_account(database: Database, tmp_path: Path) -> None:
    binance, _ = await history(database)

    with pytest.raises(IntegrationNotFound):
        await ExportService(database).export(USER + 1, fmt="tallybot", integration_id=binance, path=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    empty: HistorySummary = await ExportService(database).summary(USER + 1)
    assert (empty.records, empty.totals) == (0, {})


FIELDS = ("natural_key", "kind", "occurred_at", "exchange_tx_id", "market", "side", "asset", "amount", "quote_asset",
          "quote_amount", "price", "fee_asset", "fee_amount", "raw")  # fmt: skip


def fields(tx: Transaction) -> tuple[object, ...]:
    return tuple(getattr(tx, name) for name in FIELDS)


async def test_tallybots_csv_exported_and_imported_into_a_fresh_account_gives_identical_records(
    database: Database, tmp_path: Path
) -> None:
    _, okx = await history(database)
    path = tmp_path / "okx.csv"
    await ExportService(database).export(USER, fmt="tallybot", integration_id=okx, path=path)
    fresh = await account(database, user=USER + 5, exchange="okx", name="Restored")

    report = await ImportService(database).import_file(USER + 5, fresh, "okx.csv", path.read_bytes())
    again = await ImportService(database).import_file(USER + 5, fresh, "okx.csv", path.read_bytes())

    assert (report.format_name, report.new, report.already_known) == ("tallybot", 3, 0)
    assert (again.new, again.already_known) == (0, 3)
    original = [fields(tx) for tx in await stored(database, okx)]
    restored = [fields(tx) for tx in await stored(database, fresh)]
    assert restored == original
    assert {tx.source for tx in await stored(database, fresh)} == {"file"}
