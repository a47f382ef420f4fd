"""Binance's 2020 spot order history: an order row, then a sub-header and one sub-row per fill.

    Date(UTC);Pair;Type;Order Price;Order Amount;AvgTrading Price;Filled;Total;status
    2020-03-19 16:07:38;BTCUSDT;SELL;0.0;0.140900;5904.66;0.140900;831.97;Filled
    ;Date(UTC);Trading Price;Filled;Total;Fee;;;
    ;2020-03-19 16:07:38;5904.68;0.092957;548.88133876;0.03640176BNB;;;

Source: everytrade-io/everytrade-plugins, parser-files/binance_v002.csv (its BinanceBeanV2 reader). Each fill
sub-row is one trade, as the API's per-fill trade list has it, so an upload and a sync meet record for record; the
order row gives the pair and side. The file has no trade id, so fills are found among stored ones by content.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.files.errors import RejectedRow, RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table
from connectors.files.values import number, parse_time, side_value, split_pair, with_unit
from connectors.profiles.catalog.binance import PROFILE as BINANCE
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, msgid

SOURCE = "everytrade-io/everytrade-plugins:parser-files/binance_v002.csv"  # order rows with fill sub-rows
ORDER_COLUMNS = ("date(utc*", "pair", "type", "order price", "order amount", "avgtrading price", "filled", "total")
# A fill sub-row's own header, after the empty first cell: a rejected cell is named by its title, `raw` keeps them.
FILL_HEADERS = ("Date(UTC)", "Trading Price", "Filled", "Total", "Fee")
TIME_TITLE, PRICE_TITLE, FILLED_TITLE, TOTAL_TITLE, FEE_TITLE = FILL_HEADERS
SUB_TIME, SUB_PRICE, SUB_FILLED, SUB_TOTAL, SUB_FEE = 1, 2, 3, 4, 5  # the sub-row cells those titles name


def read_orders(table: Table, context: Context) -> Iterator[Outcome]:
    order: tuple[int, str, str, str] | None = None  # line, base, quote, side
    fills = 0
    for line, row in table.rows:
        first = row[0].strip() if row else ""
        if first:  # an order row
            if order is not None and fills == 0:
                yield Skipped(order[0], Text.of("file.skip.order_without_fills"))
            try:
                base, quote = split_pair(table.cell(row, "pair"), "pair")
                order = (line, base, quote, side_value(table.cell(row, "type"), "type"))
            except RowError as error:
                order = None
                yield RejectedRow(line, table.label(error.column), error.reason)
            fills = 0
            continue
        if len(row) > SUB_TIME and row[SUB_TIME].strip().lower().startswith("date"):
            continue  # the sub-header above an order's fills
        if order is None:
            yield RejectedRow(line, "", Text.of("file.row.fill_without_order"))
            continue
        try:
            yield _fill(table, context, line, row, order)
            fills += 1
        except RowError as error:
            yield RejectedRow(line, error.column, error.reason)
    if order is not None and fills == 0:
        yield Skipped(order[0], Text.of("file.skip.order_without_fills"))


def _fill(table: Table, context: Context, line: int, row: Sequence[str], order: tuple[int, str, str, str]) -> Outcome:
    _, base, quote, side = order
    cells = [*row, *[""] * (SUB_FEE + 1 - len(row))]
    when, precision = parse_time(cells[SUB_TIME], TIME_TITLE, context.zone)
    fee, fee_unit = with_unit(cells[SUB_FEE], FEE_TITLE, [base, quote, "BNB"])
    base_code, quote_code = context.code(base), context.code(quote)
    record = NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=when,
        natural_key="",
        asset=base_code,
        amount=number(cells[SUB_FILLED], FILLED_TITLE),
        market=f"{base_code}/{quote_code}",
        side=side,
        quote_asset=quote_code,
        quote_amount=number(cells[SUB_TOTAL], TOTAL_TITLE),
        price=number(cells[SUB_PRICE], PRICE_TITLE),
        fee_asset=context.code(fee_unit) if fee_unit else None,
        fee_amount=abs(fee) if fee_unit else None,
        raw={
            "file_format": "binance-orders",
            "Pair": f"{base}{quote}",
            "Type": side.upper(),
            **dict(zip(FILL_HEADERS, cells[SUB_TIME : SUB_FEE + 1], strict=True)),
        },
    )
    return ParsedRecord(record, line, keyed=False, precision=precision)


ORDER_FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="binance-orders",
        title=msgid("file.format.binance_orders"),
        exchange=BINANCE.id,
        columns=ORDER_COLUMNS,
        reader=read_orders,
        time_column="date(utc*",
        source=SOURCE,
    ),
)
