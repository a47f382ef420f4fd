"""Tallybot's own CSV: every field of a stored transaction, written by the export and read back by the import.

The same layout is the template people fill in by hand to add what no export has. Rows with a `natural_key`
(written by Tallybot's export) are stored under that key, so an export imported into a fresh account gives the
same records; hand-written rows leave it blank and are found among stored records by content. Every column is
documented in docs/FILE-FORMATS.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from connectors.files.errors import RowError
from connectors.files.formats import FIELD_LIMITS, Context, FileFormat, Outcome, ParsedRecord, Table, Zone, rows_of
from connectors.files.values import optional_number, parse_time
from connectors.records import Flow, NormalizedRecord, RecordKind, Side
from i18n import Text, join, msgid

COLUMNS: tuple[str, ...] = (
    "time_utc",
    "kind",
    "side",
    "asset",
    "amount",
    "quote_asset",
    "quote_amount",
    "price",
    "fee_asset",
    "fee_amount",
    "market",
    "exchange_tx_id",
    "natural_key",
    "exchange",
    "account",
    "source",
    "raw",
)
# The columns by name, for the reader below.
(
    TIME_UTC,
    KIND,
    SIDE,
    ASSET,
    AMOUNT,
    QUOTE_ASSET,
    QUOTE_AMOUNT,
    PRICE,
    FEE_ASSET,
    FEE_AMOUNT,
    MARKET,
    EXCHANGE_TX_ID,
    NATURAL_KEY,
    EXCHANGE,
    ACCOUNT,
    SOURCE,
    RAW,
) = COLUMNS
REQUIRED: tuple[str, ...] = (TIME_UTC, KIND, ASSET, AMOUNT)
KINDS = tuple(kind.value for kind in RecordKind)
PAIRED_KINDS = frozenset({RecordKind.TRADE, RecordKind.CONVERT})
MAX_LENGTHS = FIELD_LIMITS
# OWASP, "CSV Injection": a cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (=HYPERLINK(…) sends data away, =cmd|… runs programs in old Excel); a leading single quote makes it plain text.
# The full-width forms too: Excel takes "＝" typed in a Japanese input mode as "=" (Cryptact users).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def formula_safe(text: str) -> str:
    """A text cell as exports write it: never a formula. Amounts are not passed here: "-1.5" is a number, and a
    quote would make tax tools read it as text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def formula_unsafe(text: str) -> str:
    """The text a `formula_safe` cell stood for (Tallybot's import reads its own export back exactly)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


class TransactionLike(Protocol):
    """What the Tallybot CSV writes: a stored Transaction or a NormalizedRecord."""

    @property
    def kind(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def natural_key(self) -> str: ...
    @property
    def exchange_tx_id(self) -> str | None: ...
    @property
    def market(self) -> str | None: ...
    @property
    def side(self) -> str | None: ...
    @property
    def asset(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def quote_asset(self) -> str | None: ...
    @property
    def quote_amount(self) -> Decimal | None: ...
    @property
    def price(self) -> Decimal | None: ...
    @property
    def fee_asset(self) -> str | None: ...
    @property
    def fee_amount(self) -> Decimal | None: ...


def time_text(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the microsecond when the exchange gave milliseconds."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def decimal_text(value: Decimal | None) -> str:
    """Plain notation, never an exponent (1E-8 is written 0.00000001), exactly as stored."""
    return "" if value is None else format(value, "f")


def raw_text(raw: Any) -> str:
    if not raw:
        return ""
    return json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def cells(tx: TransactionLike, raw: Any, *, exchange: str = "", account: str = "", source: str = "") -> list[str]:
    """One row of Tallybot's CSV, in COLUMNS order; text cells are formula_safe, amounts and times as they are."""
    return [
        time_text(tx.occurred_at),
        formula_safe(str(tx.kind)),
        formula_safe(tx.side or ""),
        formula_safe(tx.asset),
        decimal_text(tx.amount),
        formula_safe(tx.quote_asset or ""),
        decimal_text(tx.quote_amount),
        decimal_text(tx.price),
        formula_safe(tx.fee_asset or ""),
        decimal_text(tx.fee_amount),
        formula_safe(tx.market or ""),
        formula_safe(tx.exchange_tx_id or ""),
        formula_safe(tx.natural_key),
        formula_safe(exchange),
        formula_safe(account),
        formula_safe(source),
        formula_safe(raw_text(raw)),
    ]


TRADE_SIDES = frozenset({Side.BUY.value, Side.SELL.value})
# A convert leg of one coin (Kraken's Buy Crypto lines, Coinbase's convert legs) is stored with its direction and
# exported so: such a row is read back only with the natural key Tallybot's export gave it, a hand-written convert
# names a purchase or a sale with its quote (docs/FILE-FORMATS.md, `side`).
CONVERT_LEG_SIDES = TRADE_SIDES | {Flow.IN.value, Flow.OUT.value}


