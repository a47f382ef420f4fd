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
from connectors.records import NormalizedRecord, RecordKind, natural_key
from i18n import Text, msgid

SOURCE_REPORT = (
    "open-source importers of Binance's report-centre spot trade XLSX (header Date(UTC),Pair,Base Asset,Quote Asset,"
    "Type,Price,Amount,Total,Fee,Fee Coin; Pair 'BTC/USDT')"
)
SOURCE_CONVERT = "file-inventory tests of open-source Binance importers (Binance-Convert-Order-History-…(UTC±H).csv)"
SOURCE_FIAT = "file-inventory tests of open-source Binance importers (Binance-Fiat-Buy-History-…(UTC±H).csv)"


def _read_report_trades(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, "date*"), "date*", context.zone)
        base, quote = table.cell(row, "base asset"), table.cell(row, "quote asset")
        if not base or not quote:
            raise RowError("base asset" if not base else "quote asset", Text.of("file.row.empty_coins"))
        fee_coin = table.cell(row, "fee coin")
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
        when, precision = parse_time(table.cell(row, "time"), "time", context.zone)
        sold, sold_coin = with_unit(table.cell(row, "sell"), "sell")
        bought, bought_coin = with_unit(table.cell(row, "buy"), "buy")
        if not sold_coin or not bought_coin:
            raise RowError("sell" if not sold_coin else "buy", Text.of("file.row.no_coin_after_amount"))
        record = NormalizedRecord(
            kind=RecordKind.CONVERT,
            occurred_at=when,
            natural_key="",
            asset=context.code(bought_coin),
            amount=bought,
            side="buy",
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
        when, precision = parse_time(table.cell(row, "time"), "time", context.zone)
        spent, fiat = with_unit(table.cell(row, "spend amount"), "spend amount")
        received, coin = with_unit(table.cell(row, "receive amount"), "receive amount")
        fee, fee_unit = with_unit(table.cell(row, "fee"), "fee", [fiat]) if table.cell(row, "fee") else (None, "")
        ident = table.cell(row, "transaction id")
        if not fiat or not coin:
            raise RowError(
                "spend amount" if not fiat else "receive amount", Text.of("file.row.no_currency_after_amount")
            )
        coin_code, fiat_code = context.code(coin), context.code(fiat)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key=natural_key(RecordKind.TRADE, f"fiat:{ident}") if ident else "",
            asset=coin_code,
            amount=received,
            exchange_tx_id=ident or None,
            market=f"{coin_code}/{fiat_code}",
            side="buy",
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
        exchange="binance",
        columns=("date*", "pair", "base asset", "quote asset", "type", "price", "amount", "total", "fee", "fee coin"),
        reader=_read_report_trades,
        time_column="date*",
        source=SOURCE_REPORT,
    ),
    FileFormat(
        name="binance-converts",
        title=msgid("file.format.binance_converts"),
        exchange="binance",
        columns=("time", "wallet", "pair", "type", "sell", "buy", "price", "inverse price", "status"),
        reader=_read_converts,
        time_column="time",
        source=SOURCE_CONVERT,
    ),
    FileFormat(
        name="binance-fiat-buys",
        title=msgid("file.format.binance_fiat_buys"),
        exchange="binance",
        columns=("time", "method", "spend amount", "receive amount", "fee", "status", "transaction id"),
        reader=_read_fiat_buys,
        time_column="time",
        source=SOURCE_FIAT,
    ),
)
