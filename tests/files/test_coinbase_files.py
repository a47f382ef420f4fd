"""Coinbase's transaction history report, each layout docs/FILE-FORMATS.md lists, built from its documented header
with the lines Coinbase writes above it and rows written by hand: exact UTC records, read as the API sync reads the
same transactions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.files import parse
from connectors.files.formats import ParsedRecord
from i18n import Text
from tests.files.samples import csv_bytes

D = Decimal
TAIL = ["Subtotal", "Total (inclusive of fees and/or spread)", "Fees and/or Spread", "Notes"]
V4_ID = [
    "ID",
    "Timestamp",
    "Transaction Type",
    "Asset",
    "Quantity Transacted",
    "Price Currency",
    "Price at Transaction",
    *TAIL,
]
V4 = V4_ID[1:]
V3 = [
    "Timestamp",
    "Transaction Type",
    "Asset",
    "Quantity Transacted",
    "Spot Price Currency",
    "Spot Price at Transaction",
    *TAIL,
]
V2 = [*V3[:6], "Subtotal", "Total (inclusive of fees)", "Fees", "Notes"]
PREAMBLE = [["Transactions"], ["User", "Ada Lovelace", "5f0c1b2a-0000-4000-8000-000000000000"]]


def summary(p: ParsedRecord) -> tuple[object, ...]:
    r = p.record
    return (
        str(r.kind),
        r.occurred_at,
        r.asset,
        r.amount,
        r.side,
        r.quote_asset,
        r.quote_amount,
        r.fee_asset,
        r.fee_amount,
        p.fee_included,
    )


def report(header: list[str], signed: bool) -> bytes:
    """The report's rows; the layouts with "Price Currency" write money with its sign and signed quantities."""

    def money(value: str) -> str:
        return ("-$" + value[1:] if value.startswith("-") else "$" + value) if signed else value.lstrip("-")

    def row(
        ident: str,
        when: str,
        kind: str,
        asset: str,
        qty: str,
        price: str,
        subtotal: str,
        total: str,
        fees: str,
        notes: str,
    ) -> list[str]:
        quantity = qty if signed else qty.lstrip("-")
        cells = [
            ident,
            when,
            kind,
            asset,
            quantity,
            "USD",
            money(price),
            money(subtotal),
            money(total),
            money(fees),
            notes,
        ]
        return cells if header[0] == "ID" else cells[1:]

    when = "2024-03-01 10:00:00 UTC" if signed else "2021-03-01T10:00:00Z"
    rows = [
        *PREAMBLE,
        header,
        row(
            "65e1a0000000000000000001",
            when,
            "Buy",
            "BTC",
            "0.002",
            "50000",
            "100",
            "101.99",
            "1.99",
            "Bought 0.002 BTC for 101.99 USD",
        ),
        row(
            "65e1a0000000000000000002",
            when.replace("10:", "11:"),
            "Send",
            "BTC",
            "-0.001",
            "50000",
            "50",
            "50",
            "0",
            "Sent 0.001 BTC to bc1qexample",
        ),
        row(
            "65e1a0000000000000000003",
            when.replace("10:", "12:"),
            "Staking Income",
            "ETH",
            "0.0012",
            "3000",
            "3.6",
            "3.6",
            "0",
            "",
        ),
        row(
            "65e1a0000000000000000004",
            when.replace("10:", "13:"),
            "Convert",
            "ETH",
            "-0.5",
            "3000",
            "1500",
            "1500",
            "0",
            "Converted 0.5 ETH to 1,499.25 USDC",
        ),
        row(
            "65e1a0000000000000000005",
            when.replace("10:", "14:"),
            "Advanced Trade Buy",
            "SOL",
            "1",
            "100",
            "100",
            "100.6",
            "0.6",
            "Bought 1 SOL for 100.6 USD on SOL-USD at 100 USD/SOL",
        ),
        row(
            "65e1a0000000000000000006",
            when.replace("10:", "15:"),
            "Receive",
            "USDC",
            "25",
            "1",
            "25",
            "25",
            "0",
            "Received 25 USDC from an external account",
        ),
        row(
            "65e1a0000000000000000007",
            when.replace("10:", "16:"),
            "Pro Deposit",
            "BTC",
            "-0.0005",
            "50000",
            "25",
            "25",
            "0",
            "",
        ),
    ]
    return csv_bytes(rows)


def at(hour: int, year: int) -> datetime:
    return datetime(year, 3, 1, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "signed"), [(V4_ID, True), (V4, True), (V3, False), (V2, False)], ids=["v4-id", "v4", "v3", "v2"]
)
def test_the_transaction_report_reads_each_kind_as_the_sync_reads_the_same_transaction(
    header: list[str], signed: bool
) -> None:
    parsed = parse("Coinbase-transactions.csv", report(header, signed), exchange_id="coinbase")
    assert (parsed.format.name, parsed.rejected) == ("coinbase-transactions", [])
    year = 2024 if signed else 2021
    assert [summary(p) for p in sorted(parsed.records, key=lambda p: (p.line, str(p.record.side)))] == [
        ("trade", at(10, year), "BTC", D("0.002"), "buy", "USD", D("101.99"), "USD", D("1.99"), False),
        # a Send matches a stored withdrawal by the amount sent or by that amount with its network fee
        ("withdrawal", at(11, year), "BTC", D("0.001"), None, None, None, None, None, True),
        ("reward", at(12, year), "ETH", D("0.0012"), None, None, None, None, None, False),
        # a convert is its two legs, as the API's two transactions (one in each account) are
        ("convert", at(13, year), "USDC", D("1499.25"), "in", None, None, None, None, False),
        ("convert", at(13, year), "ETH", D("0.5"), "out", None, None, None, None, False),
        ("deposit", at(15, year), "USDC", D("25"), None, None, None, None, None, False),
        ("transfer", at(16, year), "BTC", D("0.0005"), "out", None, None, None, None, False),
    ]
    assert parsed.skip_reasons == {Text.of("file.skip.coinbase_advanced_trade"): 1}


