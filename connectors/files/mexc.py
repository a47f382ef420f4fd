"""MEXC exports: spot trade history and order history, and the deposit and withdrawal histories, in the layouts
BittyTax reads (docs/FILE-FORMATS.md has the source and what it says).

None of them carries the fill `id` the API sync keys on (`trade:<symbol>:<id>`), so records are found among stored
ones by content (kind, coins, side, amount, time to the second, price and fee).
- The trade history ("Export Trade History": `Pairs`, `Time`, `Side`, `Filled Price`, `Executed Amount`, `Total`,
  `Fee`, `Role`) is one row per fill: `Role` (maker or taker) is a property of a fill. Its `Fee` names no coin;
  BittyTax takes it in the coin received (base on a buy, quote on a sell), and so does Tallybot. A fee that writes
  its coin after the number ("0.1MX") is read in that coin.
- The order history ("Export Order History") is one row per order at its average price, without fees: several
  fills summed, which cannot meet the API's per-fill records (the import report says so).
- The deposit and withdrawal files keep only the rows whose status says the money moved ("Credited Successfully",
  "Withdrawal Successful"), as the fetcher stores only final ones.
`Time` states no zone: the user's is assumed and the report says so, unless the title states one ("Time(UTC+8)").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table, raw_row, rows_of
from connectors.files.values import number, optional_number, parse_time, side_value, split_pair, with_unit
from connectors.files.wallet import Kind, WalletLayout
from connectors.profiles.catalog.mexc import PROFILE as MEXC
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, msgid

SOURCE = "BittyTax:src/bittytax/conv/parsers/mexc.py"
# "Time", or a title that states its zone; the wallet files' other columns by what they hold.
TIME_COLUMNS = ("time*",)
TIME = TIME_COLUMNS[0]
WALLET_COLUMNS = {"coin": "crypto", "deposit": "deposit amount", "withdrawal": "request amount", "fee": "trading fee"}


def _trade(
    table: Table,
    row: Sequence[str],
    line: int,
    context: Context,
    *,
    columns: dict[str, str],
    format_name: str,
    summed: bool,
) -> ParsedRecord:
    when, precision = parse_time(table.cell(row, TIME), TIME, context.zone)
    base, quote = split_pair(table.cell(row, "pairs"), "pairs")
    side = side_value(table.cell(row, columns["side"]), columns["side"])
    fee: Decimal | None = None
    fee_coin = ""
    if "fee" in columns and table.cell(row, columns["fee"]):
        fee, unit = with_unit(table.cell(row, columns["fee"]), columns["fee"], [base, quote, "MX"])
        fee_coin = unit or (base if side == "buy" else quote)
    charged = fee is not None and fee != 0
    base_code, quote_code = context.code(base), context.code(quote)
    record = NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=when,
        natural_key="",
        asset=base_code,
        amount=abs(number(table.cell(row, columns["amount"]), columns["amount"])),
        market=f"{base_code}/{quote_code}",
        side=side,
        quote_asset=quote_code,
        quote_amount=abs(number(table.cell(row, columns["value"]), columns["value"])),
        price=number(table.cell(row, columns["price"]), columns["price"]),
        fee_asset=context.code(fee_coin) if charged else None,
        fee_amount=abs(fee) if charged and fee is not None else None,
        raw=raw_row(table, row, format_name),
    )
    return ParsedRecord(record, line, keyed=False, precision=precision, summed_fills=summed)


# Each trade export's columns (normalized titles) by what they hold.
FILL_COLUMNS = {"side": "side", "price": "filled price", "amount": "executed amount", "value": "total", "fee": "fee"}
ORDER_COLUMNS = {
    "side": "direction",
    "price": "average filled price",
    "amount": "filled quantity",
    "value": "order amount",
}


def _read_fills(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        return _trade(table, row, line, context, columns=FILL_COLUMNS, format_name="mexc-fills", summed=False)

    return rows_of(table, read)


def _read_orders(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        filled = optional_number(table.cell(row, ORDER_COLUMNS["amount"]), ORDER_COLUMNS["amount"])
        if not filled:
            return Skipped(line, Text.of("file.skip.order_without_fills"))
        return _trade(table, row, line, context, columns=ORDER_COLUMNS, format_name="mexc-orders", summed=True)

    return rows_of(table, read)


def _deposit_status(table: Table, row: Sequence[str]) -> Text | None:
    status = table.cell(row, "status")
    return None if status.lower() == "credited successfully" else Text.of("file.skip.not_completed", status=status)


def _withdrawal_status(table: Table, row: Sequence[str]) -> Text | None:
    status = table.cell(row, "status")
    return None if status.lower() == "withdrawal successful" else Text.of("file.skip.not_completed", status=status)


def _deposit(table: Table, row: Sequence[str], signed: Decimal) -> Kind | Text:
    return RecordKind.DEPOSIT, None


def _withdrawal(table: Table, row: Sequence[str], signed: Decimal) -> Kind | Text:
    return RecordKind.WITHDRAWAL, None


DEPOSITS = WalletLayout(
    format_name="mexc-deposits",
    time=TIME_COLUMNS,
    coin=WALLET_COLUMNS["coin"],
    amount=WALLET_COLUMNS["deposit"],
    classify=_deposit,
    precheck=_deposit_status,
)
# `Request Amount` is the amount sent and `Trading Fee` the network fee charged on top, as BittyTax books them and
# as the API's withdraw history states `amount` and `transactionFee` (docs/exchange-apis/mexc.md).
WITHDRAWALS = WalletLayout(
    format_name="mexc-withdrawals",
    time=TIME_COLUMNS,
    coin=WALLET_COLUMNS["coin"],
    amount=WALLET_COLUMNS["withdrawal"],
    classify=_withdrawal,
    precheck=_withdrawal_status,
    fees=(WALLET_COLUMNS["fee"],),
)

FILL_HEADER_COLUMNS = ("pairs", TIME, "side", "filled price", "executed amount", "total", "fee", "role")
ORDER_HEADER_COLUMNS = (
    "pairs",
    TIME,
    "type",
    "direction",
    "average filled price",
    "order price",
    "filled quantity",
    "order quantity",
    "order amount",
    "status",
)
DEPOSIT_HEADER_COLUMNS = ("status", TIME, "crypto", "network", "deposit amount", "txid", "progress")
WITHDRAWAL_HEADER_COLUMNS = (
    "status",
    TIME,
    "crypto",
    "network",
    "request amount",
    "withdrawal address",
    "txid",
    "trading fee",
    "settlement amount",
)

FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="mexc-fills",
        title=msgid("file.format.mexc_fills"),
        exchange=MEXC.id,
        columns=FILL_HEADER_COLUMNS,
        reader=_read_fills,
        time_column=TIME,
        source=SOURCE,
    ),
    FileFormat(
        name="mexc-orders",
        title=msgid("file.format.mexc_orders"),
        exchange=MEXC.id,
        columns=ORDER_HEADER_COLUMNS,
        reader=_read_orders,
        time_column=TIME,
        source=SOURCE,
    ),
    FileFormat(
        name="mexc-deposits",
        title=msgid("file.format.mexc_deposits"),
        exchange=MEXC.id,
        columns=DEPOSIT_HEADER_COLUMNS,
        reader=DEPOSITS.read,
        time_column=TIME,
        source=SOURCE,
    ),
    FileFormat(
        name="mexc-withdrawals",
        title=msgid("file.format.mexc_withdrawals"),
        exchange=MEXC.id,
        columns=WITHDRAWAL_HEADER_COLUMNS,
        reader=WITHDRAWALS.read,
        time_column=TIME,
        source=SOURCE,
    ),
)
