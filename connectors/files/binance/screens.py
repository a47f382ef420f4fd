"""Binance exports: spot trade history (current and legacy layouts), deposit and withdrawal history.

None of them carries Binance's own ids (the trade export has no trade id; the wallet exports have the chain's
TXID but not Binance's record id), so every record is found among stored ones by its content and gets a
content-hash key when new. Times: the date column says "(UTC)" or "(UTC+2)"; a Binance export always states it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

from connectors.files.formats import (
    Context,
    FileFormat,
    Outcome,
    ParsedRecord,
    Reader,
    Table,
    raw_row,
    rows_of,
)
from connectors.files.values import number, parse_time, side_value, split_pair, with_unit
from connectors.files.wallet import WalletLayout
from connectors.profiles.catalog.binance import PROFILE as BINANCE
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, msgid

# Where the layouts come from (docs/FILE-FORMATS.md): Binance's export columns as BittyTax and other open-source
# importers read them, not checked against a fresh export; and the file names and headers of Binance's web-page
# exports in open-source importers' tests (Binance-Spot-Trade-History-…(UTC+7).csv: Time,Pair,Side,Price,Executed,
# Amount,Fee; Binance-Deposit-History: Time,Coin,Network,Amount,Address,TXID,Status; Binance-Withdraw-History adds
# Fee).
SOURCE = "BittyTax:src/bittytax/conv/parsers/binance/data_parsers.py"
SCREEN_SOURCE = "docs/FILE-FORMATS.md#binance-trades-screen"
# The titles the readers name (as formats.normalize_header writes them).
NAMED_COLUMNS = ("date*", "date(utc*", "time", "side", "type", "coin", "amount", "fee coin")
DATE, DATE_UTC, TIME, SIDE, TYPE, COIN, AMOUNT, FEE_COIN = NAMED_COLUMNS
V1_WALLET_COLUMNS = (
    DATE,
    "coin",
    "amount",
    "transactionfee",
    "address",
    "txid",
    "sourceaddress",
    "paymentid",
    "status",
)
COMPLETED = {"completed", "success", "successful", "confirmed"}


def time_spec(table: Table) -> str:
    """The date column: "Date(UTC)"/"Date(UTC+2)" in report-centre files, "Time" in the screens' CSVs (whose zone
    is in the file name, e.g. "Binance-Spot-Trade-History-202604201017(UTC+7).csv")."""
    return DATE if table.has(DATE) else TIME


def _trade_split(pair: str, executed: str, amount: str, known: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """Base and quote of "1INCHUSDT" from the units of Executed ("100.0001INCH") and Amount ("51USDT")."""
    pair = pair.strip().upper()
    executed, amount = executed.strip().upper(), amount.strip().upper()
    seen = known.get(pair)
    if seen is not None and executed.endswith(seen[0]) and amount.endswith(seen[1]):
        return seen
    for cut in range(1, len(pair)):
        base, quote = pair[:cut], pair[cut:]
        if executed.endswith(base) and amount.endswith(quote):
            known[pair] = (base, quote)
            return base, quote
    return split_pair(pair, "pair")


def _read_trades(table: Table, context: Context) -> Iterator[Outcome]:
    pairs: dict[str, tuple[str, str]] = {}

    def read(line: int, row: Sequence[str]) -> Outcome | None:
        spec = time_spec(table)
        when, precision = parse_time(table.cell(row, spec), spec, context.zone)
        executed, total_text = table.cell(row, "executed"), table.cell(row, "amount")
        base, quote = _trade_split(table.cell(row, "pair"), executed, total_text, pairs)
        amount, _ = with_unit(executed, "executed", [base])
        total, _ = with_unit(total_text, "amount", [quote])
        fee, fee_unit = with_unit(table.cell(row, "fee"), "fee", [base, quote, "BNB"])
        return _trade(context, table, row, line, when, precision, base, quote, amount, total, fee, fee_unit)

    return rows_of(table, read)


def _read_legacy_trades(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, DATE_UTC), DATE_UTC, context.zone)
        base, quote = split_pair(table.cell(row, "market"), "market")
        amount = number(table.cell(row, "amount"), "amount")
        total = number(table.cell(row, "total"), "total")
        fee = number(table.cell(row, "fee"), "fee")
        return _trade(
            context, table, row, line, when, precision, base, quote, amount, total, fee, table.cell(row, FEE_COIN)
        )

    return rows_of(table, read)


def _trade(
    context: Context,
    table: Table,
    row: Sequence[str],
    line: int,
    when: datetime,
    precision: int,
    base: str,
    quote: str,
    amount: Decimal,
    total: Decimal,
    fee: Decimal,
    fee_unit: str,
) -> ParsedRecord:
    side_column = SIDE if table.has(SIDE) else TYPE
    side = side_value(table.cell(row, side_column), side_column)
    price = number(table.cell(row, "price"), "price")
    base_code, quote_code = context.code(base), context.code(quote)
    record = NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=when,
        natural_key="",
        asset=base_code,
        amount=amount,
        market=f"{base_code}/{quote_code}",
        side=side,
        quote_asset=quote_code,
        quote_amount=total,
        price=price,
        fee_asset=context.code(fee_unit) if fee_unit else None,
        fee_amount=fee if fee_unit else None,
        raw=raw_row(table, row, "binance"),
    )
    return ParsedRecord(record, line, keyed=False, precision=precision)


def _completed(table: Table, row: Sequence[str]) -> Text | None:
    status = table.cell(row, "status")
    if status and status.lower() not in COMPLETED:
        return Text.of("file.skip.not_completed", status=status)
    return None


def _wallet_reader(kind: RecordKind) -> Reader:
    layout = WalletLayout(
        format_name=BINANCE.id,
        time=(DATE, TIME),
        coin=COIN,
        amount=AMOUNT,
        classify=lambda _table, _row, _signed: (kind, None),
        precheck=_completed,
        fees=("fee", "transactionfee"),
        # Deposits are free on Binance; the v1 export writes a 0 fee column for both kinds, a 0 withdrawal fee stays.
        zero_fee_kinds=frozenset({RecordKind.WITHDRAWAL}),
    )
    return layout.read


SCREEN_FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="binance-trades",
        title=msgid("file.format.binance_trades"),
        exchange=BINANCE.id,
        columns=(DATE_UTC, "pair", "side", "price", "executed", "amount", "fee"),
        reader=_read_trades,
        time_column=DATE_UTC,
        source=SOURCE,
    ),
    FileFormat(
        name="binance-trades-legacy",
        title=msgid("file.format.binance_trades_legacy"),
        exchange=BINANCE.id,
        columns=(DATE_UTC, "market", "type", "price", "amount", "total", "fee", FEE_COIN),
        reader=_read_legacy_trades,
        time_column=DATE_UTC,
        source=SOURCE,
    ),
    FileFormat(
        name="binance-deposits",
        title=msgid("file.format.binance_deposits"),
        exchange=BINANCE.id,
        columns=(DATE_UTC, "coin", "network", "amount", "address", "txid", "status"),
        reader=_wallet_reader(RecordKind.DEPOSIT),
        time_column=DATE,
        source=SOURCE,
    ),
    FileFormat(
        name="binance-withdrawals",
        title=msgid("file.format.binance_withdrawals"),
        exchange=BINANCE.id,
        columns=(DATE_UTC, "coin", "network", "amount", "fee", "address", "txid", "status"),
        reader=_wallet_reader(RecordKind.WITHDRAWAL),
        time_column=DATE,
        source=SOURCE,
    ),
    # The older wallet layout is the same for deposits and withdrawals: the file name tells them apart
    # ("...Deposit History..." / "...Withdraw History..."); otherwise the user is asked.
    FileFormat(
        name="binance-deposits-v1",
        title=msgid("file.format.binance_deposits_v1"),
        exchange=BINANCE.id,
        columns=V1_WALLET_COLUMNS,
        reader=_wallet_reader(RecordKind.DEPOSIT),
        time_column=DATE,
        filename_keywords=("deposit",),
        source=SOURCE,
    ),
    FileFormat(
        name="binance-withdrawals-v1",
        title=msgid("file.format.binance_withdrawals_v1"),
        exchange=BINANCE.id,
        columns=V1_WALLET_COLUMNS,
        reader=_wallet_reader(RecordKind.WITHDRAWAL),
        time_column=DATE,
        filename_keywords=("withdraw",),
        source=SOURCE,
    ),
    # The same histories exported from the web pages (2023 on): "Time" instead of "Date(UTC)", two-digit years.
    FileFormat(
        name="binance-trades-screen",
        title=msgid("file.format.binance_trades_screen"),
        exchange=BINANCE.id,
        columns=(TIME, "pair", "side", "price", "executed", "amount", "fee"),
        reader=_read_trades,
        time_column=TIME,
        source=SCREEN_SOURCE,
    ),
    FileFormat(
        name="binance-deposits-screen",
        title=msgid("file.format.binance_deposits_screen"),
        exchange=BINANCE.id,
        columns=(TIME, "coin", "network", "amount", "address", "txid", "status"),
        reader=_wallet_reader(RecordKind.DEPOSIT),
        time_column=TIME,
        source=SCREEN_SOURCE,
    ),
    FileFormat(
        name="binance-withdrawals-screen",
        title=msgid("file.format.binance_withdrawals_screen"),
        exchange=BINANCE.id,
        columns=(TIME, "coin", "network", "amount", "fee", "address", "txid", "status"),
        reader=_wallet_reader(RecordKind.WITHDRAWAL),
        time_column=TIME,
        source=SCREEN_SOURCE,
    ),
)
