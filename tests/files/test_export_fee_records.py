"""A fee on its own (FEE: a fill's fee in a further coin) in every export, in the balance check, and back from
Tallybot's CSV.

The account holds what the fetchers store (connectors/fetchers/gate/rows.py, bitget/unified_fees.py): a Gate fill
whose fee was paid in USDT and GT (the GT part a FEE keyed to the fill), a Bitget futures fill's BGB part (a FEE of a
derivatives stream), and a BGB rebate (a FEE paid in). Koinly: a fee is a Sent row tagged "cost", a rebate a Received
row tagged "income" ("What are tags", support.koinly.io/en/articles/9490023). Cryptact: a fee that reduces the
quantity is SENDFEE, a margin trade's fee LOSS, income BONUS (…/articles/12814753146777, …/40609271901721). Expected
rows and totals are written by hand from the records below.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.exports import ExportService
from bot.imports import ImportService
from bot.reconcile.ledger import explained_balances
from connectors.files.export.meaning import Meaning, meaning_of
from connectors.records import NormalizedRecord, RecordKind
from db.engine import Database
from db.repositories.reconcile import Movement
from tests.files.test_export_new_kinds import CRYPTACT_FIELDS, KOINLY_FIELDS, rows
from tests.files.test_imports import account, store_api, stored

D = Decimal
USER = 1001
T0 = datetime(2024, 2, 5, 9, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def history() -> list[NormalizedRecord]:
    return [
        NormalizedRecord(RecordKind.DEPOSIT, at(0), "deposit:d-1", "USDT", D("500"), exchange_tx_id="d-1"),
        # 0.002 BTC bought at 60000 for 120 USDT; its fee 0.06 USDT and 0.0007 GT.
        NormalizedRecord(RecordKind.TRADE, at(1), "trade:BTC_USDT:1", "BTC", D("0.002"), exchange_tx_id="1",
                         market="BTC/USDT", side="buy", quote_asset="USDT", quote_amount=D("120"), price=D("60000"),
                         fee_asset="USDT", fee_amount=D("0.06"), raw={"id": "1", "currency_pair": "BTC_USDT"}),
        NormalizedRecord(RecordKind.FEE, at(1), "fee:BTC_USDT:1:GT", "GT", D("-0.0007"), exchange_tx_id="1",
                         market="BTC/USDT", raw={"type": "trade_fee", "trade": {"id": "1", "gt_fee": "0.0007"}}),
        # A futures fill's BGB part of its fee, and a BGB rebate of a spot fill.
        NormalizedRecord(RecordKind.FEE, at(2), "fee:USDT-FUTURES:77:BGB", "BGB", D("-0.0125"), exchange_tx_id="77",
                         market="ETH/USDT:USDT", raw={"type": "trade_fee", "productType": "USDT-FUTURES"}),
        NormalizedRecord(RecordKind.FEE, at(3), "fee:uta:SPOT:88:BGB", "BGB", D("0.003"), exchange_tx_id="88",
                         market="BGB/USDT", raw={"type": "trade_fee", "category": "SPOT"}),
    ]  # fmt: skip


TOTALS = {"USDT": D("500") - D("120") - D("0.06"), "BTC": D("0.002"), "GT": D("-0.0007"), "BGB": D("-0.0095")}
KOINLY = [
    ("2024-02-05 09:00:00 UTC", "", "", "500", "USDT", "", "", ""),
    ("2024-02-05 10:00:00 UTC", "120", "USDT", "0.002", "BTC", "0.06", "USDT", ""),
    ("2024-02-05 10:00:00 UTC", "0.0007", "GT", "", "", "", "", "cost"),  # the fill's GT part
    ("2024-02-05 11:00:00 UTC", "0.0125", "BGB", "", "", "", "", "cost"),
    ("2024-02-05 12:00:00 UTC", "", "", "0.003", "BGB", "", "", "income"),  # the rebate
]
CRYPTACT = [  # the deposit has no row: Cryptact needs no transfers
    ("2024/02/05 10:00:00", "BUY", "Gate", "BTC", "0.002", "60000", "USDT", "0.06", "USDT"),
    ("2024/02/05 10:00:00", "SENDFEE", "Gate", "GT", "0.0007", "", "JPY", "0", "JPY"),
    ("2024/02/05 11:00:00", "LOSS", "Gate", "BGB", "0.0125", "", "JPY", "0", "JPY"),  # a margin trade's fee
    ("2024/02/05 12:00:00", "BONUS", "Gate", "BGB", "0.003", "", "JPY", "0", "JPY"),
]


def test_a_fee_is_a_fee_and_a_positive_one_a_rebate() -> None:
    fees = [record for record in history() if record.kind is RecordKind.FEE]
    assert [meaning_of(record) for record in fees] == [Meaning.FEE, Meaning.FEE, Meaning.REBATE]


async def test_the_tax_files_write_each_fee_and_the_balance_check_counts_it(database: Database, tmp_path: Path) -> None:
    gate = await account(database, user=USER, exchange="gate", name="Gate-1")
    await store_api(database, gate, history())
    service = ExportService(database)
    summary = await service.summary(USER)

    koinly = await service.export(USER, fmt="koinly", path=tmp_path / "koinly.csv")
    cryptact = await service.export(USER, fmt="cryptact", path=tmp_path / "cryptact.csv")

    assert rows((tmp_path / "koinly.csv").read_text(encoding="utf-8"), KOINLY_FIELDS) == KOINLY
    assert rows((tmp_path / "cryptact.csv").read_text(encoding="utf-8"), CRYPTACT_FIELDS) == CRYPTACT
    assert (koinly.rows, koinly.skipped, cryptact.rows, cryptact.skipped) == (5, {}, 4, {"export.skip.deposit": 1})
    assert summary.totals == TOTALS == koinly.totals == cryptact.totals
    # The balance check: the same totals from the stored rows, GT and BGB included.
    moves = [
        Movement(tx.kind, tx.side, tx.asset, tx.amount, tx.quote_asset, tx.quote_amount, tx.fee_asset, tx.fee_amount)
        for tx in await stored(database, gate)
    ]
    assert explained_balances(moves) == TOTALS


async def test_tallybots_csv_gives_every_fee_back_exactly(database: Database, tmp_path: Path) -> None:
    gate = await account(database, user=USER, exchange="gate", name="Gate-1")
    await store_api(database, gate, history())
    path = tmp_path / "tallybot.csv"
    report = await ExportService(database).export(USER, fmt="tallybot", integration_id=gate, path=path)
    fresh = await account(database, user=USER + 5, exchange="gate", name="Restored")

    imported = await ImportService(database).import_file(USER + 5, fresh, "tallybot.csv", path.read_bytes())
    again = await ImportService(database).import_file(USER + 5, fresh, "tallybot.csv", path.read_bytes())

    written = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [(row["kind"], row["asset"], row["amount"]) for row in written] == [
        ("deposit", "USDT", "500"),
        ("trade", "BTC", "0.002"),
        ("fee", "GT", "-0.0007"),
        ("fee", "BGB", "-0.0125"),
        ("fee", "BGB", "0.003"),
    ]
    assert (report.rows, imported.new, again.new, again.already_known) == (5, 5, 0, 5)
    names = ("natural_key", "kind", "occurred_at", "exchange_tx_id", "market", "side", "asset", "amount",
             "quote_asset", "quote_amount", "price", "fee_asset", "fee_amount", "raw")  # fmt: skip
    original = [tuple(getattr(tx, name) for name in names) for tx in await stored(database, gate)]
    restored = [tuple(getattr(tx, name) for name in names) for tx in await stored(database, fresh)]
    assert restored == original


async def test_a_hand_written_fee_row_is_stored_as_a_fee_and_counted(database: Database) -> None:
    # A fee the person paid in BNB and writes by hand (docs/FILE-FORMATS.md layout): signed as the balance changed.
    gate = await account(database, user=USER, exchange="gate", name="Gate-1")
    text = "time_utc,kind,asset,amount,market\r\n2024-02-05T10:00:00Z,fee,bnb,-0.01,BNB/USDT\r\n"

    imported = await ImportService(database).import_file(USER, gate, "fees.csv", text.encode())

    [fee] = await stored(database, gate)
    assert (imported.new, fee.kind, fee.asset, fee.amount, fee.market, fee.source) == (
        1,
        "fee",
        "BNB",
        D("-0.01"),
        "BNB/USDT",
        "file",
    )
    assert (await ExportService(database).summary(USER)).totals == {"BNB": D("-0.01")}
