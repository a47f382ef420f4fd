"""Export: a user's transactions (all, one integration's, or a time range) streamed to a file, for a tax tool.

Rows are read from the database in batches and written as they come, so an export never holds a whole history in
memory. Every export reports the records it covered and their per-asset balance effect, computed the same way as
`summary` (what /status shows), so the two reconcile: for the same filters, `records` and `totals` are equal.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TextIO

from bot.integrations import IntegrationNotFound
from connectors.files import tallybot
from connectors.files.export.stream import RowsOf
from connectors.files.parse import exchange_name
from connectors.files.writers import (
    CRYPTACT_COLUMNS,
    KOINLY_COLUMNS,
    Written,
    cryptact_rows,
    flows,
    koinly_rows,
    tallybot_rows,
)
from db.engine import Database
from db.repositories import IntegrationRepository, UserRepository
from db.repositories.exports import ExportRepository
from i18n import msgid, t, tn

ExportFormat = Literal["tallybot", "koinly", "cryptact"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("tallybot", "koinly", "cryptact")
FORMAT_TITLES: dict[ExportFormat, str] = {  # catalogue ids
    "tallybot": msgid("export.format.tallybot"),
    "koinly": msgid("export.format.koinly"),
    "cryptact": msgid("export.format.cryptact"),
}
HEADERS: dict[ExportFormat, Sequence[str]] = {
    "tallybot": tallybot.COLUMNS,
    "koinly": KOINLY_COLUMNS,
    "cryptact": CRYPTACT_COLUMNS,
}
BATCH = 1_000
# Telegram lets a bot send files of up to 50 MB (Bot API, "sendDocument"); a part stays under it with room for the
# multipart envelope the file travels in.
TELEGRAM_SEND_LIMIT = 50 * 1024 * 1024
MAX_PART_BYTES = TELEGRAM_SEND_LIMIT - 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HistorySummary:
    """What is stored for a user (or one integration): the numbers /status shows and exports reconcile with."""

    records: int
    by_kind: dict[str, int]
    # Net balance effect per asset: bought + deposited + rewarded − sold − sent − fees, and signed ledger, funding,
    # realized profit and loss and interest; margin loans count zero (connectors/files/writers.py `flows`).
    totals: dict[str, Decimal]
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class ExportReport:
    format: ExportFormat
    path: Path
    records: int  # stored records the export covered (equals HistorySummary.records for the same filters)
    rows: int  # data rows written (header excluded)
    skipped: dict[str, int] = field(default_factory=dict)  # records the format has no row for, by reason
    totals: dict[str, Decimal] = field(default_factory=dict)  # equals HistorySummary.totals for the same filters
    first_at: datetime | None = None
    last_at: datetime | None = None
    parts: tuple[Path, ...] = ()  # the files written, in order: `path` alone, or `path` and its "-part2"… siblings
    size: int = 0  # bytes written, all parts together
    paired: int = 0  # ledger legs written as one trade with their partner (two records, one trade row)
    newest_written: datetime | None = None  # the time of the newest row written (Cryptact's re-upload point)


class ExportService:
    def __init__(self, database: Database, *, batch_size: int = BATCH) -> None:
        self.database = database
        self.batch_size = batch_size

    async def export(
        self,
        telegram_user_id: int,
        *,
        fmt: ExportFormat,
        integration_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        path: Path | str,
        max_part_bytes: int | None = None,
    ) -> ExportReport:
        """Write the user's transactions in `fmt` to `path` (UTF-8 CSV), oldest first.

        `since` is inclusive and `until` exclusive (timezone-aware). With `max_part_bytes`, a file that would be
        larger is written in parts of at most that size, each a complete CSV with the header ("name-part2.csv"…).
        Raises IntegrationNotFound for an integration that is not the user's, ValueError for an unknown format or a
        naive time.
        """
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
        _check_aware(since, until)
        target = Path(path)
        row_of = _row_writer(fmt)
        records = 0
        totals: dict[str, Decimal] = {}
        first_at: datetime | None = None
        last_at: datetime | None = None
        async with self.database.reader() as session:
            await _check_owner(session, telegram_user_id, integration_id)  # before a file is created
            repository = ExportRepository(session, telegram_user_id, integration_id, since, until)
            parts = _Parts(target, _csv_text([list(HEADERS[fmt])]), max_part_bytes)
            await asyncio.to_thread(parts.start)
            try:
                rows_of = RowsOf(row_of, pair_legs=fmt != "tallybot")
                async for partition in repository.records(self.batch_size):
                    stored: list[tuple[_Stored, str, str]] = []
                    for row in partition:
                        tx = _Stored(*row[:-2])
                        stored.append((tx, exchange_name(row[-2]), row[-1]))
                        records += 1
                        first_at = first_at or tx.occurred_at
                        last_at = tx.occurred_at
                        _add_flows(totals, tx)
                    await asyncio.to_thread(parts.write, rows_of.lines(stored))
                await asyncio.to_thread(parts.write, rows_of.finish())
            finally:
                await asyncio.to_thread(parts.close)
        return ExportReport(
            format=fmt,
            path=target,
            records=records,
            rows=rows_of.rows,
            skipped=dict(rows_of.skipped),
            totals=_clean(totals),
            first_at=first_at,
            last_at=last_at,
            parts=tuple(parts.paths),
            size=parts.total,
            paired=rows_of.paired,
            newest_written=rows_of.newest,
        )

    async def summary(
        self,
        telegram_user_id: int,
        integration_id: int | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> HistorySummary:
        """Counts per kind and the per-asset balance effect of the stored records, streamed in batches (amounts
        are exact decimals, which SQLite cannot sum)."""
        _check_aware(since, until)
        async with self.database.reader() as session:
            await _check_owner(session, telegram_user_id, integration_id)
            repository = ExportRepository(session, telegram_user_id, integration_id, since, until)
            by_kind: dict[str, int] = {}
            starts: list[datetime] = []
            ends: list[datetime] = []
            for kind, count, earliest, latest in await repository.kinds():
                by_kind[kind] = count
                starts.append(earliest)
                ends.append(latest)
            totals: dict[str, Decimal] = {}
            async for partition in repository.amounts(self.batch_size):
                for row in partition:
                    _add_flows(totals, _Amounts(*row))
        return HistorySummary(
            records=sum(by_kind.values()),
            by_kind=by_kind,
            totals=_clean(totals),
            first_at=min(starts) if starts else None,
            last_at=max(ends) if ends else None,
        )


@dataclass(frozen=True, slots=True)
class _Stored:
    """A stored transaction as plain values: streamed rows, never ORM objects piling up in a session. Its fields
    are db.repositories.exports.EXPORTED_COLUMNS, in their order."""

    kind: str
    occurred_at: datetime
    natural_key: str
    exchange_tx_id: str | None
    market: str | None
    side: str | None
    asset: str
    amount: Decimal
    quote_asset: str | None
    quote_amount: Decimal | None
    price: Decimal | None
    fee_asset: str | None
    fee_amount: Decimal | None
    source: str
    raw: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class _Amounts:
    """The columns `flows` reads, for summaries that do not load whole transactions (AMOUNT_COLUMNS, in order)."""

    kind: str
    side: str | None
    asset: str
    amount: Decimal
    quote_asset: str | None
    quote_amount: Decimal | None
    price: Decimal | None
    fee_asset: str | None
    fee_amount: Decimal | None
    occurred_at: datetime = datetime.min
    natural_key: str = ""
    exchange_tx_id: str | None = None
    market: str | None = None


def _row_writer(fmt: ExportFormat) -> Callable[[_Stored, str, str], Written]:
    if fmt == "koinly":
        return koinly_rows
    if fmt == "cryptact":
        return cryptact_rows
    return lambda tx, exchange, account: tallybot_rows(tx, exchange, account, tx.source)


async def _check_owner(session: Any, telegram_user_id: int, integration_id: int | None) -> None:
    if integration_id is None:
        return
    user = await UserRepository(session).by_telegram_id(telegram_user_id)
    if user is None or await IntegrationRepository(session).get_owned(integration_id, user.id) is None:
        raise IntegrationNotFound(t("integrations.not_found"))


def _check_aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and moment.tzinfo is None:
            raise ValueError("since/until must be timezone-aware")


def _add_flows(totals: dict[str, Decimal], tx: Any) -> None:
    for flow in flows(tx):
        totals[flow.asset] = totals.get(flow.asset, Decimal(0)) + flow.change


def _clean(totals: dict[str, Decimal]) -> dict[str, Decimal]:
    return {asset: totals[asset] for asset in sorted(totals)}


def _open(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8", newline="")


class _Parts:
    """The export's file, or its parts when one file would be larger than `limit` bytes: rows are never split."""

    def __init__(self, path: Path, header: str, limit: int | None) -> None:
        self.path = path
        self.header = header
        self.limit = limit
        self.paths: list[Path] = []
        self.handle: TextIO | None = None
        self.size = 0  # bytes in the open part
        self.rows = 0  # rows in the open part
        self.total = 0

    def start(self) -> None:
        number = len(self.paths) + 1
        path = self.path if number == 1 else self.path.with_name(f"{self.path.stem}-part{number}{self.path.suffix}")
        self.paths.append(path)
        self.handle = _open(path)
        self.size = self.rows = 0
        self._put(self.header)

    def write(self, lines: list[list[str]]) -> None:
        text = _csv_text(lines)
        size = len(text.encode())
        if self.limit is None or self.size + size <= self.limit:
            self._put(text, size)
            self.rows += len(lines)
            return
        for line in lines:  # this batch crosses the limit: place it row by row
            row = _csv_text([line])
            size = len(row.encode())
            if self.rows and self.size + size > self.limit:
                self.close()
                self.start()
            self._put(row, size)
            self.rows += 1

    def _put(self, text: str, size: int | None = None) -> None:
        if self.handle is None:
            raise RuntimeError("export part written before it was opened")
        self.handle.write(text)
        size = len(text.encode()) if size is None else size
        self.size += size
        self.total += size

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _csv_text(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def export_details(report: ExportReport, locale: str) -> str:
    """What the file's rows stand for, beyond its caption: legs paired, records left out (and why), and for
    Cryptact its re-upload rule with the command that sends only what is new; in the reader's locale."""
    lines: list[str] = []
    if report.paired:
        lines.append(tn("export.details.paired", report.paired // 2, locale=locale, legs=report.paired))
    for reason, count in sorted(report.skipped.items()):
        lines.append(t("export.details.left_out", locale=locale, count=count, reason=t(reason, locale=locale)))
    if report.format == "cryptact" and report.rows:
        # Cryptact's re-upload rule: "What is subcategories for custom files" (support.cryptact.com/hc/en-us/articles/
        # 360060072591) and "How to Upload Exchange Files Correctly" (…/10505957590297).
        newest = report.newest_written or report.last_at
        next_since = f"{newest:%Y-%m-%d}" if newest is not None else "YYYY-MM-DD"
        lines.append(t("export.cryptact.reupload", locale=locale, next_since=next_since))
        # The file states no zone: "Timezone can be specified in the upload screen later" (Custom File for any
        # other trades, support.cryptact.com/hc/en-us/articles/360002571312). Its Timestamps are UTC.
        lines.append(t("export.cryptact.timezone", locale=locale))
    return "\n".join(lines)
