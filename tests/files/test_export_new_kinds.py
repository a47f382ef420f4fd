"""Derivatives, funding, realized profit and loss, margin loans and their interest in the tax exports, as each tool
documents them, and in Tallybot's own CSV and its reconciliation file.

Koinly ("Futures and perpetuals PNL", support.koinly.io/en/articles/9490027): a futures fill is no purchase or sale of
its coin; only the profit or loss is a row, labelled "realized gain" in a CSV; fees are costs. Margin loans ("Crypto
loans, repayments and collateral", …/9490026; "What are tags", …/9490023): the loan a deposit tagged Margin loan,
the repayment a withdrawal tagged Margin repayment; margin interest a withdrawal tagged Margin fee.
Cryptact (Custom File for any other trades, …/360002571312; PNL calculation per transaction type, …/12814753146777
and the Canada edition …/40609271901721): the margin coin's profits BONUS and losses LOSS, a margin trade's fee
LOSS, a loan BORROW and its repayment RETURN.

The account is a Binance one as the fetchers store it (connectors/records.py: a fill's market has its settle coin,
its amount the base and quantity, its quote the notional; P&L, funding and interest signed; loans positive).
Expected rows are written by hand from those records and the pages above.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY, Services
from bot.exports import ExportService
from bot.imports import ImportService
from connectors.files.export.meaning import Meaning, meaning_of
from connectors.files.writers import cryptact_rows, koinly_rows
from connectors.records import NormalizedRecord, RecordKind
from db.engine import Database
from db.repositories.reconcile import ReconcileRepository, StoredBalance
from db.types import utcnow
from i18n import t
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.files.test_export_kinds import exported
from tests.files.test_exports import koinly_totals
from tests.files.test_imports import account, store_api, stored

D = Decimal
USER = 1001
T0 = datetime(2024, 1, 10, 8, tzinfo=UTC)
PERP = "BTC/USDT:USDT"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def fill(ident: str, hours: float, side: str, amount: str, price: str, notional: str, fee: str) -> NormalizedRecord:
    return NormalizedRecord(
        RecordKind.FUTURES_TRADE, at(hours), f"futures_trade:BTCUSDT:{ident}", "BTC", D(amount),
        exchange_tx_id=ident, market=PERP, side=side, quote_asset="USDT", quote_amount=D(notional), price=D(price),
        fee_asset="USDT", fee_amount=D(fee), raw={"symbol": "BTCUSDT", "id": ident, "commission": fee},
    )  # fmt: skip


def signed(kind: RecordKind, ident: str, hours: float, amount: str, asset: str = "USDT") -> NormalizedRecord:
    market = PERP if kind in (RecordKind.REALIZED_PNL, RecordKind.FUNDING) else None
    return NormalizedRecord(kind, at(hours), f"{kind}:{ident}", asset, D(amount), exchange_tx_id=ident, market=market,
                            raw={"tranId": ident, "income": amount})  # fmt: skip


def history() -> list[NormalizedRecord]:
    return [
        NormalizedRecord(RecordKind.DEPOSIT, at(0), "deposit:d-1", "USDT", D("1000"), exchange_tx_id="d-1",
                         raw={"id": "d-1", "txId": "0xfeed"}),
        fill("501", 1, "buy", "0.01", "62000", "620", "0.248"),  # taker: 0.04 % of 620
        fill("502", 2, "sell", "0.01", "63000", "630", "0.252"),
        signed(RecordKind.REALIZED_PNL, "p-1", 2.5, "10"),  # (63000 − 62000) × 0.01
        signed(RecordKind.FUNDING, "f-1", 3, "-0.05"),
        fill("503", 4, "buy", "0.005", "62000", "310", "-0.01"),  # a maker rebate
        signed(RecordKind.REALIZED_PNL, "p-2", 5, "-2.5"),
        signed(RecordKind.FUNDING, "f-2", 6, "0.02"),
        signed(RecordKind.BORROW, "l-1", 7, "100"),
        NormalizedRecord(RecordKind.TRADE, at(7.5), "trade:BTCUSDT:601", "BTC", D("0.0016"), exchange_tx_id="601",
                         market="BTC/USDT", side="buy", quote_asset="USDT", quote_amount=D("100"), price=D("62500"),
                         fee_asset="BTC", fee_amount=D("0.0000016"), raw={"symbol": "BTCUSDT", "isIsolated": False}),
        signed(RecordKind.INTEREST, "i-1", 8, "-0.004"),
        signed(RecordKind.REPAY, "l-2", 9, "100"),
    ]  # fmt: skip


# The history's effect, by hand: borrowing and repaying change no net holding; a fill costs only its fee.
USDT = D(1000) - D("0.248") - D("0.252") + 10 - D("0.05") + D("0.01") - D("2.5") + D("0.02") - 100 - D("0.004")
TOTALS = {"BTC": D("0.0016") - D("0.0000016"), "USDT": USDT}

KOINLY_FIELDS = ("Date", "Sent Amount", "Sent Currency", "Received Amount", "Received Currency", "Fee Amount",
                 "Fee Currency", "Label")  # fmt: skip
KOINLY = [
    ("2024-01-10 08:00:00 UTC", "", "", "1000", "USDT", "", "", ""),
    ("2024-01-10 09:00:00 UTC", "0.248", "USDT", "", "", "", "", "cost"),  # fill 501: its fee only
    ("2024-01-10 10:00:00 UTC", "0.252", "USDT", "", "", "", "", "cost"),  # fill 502
    ("2024-01-10 10:30:00 UTC", "", "", "10", "USDT", "", "", "realized gain"),
    ("2024-01-10 11:00:00 UTC", "0.05", "USDT", "", "", "", "", "realized gain"),  # funding paid
    ("2024-01-10 12:00:00 UTC", "", "", "0.01", "USDT", "", "", "income"),  # fill 503's maker rebate
    ("2024-01-10 13:00:00 UTC", "2.5", "USDT", "", "", "", "", "realized gain"),
    ("2024-01-10 14:00:00 UTC", "", "", "0.02", "USDT", "", "", "realized gain"),  # funding received
    ("2024-01-10 15:00:00 UTC", "", "", "100", "USDT", "", "", "margin loan"),
    ("2024-01-10 15:30:00 UTC", "100", "USDT", "0.0016", "BTC", "0.0000016", "BTC", ""),
    ("2024-01-10 16:00:00 UTC", "0.004", "USDT", "", "", "", "", "margin fee"),
    ("2024-01-10 17:00:00 UTC", "100", "USDT", "", "", "", "", "margin repayment"),
]
CRYPTACT_FIELDS = ("Timestamp", "Action", "Source", "Base", "Volume", "Price", "Counter", "Fee", "FeeCcy")
CRYPTACT = [  # the deposit has no row: Cryptact needs no transfers
    ("2024/01/10 09:00:00", "LOSS", "Binance", "USDT", "0.248", "", "JPY", "0", "JPY"),
    ("2024/01/10 10:00:00", "LOSS", "Binance", "USDT", "0.252", "", "JPY", "0", "JPY"),
    ("2024/01/10 10:30:00", "BONUS", "Binance", "USDT", "10", "", "JPY", "0", "JPY"),
    ("2024/01/10 11:00:00", "LOSS", "Binance", "USDT", "0.05", "", "JPY", "0", "JPY"),
    ("2024/01/10 12:00:00", "BONUS", "Binance", "USDT", "0.01", "", "JPY", "0", "JPY"),
    ("2024/01/10 13:00:00", "LOSS", "Binance", "USDT", "2.5", "", "JPY", "0", "JPY"),
    ("2024/01/10 14:00:00", "BONUS", "Binance", "USDT", "0.02", "", "JPY", "0", "JPY"),
    ("2024/01/10 15:00:00", "BORROW", "Binance", "USDT", "100", "", "JPY", "0", "JPY"),
    ("2024/01/10 15:30:00", "BUY", "Binance", "BTC", "0.0016", "62500", "USDT", "0.0000016", "BTC"),
    ("2024/01/10 16:00:00", "LOSS", "Binance", "USDT", "0.004", "", "JPY", "0", "JPY"),
    ("2024/01/10 17:00:00", "RETURN", "Binance", "USDT", "100", "", "JPY", "0", "JPY"),
]
KOINLY_FILL = "export.skip.koinly_derivatives_fill"
CRYPTACT_FILL = "export.skip.cryptact_derivatives_fill"


def rows(content: str, fields: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [tuple(row[name] for name in fields) for row in csv.DictReader(io.StringIO(content))]


def test_each_new_kind_has_the_meaning_its_kind_names() -> None:
    meanings = [meaning_of(record) for record in history()]

    assert meanings == [
        Meaning.DEPOSIT, Meaning.DERIVATIVE_FILL, Meaning.DERIVATIVE_FILL, Meaning.REALIZED, Meaning.FUNDING,
        Meaning.DERIVATIVE_FILL, Meaning.REALIZED, Meaning.FUNDING, Meaning.LOAN, Meaning.TRADE,
        Meaning.MARGIN_INTEREST, Meaning.LOAN_REPAYMENT,
    ]  # fmt: skip
    paid_to_the_user = signed(RecordKind.INTEREST, "i-2", 1, "0.3")
    assert meaning_of(paid_to_the_user) is Meaning.INTEREST


def pay(kind: RecordKind, ident: str, hours: float, asset: str, amount: str) -> NormalizedRecord:
    """A Binance Pay record as the fetcher keys it (connectors/fetchers/binance/wallet_kinds.py)."""
    return NormalizedRecord(
        kind,
        at(hours),
        f"{kind}:pay:{ident}:{asset}",
        asset,
        D(amount),
        exchange_tx_id=ident.removeprefix("card:"),
        raw={"transactionId": ident, "currency": asset},
    )


def test_binance_pay_is_spending_and_receiving_not_a_transfer() -> None:
    """Koinly: untagged, a disposal and an acquisition at market (…/9490023). Cryptact: PAY ("Paid for goods/services
    in a cryptocurrency") and BUY at its price ("Peer to peer trading"), PNL page rows 12 and 1."""
    records = [
        pay(RecordKind.WITHDRAWAL, "77", 1, "USDT", "25"),  # paid to a merchant
        pay(RecordKind.DEPOSIT, "78", 2, "BNB", "0.1"),  # received from a friend
        pay(RecordKind.WITHDRAWAL, "79", 3, "USDT", "10"),  # paid by card: the card's purchase beside it
        pay(RecordKind.DEPOSIT, "card:79", 3, "USDT", "10"),
    ]
    koinly = [koinly_rows(record, "Binance", "Binance-1") for record in records]
    cryptact = [cryptact_rows(record, "Binance", "Binance-1") for record in records]

    assert [written.skipped for written in koinly + cryptact] == [None] * 8
    assert [row[1:6] + row[9:10] for written in koinly for row in written.rows] == [
        ["25", "USDT", "", "", "", ""],
        ["", "", "0.1", "BNB", "", ""],
        ["10", "USDT", "", "", "", ""],
        ["", "", "10", "USDT", "", ""],
    ]
    assert [row[1:9] for written in cryptact for row in written.rows] == [
        ["PAY", "Binance", "USDT", "25", "", "JPY", "0", "JPY"],
        ["BUY", "Binance", "BNB", "0.1", "", "JPY", "0", "JPY"],
        ["PAY", "Binance", "USDT", "10", "", "JPY", "0", "JPY"],
        ["BUY", "Binance", "USDT", "10", "", "JPY", "0", "JPY"],
    ]


async def test_koinly_and_cryptact_rows_are_what_the_tools_document(database: Database, tmp_path: Path) -> None:
    binance = await account(database, user=USER, exchange="binance", name="Binance-1")
    await store_api(database, binance, history())
    service = ExportService(database, batch_size=5)
    summary = await service.summary(USER)

    koinly = await service.export(USER, fmt="koinly", path=tmp_path / "koinly.csv")
    cryptact = await service.export(USER, fmt="cryptact", path=tmp_path / "cryptact.csv")
    koinly_text = (tmp_path / "koinly.csv").read_text(encoding="utf-8")
    cryptact_text = (tmp_path / "cryptact.csv").read_text(encoding="utf-8")

    assert summary.totals == TOTALS and koinly.totals == TOTALS == cryptact.totals
    assert rows(koinly_text, KOINLY_FIELDS) == KOINLY
    assert (koinly.records, koinly.rows, koinly.skipped) == (12, 12, {KOINLY_FILL: 3})
    # The loan came in and went out again: Koinly's sums are the history's balances.
    assert koinly_totals(list(csv.DictReader(io.StringIO(koinly_text)))) == TOTALS
    assert rows(cryptact_text, CRYPTACT_FIELDS) == CRYPTACT
    assert (cryptact.records, cryptact.rows) == (12, 11)
    assert cryptact.skipped == {"export.skip.deposit": 1, CRYPTACT_FILL: 3}
    descriptions = [row["Description"] for row in csv.DictReader(io.StringIO(koinly_text))]
    assert descriptions[1] == "Binance Binance-1: futures_trade BTC/USDT:USDT #501 (fee)"
    assert descriptions[3] == "Binance Binance-1: realized_pnl BTC/USDT:USDT #p-1"


async def test_tallybots_csv_gives_every_new_kind_back_exactly(database: Database, tmp_path: Path) -> None:
    binance = await account(database, user=USER, exchange="binance", name="Binance-1")
    await store_api(database, binance, history())
    path = tmp_path / "tallybot.csv"
    report = await ExportService(database).export(USER, fmt="tallybot", integration_id=binance, path=path)
    fresh = await account(database, user=USER + 5, exchange="binance", name="Restored")

    imported = await ImportService(database).import_file(USER + 5, fresh, "tallybot.csv", path.read_bytes())

    kinds = [row["kind"] for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))]
    assert kinds == ["deposit", "futures_trade", "futures_trade", "realized_pnl", "funding", "futures_trade",
                     "realized_pnl", "funding", "borrow", "trade", "interest", "repay"]  # fmt: skip
    assert (report.rows, report.skipped, imported.new, imported.already_known) == (12, {}, 12, 0)
    names = ("natural_key", "kind", "occurred_at", "exchange_tx_id", "market", "side", "asset", "amount",
             "quote_asset", "quote_amount", "price", "fee_asset", "fee_amount", "raw")  # fmt: skip
    original = [tuple(getattr(tx, name) for name in names) for tx in await stored(database, binance)]
    restored = [tuple(getattr(tx, name) for name in names) for tx in await stored(database, fresh)]
    assert restored == original


