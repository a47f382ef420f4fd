"""Bybit's unified trading account "Account Change Details" (Transaction Log): one row per balance change.

Three header variants are known (docs/FILE-FORMATS.md has their sources):
- `Uid,Currency,Contract,Type,Direction,Quantity,Position,Filled Price,Funding,Fee Paid,Cash Flow,Change,
  Wallet Balance,Action,Time(UTC)` below a "UID: …,Company Name: ,Country: " line (Data Export, EU and global);
- the same without `Uid`;
- `Currency,…,Action,OrderId,TradeId,Time` (the Transaction Log page's export; times with milliseconds, no zone).

A spot trade is two rows (one per coin) with the same time, contract, direction and filled price: the base row's
Quantity is the amount, the quote row's the value, and "Fee Paid" (negative when charged, positive for a maker
rebate) is the fee in that row's coin. With several fills in one second the k-th base row is paired with the k-th
quote row; where a TradeId is written it is Bybit's execution id, the key the API sync gives the fill. A TRADE of a
derivative (one row, in the settlement coin), funding settlements and other changes are kept as ledger entries
with Bybit's type; transfers between own accounts as transfers; interest, bonuses and airdrops as rewards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from connectors.files.errors import RejectedRow, RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Table, raw_row
from connectors.files.values import number, optional_number, parse_time
from connectors.files.wallet import direction
from connectors.profiles.catalog.bybit import PROFILE as BYBIT
from connectors.records import NormalizedRecord, RecordKind, Side, natural_key
from i18n import Text, msgid

# Where the layouts come from (docs/FILE-FORMATS.md): everytrade-io/everytrade-plugins parser-files/
# bybiteu_uta_v001.csv and its BybitEuUtaBeanV1Test (UID line, Uid…Time(UTC)); open-source Transaction Log readers
# with `…,Action,OrderId,TradeId,Time`.
SOURCE = "everytrade-io/everytrade-plugins:parser-files/bybiteu_uta_v001.csv"
ACCOUNT_COLUMNS = (
    "currency",
    "contract",
    "type",
    "direction",
    "quantity",
    "filled price",
    "fee paid",
    "cash flow",
    "change",
    "wallet balance",
    "action",
    "time*",
)
(
    CURRENCY,
    CONTRACT,
    TYPE,
    DIRECTION,
    QUANTITY,
    FILLED_PRICE,
    FEE_PAID,
    CASH_FLOW,
    CHANGE,
    WALLET_BALANCE,
    ACTION,
    TIME,
) = ACCOUNT_COLUMNS
REWARD_WORDS = ("interest", "bonus", "airdrop", "reward", "rebate", "cashback")


@dataclass(slots=True)
class _Leg:
    line: int
    cells: Sequence[str]
    currency: str
    quantity: Decimal


def read_account_changes(table: Table, context: Context) -> Iterator[Outcome]:
    time_spec = TIME
    legs: dict[tuple[str, ...], list[_Leg]] = {}
    for line, cells in table.rows:
        kind_text = table.cell(cells, "type")
        try:
            currency = table.cell(cells, "currency")
            if not currency:
                raise RowError(CURRENCY, Text.of("file.row.empty_coin"))
            if kind_text.upper() == "TRADE":
                quantity = number(table.cell(cells, "quantity"), "quantity")
                key = (
                    table.cell(cells, time_spec),
                    table.cell(cells, "contract"),
                    table.cell(cells, "direction").upper(),
                    table.cell(cells, FILLED_PRICE),
                    table.cell(cells, "tradeid"),
                )
                legs.setdefault(key, []).append(_Leg(line, cells, currency.upper(), quantity))
                continue
            yield _single(table, context, line, cells, kind_text)
        except RowError as error:
            yield RejectedRow(line, table.label(error.column), error.reason)
    for trade_key, group in legs.items():
        yield from _trades(table, context, trade_key, group)


def _single(table: Table, context: Context, line: int, cells: Sequence[str], kind_text: str) -> ParsedRecord:
    when, precision = parse_time(table.cell(cells, TIME), TIME, context.zone)
    change = number(table.cell(cells, "change"), "change")
    lowered = kind_text.lower()
    kind, amount = RecordKind.LEDGER, change
    side_text: str | None = lowered
    if lowered.startswith("transfer"):
        kind, side_text, amount = RecordKind.TRANSFER, direction(change), abs(change)
    elif change > 0 and any(word in lowered for word in REWARD_WORDS):
        kind, side_text = RecordKind.REWARD, None
    record = NormalizedRecord(
        kind=kind,
        occurred_at=when,
        natural_key="",
        asset=context.code(table.cell(cells, "currency")),
        amount=amount,
        side=side_text,
        raw=raw_row(table, cells, "bybit-account-changes"),
    )
    return ParsedRecord(record, line, keyed=False, precision=precision)


def _trades(table: Table, context: Context, key: tuple[str, ...], group: list[_Leg]) -> Iterator[Outcome]:
    time_text, contract, direction_text, price_text, trade_id = key
    currencies = sorted({leg.currency for leg in group}, key=lambda c: not contract.upper().startswith(c))
    try:
        when, precision = parse_time(time_text, TIME, context.zone)
        price = number(price_text, FILLED_PRICE)
    except RowError as error:
        for leg in group:
            yield RejectedRow(leg.line, table.label(error.column), error.reason)
        return
    if len(currencies) == 1:  # a derivative fill: one row in the settlement coin
        for leg in group:
            yield _single(table, context, leg.line, leg.cells, "trade")
        return
    base, quote = currencies[0], currencies[1]
    base_legs = [leg for leg in group if leg.currency == base]
    quote_legs = [leg for leg in group if leg.currency == quote]
    if len(currencies) != 2 or len(base_legs) != len(quote_legs) or not contract.upper().startswith(base):
        for leg in group:
            yield RejectedRow(leg.line, table.label("contract"), Text.of("file.row.trade_unpaired", contract=contract))
        return
    for base_leg, quote_leg in zip(base_legs, quote_legs, strict=True):
        try:
            yield _trade(table, context, (base_leg, quote_leg), when, precision, price, direction_text, trade_id)
        except RowError as error:
            yield RejectedRow(base_leg.line, table.label(error.column), error.reason)


def _trade(
    table: Table,
    context: Context,
    legs: tuple[_Leg, _Leg],
    when: datetime,
    precision: int,
    price: Decimal,
    direction_text: str,
    trade_id: str,
) -> ParsedRecord:
    base_leg, quote_leg = legs
    fee_leg = next((leg for leg in legs if optional_number(table.cell(leg.cells, FEE_PAID), FEE_PAID)), None)
    fee_paid = optional_number(table.cell(fee_leg.cells, FEE_PAID), FEE_PAID) if fee_leg else None
    base, quote = context.code(base_leg.currency), context.code(quote_leg.currency)
    first = min(legs, key=lambda leg: leg.line)
    record = NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=when,
        natural_key=natural_key(RecordKind.TRADE, trade_id) if trade_id else "",
        asset=base,
        amount=abs(base_leg.quantity),
        exchange_tx_id=trade_id or None,
        market=f"{base}/{quote}",
        side=Side.BUY if direction_text == "BUY" else Side.SELL,
        quote_asset=quote,
        quote_amount=abs(quote_leg.quantity),
        price=price,
        # Bybit writes the fee as a balance change (negative when charged); Tallybot stores a charged fee positive
        # and a maker rebate negative.
        fee_asset=context.code(fee_leg.currency) if fee_leg else None,
        fee_amount=-fee_paid if fee_paid is not None else None,
        raw={
            "file_format": "bybit-account-changes",
            "rows": [raw_row(table, leg.cells, "bybit-account-changes") for leg in sorted(legs, key=lambda g: g.line)],
        },
    )
    return ParsedRecord(record, first.line, keyed=bool(trade_id), precision=precision)


ACCOUNT_FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="bybit-account-changes",
        title=msgid("file.format.bybit_account_changes"),
        exchange=BYBIT.id,
        columns=ACCOUNT_COLUMNS,
        reader=read_account_changes,
        time_column=TIME,
        source=SOURCE,
    ),
)
