"""Coinbase Exchange's (formerly Coinbase Pro's) fills report: one row per fill, as the Advanced Trade API lists
fills (`/api/v3/brokerage/orders/historical/fills`, which the sync reads).

A row's `total` is what the fill moved in the quote currency with the fee in it: negative for a buy (the value
paid plus the fee), positive for a sell (the value received less the fee). So the fill's value is |total| − fee on a
buy and total + fee on a sell, and the fee is in the quote currency, as the API's `commission` is. The report's
`trade id` is Coinbase Pro's per-product number, not the id the sync keys a fill on, so fills are found among
stored ones by content (coins, side, size, time to the second, price and fee).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Table, Zone, raw_row, rows_of
from connectors.files.values import number, parse_time, side_value, split_pair
from connectors.profiles.catalog.coinbase import PROFILE as COINBASE
from connectors.records import NormalizedRecord, RecordKind
from i18n import msgid

# The full source, with what it says, is in docs/FILE-FORMATS.md.
SOURCE = "BittyTax:src/bittytax/conv/parsers/coinbasepro.py(parse_coinbase_pro_fills_v1)"
# The report's column specs (normalized titles) and what each holds; `portfolio` is written first by the later
# layout and is not needed.
TITLES = {"trade id": "trade", "product": "pair", "side": "side", "created at": "time", "size": "size",
          "size unit": "size_unit", "price": "price", "fee": "fee", "total": "total",
          "price/fee/total unit": "quote_unit"}  # fmt: skip
COLUMN = {role: spec for spec, role in TITLES.items()}


def _read(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, COLUMN["time"]), COLUMN["time"], context.zone)
        base, quote = split_pair(table.cell(row, COLUMN["pair"]), COLUMN["pair"])
        side = side_value(table.cell(row, COLUMN["side"]), COLUMN["side"])
        fee = number(table.cell(row, COLUMN["fee"]), COLUMN["fee"])
        total = number(table.cell(row, COLUMN["total"]), COLUMN["total"])
        value = abs(total) - fee if side == "buy" else total + fee
        base_code, quote_code = context.code(base), context.code(quote)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key="",
            asset=base_code,
            amount=abs(number(table.cell(row, COLUMN["size"]), COLUMN["size"])),
            exchange_tx_id=table.cell(row, COLUMN["trade"]) or None,
            market=f"{base_code}/{quote_code}",
            side=side,
            quote_asset=quote_code,
            quote_amount=value,
            price=number(table.cell(row, COLUMN["price"]), COLUMN["price"]),
            fee_asset=quote_code,
            fee_amount=fee,
            raw=raw_row(table, row, "coinbase-fills"),
        )
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="coinbase-fills",
        title=msgid("file.format.coinbase_fills"),
        exchange=COINBASE.id,
        columns=tuple(TITLES),
        reader=_read,
        time_column=COLUMN["time"],
        zone=Zone.UTC,  # ISO 8601 with a Z: the times state their zone themselves
        source=SOURCE,
    ),
)
