"""OKEx's 2020 spot trade history: one row per fill, a byte-order mark in front of every header cell.

    Order ID,Trade ID,Trade Time,Pairs,Amount,Price,Total,taker/maker,Fee,unit
    0,2517870569,2020-09-25 17:27:02,ltc_usdt,2.273693,46.17,-104.976405810000002816 USDT,taker,-0.0034105395 LTC,LTC

Source: everytrade-io/everytrade-plugins parser-files/okex_v001_M.csv. Amount is signed (positive for a buy) in the
base coin (`unit`); Total and Fee carry their coin and are balance changes (negative when paid). The time has no
zone, so the user's is assumed and the report says so. The Trade ID is kept, but records are matched by content:
whether OKEx's 2020 trade ids are the ids OKX's current API returns is not documented.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.files.errors import RowError
from connectors.files.formats import Context, FileFormat, Outcome, ParsedRecord, Table, raw_row, rows_of
from connectors.files.values import number, parse_time, split_pair, with_unit
from connectors.profiles.catalog.okx import PROFILE as OKX
from connectors.records import NormalizedRecord, RecordKind, Side
from i18n import Text, msgid

SOURCE = "everytrade-io/everytrade-plugins:parser-files/okex_v001_M.csv"  # OKEx's 2020 trade history, BOM in every cell
TRADE_COLUMNS = (
    "order id",
    "trade id",
    "trade time",
    "pairs",
    "amount",
    "price",
    "total",
    "taker/maker",
    "fee",
    "unit",
)
_, TRADE_ID, TRADE_TIME, _, AMOUNT, _, _, _, _, _ = TRADE_COLUMNS


def read_trades_2020(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        when, precision = parse_time(table.cell(row, TRADE_TIME), TRADE_TIME, context.zone)
        base, quote = split_pair(table.cell(row, "pairs"), "pairs")
        amount = number(table.cell(row, "amount"), "amount")
        if not amount:
            raise RowError(AMOUNT, Text.of("file.row.zero_fill"))
        total, _ = with_unit(table.cell(row, "total"), "total", [quote])
        fee, fee_unit = with_unit(table.cell(row, "fee"), "fee", [base, quote])
        trade_id = table.cell(row, TRADE_ID)
        base_code, quote_code = context.code(base), context.code(quote)
        record = NormalizedRecord(
            kind=RecordKind.TRADE,
            occurred_at=when,
            natural_key="",
            asset=base_code,
            amount=abs(amount),
            exchange_tx_id=trade_id or None,
            market=f"{base_code}/{quote_code}",
            side=Side.BUY if amount > 0 else Side.SELL,
            quote_asset=quote_code,
            quote_amount=abs(total),
            price=number(table.cell(row, "price"), "price"),
            # A paid fee is written negative; Tallybot stores it positive (a rebate negative).
            fee_asset=context.code(fee_unit or base) if fee else None,
            fee_amount=-fee if fee else None,
            raw=raw_row(table, row, "okex-trades-2020"),
        )
        return ParsedRecord(record, line, keyed=False, precision=precision)

    return rows_of(table, read)


LEGACY_FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        name="okex-trades-2020",
        title=msgid("file.format.okex_trades_2020"),
        exchange=OKX.id,
        columns=TRADE_COLUMNS,
        reader=read_trades_2020,
        time_column=TRADE_TIME,
        source=SOURCE,
    ),
)