Back = tuple[str, str, str, Decimal]
# What each tax file gives back when uploaded (connectors/files/koinly_reader.py, cryptact_reader.py): the loans as
# loans; everything else a format states as one side, as a signed ledger line or a reward (by hand, from the rows).
KOINLY_BACK: list[Back] = sorted([
    ("deposit", "08:00", "USDT", D("1000")),
    ("ledger", "09:00", "USDT", D("-0.248")), ("ledger", "10:00", "USDT", D("-0.252")),  # the fills' fees (cost)
    ("ledger", "10:30", "USDT", D("10")), ("ledger", "11:00", "USDT", D("-0.05")),  # realized gain
    ("reward", "12:00", "USDT", D("0.01")),  # the maker rebate (income)
    ("ledger", "13:00", "USDT", D("-2.5")), ("ledger", "14:00", "USDT", D("0.02")),
    ("borrow", "15:00", "USDT", D("100")),
    ("trade", "15:30", "BTC", D("0.0016")),
    ("ledger", "16:00", "USDT", D("-0.004")),  # margin fee
    ("repay", "17:00", "USDT", D("100")),
])  # fmt: skip
CRYPTACT_BACK: list[Back] = sorted([
    ("ledger", "09:00", "USDT", D("-0.248")), ("ledger", "10:00", "USDT", D("-0.252")),  # LOSS
    ("reward", "10:30", "USDT", D("10")), ("ledger", "11:00", "USDT", D("-0.05")),  # BONUS, LOSS
    ("reward", "12:00", "USDT", D("0.01")),
    ("ledger", "13:00", "USDT", D("-2.5")), ("reward", "14:00", "USDT", D("0.02")),
    ("borrow", "15:00", "USDT", D("100")),
    ("trade", "15:30", "BTC", D("0.0016")),
    ("ledger", "16:00", "USDT", D("-0.004")),
    ("repay", "17:00", "USDT", D("100")),
])  # fmt: skip


