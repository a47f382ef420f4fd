"""The one reader of wallet rows: a deposit, a withdrawal or another single balance change, one row a record.

Every exchange's wallet export (Binance's deposit and withdrawal histories, Bybit's asset changes, OKX's funding
history, Bitget's financial record) writes such a row as a time, a coin, a signed or unsigned amount and sometimes
a fee in that coin. What differs is the column titles and how the row says what it was: each format gives a
`WalletLayout` with its columns and a `classify` that names the kind (or why the row is not kept).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from connectors.files.errors import RowError
from connectors.files.formats import Context, Outcome, ParsedRecord, Skipped, Table, raw_row, rows_of
from connectors.files.values import number, optional_number, parse_time
from connectors.records import Flow, NormalizedRecord, RecordKind
from i18n import Text


def direction(signed: Decimal) -> Flow:
    """The side of a signed balance change in the account the file is of, as the API's lists store it."""
    return Flow.IN if signed > 0 else Flow.OUT


# What a row is: its kind and side (a transfer's Flow, a ledger entry's own type), or the reason it is skipped.
Kind = tuple[RecordKind, str | None]
Classify = Callable[[Table, Sequence[str], Decimal], Kind | Text]
# A look at the row before its amount is read: the reason to skip it (a pending status, a freeze), or None.
Precheck = Callable[[Table, Sequence[str]], Text | None]


@dataclass(frozen=True, slots=True)
class WalletLayout:
    format_name: str  # kept in each record's `raw` as "file_format"
    time: tuple[str, ...]  # specs of the time column, the first the file has is read
    coin: str
    amount: str
    classify: Classify
    precheck: Precheck | None = None
    fees: tuple[str, ...] = ()  # specs of a fee column in the row's coin, the first the file has is read
    # Kinds whose zero fee is kept as 0 rather than "no fee" (Binance's withdrawal files write 0 for a free one).
    zero_fee_kinds: frozenset[RecordKind] = field(default_factory=frozenset)

    def column(self, table: Table, specs: tuple[str, ...]) -> str | None:
        return next((spec for spec in specs if table.has(spec)), None)

    def read(self, table: Table, context: Context) -> Iterator[Outcome]:
        """The format's reader (`FileFormat.reader`)."""
        return read_wallet(table, context, self)


def read_wallet(table: Table, context: Context, layout: WalletLayout) -> Iterator[Outcome]:
    time_spec = layout.column(table, layout.time) or layout.time[0]
    fee_spec = layout.column(table, layout.fees)

    def read(line: int, row: Sequence[str]) -> Outcome | None:
        if layout.precheck is not None:
            reason = layout.precheck(table, row)
            if reason is not None:
                return Skipped(line, reason)
        signed = number(table.cell(row, layout.amount), layout.amount)
        kind = layout.classify(table, row, signed)
        if isinstance(kind, Text):
            return Skipped(line, kind)
        return wallet_record(table, context, line, row, layout, kind, signed, time_spec, fee_spec)

    return rows_of(table, read)


def wallet_record(
    table: Table,
    context: Context,
    line: int,
    row: Sequence[str],
    layout: WalletLayout,
    kind: Kind,
    signed: Decimal,
    time_spec: str,
    fee_spec: str | None,
) -> ParsedRecord:
    record_kind, side = kind
    when, precision = parse_time(table.cell(row, time_spec), time_spec, context.zone)
    coin = table.cell(row, layout.coin)
    if not coin:
        raise RowError(layout.coin, Text.of("file.row.empty_coin"))
    fee = optional_number(table.cell(row, fee_spec), fee_spec) if fee_spec is not None else None
    kept = fee is not None and (fee != 0 or record_kind in layout.zero_fee_kinds)
    fee = abs(fee) if kept and fee is not None else None
    record = NormalizedRecord(
        kind=record_kind,
        occurred_at=when,
        natural_key="",
        asset=context.code(coin),
        # Ledger entries keep their sign (as the API sync stores them); other kinds are positive.
        amount=signed if record_kind is RecordKind.LEDGER else abs(signed),
        side=side,
        fee_asset=context.code(coin) if fee is not None else None,
        fee_amount=fee,
        raw=raw_row(table, row, layout.format_name),
    )
    return ParsedRecord(record, line, keyed=False, precision=precision)
