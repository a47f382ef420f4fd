"""Koinly's and Cryptact's files read back: an account holding every kind of record (tests/files/test_export_kinds.py)
exported for each tool, then uploaded through the real import into a fresh account, gives the same records back:
kind, time, coin, amount, the other side of a trade, fee.

What a format cannot carry is named here, record by record, and nothing else differs:
- both: transfers between own accounts have no row (Bitget `Transfer in` #16, OKX bill b4), and neither does the
  ledger line of a type no rule names (Bitget `Increase exchange rate` #18); the export's note says so;
- both: a convert comes back a trade (neither format has a convert); a trade's price is not kept by Koinly;
  a trade's maker rebate (OKX trade 77, fee −0.0001 ETH) comes back as the trade without a fee plus a reward of
  0.0001 ETH, which is how both files state income; Bitget's two ledger legs of one trade come back as that trade;
- both: a futures line with nothing but its fee (Bitget #31, amount 0, fee 0.06) comes back as a −0.06 ledger line;
  a ccxt `referral` ledger line (l-1) comes back a reward;
- Cryptact: the deposit (#10) has no row, and a withdrawal (#17) only its fee (a −1 USDT ledger line); a futures
  profit or funding received (#32, #35) is BONUS and comes back a reward, and a fee on such a line its own line.
Expected values are written by hand from the rows in test_export_kinds.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.exports import ExportService
from bot.imports import ImportService
from connectors.files.parse import parse
from db.engine import Database
from i18n import render
from tests.files.samples import csv_bytes
from tests.files.test_export_kinds import USER, store_every_kind
from tests.files.test_imports import account, stored

D = Decimal
N = None
Seen = tuple[str, str, str, Decimal, str | None, str | None, Decimal | None, str | None, Decimal | None]


def at(hours: float) -> str:
    return (datetime(2024, 3, 1, tzinfo=UTC) + timedelta(hours=hours)).strftime("%H:%M")


def seen(kind: str, hours: float, asset: str, amount: str, side: str | None = N, quote: str | None = N,
         quote_amount: str | None = N, fee_asset: str | None = N, fee: str | None = N) -> Seen:  # fmt: skip
    return (kind, at(hours), asset, D(amount), side, quote, D(quote_amount) if quote_amount else N, fee_asset,
            D(fee) if fee else N)  # fmt: skip


KOINLY = sorted([
    seen("deposit", 0, "USDT", "1000"),
    seen("trade", 1, "BTC", "0.002", "buy", "USDT", "124", "BTC", "0.000002"),  # Bitget legs 11 + 12
    seen("reward", 2, "USDT", "0.5"),  # interest
    seen("reward", 2.5, "ARB", "10"),  # airdrop
    seen("reward", 3, "USDT", "0.03"),  # fee rebate
    seen("withdrawal", 4, "USDT", "50", fee_asset="USDT", fee="1"),
    seen("trade", 5, "ETH", "0.05", "buy", "USDT", "150", "ETH", "0.00005"),  # UTA legs 21 + 22
    seen("ledger", 6, "USDT", "-0.06"),  # #31: its fee only
    seen("ledger", 7, "USDT", "12.5"),
    seen("ledger", 7, "USDT", "-0.07"),  # Koinly: a deposit has no fee, so the profit's fee is a cost row
    seen("ledger", 8, "USDT", "-3.2", fee_asset="USDT", fee="0.05"),
    seen("ledger", 9, "USDT", "-0.8"),  # funding paid
    seen("ledger", 10, "USDT", "0.4"),  # funding received
    seen("ledger", 11, "USDT", "-0.1"),  # margin interest
    seen("reward", 12, "SOL", "0.01"),
    seen("reward", 12.5, "OP", "3"),
    seen("reward", 13, "USDT", "0.2"),
    seen("trade", 14, "ETH", "0.5", "buy", "USDT", "1150"),  # OKX 77, its rebate below
    seen("reward", 14, "ETH", "0.0001"),
    seen("reward", 16, "BNB", "0.003"),
    seen("trade", 17, "ETH", "0.1", "buy", "USDT", "230.5"),  # the convert c-9
    seen("reward", 18, "USDT", "0.7"),  # the referral l-1
])  # fmt: skip
CRYPTACT = sorted([
    seen("trade", 1, "BTC", "0.002", "buy", "USDT", "124", "BTC", "0.000002"),
    seen("reward", 2, "USDT", "0.5"),
    seen("reward", 2.5, "ARB", "10"),
    seen("reward", 3, "USDT", "0.03"),
    seen("ledger", 4, "USDT", "-1", "sendfee"),  # the withdrawal's fee
    seen("trade", 5, "ETH", "0.05", "buy", "USDT", "150", "ETH", "0.00005"),
    seen("ledger", 6, "USDT", "-0.06", "loss"),
    seen("reward", 7, "USDT", "12.5"),
    seen("ledger", 7, "USDT", "-0.07", "loss"),
    seen("ledger", 8, "USDT", "-3.2", "loss"),
    seen("ledger", 8, "USDT", "-0.05", "loss"),
    seen("ledger", 9, "USDT", "-0.8", "loss"),
    seen("reward", 10, "USDT", "0.4"),
    seen("ledger", 11, "USDT", "-0.1", "loss"),
    seen("reward", 12, "SOL", "0.01"),
    seen("reward", 12.5, "OP", "3"),
    seen("reward", 13, "USDT", "0.2"),
    seen("trade", 14, "ETH", "0.5", "buy", "USDT", "1150"),
    seen("reward", 14, "ETH", "0.0001"),
    seen("reward", 16, "BNB", "0.003"),
    seen("trade", 17, "ETH", "0.1", "buy", "USDT", "230.5"),
    seen("reward", 18, "USDT", "0.7"),
])  # fmt: skip
LEFT_OUT = {  # by the export, with its reason: records of the account the file cannot carry (the docstring)
    "koinly": {"export.skip.koinly_transfer": 2, "export.skip.unknown_ledger": 1},
    "cryptact": {"export.skip.cryptact_transfer": 2, "export.skip.unknown_ledger": 1, "export.skip.deposit": 1},
}


@pytest.mark.parametrize(("fmt", "expected"), [("koinly", KOINLY), ("cryptact", CRYPTACT)])
async def test_an_account_of_every_kind_exported_and_uploaded_again_gives_its_records_back(
    database: Database, tmp_path: Path, fmt: str, expected: list[Seen]
) -> None:
    await store_every_kind(database, USER)
    report = await ExportService(database).export(USER, fmt=fmt, path=tmp_path / "out.csv")  # type: ignore[arg-type]
    content = (tmp_path / "out.csv").read_bytes()
    fresh = await account(database, user=USER, exchange="okx", name="Back")
    service = ImportService(database)

    first = await service.import_file(USER, fresh, f"tallybot-{fmt}.csv", content)
    again = await service.import_file(USER, fresh, f"tallybot-{fmt}.csv", content)

    assert (first.format_name, first.rows_read, first.new, first.rejected) == (fmt, report.rows, report.rows, [])
    assert report.skipped == LEFT_OUT[fmt]
    assert (again.new, again.already_known) == (0, report.rows), "the same file twice adds nothing"
    back = [
        (str(tx.kind), tx.occurred_at.astimezone(UTC).strftime("%H:%M"), tx.asset, tx.amount,
         tx.side if str(tx.kind) == "trade" or (fmt == "cryptact" and str(tx.kind) == "ledger") else None,
         tx.quote_asset, tx.quote_amount, tx.fee_asset, tx.fee_amount)
        for tx in await stored(database, fresh)
    ]  # fmt: skip
    assert sorted(back) == expected


SOLD = "OKX Main: trade ETH/USDT #5"  # the Description Tallybot's Koinly export writes for a sale


def test_a_sale_in_koinly_is_told_from_a_purchase_by_the_market_in_its_description() -> None:
    header = ["Date", "Sent Amount", "Sent Currency", "Received Amount", "Received Currency", "Fee Amount",
              "Fee Currency", "Net Worth Amount", "Net Worth Currency", "Label", "Description", "TxHash"]  # fmt: skip
    rows = [  # the second row as written by hand: no market named, so the coin received is bought
        header,
        ["2024-03-01 10:00:00 UTC", "0.5", "ETH", "1150", "USDT", "1.15", "USDT", "", "", "", SOLD, ""],
        ["2024-03-01 11:00 UTC", "100", "USDT", "0.04", "ETH", "", "", "", "", "", "by hand", ""],
    ]
    parsed = parse("koinly.csv", csv_bytes(rows), exchange_id="okx")
    records = [(r.record.side, r.record.asset, r.record.amount, r.record.quote_asset, r.record.quote_amount,
                r.record.fee_asset, r.record.fee_amount) for r in parsed.records]  # fmt: skip
    assert records == [
        ("sell", "ETH", D("0.5"), "USDT", D("1150"), "USDT", D("1.15")),
        ("buy", "ETH", D("0.04"), "USDT", D("100"), None, None),  # no market named: the coin received is bought
    ]


def test_a_label_or_action_tallybot_cannot_store_is_a_rejected_row_that_names_it() -> None:
    koinly = [["Date", "Sent Amount", "Sent Currency", "Received Amount", "Received Currency", "Label"],
              ["2024-03-01 10:00:00 UTC", "", "", "5", "USDT", "gift"]]  # fmt: skip
    cryptact = [["Timestamp", "Action", "Source", "Base", "Volume", "Price", "Counter", "Fee", "FeeCcy"],
                ["2024/03/01 10:00:00", "LEND", "OKX", "USDT", "5", "", "JPY", "0", "JPY"]]  # fmt: skip

    koinly_rejected = parse("k.csv", csv_bytes(koinly)).rejected
    cryptact_rejected = parse("c.csv", csv_bytes(cryptact)).rejected

    assert [(r.line, r.column) for r in koinly_rejected] == [(2, "Label")]
    assert render(koinly_rejected[0].reason) == (
        "is “gift”, a label Tallybot cannot store; it reads airdrop, cashback, cost, fee, fork, income, lending "
        "interest, loan, loan fee, loan repayment, margin fee, margin loan, margin repayment, mining, realized gain, "
        "reward, or staking"
    )
    assert [(r.line, r.column) for r in cryptact_rejected] == [(2, "Action")]
    assert render(cryptact_rejected[0].reason) == (
        "is “LEND”, an action Tallybot cannot store; it reads BONUS, BORROW, BUY, DEFIFEE, LENDING, LOSS, MINING, "
        "PAY, REDUCE, RETURN, SELL, SENDFEE, or STAKING"
    )
