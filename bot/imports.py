"""File upload: an exchange export (or Tallybot's CSV) added to one integration, all or nothing.

Parsing and matching are CPU work and run in a worker thread, so the bot keeps serving other users while a large
file is read. Records from a file are the same normalized records the API sync stores: a file that overlaps a
completed sync adds only what the sync did not bring, and the same file twice adds nothing (see
connectors/files/matching.py for how records without an exchange id are recognised).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.integrations import IntegrationNotFound, clean_account_name, numbered_name
from bot.overlap import stored_overlapping
from bot.sync.atomic import uninterrupted
from connectors.files import (
    FORMATS,
    MAX_FILE_BYTES,
    AmbiguousFormat,
    BadTimezone,
    BrokenEncoding,
    EmptyFile,
    FileProblem,
    FileTooLarge,
    ParsedFile,
    RejectedRow,
    UnknownFormat,
    WrongExchange,
    WrongFileType,
    currency_codes,
    known_formats_text,
    parse,
    size_limit_text,
    template_csv,
)
from connectors.files.matching import ImportPlan, Match, plan_import
from connectors.files.reading import too_large
from connectors.files.values import zone_named
from db.engine import Database
from db.models import Integration, IntegrationStatus
from db.repositories import IntegrationRepository, TransactionRepository, UserRepository
from db.repositories.imports import ImportRepository
from i18n import Text, t

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "MAX_REJECTED_SHOWN",
    "AmbiguousFormat",
    "BadTimezone",
    "BrokenEncoding",
    "EmptyFile",
    "FileProblem",
    "FileTooLarge",
    "ImportReport",
    "ImportService",
    "NewAccount",
    "ProgressCallback",
    "RejectedRow",
    "UnknownFormat",
    "WriteStep",
    "WrongExchange",
    "WrongFileType",
    "known_formats_text",
    "size_limit_text",
    "template_csv",
]

MAX_REJECTED_SHOWN = 5
INSERT_BATCH = 1_000
# Zones run from UTC-12 to UTC+14: a file without a zone, read in another zone, is at most 26 hours away.
ZONE_SHIFT = timedelta(hours=26)

# (rows done, rows in the file). Called on the event loop's thread; may return an awaitable (e.g. an edit of a
# progress message), which is awaited before import_file returns.
ProgressCallback = Callable[[int, int], Awaitable[None] | None]
# Work that must commit with the file's rows or not at all, run first in the import's write transaction (the claimed
# upload deleted, bot/pending_uploads.py); an exception from it rolls the whole import back.
WriteStep = Callable[[AsyncSession], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class NewAccount:
    """A file-only account to create for the file, in the import's own transaction: a file that fails, or a crash
    before the commit, leaves no empty account behind (and no "Binance-2" when the file is sent to it again)."""

    exchange_id: str
    exchange_name: str  # numbered on creation: "Binance-1", "Binance-2", …


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. Nothing was written when `rejected_total` > 0."""

    format_name: str
    format_title: str  # a catalogue id
    rows_read: int  # data rows in the file (blank lines not counted)
    new: int  # records added
    already_known: int  # records already stored (from the API or an earlier file)
    skipped: int  # rows that are not transactions (pending, cancelled, orders without fills, repeated headers)
    rejected: list[RejectedRow] = field(default_factory=list)  # the first MAX_REJECTED_SHOWN, by line
    rejected_total: int = 0
    skip_reasons: dict[Text, int] = field(default_factory=dict)
    timezone_note: Text | None = None  # set when the file did not state its zone and the user's was assumed
    moved: int = 0  # stored rows of this file (read earlier in another zone) moved to the times read now
    # Known rows by how they were recognised (connectors.files.matching.Match values: "content", "fee-included",
    # "twin"…), so the report can say how rows without an id met stored records.
    matched: dict[str, int] = field(default_factory=dict)
    summed_fills: int = 0  # records that are several fills summed: they cannot meet the API's per-fill records
    first_at: datetime | None = None
    last_at: datetime | None = None
    account_id: int | None = None  # the account written to (None when nothing was written)
    account_name: str = ""

    @property
    def written(self) -> bool:
        return self.rejected_total == 0