def sides_of(kind: RecordKind, *, keyed: bool) -> frozenset[str]:
    """The sides a trade or convert row may carry."""
    return CONVERT_LEG_SIDES if kind == RecordKind.CONVERT and keyed else TRADE_SIDES


def _read(table: Table, context: Context) -> Iterator[Outcome]:
    def read(line: int, row: Sequence[str]) -> Outcome | None:
        def text(column: str) -> str:
            value = formula_unsafe(table.cell(row, column))
            limit = MAX_LENGTHS.get(column)
            if limit is not None and len(value) > limit:
                raise RowError(column, Text.of("file.row.longer_than", limit=limit))
            return value

        kind_text = text(KIND).lower()
        if kind_text not in KINDS:
            raise RowError(
                KIND, Text.of("file.row.unknown_kind", kind=table.cell(row, KIND), kinds=join(KINDS, style="or"))
            )
        kind = RecordKind(kind_text)
        when, _ = parse_time(text(TIME_UTC), TIME_UTC, context.zone)
        asset = text(ASSET).upper() if not text(NATURAL_KEY) else text(ASSET)
        if not asset:
            raise RowError(ASSET, Text.of("file.row.empty_coin"))
        amount = optional_number(text(AMOUNT), AMOUNT)
        if amount is None:
            raise RowError(AMOUNT, Text.of("file.row.empty_number"))
        key = text(NATURAL_KEY)
        side = text(SIDE) or None
        quote_asset = text(QUOTE_ASSET) or None
        quote_amount = optional_number(text(QUOTE_AMOUNT), QUOTE_AMOUNT)
        if kind in PAIRED_KINDS:
            if side is not None and side.lower() not in sides_of(kind, keyed=bool(key)):
                if kind == RecordKind.CONVERT and key:
                    raise RowError(SIDE, Text.of("file.row.not_a_convert_side", text=side))
                raise RowError(SIDE, Text.of("file.row.not_buy_or_sell", text=side))
            if not key:  # hand-written: a trade needs both sides
                if side is None:
                    raise RowError(SIDE, Text.of("file.row.trade_needs_side"))
                if quote_asset is None:
                    raise RowError(QUOTE_ASSET, Text.of("file.row.trade_needs_quote_asset"))
                if quote_amount is None:
                    raise RowError(QUOTE_AMOUNT, Text.of("file.row.trade_needs_quote_amount"))
                side = side.lower()
        fee_asset = text(FEE_ASSET) or None
        fee_amount = optional_number(text(FEE_AMOUNT), FEE_AMOUNT)
        if (fee_asset is None) != (fee_amount is None):
            raise RowError(FEE_ASSET if fee_asset is None else FEE_AMOUNT, Text.of("file.row.fee_needs_both"))
        raw: Any = {}
        if text(RAW):
            try:
                raw = json.loads(text(RAW))
            except json.JSONDecodeError as exc:
                raise RowError(RAW, Text.of("file.row.raw_not_json", error=exc.msg)) from exc
            if not isinstance(raw, dict):
                raise RowError(RAW, Text.of("file.row.raw_not_object"))
        record = NormalizedRecord(
            kind=kind,
            occurred_at=when,
            natural_key=key,
            asset=asset,
            amount=amount,
            exchange_tx_id=text(EXCHANGE_TX_ID) or None,
            market=text(MARKET) or None,
            side=side,
            quote_asset=quote_asset.upper() if quote_asset and not key else quote_asset,
            quote_amount=quote_amount,
            price=optional_number(text(PRICE), PRICE),
            fee_asset=fee_asset.upper() if fee_asset and not key else fee_asset,
            fee_amount=fee_amount,
            raw=raw,
        )
        return ParsedRecord(record, line, keyed=bool(key))

    return rows_of(table, read)


FORMAT = FileFormat(
    name="tallybot",
    title=msgid("file.format.tallybot"),
    exchange=None,
    columns=REQUIRED,
    reader=_read,
    time_column=TIME_UTC,
    zone=Zone.UTC,
    source="docs/FILE-FORMATS.md",  # Tallybot's own layout, documented there column by column
)

EXAMPLE_ROWS: tuple[dict[str, str], ...] = (
    {
        "time_utc": "2024-03-01T12:30:05Z",
        "kind": "trade",
        "side": "buy",
        "asset": "BTC",
        "amount": "0.0015",
        "quote_asset": "USDT",
        "quote_amount": "93.00075",
        "price": "62000.5",
        "fee_asset": "BNB",
        "fee_amount": "0.00012",
        "market": "BTC/USDT",
    },
    {
        "time_utc": "2024-02-28T09:15:00Z",
        "kind": "deposit",
        "asset": "USDT",
        "amount": "250",
    },
)


def template_csv() -> bytes:
    """Tallybot's CSV with its header and two example rows (a trade and a deposit), UTF-8."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for example in EXAMPLE_ROWS:
        writer.writerow([example.get(column, "") for column in COLUMNS])
    return buffer.getvalue().encode("utf-8")
