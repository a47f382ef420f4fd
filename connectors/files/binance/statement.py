"""Binance's Transaction History statement: one row per balance change, the rows of one operation paired back.

Two layouts: `User_ID,UTC_Time,Account,Operation,Coin,Change,Remark` (times in UTC, as the column says) and the
2026 form `User ID,Time,Account,Operation,Coin,Change,Remark`, whose times have two-digit years
("24-01-20 14:30:00") and whose zone is stated only in the file name
("Binance-Transaction-History-202608111215(UTC+9).csv"). Sources: BittyTax's Binance statement parser
(src/bittytax/conv/parsers/binance.py) and pbialon/pit-38's e2e fixture (tests/e2e/fixtures/).

Rows of one time and account are one operation:
- trade legs ("Buy"/"Sell"/"Transaction Related", "Transaction Buy/Spend/Sold/Revenue", "Fee"/"Transaction Fee")
  become trades. Where an operation has as many received rows as spent rows, the k-th received row is paired with
  the k-th spent row (and the k-th fee row), one trade per fill; otherwise the rows are summed into one trade. The
  statement states no price (a price divided out of the amounts may differ from Binance's in the last digit), so
  none is stored; the traded amounts are the ones Binance booked, gross of the fee.
- convert legs ("Binance Convert", "Small Assets Exchange BNB") become a convert: a buy of the received coin paid
  with the spent coin, as the API sync stores Binance Convert orders.
- every other change is kept as its kind: deposits, withdrawals, rewards (interest, distributions, airdrops,
  commissions), moves between own accounts (transfers, Earn subscriptions and redemptions), and anything else as
  a ledger entry carrying Binance's operation name, so nothing the statement holds is lost.
No row carries Binance's own id, so records are found among stored ones by content. A Withdraw row's Change is the
amount plus the network fee ("Withdraw fee is included" in its Remark): it is stored as Binance booked it, with no
fee, and recognised as the API's withdrawal whose amount plus fee it is (connectors/files/matching.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from connectors.files.errors import RejectedRow, RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Table, Zone, raw_row
from connectors.files.values import KNOWN_QUOTES, number, parse_time
from connectors.files.wallet import direction
from connectors.profiles.catalog.binance import PROFILE as BINANCE
from connectors.records import NormalizedRecord, RecordKind, Side
from i18n import Text, msgid

# Where the layout comes from (docs/FILE-FORMATS.md): BittyTax's Binance statement parser (User_ID,UTC_Time,Account,
# Operation,Coin,Change,Remark); privatefolio's binance-account-statement importer; the 2026 layout from pbialon/pit-38
# tests/e2e/fixtures/binance_transaction_history.csv; the Withdraw row's Remark 'Withdraw fee is included' from
# provinzio/CoinTaxman src/exchanges/binance.py (the remarks Binance writes by default).
SOURCE = "BittyTax:src/bittytax/conv/parsers/binance.py"
# The titles the reader names (as formats.normalize_header writes them).
NAMED_COLUMNS = ("utc_time", "time", "coin", "operation")
UTC_TIME, TIME, COIN, OPERATION = NAMED_COLUMNS
STATEMENT_2026_COLUMNS = ("user id", TIME, "account", OPERATION, COIN, "change", "remark")
# The side each trade-leg operation names: a row of one of these families is paired only with its own family.
SIDE_OF = {
    "transaction buy": "buy",
    "transaction spend": "buy",
    "buy": "buy",
    "transaction sold": "sell",
    "transaction revenue": "sell",
    "sell": "sell",
    "transaction related": "",
}


# Operation names (lower case), matched whole.
FEE_LEG_WORDS = frozenset({"fee", "transaction fee"})
TRADE_LEGS = frozenset({*SIDE_OF, *FEE_LEG_WORDS})
CONVERT_LEG_WORDS = frozenset({"binance convert", "small assets exchange bnb", "small assets exchange", "etf convert"})
DEPOSIT_WORDS = frozenset({"deposit", "fiat deposit", "crypto deposit"})
WITHDRAWAL_WORDS = frozenset({"withdraw", "fiat withdraw", "fiat withdrawal", "crypto withdrawal"})
REWARD_WORDS = ("interest", "reward", "distribution", "airdrop", "commission", "rebate", "kickback", "bonus", "mining")
OWN_MOVE_WORDS = ("transfer", "subscription", "redemption", "purchase")


@dataclass(slots=True)
class _Row:
    line: int
    cells: Sequence[str]
    operation: str  # lower case
    coin: str
    change: Decimal


def read_statement(table: Table, context: Context) -> Iterator[Outcome]:
    time_spec = UTC_TIME if table.has(UTC_TIME) else TIME
    groups: dict[tuple[str, str, RecordKind], list[_Row]] = {}
    for line, cells in table.rows:
        try:
            change = number(table.cell(cells, "change"), "change")
            coin = table.cell(cells, COIN)
            if not coin:
                raise RowError(COIN, Text.of("file.row.empty_coin"))
        except RowError as error:
            yield RejectedRow(line, table.label(error.column), error.reason)
            continue
        row = _Row(line, cells, table.cell(cells, OPERATION).lower(), coin, change)
        family = _family(row.operation)
        if family is None:
            yield from _single(table, context, time_spec, row)
            continue
        key = (table.cell(cells, time_spec), table.cell(cells, "account"), family)
        groups.setdefault(key, []).append(row)
    for (time_text, _, family), rows in groups.items():
        if all(row.operation in FEE_LEG_WORDS for row in rows):
            # Fees with no trade beside them (a futures account's "Fee" rows): ledger entries of their own.
            for row in rows:
                yield from _single(table, context, time_spec, row)
            continue
        try:
            when, precision = parse_time(time_text, time_spec, context.zone)
            records = _trades(rows) if family is RecordKind.TRADE else _converts(rows)
        except RowError as error:
            for row in rows:
                yield RejectedRow(row.line, table.label(error.column), error.reason)
            continue
        for trade in records:
            yield _record(table, context, when, precision, trade)


def _family(operation: str) -> RecordKind | None:
    """The kind of record an operation's rows are paired into, or None for a change that stands alone."""
    if operation in TRADE_LEGS:
        return RecordKind.TRADE
    if operation in CONVERT_LEG_WORDS:
        return RecordKind.CONVERT
    return None


