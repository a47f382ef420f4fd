"""OKX exports: the trading-account history (spot fills) and the funding-account history (deposits, withdrawals).

Both start with a line such as "UID:…,Account Type:…,Time Zone:UTC+8" above the header; that zone is used, and
without it the user's. Neither has OKX's trade or deposit id (the `id` column is a bill id), so records are found
among stored ones by content.

The trading history writes one row per balance change: a fill is a row for the base coin and a row for the quote
coin, both with the fill's "Order id", time and "Filled Price". "Balance Change" is net of the fee charged on that
coin ("Fee", negative when charged), so the traded amounts are Balance Change − Fee on each side.

One order's fills at the same second and price are told apart by their ids: OKX numbers the two rows of a fill
one after the other (…672 ADA, …673 EUR), so the rows are sorted by id and the k-th base row is paired with the
k-th quote row, one record per fill as the API's fill list has them (two identical fills stay two records and each
meets one stored fill by content). Only where the counts of base and quote rows differ (a cut export) are the rows
summed into one record. Transfers between own accounts are kept as transfers; other non-spot rows are skipped
(the API sync reads derivatives from their own endpoints).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from connectors.files.errors import RejectedRow, RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table, raw_row
from connectors.files.okx_legacy import LEGACY_FORMATS
from connectors.files.values import number, optional_number, parse_time, split_pair
from connectors.files.wallet import Kind, WalletLayout, direction
from connectors.profiles.catalog.okx import PROFILE as OKX
from connectors.records import NormalizedRecord, RecordKind, Side
from i18n import Text, msgid

# Where the layouts come from (docs/FILE-FORMATS.md): BittyTax's OKX parser, everytrade's OkxBeanV2 tests and other
# open-source importers; not checked against a fresh export.
SOURCE = "BittyTax:src/bittytax/conv/parsers/okx.py"
TRADING_COLUMNS = (
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
)
_, ORDER_ID, TIME, TRADE_TYPE, SYMBOL, _, FILLED_PRICE, FEE, FEE_UNIT, BALANCE_CHANGE, BALANCE_UNIT = TRADING_COLUMNS
FUNDING_COLUMNS = ("id", TIME, "type", "amount", "before balance", "after balance", SYMBOL)
AMOUNT = FUNDING_COLUMNS[3]


@dataclass(slots=True)
class _Fill:
    line: int
    symbol: str
    price: Decimal
    rows: list[tuple[int, Sequence[str]]] = field(default_factory=list)


def _read_trading(table: Table, context: Context) -> Iterator[Outcome]:
    fills: dict[tuple[str, str, str, str], _Fill] = {}
    for line, row in table.rows:
        trade_type = table.cell(row, TRADE_TYPE)
        if trade_type.lower() == "transfer":
            yield _transfer(table, context, line, row)
            continue
        if trade_type.lower() != "spot":
            yield Skipped(line, Text.of("file.skip.not_spot", type=trade_type))
            continue
        try:
            price = number(table.cell(row, FILLED_PRICE), FILLED_PRICE)
        except RowError as error:
            yield RejectedRow(line, table.label(error.column), error.reason)
            continue
        key = (table.cell(row, ORDER_ID), table.cell(row, TIME), table.cell(row, SYMBOL), str(price))
        fill = fills.setdefault(key, _Fill(line, table.cell(row, SYMBOL), price))
        fill.rows.append((line, row))
    for fill in _each_fill(table, fills.values()):
        try:
            yield _fill_record(table, context, fill)
        except RowError as error:
            yield RejectedRow(fill.line, table.label(error.column), error.reason)


def _each_fill(table: Table, groups: Iterable[_Fill]) -> list[_Fill]:
    """The rows of one order, second and price split into fills (see the module docstring), by first line."""
    fills: list[_Fill] = []
    for group in groups:
        try:
            base, _ = split_pair(group.symbol, SYMBOL)
        except RowError:
            fills.append(group)  # _fill_record says what is wrong
            continue
        ordered = sorted(group.rows, key=lambda item: _id_order(table.cell(item[1], "id"), item[0]))
        base_rows = [item for item in ordered if table.cell(item[1], BALANCE_UNIT).upper() == base]
        quote_rows = [item for item in ordered if table.cell(item[1], BALANCE_UNIT).upper() != base]
        if len(base_rows) != len(quote_rows) or len(base_rows) < 2:
            fills.append(group)
            continue
        for pair in zip(base_rows, quote_rows, strict=True):
            fills.append(_Fill(min(line for line, _ in pair), group.symbol, group.price, list(pair)))
    return sorted(fills, key=lambda f: f.line)


def _id_order(text: str, line: int) -> tuple[int, int]:
    return (int(text), line) if text.isdigit() else (0, line)


def _transfer(table: Table, context: Context, line: int, row: Sequence[str]) -> Outcome:
    """A move between own OKX accounts, kept as the API sync keeps funding transfers."""
    try:
        when, precision = parse_time(table.cell(row, TIME), TIME, context.zone)
        change = number(table.cell(row, BALANCE_CHANGE), BALANCE_CHANGE)
    except RowError as error:
        return RejectedRow(line, table.label(error.column), error.reason)
    record = NormalizedRecord(
        kind=RecordKind.TRANSFER,
        occurred_at=when,
        natural_key="",
        asset=context.code(table.cell(row, BALANCE_UNIT)),
        amount=abs(change),
        side=direction(change),
        raw=raw_row(table, row, "okx-trading"),
    )
    return ParsedRecord(record, line, keyed=False, precision=precision)


def _fill_record(table: Table, context: Context, fill: _Fill) -> ParsedRecord:
    base, quote = split_pair(fill.symbol, SYMBOL)
    legs: dict[str, Decimal] = {}
    fees: dict[str, Decimal] = {}
    for _, row in fill.rows:
        unit = table.cell(row, BALANCE_UNIT).upper()
        change = number(table.cell(row, BALANCE_CHANGE), BALANCE_CHANGE)
        fee = optional_number(table.cell(row, FEE), FEE) or Decimal(0)
        fee_unit = (table.cell(row, FEE_UNIT) or unit).upper()
        legs[unit] = legs.get(unit, Decimal(0)) + change - (fee if fee_unit == unit else Decimal(0))
        if fee:
            fees[fee_unit] = fees.get(fee_unit, Decimal(0)) + fee
    if base not in legs or quote not in legs:
        missing = base if base not in legs else quote
        raise RowError(BALANCE_UNIT, Text.of("file.row.fill_cut", symbol=fill.symbol, missing=missing))
    when, precision = parse_time(table.cell(fill.rows[0][1], TIME), TIME, context.zone)
    side = Side.BUY if legs[base] > 0 else Side.SELL
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
        raw={"file_format": "okx-trading", "rows": [raw_row(table, row, "okx-trading") for _, row in fill.rows]},
    )
    # More than one base and one quote row: fills summed because their rows could not be paired (a cut export).
    return ParsedRecord(record, fill.line, keyed=False, precision=precision, summed_fills=len(fill.rows) > 2)


FUNDING_REWARD_WORDS = ("received", "rebate", "yield", "interest", "reward", "airdrop", "bonus", "earn")


def _funding_kind(table: Table, row: Sequence[str], signed: Decimal) -> Kind:
    """Every funding-account bill is kept: income (OKX's "Received", fee rebates, staking and Earn yield) as a
    reward, moves to and from the trading account as transfers, the rest as a ledger entry with OKX's type."""
    type_text = table.cell(row, "type").lower()
    if type_text == "deposit":
        return RecordKind.DEPOSIT, None
    if type_text == "withdrawal":
        return RecordKind.WITHDRAWAL, None
    if type_text.startswith(("to ", "from ")) or "transfer" in type_text:
        return RecordKind.TRANSFER, direction(signed)
    if signed > 0 and any(word in type_text for word in FUNDING_REWARD_WORDS):
        return RecordKind.REWARD, None
    return RecordKind.LEDGER, type_text


FUNDING = WalletLayout(
    format_name="okx-funding", time=(TIME,), coin=SYMBOL, amount=AMOUNT, classify=_funding_kind, fees=(FEE,)
)


FORMATS: tuple[FileFormat, ...] = (
    *LEGACY_FORMATS,
    FileFormat(
        name="okx-trading",
        title=msgid("file.format.okx_trading"),
        exchange=OKX.id,
        columns=TRADING_COLUMNS,
        reader=_read_trading,
        time_column=TIME,
        source=SOURCE,
    ),
    FileFormat(
        name="okx-funding",
        title=msgid("file.format.okx_funding"),
        exchange=OKX.id,
        columns=FUNDING_COLUMNS,
        reader=FUNDING.read,
        time_column=TIME,
        source=SOURCE,
    ),
)
