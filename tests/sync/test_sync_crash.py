"""A sync interrupted anywhere — between pages, in the middle of a request, in the middle of a commit — and then
resumed loses nothing, stores nothing twice and fetches nothing it had already committed. On SQLite and
PostgreSQL.

The interruption is an asyncio cancellation of the sync's task at a seeded random point, which is what a
shutdown or a killed handler does inside one process. A cancellation that arrives during one of the engine's
short write transactions takes effect right after it (committed or rolled back, see bot/sync/atomic.py); the
atomicity of a commit cut by a killed process is the database's, measured by the reliability suite (issue 8),
and that process's lease is taken over when it expires (test_sync_lease).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random

from aiohttp import web
from sqlalchemy import func, select, text

from bot.sync import EndpointStatus, ProgressEvent, SyncAlreadyRunning, SyncResult, SyncStatus
from connectors.profiles import ExchangeProfile, get_profile
from db.models import SyncLease, Transaction
from tests.sync.conftest import TELEGRAM_USER, Bench, assert_ground_truth, stored, truth

TRIALS = 20
SEED = 20240713


def small_pages(size: int) -> ExchangeProfile:
    """Binance's profile with tiny pages, so a sync makes many pages and every paging path is interrupted."""
    profile = get_profile("binance")
    return dataclasses.replace(
        profile, endpoints=tuple(dataclasses.replace(spec, page_size=size) for spec in profile.endpoints)
    )


@dataclasses.dataclass
class Interrupter:
    """Cancels the sync's task at the n-th committed page, the n-th request the exchange receives, or after n
    turns of the event loop (which lands anywhere: inside a request, a commit, the lease's renewal…)."""

    task: asyncio.Task[SyncResult] | None = None
    pages_left: int | None = None
    requests_left: int | None = None

    def page(self) -> None:
        if self.pages_left is not None:
            self.pages_left -= 1
            if self.pages_left == 0 and self.task is not None:
                self.task.cancel()

    def request(self) -> None:
        if self.requests_left is not None:
            self.requests_left -= 1
            if self.requests_left == 0 and self.task is not None:
                self.task.cancel()


def count_requests(bench: Bench, interrupter: Interrupter) -> None:
    original = bench.emulator.serve

    def serve(request: web.Request, endpoint: object) -> web.StreamResponse:
        interrupter.request()  # the answer still goes out; the sync is cancelled while waiting for it
        return original(request, endpoint)  # type: ignore[arg-type]

    bench.emulator.serve = serve  # type: ignore[assignment,method-assign]


async def after_ticks(task: asyncio.Task[SyncResult], ticks: int) -> None:
    for _ in range(ticks):
        if task.done():
            return
        await asyncio.sleep(0)
    task.cancel()


async def test_a_sync_cancelled_at_random_points_resumes_to_exactly_the_ground_truth(bench: Bench) -> None:
    rng = random.Random(SEED)
    service = bench.service(profiles=lambda exchange_id: small_pages(5))
    interrupter = Interrupter()
    count_requests(bench, interrupter)
    expected = truth(bench.emulator)
    known_seen = 0  # records a sync fetched that were already stored: must stay 0
    outcomes: list[str] = []

    def on_progress(event: ProgressEvent) -> None:
        nonlocal latest
        latest = event
        if event.endpoint is not None and event.state is EndpointStatus.RUNNING:
            interrupter.page()

    for _ in range(TRIALS):
        latest: ProgressEvent | None = None
        how = rng.choice(("page", "request", "ticks"))
        interrupter.pages_left = rng.randint(1, 30) if how == "page" else None
        interrupter.requests_left = rng.randint(1, 30) if how == "request" else None
        task = asyncio.create_task(service.run(TELEGRAM_USER, bench.integration_id, on_progress=on_progress))
        interrupter.task = task
        ticker = asyncio.create_task(after_ticks(task, rng.randint(1, 15000))) if how == "ticks" else None
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if ticker is not None:
            await ticker
        interrupter.task = None
        assert not isinstance(outcome, SyncAlreadyRunning), "a cancelled sync must give its lease back"
        assert isinstance(outcome, SyncResult | asyncio.CancelledError), repr(outcome)
        outcomes.append("done" if isinstance(outcome, SyncResult) else f"cancelled at {how}")
        if latest is not None:
            known_seen += latest.total_known
        # Whatever was committed is right: a subset of the exchange's records, each once, exact.
        assert stored(await bench.rows()).items() <= expected.items()
        async with bench.database.reader() as session:
            assert await session.get(SyncLease, bench.integration_id) is None

    assert sum(1 for o in outcomes if o.startswith("cancelled")) >= TRIALS // 2, outcomes
    final = await service.run(TELEGRAM_USER, bench.integration_id)
    assert final.status is SyncStatus.OK
    assert known_seen + final.known == 0  # nothing committed was fetched again
    await assert_ground_truth(bench)
    await assert_storage_intact(bench)


async def assert_storage_intact(bench: Bench) -> None:
    async with bench.database.reader() as session:
        if bench.database.is_sqlite:
            assert (await session.execute(text("PRAGMA integrity_check"))).scalar_one() == "ok"
        keys = select(Transaction.natural_key).where(Transaction.integration_id == bench.integration_id)
        total = await session.scalar(select(func.count()).select_from(keys.subquery()))
        distinct = await session.scalar(select(func.count(func.distinct(Transaction.natural_key))))
        assert total == distinct == len(truth(bench.emulator))
