"""Where a sync writes: each page's records and cursor in one short transaction that also checks the lease, the
cursors of pages without records in batches, and how each endpoint ended.

A crash between pages loses nothing and fetches nothing committed again; records are inserted on their natural key,
so overlaps with earlier syncs or file uploads never duplicate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.overlap import stored_overlapping
from bot.sync.atomic import uninterrupted
from bot.sync.lease import Lease
from bot.sync.plan import PlannedEndpoint, SyncTarget
from bot.sync.progress import ProgressTracker
from bot.sync.results import EndpointResult
from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord
from db.engine import Database
from db.models import TransactionSource
from db.repositories import SyncRepository, TransactionRepository

# Pages without records carry only a cursor. Their cursors are committed with the next page that has records,
# with the endpoint's outcome, before any wait, or after this many: a first sync walks hundreds of empty windows,
# and a crash costs at most this many empty windows asked again — never a record.
EMPTY_PAGES_PER_COMMIT = 25
# A file row and the API's record of the same trade may differ by the file's rounding of the time to the second or
# minute: file rows this far around a page's records are looked at.
FILE_TIME_SLACK = timedelta(seconds=61)


@dataclass(slots=True)
class SyncContext:
    """One sync in progress: what it works with and the cursors as committed so far."""

    target: SyncTarget
    lease: Lease
    tracker: ProgressTracker
    until: datetime
    cursors: dict[Endpoint, dict[str, Cursor]]
    covered: dict[tuple[Endpoint, str], datetime | None]
    client: Any = None


@dataclass(slots=True)
class EndpointRun:
    """Counts and outcome of one endpoint while it runs."""

    planned: PlannedEndpoint
    started: float = field(default_factory=time.monotonic)
    report: FetchReport = field(default_factory=FetchReport)
    fetched: int = 0
    new: int = 0
    known: int = 0
    pages: int = 0
    failures: int = 0  # transient failures in a row
    waits: int = 0  # rate limits waited out
    market: str = ""  # market of the last page
    pending: dict[str, tuple[Cursor, datetime]] = field(default_factory=dict)  # empty pages' cursors, by market
    pending_pages: int = 0


class SyncWriter:
    """The sync's write transactions, each fenced by the lease and shielded from cancellation once begun."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    async def commit(self, ctx: SyncContext, run: EndpointRun, page: Page) -> None:
        """The page's records and its cursor, in one short transaction that also checks the lease (a page without
        records only queues its cursor, see EMPTY_PAGES_PER_COMMIT)."""
        iid, endpoint = ctx.target.integration_id, run.planned.endpoint
        rows = [record.to_row(iid, str(TransactionSource.API)) for record in page.records]
        cursor = json.loads(json.dumps(page.cursor))  # as the database hands it back
        run.pending[page.market] = (cursor, page.covered_until)
        run.pending_pages += 1
        new = 0
        if rows:

            async def write() -> int:
                async with self.database.writer() as session:
                    await ctx.lease.fence(session)
                    # An export uploaded before the sync got here holds these records under content keys
                    # (Binance's files carry no trade ids): they are known, not new.
                    from_files = await known_from_files(session, iid, page.records)
                    fresh = [row for row in rows if row["natural_key"] not in from_files] if from_files else rows
                    stored = await TransactionRepository(session).insert_missing(fresh)
                    await self._save_cursors(session, ctx, run)
                    return stored

            new = await uninterrupted(write())
            run.pending.clear()
            run.pending_pages = 0
        elif run.pending_pages >= EMPTY_PAGES_PER_COMMIT:
            await self.flush(ctx, run)
        ctx.cursors[endpoint][page.market] = cursor
        ctx.covered[(endpoint, page.market)] = page.covered_until
        run.fetched += len(rows)
        run.new += new
        run.known += len(rows) - new
        run.pages += 1
        run.failures = 0
        run.market = page.market
        await ctx.tracker.page(endpoint, page.market, fetched=len(rows), new=new, covered_until=page.covered_until)

    async def _save_cursors(self, session: AsyncSession, ctx: SyncContext, run: EndpointRun) -> None:
        repo, now = SyncRepository(session), self.clock()
        for market, (cursor, covered_until) in run.pending.items():
            await repo.save_cursor(
                ctx.target.integration_id,
                str(run.planned.endpoint),
                market,
                cursor=cursor,
                covered_until=covered_until,
                now=now,
            )

    async def flush(self, ctx: SyncContext, run: EndpointRun) -> None:
        """Commit the cursors of pages without records still queued (before a wait, say)."""
        if not run.pending:
            return

        async def write() -> None:
            async with self.database.writer() as session:
                await ctx.lease.fence(session)
                await self._save_cursors(session, ctx, run)

        await uninterrupted(write())
        run.pending.clear()
        run.pending_pages = 0

    async def save_outcome(
        self, ctx: SyncContext, result: EndpointResult, *, succeeded: bool, run: EndpointRun | None = None
    ) -> None:
        """How the endpoint ended, with the cursors of its last pages without records."""
        diagnosis = result.diagnosis

        async def write() -> None:
            async with self.database.writer() as session:
                await ctx.lease.fence(session)
                if run is not None:
                    await self._save_cursors(session, ctx, run)
                await SyncRepository(session).save_outcome(
                    ctx.target.integration_id,
                    str(result.endpoint),
                    status=str(result.status),
                    now=self.clock(),
                    succeeded=succeeded,
                    error_code=str(diagnosis.code) if diagnosis is not None else None,
                    # Codes and catalogue texts, never English (worded when read: bot/sync/stored.py).
                    note=result.notice.to_json() if result.notice is not None else None,
                    covered_until=result.covered_until if succeeded else None,
                )

        await uninterrupted(write())
        await ctx.tracker.ended(result.endpoint, result.status, diagnosis)


async def known_from_files(session: AsyncSession, integration_id: int, records: Sequence[NormalizedRecord]) -> set[str]:
    """Natural keys of fetched records that a file import already stored under a content-hash key.

    Inside the transaction that stores a page: when a user uploaded an export before the API sync reached the same
    history (Binance's trade export has no trade id), the API's records would otherwise be stored a second time
    under their own keys. These are skipped and counted as already known.
    """
    stored = await stored_overlapping(
        session, integration_id, records, slack=FILE_TIME_SLACK, content_keyed_file_rows=True
    )
    if not len(stored):
        return set()
    return {r.natural_key for r in records if not stored.has_key(r.natural_key) and stored.claim_content(r)}
