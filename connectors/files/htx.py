"""HTX (Huobi) exports: the spot trade history in the Chinese layout an open-source ledger tool reads
(docs/FILE-FORMATS.md has the source and what it says).

Columns 时间 (time), 交易类型 (trade type), 交易对 (pair, "BTC/USDT"), 方向 (side, 买入/卖出), 价格 (price), 数量
(amount), 成交额 (value) and 手续费 (fee, its coin written after the number: "0.01076760USDT"). A row with a price,
an amount and a fee of its own is read as one match result (one fill, as the API's match results list them); it
carries no match id, so it is found among stored fills by content (kind, coins, side, amount, time to the second,
price and fee). Times state no zone: they are HTX's UTC+8, as the source reads them. Only 币币交易 (spot trading)
rows are trades; any other type is skipped with its name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta, timezone

from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Skipped, Table, Zone, raw_row, rows_of
from connectors.files.values import number, parse_time, side_value, split_pair, with_unit
from connectors.profiles.catalog.htx import PROFILE as HTX
from connectors.records import NormalizedRecord, RecordKind
from i18n import Text, msgid

SOURCE = "deb-sig/double-entry-generator:pkg/provider/huobi/parse.go"
BEIJING = timezone(timedelta(hours=8))
# The trade file's columns by what they hold, and the one trade type that is spot trading.
TRADE_COLUMNS = {
    "time": "时间",
    "type": "交易类型",
    "pair": "交易对",
    "side": "方向",
    "price": "价格",
    "amount": "数量",
    "value": "成交额",
    "fee": "手续费",
}
SPOT_WORDS = frozenset({"币币交易"})
C = TRADE_COLUMNS


def _read_trades(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        trade_type = table.cell(row, C["type"])
        if trade_type not in SPOT_WORDS:
            return Skipped(line, Text.of("file.skip.not_spot", type=trade_type))
        when, precision = parse_time(table.cell(row, C["time"]), C["time"], BEIJING)
        base, quote = split_pair(table.cell(row, C["pair"]), C["pair"])
        side = side_value(table.cell(row, C["side"]), C["side"])
        fee, unit = with_unit(table.cell(row, C["fee"]), C["fee"], [base, quote])
        # A fee without its coin is taken in the coin received, where HTX charges a spot fee not deducted otherwise.
        fee_coin = unit or (base if side == "buy" else quote)
        charged = fee != 0
        base_code, quote_code = context.code(base), context.code(quote)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key="",
            asset=base_code,
            amount=abs(number(table.cell(row, C["amount"]), C["amount"])),
            market=f"{base_code}/{quote_code}",
            side=side,
            quote_asset=quote_code,
            quote_amount=abs(number(table.cell(row, C["value"]), C["value"])),
            price=number(table.cell(row, C["price"]), C["price"]),
            fee_asset=context.code(fee_coin) if charged else None,
            fee_amount=abs(fee) if charged else None,
            raw=raw_row(table, row, "htx-trades"),
        )
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="htx-trades",
        title=msgid("file.format.htx_trades"),
        exchange=HTX.id,
        columns=tuple(TRADE_COLUMNS.values()),
        reader=_read_trades,
        time_column=C["time"],
        # The reader turns HTX's UTC+8 into UTC itself (the file never states the zone; the source reads it so): the
        # importer is told the times are UTC, so it assumes no zone of the user's and adds no note.
        zone=Zone.UTC,
        source=SOURCE,
    ),
)
