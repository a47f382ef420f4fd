"""Bitget exports: spot trade history, and the spot-account financial record (deposits and withdrawals).

Neither carries the trade or order ids the API sync keys on, so records are found among stored ones by content.
The trade export's "Date" column does not say its zone: Tallybot reads it in the zone the header, the lines
above it or the file name state ("(UTC+8)"), else in the user's time zone, and the report says so. The fee has no
currency unless the file has a "Fee coin" column: Bitget charges spot fees in the coin received (base on a buy,
quote on a sell), which is what is stored. Pairs may carry Bitget's old "_SPBL" suffix.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Table, raw_row, rows_of
from connectors.files.values import parse_time, side_value, split_pair, with_unit
from connectors.files.wallet import Kind, WalletLayout, direction
from connectors.profiles.catalog.bitget import PROFILE as BITGET
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, msgid

# Where the layouts come from (docs/FILE-FORMATS.md): the spot trade-history columns an open-source portfolio tool
# reads (BitgetInterface: Date, Trading pair, Direction, Price, Amount, Total, Fee) and Cryptact's Bitget help pages
# for how Bitget writes rows, not checked against a fresh export; the fields crypto-city's help page lists for
# Bitget's 'Spot Financial Record' (Type, Creation timestamp, Coin, Quantity, Fees), whose exact titles are not
# verified.
SOURCE_TRADES = "docs/FILE-FORMATS.md#bitget-trades"
SOURCE_WALLET = "docs/FILE-FORMATS.md#bitget-deposits-withdrawals"
TRADE_COLUMNS = ("date*", "trading pair", "direction", "price", "amount", "total", "fee")
DATE, TRADING_PAIR, _, _, _, _, _ = TRADE_COLUMNS
FINANCIAL_COLUMNS = ("creation time*", "coin", "type", "quantity", "fees")
CREATION_TIME, COIN, _, QUANTITY, FEES = FINANCIAL_COLUMNS


def _read_trades(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, DATE), DATE, context.zone)
        side = side_value(table.cell(row, "direction"), "direction")
        base, quote = split_pair(table.cell(row, TRADING_PAIR), TRADING_PAIR)
        amount, _ = with_unit(table.cell(row, "amount"), "amount", [base])
        total, _ = with_unit(table.cell(row, "total"), "total", [quote])
        price, _ = with_unit(table.cell(row, "price"), "price", [quote])
        fee, fee_unit = with_unit(table.cell(row, "fee"), "fee", [base, quote, "BGB"])
        fee_coin = table.cell(row, "fee coin") or fee_unit or (base if side == "buy" else quote)
        base_code, quote_code = context.code(base), context.code(quote)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key="",
            asset=base_code,
            amount=abs(amount),
            market=f"{base_code}/{quote_code}",
            side=side,
            quote_asset=quote_code,
            quote_amount=abs(total),
            price=price,
            fee_asset=context.code(fee_coin),
            fee_amount=abs(fee),
            raw=raw_row(table, row, "bitget-trades"),
        )
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


def _frozen(table: Table, row: Sequence[str]) -> Text | None:
    action = table.cell(row, "action")
    return Text.of("file.skip.withdrawal_hold", action=action) if "freeze" in action.lower() else None


def _financial_kind(table: Table, row: Sequence[str], signed: Decimal) -> Kind | Text:
    type_text = table.cell(row, "type")
    lowered = type_text.lower()
    if lowered == "deposit":
        return RecordKind.DEPOSIT, None
    if lowered == "withdrawal" or lowered.endswith(" withdrawal"):
        return RecordKind.WITHDRAWAL, None
    if "transfer" in lowered:
        return RecordKind.TRANSFER, direction(signed)
    if signed > 0 and any(word in lowered for word in INCOME_WORDS):
        return RecordKind.REWARD, None  # interest earned, Earn and savings yield, airdrops: income kept
    # Trade legs are in the trade history; keeping them here too would count each trade twice.
    return Text.of("file.skip.bitget_not_kept", type=type_text)


INCOME_WORDS = ("interest", "earn", "savings", "reward", "airdrop", "bonus", "rebate", "yield", "dividend")
FINANCIAL_RECORD = WalletLayout(
    format_name="bitget-financial",
    time=(CREATION_TIME,),
    coin=COIN,
    amount=QUANTITY,
    classify=_financial_kind,
    precheck=_frozen,
    fees=(FEES,),
)


FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="bitget-trades",
        title=msgid("file.format.bitget_trades"),
        exchange=BITGET.id,
        columns=TRADE_COLUMNS,
        reader=_read_trades,
        time_column=DATE,
        source=SOURCE_TRADES,
    ),
    FileFormat(
        name="bitget-deposits-withdrawals",
        title=msgid("file.format.bitget_deposits_withdrawals"),
        exchange=BITGET.id,
        columns=FINANCIAL_COLUMNS,
        reader=FINANCIAL_RECORD.read,
        time_column=CREATION_TIME,
        source=SOURCE_WALLET,
    ),
)
