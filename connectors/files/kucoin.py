"""KuCoin exports: spot fills and orders, and the deposit and withdrawal histories, in the layouts sources name.

None of them carries the fill's `tradeId` the API sync keys on (`trade:<symbol>:<tradeId>`), so records are found
among stored ones by content (kind, coins, side, amount, time to the second, price and fee where both have one).
- The older trade export (`tradeCreatedAt`, `orderId`, … `feeCurrency`) is one row per fill, with the fill's own
  `price`, `size`, `funds` and `fee`, as the API's fill list has them. Its times state no zone: KuCoin wrote them in
  Singapore time (UTC+8), as BittyTax reads them.
- The data-export bundle's spot files state their zone in the column title ("Filled Time(UTC+08:00)"). With a
  `Maker/Taker` column a row is one fill; the filled-orders file (with `Order Time(…)` and `Status`) is one row per
  order at its average price: several fills summed, which cannot meet the API's per-fill records (the import report
  says so).
- The deposit and withdrawal files keep only `SUCCESS` rows, as the fetcher stores only final ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta, timezone
from decimal import Decimal

from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table, Zone, raw_row, rows_of
from connectors.files.values import number, optional_number, parse_time, side_value, split_pair
from connectors.files.wallet import Kind, WalletLayout
from connectors.profiles.catalog.kucoin import PROFILE as KUCOIN
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, msgid

# The full sources, with what each says, are in docs/FILE-FORMATS.md.
SOURCE = "BittyTax:src/bittytax/conv/parsers/kucoin.py"
SINGAPORE = timezone(timedelta(hours=8))


def _trade(
    table: Table,
    row: Sequence[str],
    line: int,
    columns: dict[str, str],
    context: Context,
    *,
    format_name: str,
    summed: bool = False,
) -> ParsedRecord:
    """A fill (or an order) from the columns that hold its time, pair, side, price, amount, value and fee."""
    when, precision = parse_time(table.cell(row, columns["time"]), columns["time"], context.zone)
    base, quote = split_pair(table.cell(row, columns["pair"]), columns["pair"])
    fee = optional_number(table.cell(row, columns["fee"]), columns["fee"])
    fee_coin = table.cell(row, columns["fee_coin"])
    base_code, quote_code = context.code(base), context.code(quote)
    record = NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=when,
        natural_key="",
        asset=base_code,
        amount=abs(number(table.cell(row, columns["amount"]), columns["amount"])),
        market=f"{base_code}/{quote_code}",
        side=side_value(table.cell(row, columns["side"]), columns["side"]),
        quote_asset=quote_code,
        quote_amount=abs(number(table.cell(row, columns["value"]), columns["value"])),
        price=number(table.cell(row, columns["price"]), columns["price"]),
        fee_asset=context.code(fee_coin) if fee is not None and fee_coin else None,
        fee_amount=abs(fee) if fee is not None and fee_coin else None,
        raw=raw_row(table, row, format_name),
    )
    return ParsedRecord(record, line, keyed=False, precision=precision, summed_fills=summed)


# Each trade export's column specs (normalized titles) and what each holds.
FILLS_V3_TITLES = {"tradecreatedat": "time", "symbol": "pair", "side": "side", "price": "price", "size": "amount",
                   "funds": "value", "fee": "fee", "feecurrency": "fee_coin", "orderid": "order"}  # fmt: skip
BUNDLE_TITLES = {"filled time*": "time", "symbol": "pair", "side": "side", "avg. filled price": "price",
                 "filled amount": "amount", "filled volume": "value", "fee": "fee", "fee currency": "fee_coin",
                 "order id": "order"}  # fmt: skip
FILLS_V3 = {role: spec for spec, role in FILLS_V3_TITLES.items()}
BUNDLE = {role: spec for spec, role in BUNDLE_TITLES.items()}
# The bundle's fill file has a maker/taker column (a property of a fill); its filled-orders file an order time and
# a status instead.
FILL_ONLY = {"maker/taker": "liquidity"}
ORDER_ONLY = {"order time*": "ordered", "status": "status"}


def _read_fills_v3(table: Table, context: Context) -> Iterator[Outcome]:
    singapore = Context(zone=SINGAPORE, codes=context.codes)

    def read(line: int, row: Sequence[str]) -> Outcome | None:
        return _trade(table, row, line, FILLS_V3, singapore, format_name="kucoin-fills-v3")

    return rows_of(table, read)


def _read_bundle_fills(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        return _trade(table, row, line, BUNDLE, context, format_name="kucoin-fills")

    return rows_of(table, read)


def _read_bundle_orders(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        filled = optional_number(table.cell(row, BUNDLE["amount"]), BUNDLE["amount"])
        if not filled:
            return Skipped(line, Text.of("file.skip.order_without_fills"))
        return _trade(table, row, line, BUNDLE, context, format_name="kucoin-orders", summed=True)

    return rows_of(table, read)


def _not_final(table: Table, row: Sequence[str]) -> Text | None:
    status = table.cell(row, "status")
    return None if status.upper() == "SUCCESS" else Text.of("file.skip.not_completed", status=status)


def _deposit(table: Table, row: Sequence[str], signed: Decimal) -> Kind | Text:
    return RecordKind.DEPOSIT, None


def _withdrawal(table: Table, row: Sequence[str], signed: Decimal) -> Kind | Text:
    return RecordKind.WITHDRAWAL, None


# The deposit and withdrawal files' columns a WalletLayout names.
WALLET_COLUMNS = ("time*", "coin", "amount")
WALLET_TIME, COIN, AMOUNT = WALLET_COLUMNS
DEPOSITS = WalletLayout(
    format_name="kucoin-deposits",
    time=(WALLET_TIME,),
    coin=COIN,
    amount=AMOUNT,
    classify=_deposit,
    precheck=_not_final,
    fees=("fee",),
)
WITHDRAWALS = WalletLayout(
    format_name="kucoin-withdrawals",
    time=(WALLET_TIME,),
    coin=COIN,
    amount=AMOUNT,
    classify=_withdrawal,
    precheck=_not_final,
    fees=("fee",),
)
# The deposit and withdrawal files' column specs and what each holds; a withdrawal file adds the address sent to.
WALLET_TITLES = {"uid": "account", "account type": "wallet", "time*": "time", "coin": "coin", "amount": "amount",
                 "fee": "fee", "transfer network": "network", "status": "status", "remarks": "remarks"}  # fmt: skip
WITHDRAWAL_ONLY = {"withdrawal address/account": "address"}

FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="kucoin-fills-v3",
        title=msgid("file.format.kucoin_fills_v3"),
        exchange=KUCOIN.id,
        columns=tuple(FILLS_V3_TITLES),
        reader=_read_fills_v3,
        time_column=FILLS_V3["time"],
        zone=Zone.UTC,  # read in UTC+8 by the reader: the file never states it, KuCoin always wrote that zone
        source=SOURCE,
    ),
    FileFormat(
        name="kucoin-fills",
        title=msgid("file.format.kucoin_fills"),
        exchange=KUCOIN.id,
        columns=(*BUNDLE_TITLES, *FILL_ONLY),
        reader=_read_bundle_fills,
        time_column=BUNDLE["time"],
        source=SOURCE,
    ),
    FileFormat(
        name="kucoin-orders",
        title=msgid("file.format.kucoin_orders"),
        exchange=KUCOIN.id,
        columns=(*BUNDLE_TITLES, *ORDER_ONLY),
        reader=_read_bundle_orders,
        time_column=BUNDLE["time"],
        source=SOURCE,
    ),
    FileFormat(
        name="kucoin-deposits",
        title=msgid("file.format.kucoin_deposits"),
        exchange=KUCOIN.id,
        columns=tuple(WALLET_TITLES),
        reader=DEPOSITS.read,
        time_column=WALLET_TIME,
        source=SOURCE,
    ),
    FileFormat(
        name="kucoin-withdrawals",
        title=msgid("file.format.kucoin_withdrawals"),
        exchange=KUCOIN.id,
        columns=(*WALLET_TITLES, *WITHDRAWAL_ONLY),
        reader=WITHDRAWALS.read,
        time_column=WALLET_TIME,
        source=SOURCE,
    ),
)
