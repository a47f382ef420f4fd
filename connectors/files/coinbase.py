"""Coinbase's transaction history report (Statements › Generate report, CSV), in each layout it has shipped.

The report has a few lines above its header ("Transactions", "User, …") and one row per Coinbase App
transaction. Each row is read as the fetcher reads the same v2 transaction (connectors/fetchers/coinbase/rows.py):
a Buy or Sell is a trade for the user's currency, Send a withdrawal, Receive and Deposit deposits, staking and
other income rewards, moves to and from Coinbase Pro, Exchange and the Vault transfers, a Convert two convert legs,
and any other type a ledger line with its sign. The report's ID is not documented to be the API's transaction id,
so rows are found among stored ones by content (kind, coin, side, amount, time to the second): Send rows match
either the amount sent or the amount with its network fee (`fee_included`). Advanced Trade rows are skipped: the
sync reads those fills one by one from the Advanced Trade API, which the report's rows are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from connectors.files.errors import RejectedRow, RowError
from connectors.files.formats import (
    Context,
    FileFormat,
    Outcome,
    ParsedRecord,
    Skipped,
    Table,
    Zone,
    normalize_header,
    raw_row,
    rows_of,
)
from connectors.files.values import number, optional_number, parse_time
from connectors.files.wallet import direction
from connectors.profiles.catalog.coinbase import PROFILE as COINBASE
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, msgid

# The full source, with what it says, is in docs/FILE-FORMATS.md.
SOURCE = "BittyTax:src/bittytax/conv/parsers/coinbase.py"

# The report's column titles in its four layouts, and what each holds; a role with two titles is read from the
# first the file has.
TITLES: dict[str, str] = {
    "Timestamp": "time",
    "Transaction Type": "type",
    "Asset": "asset",
    "Quantity Transacted": "quantity",
    "Subtotal": "subtotal",
    "Notes": "notes",
    "Price Currency": "currency",
    "Spot Price Currency": "currency",
    "Total (inclusive of fees and/or spread)": "total",
    "Total (inclusive of fees)": "total",
    "Fees and/or Spread": "fees",
    "Fees": "fees",
}
REQUIRED = ("time", "type", "asset", "quantity", "subtotal", "notes")


def specs(role: str) -> tuple[str, ...]:
    return tuple(normalize_header(title) for title, held in TITLES.items() if held == role)


# Each transaction type the report writes, read as the fetcher reads the same v2 type: (kind, side).
KINDS: dict[str, tuple[RecordKind, str | None]] = {
    "buy": (RecordKind.TRADE, "buy"),
    "sell": (RecordKind.TRADE, "sell"),
    "receive": (RecordKind.DEPOSIT, None),
    "deposit": (RecordKind.DEPOSIT, None),
    "send": (RecordKind.WITHDRAWAL, None),
    "withdrawal": (RecordKind.WITHDRAWAL, None),
    "staking income": (RecordKind.REWARD, None),
    "rewards income": (RecordKind.REWARD, None),
    "reward income": (RecordKind.REWARD, None),
    "inflation reward": (RecordKind.REWARD, None),
    "interest payout": (RecordKind.REWARD, None),
    "learning reward": (RecordKind.REWARD, None),
    "coinbase earn": (RecordKind.REWARD, None),
    "exchange deposit": (RecordKind.TRANSFER, "out"),  # from the Coinbase App to Coinbase Exchange/Pro
    "pro deposit": (RecordKind.TRANSFER, "out"),
    "exchange withdrawal": (RecordKind.TRANSFER, "in"),
    "pro withdrawal": (RecordKind.TRANSFER, "in"),
    "vault withdrawal": (RecordKind.TRANSFER, "in"),
}
# Rows of fills the sync reads one by one from the Advanced Trade API ("Advance" is how older reports spell it).
ADVANCED = {"advanced trade buy": True, "advanced trade sell": True, "advance trade buy": True,
            "advance trade sell": True}  # fmt: skip
_CONVERTED = re.compile(r"^Converted\s+([\d,]*\.?\d+)\s+(\S+)\s+to\s+([\d,]*\.?\d+)\s+(\S+)\s*$", re.IGNORECASE)
_MONEY = re.compile(r"[^\d.eE+-]")


def money(text: str, column: str) -> Decimal | None:
    """A report cell with its currency sign ("$1,234.56", "-€5.00", "£0.99"): the number, exact; None if empty."""
    cleaned = _MONEY.sub("", text.replace(",", ""))
    return optional_number(cleaned, column)


def _columns(table: Table) -> dict[str, str]:
    """Each role's column spec in this file (the first of its titles the header has)."""
    return {
        role: next((spec for spec in specs(role) if table.has(spec)), specs(role)[0]) for role in set(TITLES.values())
    }


