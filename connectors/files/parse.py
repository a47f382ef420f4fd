"""From an uploaded file to normalized records: read, recognise the header, read every row, or say what is wrong.

`parse` is pure CPU work with no I/O beyond its arguments: services run it in a worker thread
(`asyncio.to_thread`) so the bot keeps answering other users while a large file is read.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from connectors.files import (
    binance,
    bitget,
    bybit,
    coinbase,
    coinbase_fills,
    cryptact_reader,
    htx,
    koinly_reader,
    kraken,
    kucoin,
    mexc,
    okx,
    tallybot,
)
from connectors.files.errors import (
    AmbiguousFormat,
    EmptyFile,
    RejectedRow,
    UnknownFormat,
    WrongExchange,
)
from connectors.files.formats import (
    Context,
    FileFormat,
    ParsedRecord,
    Skipped,
    Table,
    Zone,
    normalize_header,
    too_long,
)
from connectors.files.reading import MAX_FILE_BYTES, Sheet, read_sheets
from connectors.files.refusal import unknown_file_text
from connectors.files.values import zone_in_text, zone_named
from connectors.profiles import UnknownExchange, get_profile
from i18n import SOURCE_LOCALE, Bullets, Text, join, render

FORMATS: tuple[FileFormat, ...] = (
    tallybot.FORMAT,
    koinly_reader.FORMAT,  # tax files read back: they fit every account, like Tallybot's CSV
    cryptact_reader.FORMAT,
    *binance.FORMATS,
    *bybit.FORMATS,
    *okx.FORMATS,
    *bitget.FORMATS,
    *kraken.FORMATS,
    *coinbase.FORMATS,
    *coinbase_fills.FORMATS,
    *kucoin.FORMATS,
    *mexc.FORMATS,
    *htx.FORMATS,
)
HEADER_SEARCH_ROWS = 15  # exports put a few lines (UID, account, time zone) above the header
MAX_REJECTED_KEPT = 100
PROGRESS_EVERY = 2_000

Progress = Callable[[int, int], None]  # (rows done, rows in the file); called from the parsing thread


@dataclass(slots=True)
class ParsedFile:
    """Everything read from one file. Import it only when `rejected_total` is 0 (all or nothing)."""

    format: FileFormat
    records: list[ParsedRecord]
    rows_read: int
    skipped: int = 0
    skip_reasons: dict[Text, int] = field(default_factory=dict)
    rejected: list[RejectedRow] = field(default_factory=list)  # the first MAX_REJECTED_KEPT
    rejected_total: int = 0
    zone_name: str = "UTC"
    zone_note: Text | None = None  # set when the file did not say its zone and the user's was assumed
    summed_fills: int = 0  # records that are several fills summed (see ParsedRecord.summed_fills)


def format_named(name: str) -> FileFormat:
    for candidate in FORMATS:
        if candidate.name == name:
            return candidate
    raise UnknownFormat(Text.of("file.no_such_format", name=name), [f.title for f in FORMATS])


def known_formats() -> Bullets:
    """The formats /upload reads, one bullet each: an argument worded in the reader's locale when shown."""
    return Bullets(Text(f.title) for f in FORMATS)


def known_formats_text(locale: str = SOURCE_LOCALE) -> str:
    """The same list as a string in `locale`, for /upload's help."""
    return "\n".join(f"• {render(title, locale)}" for title in known_formats())


@functools.cache
def exchange_name(exchange_id: str) -> str:
    """The exchange's own name (a proper name, the same in every language), as its profile writes it."""
    try:
        return get_profile(exchange_id).name
    except UnknownExchange:
        return exchange_id


