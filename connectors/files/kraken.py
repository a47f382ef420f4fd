"""Kraken exports (History › Export): the ledger (ledgers.csv) and the trades (trades.csv).

Both carry Kraken's own ids, the same the API sync keys on, so an upload after a sync adds nothing twice:
- trades.csv's `txid` is the trade id TradesHistory returns (the sync stores `trade:<txid>`);
- ledgers.csv's `txid` is the ledger id Ledgers returns, read into the same kind the fetcher gives its `type`
  (connectors/fetchers/kraken/rows.py), so its key is the fetcher's. A trade is two `trade` lines sharing the
  trade's txid as `refid`: the fetcher leaves them to TradesHistory, the file pairs them into one trade keyed
  `trade:<refid>`, the very key of that trade from TradesHistory or trades.csv.
Times are UTC with fractions of a second; they are kept to the millisecond, as the API's are.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from connectors.fetchers.kraken.rows import TRADE_LEGS, TWO_WAY_KINDS, ledger_movement
from connectors.files.errors import RejectedRow, RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table, Zone, raw_row, rows_of
from connectors.files.values import number, parse_time, side_value, split_pair
from connectors.files.wallet import direction
from connectors.profiles.catalog.kraken import PROFILE as KRAKEN
from connectors.records import NormalizedRecord, RecordKind, Side, natural_key
from i18n import Text, msgid

# The full sources, with what each says, are in docs/FILE-FORMATS.md.
SOURCE_LEDGERS = "BittyTax:src/bittytax/conv/parsers/kraken.py(kraken_ledgers)"
SOURCE_TRADES = "BittyTax:src/bittytax/conv/parsers/kraken.py(kraken_trades)"
# The titles the readers name; both files write them in lower case.
NAMED_COLUMNS = ("txid", "time")
TXID, TIME = NAMED_COLUMNS

# Kraken's asset ids that end a pair: with an X/Z prefix (XXBTZEUR) and without (SOLEUR, XBTUSDT).
PREFIXED = frozenset({"XXBT", "XETH", "XLTC", "XXRP", "XXLM", "XXMR", "XZEC", "XETC", "XMLN", "XREP", "XXDG",
                      "ZEUR", "ZUSD", "ZGBP", "ZCAD", "ZJPY", "ZAUD"})  # fmt: skip
PLAIN_QUOTES = ("PYUSD", "USDT", "USDC", "AED", "AUD", "CAD", "CHF", "DAI", "DOT", "ETH", "EUR", "GBP", "JPY",
                "USD", "XBT")  # fmt: skip
# Which leg of a paired ledger trade is the quote: the first of these codes among the two (fiat, then stablecoins,
# then the coins Kraken quotes in). A file line does not name its pair; trades.csv does.
QUOTE_ORDER = ("USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "AED", "USDT", "USDC", "PYUSD", "DAI", "BTC", "ETH",
               "DOT")  # fmt: skip


def kraken_time(text: str, column: str, context: Context) -> datetime:
    """ "2021-06-17 14:16:05.4387" → UTC, rounded to the millisecond as the API's times are."""
    when, _ = parse_time(text, column, context.zone)
    ms = (Decimal(when.microsecond) / 1000).to_integral_value()
    return when.replace(microsecond=0) + timedelta(milliseconds=int(ms))


def kraken_pair(text: str) -> tuple[str, str]:
    pair = text.strip().upper()
    if "/" in pair:
        return split_pair(pair, "pair")
    if len(pair) == 8 and pair[:4] in PREFIXED and pair[4:] in PREFIXED:
        return pair[:4], pair[4:]
    for quote in sorted(PLAIN_QUOTES, key=len, reverse=True):
        if pair.endswith(quote) and len(pair) > len(quote):
            return pair[: -len(quote)], quote
    return split_pair(pair, "pair")


def _read_trades(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        txid = table.cell(row, "txid")
        if not txid:
            raise RowError(TXID, Text.of("file.row.kraken_no_id"))
        base_id, quote_id = kraken_pair(table.cell(row, "pair"))
        base, quote = context.code(base_id), context.code(quote_id)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=kraken_time(table.cell(row, "time"), "time", context),
            natural_key=natural_key(RecordKind.TRADE, txid),
            asset=base,
            amount=number(table.cell(row, "vol"), "vol"),
            exchange_tx_id=txid,
            market=f"{base}/{quote}",
            side=side_value(table.cell(row, "type"), "type"),
            quote_asset=quote,
            quote_amount=number(table.cell(row, "cost"), "cost"),
            price=number(table.cell(row, "price"), "price"),
            fee_asset=quote,
            fee_amount=number(table.cell(row, "fee"), "fee"),
            raw=raw_row(table, row, "kraken-trades"),
        )
        return ParsedRecord(record, line, keyed=True)

    return rows_of(table, read)


@dataclass(slots=True)
class _Line:
    line: int
    row: Sequence[str]
    txid: str
    when: datetime
    asset: str
    amount: Decimal
    fee: Decimal


@dataclass(slots=True)
class _Trade:
    refid: str
    lines: list[_Line] = field(default_factory=list)