@pytest.mark.parametrize(("fmt", "expected"), [("koinly", KOINLY_BACK), ("cryptact", CRYPTACT_BACK)])
async def test_the_tax_files_uploaded_again_give_the_loans_back_as_loans(
    database: Database, tmp_path: Path, fmt: str, expected: list[Back]
) -> None:
    binance = await account(database, user=USER, exchange="binance", name="Binance-1")
    await store_api(database, binance, history())
    report = await ExportService(database).export(USER, fmt=fmt, path=tmp_path / "out.csv")  # type: ignore[arg-type]
    fresh = await account(database, user=USER, exchange="binance", name="Back")

    read = await ImportService(database).import_file(USER, fresh, f"{fmt}.csv", (tmp_path / "out.csv").read_bytes())

    assert (read.format_name, read.new, read.rejected) == (fmt, report.rows, [])
    back = [(str(tx.kind), f"{tx.occurred_at:%H:%M}", tx.asset, tx.amount) for tx in await stored(database, fresh)]
    assert sorted(back) == expected


async def test_a_futures_and_margin_account_exports_to_koinly_and_cryptact_and_its_reconciliation_matches_status(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    """Through the bot: the files, the notes saying why fills are not trades, and the reconciliation file with the
    numbers /status shows (the exchange reports 0.0016 BTC: the history explains 0.0015984, a margin buy's fee)."""
    ada = Walker(telegram, telegram.add_user(user_id=USER, first_name="Ada", started=True))
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        binance = await account(services.database, user=USER, exchange="binance", name="Binance-1")
        await store_api(services.database, binance, history())
        reported = {"BTC": D("0.0016"), "USDT": USDT}
        async with services.database.writer() as session:  # the balances a sync read, not compared yet
            await ReconcileRepository(session).save(
                binance, checked_at=utcnow(), outcome="unread", error_code=None,
                wallets={"read": ["spot", "margin", "futures"], "failed": {}, "quotes": []},
                balances=[StoredBalance(asset, amount, D(0), None, None) for asset, amount in reported.items()],
            )  # fmt: skip
        status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
        koinly, _, koinly_note = await exported(ada, "/export koinly")
        cryptact, _, cryptact_note = await exported(ada, "/export cryptact")
        sent = await ada.send("/export tallybot")
        await ada.reply_to(sent, "Export which account")
        pressed = ada.newest_id()
        await ada.press("All accounts")
        sheet = await telegram.wait_for_bot_message(
            ada.chat_id,
            after_message_id=pressed,
            predicate=lambda m: m.document is not None and "reconciliation" in (m.document.file_name or ""),
        )

    assert rows(koinly, KOINLY_FIELDS) == KOINLY
    assert rows(cryptact, CRYPTACT_FIELDS) == CRYPTACT
    assert t("export.details.left_out", count=3, reason=t(KOINLY_FILL)) in koinly_note
    assert "Koinly takes derivatives as their realized profit and loss" in koinly_note
    assert t("export.details.left_out", count=3, reason=t(CRYPTACT_FILL)) in cryptact_note
    assert "BTC: Binance says 0.0016, the history explains 0.0015984 (+0.0000016)." in status, status
    assert status.count(" says ") == 1, "USDT is explained to the last digit"
    assert sheet.document is not None
    reconciliation = {row["asset"]: row for row in csv.DictReader(io.StringIO(sheet.document.content.decode()))}
    assert set(reconciliation) == {"BTC", "USDT"}
    btc, usdt = reconciliation["BTC"], reconciliation["USDT"]
    assert (btc["exchange_balance"], btc["history_balance"], btc["difference"]) == ("0.0016", "0.0015984", "0.0000016")
    assert btc["explanation"] and btc["explanation"] in status, "the cause /status names"
    assert (usdt["exchange_balance"], usdt["history_balance"], usdt["difference"]) == ("906.976", "906.976", "0")
