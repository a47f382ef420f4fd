"""The shape every file format shares: how its header is recognised and how its rows become records."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum

from connectors.files.errors import RejectedRow, RowError
from connectors.files.values import code_of
from connectors.records import NormalizedRecord
from i18n import Text


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """A record read from a file, where it came from, and how it may be recognised among stored ones."""

    record: NormalizedRecord
    line: int
    # True when the natural key comes from an id in the file (the same key the API sync uses, or Tallybot's own
    # natural_key column); False when the importer has to find it by content and give it a content-hash key.
    keyed: bool
    precision: int = 1  # seconds the file's times are rounded to (60 for exports that write minutes only)
    # A withdrawal whose amount includes the network fee, which the file does not state (connectors/files/matching.py).
    fee_included: bool = False
    # Several fills summed into one record, because the file's rows could not be paired fill by fill: it cannot meet
    # the API's per-fill records, and the report says so.
    summed_fills: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    """A row that is not a transaction Tallybot keeps (pending, cancelled, a move between own accounts)."""

    line: int
    reason: Text


Outcome = ParsedRecord | Skipped | RejectedRow

# Longest text each field may hold: the column sizes of db.models.Transaction (a test keeps them in step), checked
# for every format so an odd cell is a rejected row, not a database error.
FIELD_LIMITS: dict[str, int] = {
    "natural_key": 128,
    "exchange_tx_id": 128,
    "market": 64,
    "side": 32,
    "asset": 32,
    "quote_asset": 32,
    "fee_asset": 32,
}


def too_long(record: NormalizedRecord) -> RejectedRow | None:
    """The first field of a record longer than its column (line 0: the caller knows the line)."""
    for name, limit in FIELD_LIMITS.items():
        value = getattr(record, name)
        if value is not None and len(value) > limit:
            return RejectedRow(0, name, Text.of("file.row.too_long", text=value[:40], limit=limit))
    return None


def normalize_header(cell: str) -> str:
    """ "\ufeffDate(UTC)" → "date(utc)"; "Executed²" → "executed"; "Order  No." → "order no."."""
    cell = cell.replace("\ufeff", "").strip().strip('"').strip()
    cell = re.sub(r"[¹²³⁴⁵⁶⁷⁸⁹⁰*]+$", "", cell)
    return re.sub(r"\s+", " ", cell).lower()


def column_matches(spec: str, name: str) -> bool:
    """A column spec is a normalized name, or a prefix ending in "*" ("date(utc*" matches "date(utc+2)")."""
    if spec.endswith("*"):
        return name.startswith(spec[:-1])
    return name == spec


@dataclass(slots=True)
class Table:
    """A sheet below its header row: cells by column name, with the line number the user sees."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    preamble: list[list[str]] = field(default_factory=list)
    names: list[str] = field(init=False)
    titles: list[str] = field(init=False)  # the header as written, without BOM or padding
    _positions: dict[str, int | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.names = [normalize_header(cell) for cell in self.header]
        self.titles = [cell.replace("\ufeff", "").strip() for cell in self.header]

    def position(self, spec: str) -> int | None:
        if spec not in self._positions:
            found = (i for i, name in enumerate(self.names) if column_matches(spec, name))
            self._positions[spec] = next(found, None)
        return self._positions[spec]

    def label(self, spec: str) -> str:
        """The column's title as the file writes it, for messages."""
        index = self.position(spec)
        return self.titles[index] if index is not None else spec.rstrip("*")

    def has(self, spec: str) -> bool:
        return self.position(spec) is not None

    def cell(self, row: Sequence[str], spec: str) -> str:
        index = self.position(spec)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()


@dataclass(frozen=True, slots=True)
class Context:
    """What a reader needs besides the rows: the zone for times without one, and asset codes to store."""

    zone: tzinfo
    codes: Mapping[str, str]

    def code(self, asset: str) -> str:
        return code_of(asset, self.codes)


Reader = Callable[[Table, Context], Iterator[Outcome]]


class Zone(StrEnum):
    """Where a format's times get their zone."""

    UTC = "utc"  # UTC by definition
    # The header, the lines above it or the file name state the offset; else the user's time zone is assumed and the
    # report says so.
    STATED = "stated"


@dataclass(frozen=True, slots=True)
class FileFormat:
    name: str  # stable id, e.g. "binance-trades"
    title: str  # the catalogue id of what the user reads, e.g. "file.format.binance_trades"
    exchange: str | None  # the exchange profile id; None for Tallybot's own CSV, which fits every account
    columns: tuple[str, ...]  # column specs the header must have (see `column_matches`)
    reader: Reader
    time_column: str  # the spec of the column holding the time, whose title may state the zone
    zone: Zone = Zone.STATED
    filename_keywords: tuple[str, ...] = ()  # tell apart formats with identical columns (Binance v1 wallet files)
    # Where the layout comes from: a repository and path, or the row of docs/FILE-FORMATS.md naming the sources (it
    # names them all, with what each says).
    source: str = ""

    def matches(self, names: Sequence[str]) -> bool:
        return all(any(column_matches(spec, name) for name in names) for spec in self.columns)


def rows_of(table: Table, read_row: Callable[[int, Sequence[str]], Outcome | None]) -> Iterator[Outcome]:
    """A row-by-row reader: each row gives one outcome; a RowError becomes a RejectedRow with its line."""
    for line, row in table.rows:
        try:
            outcome = read_row(line, row)
        except RowError as error:
            yield RejectedRow(line, _title(table, error.column), error.reason)
            continue
        if outcome is not None:
            yield outcome


def _title(table: Table, column: str) -> str:
    return table.label(column) if table.has(column) else column


def raw_row(table: Table, row: Sequence[str], format_name: str) -> dict[str, str]:
    """The row as the file wrote it, kept in `raw` so nothing the export said is lost."""
    raw = {"file_format": format_name}
    raw.update((title, value) for title, value in zip(table.titles, row, strict=False) if title)
    return raw


def first(values: Iterable[str]) -> str:
    return next((v for v in values if v), "")