@dataclass(slots=True)
class _Trade:
    kind: RecordKind
    side: str
    base: _Row
    quote: _Row
    fees: list[_Row]
    base_amount: Decimal
    quote_amount: Decimal
    summed: bool = False  # several received or spent rows summed: the fills could not be told apart


def _trades(rows: list[_Row]) -> list[_Trade]:
    """The trades of one operation: legs paired within their side's family (a buy and a sell of one pair can
    happen in one second), fees given to the trades in order when there is one fee row a trade."""
    legs = [r for r in rows if r.operation not in FEE_LEG_WORDS]
    fees = [r for r in rows if r.operation in FEE_LEG_WORDS]
    groups: list[tuple[list[_Row], list[_Row]]] = []
    for side in ("buy", "sell", ""):
        family = [r for r in legs if SIDE_OF[r.operation] == side]
        received = [r for r in family if r.change > 0]
        spent = [r for r in family if r.change < 0]
        if not family:
            continue
        if not received or not spent:
            raise RowError(OPERATION, Text.of("file.row.trade_cut"))
        if len(received) == len(spent):
            groups += [([r], [s]) for r, s in zip(received, spent, strict=True)]
        else:
            groups.append((received, spent))
    groups.sort(key=lambda pair: min(r.line for r in (*pair[0], *pair[1])))
    one_each = len(fees) == len(groups)
    return [
        _trade(got, paid, [fees[i]] if one_each else fees if i == 0 else []) for i, (got, paid) in enumerate(groups)
    ]


def _trade(received: list[_Row], spent: list[_Row], fees: list[_Row]) -> _Trade:
    if len({r.coin for r in received}) != 1 or len({r.coin for r in spent}) != 1:
        raise RowError(COIN, Text.of("file.row.too_many_coins_trade"))
    got, paid = _total(received), -_total(spent)
    side = SIDE_OF[received[0].operation] or (
        # "Transaction Related" names no side: receiving a quote coin for another coin is a sale.
        Side.SELL
        if received[0].coin.upper() in KNOWN_QUOTES and spent[0].coin.upper() not in KNOWN_QUOTES
        else Side.BUY
    )
    summed = len(received) > 1 or len(spent) > 1
    if side == "sell":
        return _Trade(RecordKind.TRADE, Side.SELL, spent[0], received[0], fees, paid, got, summed)
    return _Trade(RecordKind.TRADE, Side.BUY, received[0], spent[0], fees, got, paid, summed)