def test_a_convert_whose_note_does_not_say_what_it_gave_is_rejected_by_line() -> None:
    rows = [
        *PREAMBLE,
        V4,
        ["2024-03-01 13:00:00 UTC", "Convert", "ETH", "-0.5", "USD", "$3000", "$1500", "$1500", "$0", "Swapped"],
    ]
    parsed = parse("report.csv", csv_bytes(rows), exchange_id="coinbase")
    assert [(r.line, r.column) for r in parsed.rejected] == [(4, "Notes")]


FILLS = [
    "trade id",
    "product",
    "side",
    "created at",
    "size",
    "size unit",
    "price",
    "fee",
    "total",
    "price/fee/total unit",
]


@pytest.mark.parametrize("header", [FILLS, ["portfolio", *FILLS]], ids=["v1", "portfolio"])
def test_the_fills_report_is_one_trade_a_fill_with_its_value_apart_from_the_fee(header: list[str]) -> None:
    def fill(*cells: str) -> list[str]:
        return ["default", *cells] if header[0] == "portfolio" else list(cells)

    rows = [
        header,
        # a buy's total is what was paid, fee included; a sell's what was received, fee taken
        fill(
            "7781234", "BTC-USD", "BUY", "2021-03-01T10:00:00.123Z", "0.002", "BTC", "50000.00", "0.5", "-100.5", "USD"
        ),
        fill(
            "7781235",
            "ETH-BTC",
            "SELL",
            "2021-03-02T11:30:15.900Z",
            "1.5",
            "ETH",
            "0.0312",
            "0.0000936",
            "0.0467064",
            "BTC",
        ),
    ]
    parsed = parse("fills.csv", csv_bytes(rows), exchange_id="coinbase")
    assert (parsed.format.name, parsed.rejected) == ("coinbase-fills", [])
    assert [
        (
            str(r.kind),
            r.occurred_at,
            r.asset,
            r.amount,
            r.side,
            r.quote_asset,
            r.quote_amount,
            r.price,
            r.fee_asset,
            r.fee_amount,
            r.exchange_tx_id,
        )
        for r in (p.record for p in parsed.records)
    ] == [
        (
            "trade",
            datetime(2021, 3, 1, 10, 0, 0, 123000, UTC),
            "BTC",
            D("0.002"),
            "buy",
            "USD",
            D("100.0"),
            D("50000.00"),
            "USD",
            D("0.5"),
            "7781234",
        ),
        (
            "trade",
            datetime(2021, 3, 2, 11, 30, 15, 900000, UTC),
            "ETH",
            D("1.5"),
            "sell",
            "BTC",
            D("0.0468"),
            D("0.0312"),
            "BTC",
            D("0.0000936"),
            "7781235",
        ),
    ]


def test_the_fee_column_is_kept_only_where_it_is_in_the_rows_own_coin() -> None:
    rows = [
        *PREAMBLE,
        V4_ID,
        # a send's fee is the network fee's value in dollars: not a BTC fee, so it stays in raw
        ["a1", "2024-03-01 10:00:00 UTC", "Send", "BTC", "-0.001", "USD", "$50000", "$50", "$50.50", "$0.50", ""],
        # a fiat withdrawal's quantity includes its fee: 100 USD left the account, 98.51 arrived at the bank
        ["a2", "2024-03-02 10:00:00 UTC", "Withdrawal", "USD", "-100", "USD", "$1", "$98.51", "$100", "$1.49", ""],
        ["a3", "2024-03-03 10:00:00 UTC", "Deposit", "USD", "250", "USD", "$1", "$250", "$250", "$0.00", ""],
    ]
    parsed = parse("report.csv", csv_bytes(rows), exchange_id="coinbase")
    assert [summary(p) for p in parsed.records] == [
        ("withdrawal", datetime(2024, 3, 1, 10, tzinfo=UTC), "BTC", D("0.001"), None, None, None, None, None, True),
        (
            "withdrawal",
            datetime(2024, 3, 2, 10, tzinfo=UTC),
            "USD",
            D("98.51"),
            None,
            None,
            None,
            "USD",
            D("1.49"),
            False,
        ),
        ("deposit", datetime(2024, 3, 3, 10, tzinfo=UTC), "USD", D("250"), None, None, None, None, None, False),
    ]
    assert parsed.records[0].record.raw["Fees and/or Spread"] == "$0.50"
