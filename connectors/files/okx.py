"""OKX exports: the trading-account history (spot fills) and the funding-account history (deposits, withdrawals).

Both start with a line such as "UID:…,Account Type:…,Time Zone:UTC+8" above the header; that zone is used, and
without it the user's. Neither has OKX's trade or deposit id (the `id` column is a bill id), so records are found
among stored ones by content.

The trading history writes one row per balance change: a fill is a row for the base coin and a row for the quote
coin, both with the fill's "Order id", time and "Filled Price". "Balance Change" is net of the fee charged on that
coin ("Fee", negative when charged), so the traded amounts are Balance Change − Fee on each side. Several fills of
one order at the same second and price cannot be told apart and become one record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from connectors.files.errors import RejectedRow, RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table, raw_row, rows_of
from connectors.files.values import number, optional_number, parse_time, split_pair
from connectors.records import NormalizedRecord, RecordKind

SOURCE = (
    "OKX's trading- and funding-history layouts as imported by BittyTax (src/bittytax/conv/parsers/okx.py), "
    "everytrade's OkxBeanV2 tests and other open-source importers; not checked against a fresh export"
)


@dataclass(slots=True)
class _Fill:
    line: int
    symbol: str
    price: Decimal
    rows: list[Sequence[str]] = field(default_factory=list)


def _read_trading(table: Table, context: Context) -> Iterator[Outcome]:
    fills: dict[tuple[str, str, str, str], _Fill] = {}
    for line, row in table.rows:
        trade_type = table.cell(row, "trade type")
        if trade_type.lower() == "transfer":
            yield Skipped(line, "a transfer between your own OKX accounts")
            continue
        if trade_type.lower() != "spot":
            yield Skipped(line, f"“{trade_type}”: not a spot trade")
            continue
        try:
            price = number(table.cell(row, "filled price"), "filled price")
        except RowError as error:
            yield RejectedRow(line, table.label(error.column), error.reason)
            continue
        key = (table.cell(row, "order id"), table.cell(row, "time"), table.cell(row, "symbol"), str(price))
        fill = fills.setdefault(key, _Fill(line, table.cell(row, "symbol"), price))
        fill.rows.append(row)
    for fill in sorted(fills.values(), key=lambda f: f.line):
        try:
            yield _fill_record(table, context, fill)
        except RowError as error:
            yield RejectedRow(fill.line, table.label(error.column), error.reason)


def _fill_record(table: Table, context: Context, fill: _Fill) -> ParsedRecord:
    base, quote = split_pair(fill.symbol, "symbol")
    legs: dict[str, Decimal] = {}
    fees: dict[str, Decimal] = {}
    for row in fill.rows:
        unit = table.cell(row, "balance unit").upper()
        change = number(table.cell(row, "balance change"), "balance change")
        fee = optional_number(table.cell(row, "fee"), "fee") or Decimal(0)
        fee_unit = (table.cell(row, "fee unit") or unit).upper()
        legs[unit] = legs.get(unit, Decimal(0)) + change - (fee if fee_unit == unit else Decimal(0))
        if fee:
            fees[fee_unit] = fees.get(fee_unit, Decimal(0)) + fee
    if base not in legs or quote not in legs:
        missing = base if base not in legs else quote
        raise RowError("balance unit", f"this {fill.symbol} fill has no row for {missing}: the export is cut")
    when, precision = parse_time(table.cell(fill.rows[0], "time"), "time", context.zone)
    side = "buy" if legs[base] > 0 else "sell"
    fee_asset, fee_total = next(iter(fees.items()), (None, None))
    base_code, quote_code = context.code(base), context.code(quote)
    record = NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=when,
        natural_key="",
        asset=base_code,
        amount=abs(legs[base]),
        market=f"{base_code}/{quote_code}",
        side=side,
        quote_asset=quote_code,
        quote_amount=abs(legs[quote]),
        price=fill.price,
        # OKX writes fees as balance changes (negative when charged); Tallybot stores charged fees as positive.
        fee_asset=context.code(fee_asset) if fee_asset else None,
        fee_amount=-fee_total if fee_total is not None else None,
        raw={"file_format": "okx-trading", "rows": [raw_row(table, row, "okx-trading") for row in fill.rows]},
    )
    return ParsedRecord(record, fill.line, keyed=False, precision=precision)


def _read_funding(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        type_text = table.cell(row, "type")
        kind = {"deposit": RecordKind.DEPOSIT, "withdrawal": RecordKind.WITHDRAWAL}.get(type_text.lower())
        if kind is None:
            return Skipped(line, f"“{type_text}”: not a deposit or withdrawal")
        when, precision = parse_time(table.cell(row, "time"), "time", context.zone)
        symbol = table.cell(row, "symbol")
        if not symbol:
            raise RowError("symbol", "is empty; the coin is needed")
        fee = optional_number(table.cell(row, "fee"), "fee") if table.has("fee") else None
        fee = abs(fee) if fee else None
        record = NormalizedRecord(
            kind=kind,
            occurred_at=when,
            natural_key="",
            asset=context.code(symbol),
            amount=abs(number(table.cell(row, "amount"), "amount")),
            fee_asset=context.code(symbol) if fee is not None else None,
            fee_amount=fee,
            raw=raw_row(table, row, "okx-funding"),
        )
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="okx-trading",
        title="OKX — trading account history (spot trades)",
        exchange="okx",
        columns=(
            "id",
            "order id",
            "time",
            "trade type",
            "symbol",
            "action",
            "filled price",
            "fee",
            "fee unit",
            "balance change",
            "balance unit",
        ),
        reader=_read_trading,
        time_column="time",
        source=SOURCE,
    ),
    FileFormat(
        name="okx-funding",
        title="OKX — funding account history (deposits and withdrawals)",
        exchange="okx",
        columns=("id", "time", "type", "amount", "before balance", "after balance", "symbol"),
        reader=_read_funding,
        time_column="time",
        source=SOURCE,
    ),
)
