"""Binance's report-centre spot trade file and the convert and fiat-purchase histories.

- Report centre "Spot Trade History" (XLSX, every cell text; also saved as CSV):
  `Date(UTC),Pair,Base Asset,Quote Asset,Type,Price,Amount,Total,Fee,Fee Coin`, Pair written "BTC/USDT".
- Convert history: `Time,Wallet,Pair,Type,Sell,Buy,Price,Inverse Price,Date Updated,Status`, Sell and Buy with their
  coin ("1.00000000ETH"); a convert is stored as the API sync stores Binance Convert orders: a buy of the received
  coin paid with the sold one. No price is stored (the file's Price may be either direction's rate).
- Fiat purchase history: `Time,Method,Spend Amount,Receive Amount,Fee,Price,Status,Transaction ID` ("100.00 EUR",
  "0.0025 BTC"): a buy of the coin with the fiat currency, keyed by Binance's Transaction ID (no API sync reads it).
The web pages' files state their zone in the file name ("…(UTC+7).csv"). Only rows whose status says completed are
kept; the others are skipped with their status.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.files.binance.screens import COMPLETED
from connectors.files.errors import RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table, raw_row, rows_of
from connectors.files.values import number, parse_time, side_value, with_unit
from connectors.profiles.catalog.binance import PROFILE as BINANCE
from connectors.records import NormalizedRecord, RecordKind, Side, natural_key
from i18n import Text, msgid

# Where the layouts come from (docs/FILE-FORMATS.md): open-source importers of the report centre's spot trade XLSX
# (header Date(UTC),Pair,Base Asset,Quote Asset,Type,Price,Amount,Total,Fee,Fee Coin; Pair 'BTC/USDT'), and the
# file-inventory tests of open-source Binance importers for the convert and fiat-purchase files.
SOURCE_REPORT = "docs/FILE-FORMATS.md#binance-spot-report"
SOURCE_CONVERT = "docs/FILE-FORMATS.md#binance-converts"
SOURCE_FIAT = "docs/FILE-FORMATS.md#binance-fiat-buys"
# The titles the readers name (as formats.normalize_header writes them).
NAMED_COLUMNS = (
    "date*",
    "time",
    "base asset",
    "quote asset",
    "fee coin",
    "sell",
    "buy",
    "spend amount",
    "receive amount",
    "transaction id",
)
DATE, TIME, BASE_ASSET, QUOTE_ASSET, FEE_COIN, SELL, BUY, SPEND_AMOUNT, RECEIVE_AMOUNT, TRANSACTION_ID = NAMED_COLUMNS
REPORT_COLUMNS = (DATE, "pair", BASE_ASSET, QUOTE_ASSET, "type", "price", "amount", "total", "fee", FEE_COIN)
CONVERT_COLUMNS = (TIME, "wallet", "pair", "type", SELL, BUY, "price", "inverse price", "status")
FIAT_COLUMNS = (TIME, "method", SPEND_AMOUNT, RECEIVE_AMOUNT, "fee", "status", TRANSACTION_ID)


def _read_report_trades(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, DATE), DATE, context.zone)
        base, quote = table.cell(row, BASE_ASSET), table.cell(row, QUOTE_ASSET)
        if not base or not quote:
            raise RowError(BASE_ASSET if not base else QUOTE_ASSET, Text.of("file.row.empty_coins"))
        fee_coin = table.cell(row, FEE_COIN)
        fee = number(table.cell(row, "fee"), "fee") if fee_coin else None
        base_code, quote_code = context.code(base), context.code(quote)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key="",
            asset=base_code,
            amount=number(table.cell(row, "amount"), "amount"),
            market=f"{base_code}/{quote_code}",
            side=side_value(table.cell(row, "type"), "type"),
            quote_asset=quote_code,
            quote_amount=number(table.cell(row, "total"), "total"),
            price=number(table.cell(row, "price"), "price"),
            fee_asset=context.code(fee_coin) if fee_coin else None,
            fee_amount=fee,
            raw=raw_row(table, row, "binance-spot-report"),
        )
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


def _completed(table: Table, row: Sequence[str], line: int) -> Skipped | None:
    status = table.cell(row, "status")
    if status and status.lower() not in COMPLETED:
        return Skipped(line, Text.of("file.skip.not_completed", status=status))
    return None


def _read_converts(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        skipped = _completed(table, row, line)
        if skipped is not None:
            return skipped
        when, precision = parse_time(table.cell(row, TIME), TIME, context.zone)
        sold, sold_coin = with_unit(table.cell(row, SELL), SELL)
        bought, bought_coin = with_unit(table.cell(row, BUY), BUY)
        if not sold_coin or not bought_coin:
            raise RowError(SELL if not sold_coin else BUY, Text.of("file.row.no_coin_after_amount"))
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=when,
            natural_key="",
            asset=context.code(bought_coin),
            amount=bought,
            side=Side.BUY,
            quote_asset=context.code(sold_coin),
            quote_amount=sold,
            raw=raw_row(table, row, "binance-converts"),
        )
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


def _read_fiat_buys(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        skipped = _completed(table, row, line)
        if skipped is not None:
            return skipped
        when, precision = parse_time(table.cell(row, TIME), TIME, context.zone)
        spent, fiat = with_unit(table.cell(row, SPEND_AMOUNT), SPEND_AMOUNT)
        received, coin = with_unit(table.cell(row, RECEIVE_AMOUNT), RECEIVE_AMOUNT)
        fee, fee_unit = with_unit(table.cell(row, "fee"), "fee", [fiat]) if table.cell(row, "fee") else (None, "")
        ident = table.cell(row, TRANSACTION_ID)
        if not fiat or not coin:
            raise RowError(SPEND_AMOUNT if not fiat else RECEIVE_AMOUNT, Text.of("file.row.no_currency_after_amount"))
        coin_code, fiat_code = context.code(coin), context.code(fiat)
        # Fiat purchases have a key space of their own among trades (`trade:fiat:{id}`): no API sync reads them.
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key=natural_key(RecordKind.TRADE, ":".join(("fiat", ident))) if ident else "",
            asset=coin_code,
            amount=received,
            exchange_tx_id=ident or None,
            market=f"{coin_code}/{fiat_code}",
            side=Side.BUY,
            quote_asset=fiat_code,
            quote_amount=spent,
            fee_asset=context.code(fee_unit or fiat) if fee else None,
            fee_amount=fee if fee else None,
            raw=raw_row(table, row, "binance-fiat-buys"),
        )
        return ParsedRecord(record, line, keyed=bool(ident), precision=precision)

    return rows_of(table, read)


HISTORY_FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="binance-spot-report",
        title=msgid("file.format.binance_spot_report"),
        exchange=BINANCE.id,
        columns=REPORT_COLUMNS,
        reader=_read_report_trades,
        time_column=DATE,
        source=SOURCE_REPORT,
    ),
    FileFormat(
        name="binance-converts",
        title=msgid("file.format.binance_converts"),
        exchange=BINANCE.id,
        columns=CONVERT_COLUMNS,
        reader=_read_converts,
        time_column=TIME,
        source=SOURCE_CONVERT,
    ),
    FileFormat(
        name="binance-fiat-buys",
        title=msgid("file.format.binance_fiat_buys"),
        exchange=BINANCE.id,
        columns=FIAT_COLUMNS,
        reader=_read_fiat_buys,
        time_column=TIME,
        source=SOURCE_FIAT,
    ),
)
