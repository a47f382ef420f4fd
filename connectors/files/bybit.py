"""Bybit exports: spot trade history (unified trading account and pre-UTA layouts) and the asset-change history
with deposits and withdrawals.

The trade export's "Transaction ID" is taken as Bybit's execution id (`execId`), so a row gets the key the API
sync gives the same execution (`trade:{execId}`). Its time column says "(UTC)"/"(UTC+0)"; one layout writes
minutes only ("14:35 2024-11-16"), which the importer knows. The fee column has no currency in the UTA layout:
Bybit charges spot fees in the coin received (base on a buy, quote on a sell), which is what is stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.files.errors import RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table, raw_row, rows_of
from connectors.files.values import number, parse_time, side_value, split_pair, with_unit
from connectors.records import NormalizedRecord, RecordKind, natural_key

SOURCE_TRADES = (
    "layouts shown in open-source importers (fifo-calc's Bybit notes for the UTA and pre-UTA order-history exports; "
    "a Bybit 'Trade History Statement Spot' test fixture); not checked against a fresh export"
)
SOURCE_WALLET = "Bybit deposit/withdrawal layouts as imported by BittyTax (src/bittytax/conv/parsers/bybit.py)"
TRADE_COLUMNS = (
    "spot pairs",
    "direction",
    "filled value",
    "filled price",
    "filled quantity",
    "fees",
    "transaction id",
    "timestamp (utc*",
)


def _read_trades(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, "timestamp (utc*"), "timestamp (utc*", context.zone)
        side = side_value(table.cell(row, "direction"), "direction")
        quantity, base_unit = with_unit(table.cell(row, "filled quantity"), "filled quantity")
        value, quote_unit = with_unit(table.cell(row, "filled value"), "filled value")
        base, quote = split_pair(
            table.cell(row, "spot pairs"), "spot pairs", base_hint=base_unit, quote_hint=quote_unit
        )
        price, _ = with_unit(table.cell(row, "filled price"), "filled price", [quote])
        fee, fee_unit = with_unit(table.cell(row, "fees"), "fees", [base, quote])
        # No unit in the UTA layout: Bybit takes the fee from the coin received.
        fee_asset = fee_unit or (base if side == "buy" else quote)
        exec_id = table.cell(row, "transaction id")
        if not exec_id:
            raise RowError("transaction id", "is empty; Bybit's id of the fill is needed")
        base_code, quote_code = context.code(base), context.code(quote)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key=natural_key(RecordKind.TRADE, exec_id),
            asset=base_code,
            amount=quantity,
            exchange_tx_id=exec_id,
            market=f"{base_code}/{quote_code}",
            side=side,
            quote_asset=quote_code,
            quote_amount=value,
            price=price,
            fee_asset=context.code(fee_asset),
            fee_amount=abs(fee),
            raw=raw_row(table, row, "bybit-trades"),
        )
        return ParsedRecord(record, line, keyed=True, precision=precision)

    return rows_of(table, read)


def _read_asset_changes(table: Table, context: Context) -> Iterator[Outcome]:
    """Current layout: "Date & Time(UTC), Coin, QTY, Type, Account Balance, Description"."""

    def read(line: int, row: Sequence[str]) -> Outcome | None:
        description = table.cell(row, "description")
        kind = {"deposit": RecordKind.DEPOSIT, "withdrawal": RecordKind.WITHDRAWAL}.get(description.lower())
        if kind is None:
            return Skipped(line, f"“{description or table.cell(row, 'type')}”: not a deposit or withdrawal")
        return _wallet(table, row, line, context, kind, "date & time(utc*", "qty")

    return rows_of(table, read)


def _read_asset_changes_v1(table: Table, context: Context) -> Iterator[Outcome]:
    """Older layout: "Type, Coin, Amount, Wallet Balance, Time(UTC)" with types such as userDeposit."""

    def read(line: int, row: Sequence[str]) -> Outcome | None:
        kind_text = table.cell(row, "type")
        lowered = kind_text.lower()
        if "internal" in lowered or "transfer" in lowered:
            return Skipped(line, f"“{kind_text}”: a move between your own Bybit accounts")
        if "deposit" in lowered:
            kind = RecordKind.DEPOSIT
        elif "withdraw" in lowered:
            kind = RecordKind.WITHDRAWAL
        else:
            return Skipped(line, f"“{kind_text}”: not a deposit or withdrawal")
        return _wallet(table, row, line, context, kind, "time(utc*", "amount")

    return rows_of(table, read)


def _wallet(
    table: Table, row: Sequence[str], line: int, context: Context, kind: RecordKind, time_spec: str, amount_spec: str
) -> ParsedRecord:
    when, precision = parse_time(table.cell(row, time_spec), time_spec, context.zone)
    coin = table.cell(row, "coin")
    if not coin:
        raise RowError("coin", "is empty; the coin is needed")
    record = NormalizedRecord(
        kind=kind,
        occurred_at=when,
        natural_key="",
        asset=context.code(coin),
        amount=abs(number(table.cell(row, amount_spec), amount_spec)),
        raw=raw_row(table, row, "bybit-wallet"),
    )
    return ParsedRecord(record, line, keyed=False, precision=precision)


FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="bybit-trades",
        title="Bybit — spot trade history",
        exchange="bybit",
        columns=TRADE_COLUMNS,
        reader=_read_trades,
        time_column="timestamp (utc*",
        source=SOURCE_TRADES,
    ),
    FileFormat(
        name="bybit-deposits-withdrawals",
        title="Bybit — asset history (deposits and withdrawals)",
        exchange="bybit",
        columns=("date & time(utc*", "coin", "qty", "type", "description"),
        reader=_read_asset_changes,
        time_column="date & time(utc*",
        source=SOURCE_WALLET,
    ),
    FileFormat(
        name="bybit-deposits-withdrawals-v1",
        title="Bybit — deposit and withdrawal history (older layout)",
        exchange="bybit",
        columns=("type", "coin", "amount", "wallet balance", "time(utc*"),
        reader=_read_asset_changes_v1,
        time_column="time(utc*",
        source=SOURCE_WALLET,
    ),
)