class ImportService:
    def __init__(self, database: Database, *, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.database = database
        self.max_bytes = max_bytes

    async def import_file(
        self,
        telegram_user_id: int,
        integration_id: int | NewAccount,
        filename: str,
        data: bytes,
        *,
        user_timezone: str = "UTC",
        format_name: str | None = None,
        progress: ProgressCallback | None = None,
        settle: WriteStep | None = None,
    ) -> ImportReport:
        """Import one file into one of the user's integrations, or into a NewAccount created only if rows are written.

        Raises IntegrationNotFound for an integration that is not theirs, and a FileProblem subclass (WrongFileType,
        EmptyFile, FileTooLarge, BrokenEncoding, UnknownFormat, AmbiguousFormat, WrongExchange, BadTimezone) for a
        file that cannot be imported at all; `error.text` is the message for the user. Rows that cannot be read
        come back in the report, with nothing written. `settle` runs in the write transaction, only when rows are
        written.
        """
        if len(data) > self.max_bytes:  # before any work, and before reading the file into a thread
            raise FileTooLarge(too_large(len(data), self.max_bytes), self.max_bytes)
        if isinstance(integration_id, NewAccount):
            exchange_id = integration_id.exchange_id
        else:
            exchange_id = await self._exchange_of(telegram_user_id, integration_id)
        codes = await asyncio.to_thread(currency_codes, exchange_id)
        reporter = _Reporter(progress)
        try:
            parsed = await asyncio.to_thread(
                parse,
                filename,
                data,
                user_timezone=user_timezone,
                exchange_id=exchange_id,
                format_name=format_name,
                currency_codes=codes,
                progress=reporter.from_thread if progress is not None else None,
                max_bytes=self.max_bytes,
                isolated=True,
            )
        finally:
            await reporter.finish()
        if parsed.rejected_total or not parsed.records:  # all or nothing: a bad row means nothing is written
            return _report(parsed, new=0, known=0)
        # Run to its end even if the upload is cancelled meanwhile (the bot shutting down): see bot/sync/atomic.py.
        account, plan, inserted = await uninterrupted(self._write(telegram_user_id, integration_id, parsed, settle))
        # Rows a concurrent sync stored between our read and our insert were ignored by the unique key: known.
        known = plan.known + (len(plan.new) - inserted)
        report = _report(parsed, new=inserted, known=known, moved=plan.retimed, matched=plan.matched)
        return replace(report, account_id=account.id, account_name=account.account_name)

    async def _write(
        self, telegram_user_id: int, target: int | NewAccount, parsed: ParsedFile, settle: WriteStep | None
    ) -> tuple[Integration, ImportPlan, int]:
        """The import's one write transaction: the account, the plan, and how many of its new rows were inserted."""
        async with self.database.writer() as session:
            if settle is not None:  # first: on PostgreSQL a row it deletes stays locked until the commit
                await settle(session)
            if isinstance(target, NewAccount):
                account = await self._created(session, telegram_user_id, target)
            else:  # owned again inside the write: the account may have been deleted while the file was parsed
                account = await self._owned(session, telegram_user_id, target)
            integration_id = account.id
            # A file without a zone may have been imported before under another one (as the report suggests).
            wall_zone = zone_named(parsed.zone_name) if parsed.zone_note is not None else None
            # A file without a zone: its rows stored by an earlier import may be read in another zone (up to 26
            # hours away), and their file row (`raw`) is loaded to recognise those of older versions.
            precision = max(p.precision for p in parsed.records)
            stored = await stored_overlapping(
                session,
                integration_id,
                [p.record for p in parsed.records],
                slack=timedelta(seconds=precision + 1) + (ZONE_SHIFT if wall_zone is not None else timedelta(0)),
                with_raw=wall_zone is not None,
            )
            plan = await asyncio.to_thread(plan_import, parsed.records, stored, integration_id, wall_zone=wall_zone)
            # Stored rows of a file without a zone, imported again under another zone: to the corrected time and key.
            corrections = ImportRepository(session)
            await corrections.move(integration_id, plan.moved)
            await corrections.drop(integration_id, plan.dropped)
            repository = TransactionRepository(session)
            inserted = 0
            for start in range(0, len(plan.new), INSERT_BATCH):
                inserted += await repository.insert_missing(plan.new[start : start + INSERT_BATCH])
        return account, plan, inserted

    @staticmethod
    async def _created(session: AsyncSession, telegram_user_id: int, new: NewAccount) -> Integration:
        """A file-only account (no key to sync with, so disconnected; a key can be added later), named after the
        exchange with the first number the user has not taken."""
        user = await UserRepository(session).ensure(telegram_user_id)
        integrations = IntegrationRepository(session)
        taken = await integrations.account_names(user.id)
        name = clean_account_name(numbered_name(new.exchange_name, taken), new.exchange_id)
        account = await integrations.add(
            user_id=user.id, exchange_id=new.exchange_id, account_name=name, options={"file_only": True}
        )
        account.status = IntegrationStatus.DISCONNECTED
        await session.flush()
        return account

    async def _exchange_of(self, telegram_user_id: int, integration_id: int) -> str:
        async with self.database.reader() as session:
            integration = await self._owned(session, telegram_user_id, integration_id)
            return integration.exchange_id

    @staticmethod
    async def _owned(session: AsyncSession, telegram_user_id: int, integration_id: int) -> Integration:
        user = await UserRepository(session).by_telegram_id(telegram_user_id)
        integration = None
        if user is not None:
            integration = await IntegrationRepository(session).get_owned(integration_id, user.id)
        if integration is None:
            raise IntegrationNotFound(t("integrations.not_found"))
        return integration


def _report(
    parsed: ParsedFile, *, new: int, known: int, moved: int = 0, matched: Mapping[Match, int] | None = None
) -> ImportReport:
    times = [p.record.occurred_at for p in parsed.records]
    return ImportReport(
        format_name=parsed.format.name,
        format_title=parsed.format.title,
        rows_read=parsed.rows_read,
        new=new,
        already_known=known,
        skipped=parsed.skipped,
        rejected=parsed.rejected[:MAX_REJECTED_SHOWN],
        rejected_total=parsed.rejected_total,
        skip_reasons=dict(parsed.skip_reasons),
        timezone_note=parsed.zone_note,
        moved=moved,
        matched={str(how): count for how, count in (matched or {}).items() if count},
        summed_fills=parsed.summed_fills,
        first_at=min(times) if times else None,
        last_at=max(times) if times else None,
    )


class _Reporter:
    """Carries progress from the parsing thread to the event loop's thread."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.loop = asyncio.get_running_loop()
        self.pending: set[asyncio.Future[Any]] = set()

    def from_thread(self, done: int, total: int) -> None:
        self.loop.call_soon_threadsafe(self._deliver, done, total)

    def _deliver(self, done: int, total: int) -> None:
        if self.callback is None:
            return
        result = self.callback(done, total)
        if inspect.isawaitable(result):
            future = asyncio.ensure_future(result)
            self.pending.add(future)
            future.add_done_callback(self.pending.discard)

    async def finish(self) -> None:
        await asyncio.sleep(0)  # let calls scheduled by the thread just before it ended run
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
