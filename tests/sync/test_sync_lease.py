"""One sync per account at a time, across processes: a lease in the database that a crashed sync cannot hold
forever, and a limit on how many syncs one process runs at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.sync import EndpointStatus, ProgressEvent, SyncAlreadyRunning, SyncLeaseLost, SyncStatus
from bot.sync.lease import Lease
from db.models import SyncLease, SyncRun
from db.repositories import SyncRepository
from db.repositories.sync import LeaseGrant
from db.types import utcnow
from tests.sync.conftest import TELEGRAM_USER, Bench, account_start, assert_ground_truth, stored, truth


async def lease_row(bench: Bench) -> SyncLease | None:
    async with bench.database.reader() as session:
        return await SyncRepository(session).lease(bench.integration_id)


async def test_a_second_sync_of_the_same_account_is_refused_and_shown_the_running_one(bench: Bench) -> None:
    service = bench.service(lease_ttl=timedelta(seconds=0.9))
    first_page, go_on = asyncio.Event(), asyncio.Event()

    async def hold_after_first_page(event: ProgressEvent) -> None:
        if event.fetched and not first_page.is_set():
            first_page.set()
            await go_on.wait()

    running = asyncio.create_task(service.run(TELEGRAM_USER, bench.integration_id, on_progress=hold_after_first_page))
    await first_page.wait()

    # While it waits, its lease is renewed in the background, well before it would lapse.
    held = await lease_row(bench)
    assert held is not None
    renewals = 0
    while renewals < 2:
        await asyncio.sleep(0.05)
        now = await lease_row(bench)
        assert now is not None and now.holder == held.holder
        if now.expires_at > held.expires_at:
            renewals, held = renewals + 1, now

    # The same process: refused, with the running sync's progress to show instead.
    with pytest.raises(SyncAlreadyRunning) as same_process:
        await service.run(TELEGRAM_USER, bench.integration_id)
    progress = same_process.value.progress
    assert progress is not None and progress.integration_id == bench.integration_id and progress.total_fetched > 0
    # The wallet endpoints run together: the others may have moved on while the first one is held.
    latest = service.progress(bench.integration_id)
    assert latest is not None and latest.total_fetched >= progress.total_fetched
    assert await service.running([bench.integration_id]) == {bench.integration_id}

    # Another process (another service on the same database): refused too; it only knows when the lease lapses.
    with pytest.raises(SyncAlreadyRunning) as elsewhere:
        await bench.sync()
    assert elsewhere.value.progress is None and elsewhere.value.expires_at is not None

    go_on.set()
    result = await running
    assert result.status is SyncStatus.OK
    await assert_ground_truth(bench)
    assert await lease_row(bench) is None  # released at the end
    assert service.progress(bench.integration_id) is None
    assert await service.running([bench.integration_id]) == set()


async def test_a_crashed_syncs_expired_lease_is_taken_over_and_its_run_closed(bench: Bench) -> None:
    long_ago = utcnow() - timedelta(hours=1)
    async with bench.database.writer() as session:
        session.add(SyncLease(integration_id=bench.integration_id, holder="dead-host:1:0", expires_at=long_ago))
        session.add(SyncRun(integration_id=bench.integration_id, started_at=long_ago, status="running"))

    result = await bench.sync()

    assert result.status is SyncStatus.OK
    await assert_ground_truth(bench)
    assert await lease_row(bench) is None
    async with bench.database.reader() as session:
        runs = (await session.scalars(select(SyncRun).order_by(SyncRun.id))).all()
    assert [(r.status, r.finished_at is not None) for r in runs] == [("interrupted", True), ("ok", True)]


async def test_a_live_lease_held_by_another_process_is_respected(bench: Bench) -> None:
    soon = utcnow() + timedelta(minutes=1)
    async with bench.database.writer() as session:
        session.add(SyncLease(integration_id=bench.integration_id, holder="other-host:7:abc", expires_at=soon))

    with pytest.raises(SyncAlreadyRunning) as refused:
        await bench.sync()

    assert refused.value.expires_at == soon and refused.value.progress is None
    assert bench.emulator.requests.total == 0
    lease = await lease_row(bench)
    assert lease is not None and lease.holder == "other-host:7:abc"  # untouched


async def test_a_sync_that_lost_its_lease_stops_writing_at_once(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    pages = 0

    async def stolen_after_two_pages(event: ProgressEvent) -> None:
        # As if this sync stalled past its lease and another process took the account over.
        nonlocal pages
        if event.fetched and event.state is EndpointStatus.RUNNING:
            pages += 1
            if pages == 2:
                async with bench.database.writer() as session:
                    lease = await session.get(SyncLease, bench.integration_id)
                    assert lease is not None
                    lease.holder, lease.expires_at = "thief:1:0", utcnow() + timedelta(minutes=5)

    with pytest.raises(SyncLeaseLost):
        await bench.sync(on_progress=stolen_after_two_pages)

    kept = stored(await bench.rows())
    assert kept.items() <= truth(bench.emulator).items()
    lease = await lease_row(bench)
    assert lease is not None and lease.holder == "thief:1:0"  # not released: it is not ours any more


async def test_the_concurrency_limit_queues_a_sync_until_a_slot_frees(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    other_keys = bench.emulator.add_key(label="second account")
    other = await bench.connect(sync_from=account_start(bench.emulator), name="Binance-2", keys=other_keys)
    service = bench.service(max_concurrent=1)
    timeline: list[tuple[int, EndpointStatus]] = []

    def record(event: ProgressEvent) -> None:
        if event.endpoint is None:
            timeline.append((event.integration_id, event.state))

    first, second = await asyncio.gather(
        service.run(TELEGRAM_USER, bench.integration_id, on_progress=record),
        service.run(TELEGRAM_USER, other, on_progress=record),
    )

    assert first.status is SyncStatus.OK and second.status is SyncStatus.OK
    # One waited for the other: a queued event, and the two never ran at once.
    assert sum(1 for _, state in timeline if state is EndpointStatus.QUEUED) == 1
    finished = [iid for iid, state in timeline if state is EndpointStatus.OK]
    queued = next(iid for iid, state in timeline if state is EndpointStatus.QUEUED)
    assert finished == [i for i in (bench.integration_id, other) if i != queued] + [queued]


async def test_of_many_takers_racing_for_one_lease_exactly_one_wins(bench: Bench) -> None:
    takers = [Lease(bench.database, bench.integration_id, ttl=timedelta(minutes=1), clock=utcnow) for _ in range(6)]
    grants = await asyncio.gather(*(taker.acquire() for taker in takers))
    assert [grant for grant in grants if grant is not None] == [LeaseGrant.NEW]

    # Expired, then raced for again: one takes it over.
    async with bench.database.writer() as session:
        lease = await session.get(SyncLease, bench.integration_id)
        assert lease is not None
        lease.expires_at = utcnow() - timedelta(seconds=1)
    grants = await asyncio.gather(*(taker.acquire() for taker in takers))
    assert [grant for grant in grants if grant is not None] == [LeaseGrant.TAKEN_OVER]