def parse(
    filename: str,
    data: bytes,
    *,
    user_timezone: str = "UTC",
    exchange_id: str | None = None,
    format_name: str | None = None,
    currency_codes: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    isolated: bool = False,
) -> ParsedFile:
    """Read an export into records.

    `exchange_id` is the account's exchange: another exchange's export is refused (Tallybot's CSV fits every
    account). `format_name` forces a format, e.g. after an AmbiguousFormat. `currency_codes` maps the exchange's
    asset ids to the codes the API sync stores (ccxt's common codes). Raises a FileProblem for a file that cannot
    be imported at all; rows that cannot be read are listed in the result instead. `isolated` reads a workbook
    in a child process with hard memory and time limits (what the bot does with uploads).
    """
    sheets = read_sheets(filename, data, max_bytes=max_bytes, isolated=isolated)
    file_format, sheet, header_at = _detect(sheets, filename, format_name)
    if exchange_id and file_format.exchange and file_format.exchange != exchange_id:
        raise WrongExchange(
            Text.of(
                "file.wrong_exchange",
                file_exchange=exchange_name(file_format.exchange),
                title=Text(file_format.title),
                account_exchange=exchange_name(exchange_id),
            ),
            file_format.exchange,
            exchange_id,
        )
    table, repeated = _table(sheet, header_at)
    if not table.rows:
        raise EmptyFile(Text.of("file.header_only", title=Text(file_format.title)))
    zone, zone_name, note = _zone(file_format, table, filename, user_timezone)
    context = Context(zone=zone, codes=currency_codes or {})
    result = ParsedFile(format=file_format, records=[], rows_read=len(table.rows) + repeated, zone_name=zone_name)
    result.zone_note = note
    reasons: Counter[Text] = Counter()
    if repeated:
        reasons[Text.of("file.skip.repeated_header")] += repeated
    first_line = table.rows[0][0]
    total = len(table.rows)
    reached = 0
    for done, outcome in enumerate(file_format.reader(table, context), start=1):
        if isinstance(outcome, ParsedRecord):
            overlong = too_long(outcome.record)
            if overlong is None:
                result.records.append(outcome)
                result.summed_fills += outcome.summed_fills
            else:
                _reject(result, RejectedRow(outcome.line, overlong.column, overlong.reason))
        elif isinstance(outcome, Skipped):
            reasons[outcome.reason] += 1
        else:
            _reject(result, outcome)
        if progress is not None and done % PROGRESS_EVERY == 0:
            # Statement readers give an operation's records after its last row: never report going backwards.
            reached = max(reached, min(outcome.line - first_line + 1, total))
            progress(reached, total)
    if progress is not None:
        progress(total, total)
    result.rejected.sort(key=lambda r: r.line)
    result.skip_reasons = dict(reasons)
    result.skipped = sum(reasons.values())
    return result


def _reject(result: ParsedFile, row: RejectedRow) -> None:
    result.rejected_total += 1
    if len(result.rejected) < MAX_REJECTED_KEPT:
        result.rejected.append(row)


def _detect(sheets: Sequence[Sheet], filename: str, format_name: str | None) -> tuple[FileFormat, Sheet, int]:
    forced = format_named(format_name) if format_name else None
    for sheet in sheets:
        for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
            names = [normalize_header(cell) for cell in row]
            if forced is not None:
                if forced.matches(names):
                    return forced, sheet, index
                continue
            matching = [f for f in FORMATS if f.matches(names)]
            if matching:
                return _choose(matching, filename), sheet, index
    titles = [f.title for f in FORMATS]
    if forced is not None:
        raise UnknownFormat(Text.of("file.not_that_format", title=Text(forced.title)), titles)
    first_rows = [row for sheet in sheets for row in sheet.rows[:HEADER_SEARCH_ROWS]]
    raise UnknownFormat(unknown_file_text(filename, first_rows, known_formats()), titles)


def _choose(matching: list[FileFormat], filename: str) -> FileFormat:
    """The most specific format whose columns fit; formats with the same columns are told apart by file name."""
    widest = max(len(f.columns) for f in matching)
    best = [f for f in matching if len(f.columns) == widest]
    if len(best) == 1:
        return best[0]
    lowered = filename.lower()
    named = [f for f in best if any(word in lowered for word in f.filename_keywords)]
    if len(named) == 1:
        return named[0]
    raise AmbiguousFormat(
        Text.of("file.ambiguous", formats=join([Text(f.title) for f in best], style="or")), [f.name for f in best]
    )


def _table(sheet: Sheet, header_at: int) -> tuple[Table, int]:
    header = sheet.rows[header_at]
    names = [normalize_header(cell) for cell in header]
    first_title = header[0].replace("\ufeff", "").strip().strip('"').strip() if header else ""
    rows: list[tuple[int, list[str]]] = []
    repeated = 0
    for offset, row in enumerate(sheet.rows[header_at + 1 :]):
        if not any(cell.strip() for cell in row):
            continue
        if (
            row
            and row[0].replace("\ufeff", "").strip().strip('"').strip() == first_title
            and [normalize_header(cell) for cell in row[: len(names)]] == names
        ):
            repeated += 1  # files glued together keep each part's header
            continue
        rows.append((header_at + offset + 2, row))
    return Table(header=header, rows=rows, preamble=sheet.rows[:header_at]), repeated


def _zone(file_format: FileFormat, table: Table, filename: str, user_timezone: str) -> tuple[tzinfo, str, Text | None]:
    if file_format.zone is Zone.UTC:
        return UTC, "UTC", None
    stated = zone_in_text(table.label(file_format.time_column))
    if stated is None:
        stated = zone_in_text(" ".join(cell for row in table.preamble for cell in row))
    if stated is None:
        stated = zone_in_text(filename)
    if stated is not None:
        return stated, str(stated), None
    zone = zone_named(user_timezone)
    note = Text.of("file.zone_assumed", title=Text(file_format.title), zone=user_timezone)
    return zone, user_timezone, note