def _read(table: Table, context: Context) -> Iterator[Outcome]:
    col = _columns(table)

    def read(line: int, row: Sequence[str]) -> Outcome | None:
        kind_text = table.cell(row, col["type"])
        lowered = kind_text.lower()
        if ADVANCED.get(lowered):
            return Skipped(line, Text.of("file.skip.coinbase_advanced_trade"))
        when, precision = parse_time(table.cell(row, col["time"]), col["time"], context.zone)
        asset = context.code(table.cell(row, col["asset"]))
        if not asset:
            raise RowError(col["asset"], Text.of("file.row.empty_coin"))
        signed = number(table.cell(row, col["quantity"]), col["quantity"])
        fee = money(table.cell(row, col["fees"]), col["fees"])
        fee = abs(fee) if fee else None
        currency = context.code(table.cell(row, col["currency"]))
        raw = raw_row(table, row, "coinbase-transactions")

        def made(kind: RecordKind, amount: Decimal, side: str | None = None, quote: str | None = None) -> ParsedRecord:
            value = money(table.cell(row, col["total"]), col["total"]) if quote is not None else None
            # The fee column is money in the price currency: a trade's fee in its quote, a fiat deposit's or
            # withdrawal's in its own coin; for any other row it is a crypto fee's value in fiat, which stays in `raw`.
            charged = fee if quote is not None or asset == currency else None
            record = NormalizedRecord(
                kind=kind,
                occurred_at=when,
                natural_key="",
                asset=asset,
                amount=amount,
                market=f"{asset}/{quote}" if quote is not None else None,
                side=side,
                quote_asset=quote,
                quote_amount=abs(value) if value is not None else None,
                fee_asset=(quote or asset) if charged else None,
                fee_amount=charged,
                raw=raw,
            )
            return ParsedRecord(record, line, keyed=False, precision=precision, fee_included=lowered == "send")

        kind, side = KINDS.get(lowered, (RecordKind.LEDGER, None))
        if kind is RecordKind.TRADE:
            return made(kind, abs(signed), side, currency)
        if kind is RecordKind.WITHDRAWAL and asset == currency and fee:
            # A fiat withdrawal's quantity includes its fee (BittyTax reads it so): the amount sent is the rest.
            return made(kind, abs(signed) - fee, side)
        if kind is not RecordKind.LEDGER:
            return made(kind, abs(signed), side)
        if lowered == "convert":
            return None  # read by _converts, which gives each its two legs
        # Any other type (rebates, donations, admin debits, new types) moves money: kept with its sign, as the
        # fetcher keeps an unknown v2 type.
        return made(RecordKind.LEDGER, signed, direction(signed))

    yield from rows_of(table, read)
    yield from _converts(table, context, col)


def _converts(table: Table, context: Context, col: dict[str, str]) -> Iterator[Outcome]:
    """A Convert row as the API has it: two legs, the coin given ("out") and the coin received ("in")."""
    for line, row in table.rows:
        if table.cell(row, col["type"]).lower() != "convert":
            continue
        try:
            when, precision = parse_time(table.cell(row, col["time"]), col["time"], context.zone)
            given = abs(number(table.cell(row, col["quantity"]), col["quantity"]))
            match = _CONVERTED.match(table.cell(row, col["notes"]))
            if match is None:
                raise RowError(
                    col["notes"], Text.of("file.row.coinbase_convert_note", text=table.cell(row, col["notes"])[:80])
                )
            received = number(match.group(3).replace(",", ""), col["notes"])
        except RowError as error:
            yield RejectedRow(line, table.label(error.column), error.reason)
            continue
        raw = raw_row(table, row, "coinbase-transactions")
        legs = (
            (context.code(table.cell(row, col["asset"])), given, "out"),
            (context.code(match.group(4)), received, "in"),
        )
        for asset, amount, side in legs:
            yield _leg(when, precision, asset, amount, side, raw, line)


def _leg(when: datetime, precision: int, asset: str, amount: Decimal, side: str, raw: dict[str, str],
         line: int) -> ParsedRecord:  # fmt: skip
    record = NormalizedRecord(
        kind=RecordKind.CONVERT, occurred_at=when, natural_key="", asset=asset, amount=amount, side=side, raw=raw
    )
    return ParsedRecord(record, line, keyed=False, precision=precision)


FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="coinbase-transactions",
        title=msgid("file.format.coinbase_transactions"),
        exchange=COINBASE.id,
        columns=tuple(specs(role)[0] for role in REQUIRED),
        reader=_read,
        time_column=specs("time")[0],
        zone=Zone.UTC,
        source=SOURCE,
    ),
)