def _read_ledgers(table: Table, context: Context) -> Iterator[Outcome]:
    trades: dict[str, _Trade] = {}
    for line, row in table.rows:
        if not table.cell(row, "txid"):
            # Kraken writes a ledger line without a txid for a transaction that failed; it moved nothing.
            yield Skipped(line, Text.of("file.skip.kraken_failed"))
            continue
        try:
            entry = _line(table, context, line, row)
        except RowError as error:
            yield RejectedRow(line, table.label(error.column), error.reason)
            continue
        entry_type = table.cell(row, "type").lower()
        if entry_type == TRADE_LEGS:
            refid = table.cell(row, "refid")
            trades.setdefault(refid, _Trade(refid)).lines.append(entry)
            continue
        yield _ledger_record(table, entry, entry_type)
    for trade in trades.values():
        yield from _paired(table, trade)


def _line(table: Table, context: Context, line: int, row: Sequence[str]) -> _Line:
    fee_text = table.cell(row, "fee")
    return _Line(
        line=line,
        row=row,
        txid=table.cell(row, "txid"),
        when=kraken_time(table.cell(row, "time"), "time", context),
        asset=context.code(table.cell(row, "asset")),
        amount=number(table.cell(row, "amount"), "amount"),
        fee=number(fee_text, "fee") if fee_text else Decimal(0),
    )


def _ledger_record(table: Table, entry: _Line, entry_type: str) -> ParsedRecord:
    """A ledger line read as the fetcher reads the same line from the API (kind, sign, fee, key)."""
    kind, amount, fee = ledger_movement(entry_type, entry.amount, entry.fee)  # a reversal as the fetcher stores it
    side = direction(entry.amount) if kind in TWO_WAY_KINDS else None
    record = NormalizedRecord(
        kind=kind,
        occurred_at=entry.when,
        natural_key=natural_key(kind, entry.txid),
        asset=entry.asset,
        amount=amount,
        exchange_tx_id=table.cell(entry.row, "refid") or entry.txid,
        side=side,
        fee_asset=entry.asset if fee else None,
        fee_amount=fee,
        raw=raw_row(table, entry.row, "kraken-ledgers"),
    )
    return ParsedRecord(record, entry.line, keyed=True)


def _quote_rank(asset: str) -> int:
    return QUOTE_ORDER.index(asset) if asset in QUOTE_ORDER else len(QUOTE_ORDER)


def _paired(table: Table, trade: _Trade) -> Iterator[Outcome]:
    """The two lines of one trade as that trade; a fee taken on a line of its own (amount 0) in another coin than
    the trade's fee is a FEE of its own, so no fee is lost and the balance check counts it."""
    legs = [entry for entry in trade.lines if entry.amount != 0]
    if len(legs) != 2 or (legs[0].amount > 0) == (legs[1].amount > 0):
        for entry in trade.lines:
            yield Skipped(entry.line, Text.of("file.skip.kraken_half_trade"))
        return
    base, quote = sorted(legs, key=lambda entry: -_quote_rank(entry.asset))
    charged = [entry for entry in trade.lines if entry.fee]
    fee_line = next((entry for entry in charged if entry is quote), charged[0] if charged else None)
    first = min(trade.lines, key=lambda entry: entry.line)
    record = NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=first.when,
        natural_key=natural_key(RecordKind.TRADE, trade.refid),
        asset=base.asset,
        amount=abs(base.amount),
        exchange_tx_id=trade.refid,
        market=f"{base.asset}/{quote.asset}",
        side=Side.BUY if base.amount > 0 else Side.SELL,
        quote_asset=quote.asset,
        quote_amount=abs(quote.amount),
        price=None,  # the ledger states none (trades.csv and TradesHistory do); a quotient would be invented digits
        fee_asset=fee_line.asset if fee_line is not None else None,
        fee_amount=fee_line.fee if fee_line is not None else None,
        raw={
            "file_format": "kraken-ledgers",
            "legs": [raw_row(table, entry.row, "kraken-ledgers") for entry in trade.lines],
        },
    )
    yield ParsedRecord(record, first.line, keyed=True)
    for entry in charged:
        if entry is not fee_line:
            yield _further_fee(table, entry, trade.refid)


def _further_fee(table: Table, entry: _Line, refid: str) -> ParsedRecord:
    """A trade's fee on a line of its own, in another coin than the fee the trade holds: a FEE keyed by the line's
    ledger id, signed as it changed the balance (a rebate, a negative fee, paid in)."""
    record = NormalizedRecord(
        kind=RecordKind.FEE,
        occurred_at=entry.when,
        natural_key=natural_key(RecordKind.FEE, entry.txid),
        asset=entry.asset,
        amount=-entry.fee,
        exchange_tx_id=refid,
        raw=raw_row(table, entry.row, "kraken-ledgers"),
    )
    return ParsedRecord(record, entry.line, keyed=True)


LEDGER_COLUMNS = ("txid", "refid", "time", "type", "subtype", "aclass", "asset", "amount", "fee", "balance")
TRADE_COLUMNS = ("txid", "ordertxid", "pair", "time", "type", "ordertype", "price", "cost", "fee", "vol")

FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="kraken-ledgers",
        title=msgid("file.format.kraken_ledgers"),
        exchange=KRAKEN.id,
        columns=LEDGER_COLUMNS,
        reader=_read_ledgers,
        time_column=TIME,
        zone=Zone.UTC,
        source=SOURCE_LEDGERS,
    ),
    FileFormat(
        name="kraken-trades",
        title=msgid("file.format.kraken_trades"),
        exchange=KRAKEN.id,
        columns=TRADE_COLUMNS,
        reader=_read_trades,
        time_column=TIME,
        zone=Zone.UTC,
        source=SOURCE_TRADES,
    ),
)