def _converts(rows: list[_Row]) -> list[_Trade]:
    """One convert per received/spent pair; "Small Assets Exchange BNB" turns several coins into BNB at once, and
    writes each coin's row with its BNB row, so the k-th received row goes with the k-th spent row."""
    received = [r for r in rows if r.change > 0]
    spent = [r for r in rows if r.change < 0]
    if not received or not spent:
        raise RowError(OPERATION, Text.of("file.row.convert_cut"))
    if len(received) == len(spent):
        pairs = [([r], [s]) for r, s in zip(received, spent, strict=True)]
    else:
        pairs = [(received, spent)]
    converts = []
    for got_rows, paid_rows in pairs:
        if len({r.coin for r in got_rows}) != 1 or len({r.coin for r in paid_rows}) != 1:
            raise RowError(COIN, Text.of("file.row.too_many_coins_convert"))
        got, paid = _total(got_rows), -_total(paid_rows)
        summed = len(got_rows) > 1 or len(paid_rows) > 1
        converts.append(_Trade(RecordKind.CONVERT, Side.BUY, got_rows[0], paid_rows[0], [], got, paid, summed))
    return converts


def _total(rows: list[_Row]) -> Decimal:
    return sum((r.change for r in rows), Decimal(0))


def _record(table: Table, context: Context, when: datetime, precision: int, trade: _Trade) -> ParsedRecord:
    base, quote = context.code(trade.base.coin), context.code(trade.quote.coin)
    fee_coins = {r.coin for r in trade.fees}
    fee_total = -_total(trade.fees)
    rows = sorted([trade.base, trade.quote, *trade.fees], key=lambda r: r.line)
    record = NormalizedRecord(
        kind=trade.kind,
        occurred_at=when,
        natural_key="",
        asset=base,
        amount=trade.base_amount,
        market=f"{base}/{quote}" if trade.kind is RecordKind.TRADE else None,
        side=trade.side,
        quote_asset=quote,
        quote_amount=trade.quote_amount,
        fee_asset=context.code(next(iter(fee_coins))) if len(fee_coins) == 1 else None,
        fee_amount=fee_total if len(fee_coins) == 1 else None,
        raw={"file_format": "binance-statement", "rows": [raw_row(table, r.cells, "binance-statement") for r in rows]},
    )
    return ParsedRecord(record, rows[0].line, keyed=False, precision=precision, summed_fills=trade.summed)


def _single(table: Table, context: Context, time_spec: str, row: _Row) -> Iterator[Outcome]:
    try:
        when, precision = parse_time(table.cell(row.cells, time_spec), time_spec, context.zone)
    except RowError as error:
        yield RejectedRow(row.line, table.label(error.column), error.reason)
        return
    kind, side, amount = _kind_of(row)
    record = NormalizedRecord(
        kind=kind,
        occurred_at=when,
        natural_key="",
        asset=context.code(row.coin),
        amount=amount,
        side=side,
        raw=raw_row(table, row.cells, "binance-statement"),
    )
    # Binance writes "Withdraw fee is included" in the Remark of a Withdraw row: its Change is the amount sent plus
    # the network fee, which the API's withdraw history states apart (`amount`, `transactionFee`).
    # (provinzio/CoinTaxman's list of the remarks Binance writes has "Withdraw fee is included").
    remark = table.cell(row.cells, "remark").lower()
    fee_included = kind is RecordKind.WITHDRAWAL and "fee is included" in remark
    yield ParsedRecord(record, row.line, keyed=False, precision=precision, fee_included=fee_included)


def _kind_of(row: _Row) -> tuple[RecordKind, str | None, Decimal]:
    """Kind, side and amount of a change that is an operation by itself (see the module docstring)."""
    operation, change = row.operation, row.change
    if operation in DEPOSIT_WORDS and change > 0:
        return RecordKind.DEPOSIT, None, change
    if operation in WITHDRAWAL_WORDS and change < 0:
        return RecordKind.WITHDRAWAL, None, -change
    if any(word in operation for word in OWN_MOVE_WORDS):
        return RecordKind.TRANSFER, direction(change), abs(change)
    if change > 0 and any(word in operation for word in REWARD_WORDS):
        return RecordKind.REWARD, None, change
    # Futures P&L, funding fees and operations Tallybot has no kind for: a signed ledger entry named as Binance
    # names it, as the API sync stores ledger rows.
    return RecordKind.LEDGER, operation, change


STATEMENT_FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="binance-statement",
        title=msgid("file.format.binance_statement"),
        exchange=BINANCE.id,
        columns=("user_id", UTC_TIME, "account", OPERATION, COIN, "change", "remark"),
        reader=read_statement,
        time_column=UTC_TIME,
        zone=Zone.UTC,
        source=SOURCE,
    ),
    FileFormat(
        name="binance-statement-2026",
        title=msgid("file.format.binance_statement_2026"),
        exchange=BINANCE.id,
        columns=STATEMENT_2026_COLUMNS,
        reader=read_statement,
        time_column=TIME,
        source=SOURCE,
    ),
)
