"""A sync worker killed with SIGKILL mid-sync (or, in the long run, stopped with SIGTERM): its job is run again by
another worker and the account ends with exactly its ground truth.

The worker dies between pages (some committed, the sync's lease and its procrastinate job left behind). Nothing in
the test puts the job back: the second worker's periodic "retry stalled jobs" task finds it once the dead worker's
heartbeat is TALLYBOT_WORKER_STALLED_SECONDS old (the documented setting, short here), the job waits out the dead
holder's lease (TALLYBOT_SYNC_LEASE_SECONDS, short here) and resumes from the stored cursors. Counted like the
crash runs (test_crash_safety.py): records lost and duplicated, and the resumed sync fetching nothing twice.
"""

from __future__ import annotations

import asyncio
import base64
import signal
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text

from bot.context import SERVICES_KEY, Services
from bot.vault import generate_key
from bot.worker import SHUTDOWN_GRACE_SECONDS
from db.engine import Database
from db.models import SyncLease, SyncRun, Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BinanceEmulator
from sandbox.exchanges.faults import delay
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.postgres import fresh_database
from tests.sync.conftest import UNLIMITED, account_start, truth
from tests.test_workers_e2e import connect, summary_of, worker_environment, worker_process, workers_up

ACCOUNT = AccountProfile(
    years=1.0, traded_markets=3, trades=36, deposits=8, withdrawals=5, converts=4, transfers=0, rewards=6
)
STALLED_SECONDS = "4"  # short, but a busy machine must not make a live worker look dead
LEASE_SECONDS = "4"
SYNC_JOB_STATUSES = text("SELECT status::text FROM procrastinate_jobs WHERE task_name = 'tallybot.sync_account'")


async def stored_keys(database: Database, integration_id: int) -> list[str]:
    async with database.reader() as session:
        found = await session.scalars(
            select(Transaction.natural_key).where(Transaction.integration_id == integration_id)
        )
        return list(found.all())


async def until(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():  # type: ignore[misc]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


@dataclass
class Stopped:
    """What a worker stopped mid-sync left, and how its heir ended the sync."""

    expected: dict[str, tuple[object, ...]]
    kept: list[str]  # natural keys stored when the first worker was gone
    left: str | None  # its job's status then
    final: list[str]
    summary: str
    heir_log: str
    runs: list[str]
    open_runs: int
    lease_left: bool
    jobs: list[str]
    recovery_seconds: float


async def stop_a_worker_mid_sync(telegram: BotApiEmulator, ada: Walker, tmp_path: Path, how: signal.Signals) -> Stopped:
    """One account synced by a worker that gets `how` once pages are committed; a second worker finishes it. From the
    signal until the first worker is gone, the exchange holds every answer: a stopping worker cannot finish the sync
    within its grace period."""
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database())
        binance = await stack.enter_async_context(
            BinanceEmulator(seed=91, profile=ACCOUNT, listed_symbols=12, limits=UNLIMITED)
        )
        binance.faults.inject(delay(0.1), times=None)  # pages arrive one by one: the stop lands between them
        master_key = base64.b64encode(generate_key()).decode()
        settings = settings_for(
            telegram,
            tmp_path,
            database_url=url,
            master_key=SecretStr(master_key),
            sync_workers=True,
            exchange_url_overrides={"binance": binance.base_url},
        )
        app = await stack.enter_async_context(running_bot(settings))
        services: Services = app.bot_data[SERVICES_KEY]
        database = services.database
        key = binance.add_key(label="kill")
        integration_id = await connect(
            services, ada.user.user_id, "Binance-1", key.api_key, key.secret, account_start(binance)
        )
        environment = worker_environment(
            telegram,
            binance,
            url,
            master_key,
            tmp_path,
            TALLYBOT_WORKER_CONCURRENCY="1",
            TALLYBOT_WORKER_STALLED_SECONDS=STALLED_SECONDS,
            TALLYBOT_SYNC_LEASE_SECONDS=LEASE_SECONDS,
        )
        async with worker_process(environment, tmp_path / "doomed.log") as doomed:
            await workers_up(database, 1)
            pressed = await ada.send("/sync")

            async def some_pages_committed() -> bool:
                return len(await stored_keys(database, integration_id)) >= 10

            await until(some_pages_committed, 30, "the first worker committed pages")
            binance.faults.clear()
            binance.faults.inject(delay(SHUTDOWN_GRACE_SECONDS + 30), times=None)
            doomed.send_signal(how)
            await asyncio.wait_for(doomed.wait(), timeout=SHUTDOWN_GRACE_SECONDS + 15)
            binance.faults.clear()
            binance.faults.inject(delay(0.1), times=None)
        stopped_at = time.monotonic()
        kept = await stored_keys(database, integration_id)
        async with database.reader() as session:
            left = await session.scalar(SYNC_JOB_STATUSES)

        await stack.enter_async_context(worker_process(environment, tmp_path / "heir.log"))
        summary = await summary_of(telegram, ada, pressed, "Binance-1")
        recovered_in = time.monotonic() - stopped_at

        async def job_statuses() -> list[str]:
            async with database.reader() as session:
                return list((await session.scalars(SYNC_JOB_STATUSES)).all())

        async def job_ended() -> bool:  # marked a moment after the summary is sent
            return await job_statuses() != ["doing"]

        await until(job_ended, 10, "the job was marked as ended")
        jobs = await job_statuses()
        final = await stored_keys(database, integration_id)
        async with database.reader() as session:
            runs = list((await session.scalars(select(SyncRun).where(SyncRun.integration_id == integration_id))).all())
            lease = await session.get(SyncLease, integration_id)
    return Stopped(
        expected=truth(binance),
        kept=kept,
        left=left,
        final=final,
        summary=summary.text or "",
        heir_log=(tmp_path / "heir.log").read_text(errors="replace"),
        runs=sorted(str(run.status) for run in runs),
        open_runs=sum(1 for run in runs if run.finished_at is None),
        lease_left=lease is not None,
        jobs=jobs,
        recovery_seconds=round(recovered_in, 1),
    )


def assert_resumed_to_ground_truth(found: Stopped) -> dict[str, int]:
    """The crash runs' counts (test_crash_safety.py): nothing lost, nothing twice, nothing fetched again."""
    lost = len(set(found.expected) - set(found.final))
    duplicated = len(found.final) - len(set(found.final))
    assert 10 <= len(found.kept) < len(found.expected), "the stop landed mid-sync"
    assert set(found.kept) <= set(found.expected)
    assert lost == 0 and duplicated == 0 and set(found.final) == set(found.expected)
    # The heir resumed where the first worker stopped: only the records not yet stored are new.
    assert f"Binance-1: {len(found.expected) - len(found.kept):,} new" in found.summary, found.summary
    assert found.runs == ["interrupted", "ok"] and found.open_runs == 0, "the stopped run closed as interrupted"
    assert not found.lease_left
    assert found.jobs == [], "one job, run to its end (a worker deletes the jobs that succeeded)"
    return {"records": len(found.expected), "stored_at_stop": len(found.kept), "lost": lost, "duplicated": duplicated}


async def test_a_worker_killed_mid_sync_leaves_its_job_to_another_and_nothing_is_lost_or_doubled(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, measured: Callable[..., None]
) -> None:
    started = time.monotonic()
    found = await stop_a_worker_mid_sync(telegram, ada, tmp_path, signal.SIGKILL)

    assert found.left == "doing", "the killed worker's job was left running, for the stalled-job check to find"
    assert "is run again" in found.heir_log, "the heir's periodic task retried the stalled job"
    counts = assert_resumed_to_ground_truth(found)
    measured(
        kills=1,
        resumed_to_ground_truth=1,
        **counts,
        recovery_seconds=found.recovery_seconds,
        seconds=round(time.monotonic() - started, 1),
    )


async def test_a_worker_stopped_mid_sync_hands_its_job_back_after_the_grace_period(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, long_run: bool, measured: Callable[..., None]
) -> None:
    """SIGTERM during a sync longer than the worker's grace period: cancelled, the job goes back to the queue at
    once ("aborted, to retry"), no stalled-job check needed. Long run only: it waits out the whole grace period."""
    if not long_run:
        pytest.skip("waits out a worker's 20 s shutdown grace period: --long")
    started = time.monotonic()
    found = await stop_a_worker_mid_sync(telegram, ada, tmp_path, signal.SIGTERM)

    assert found.left == "todo", "the stopped worker handed its job back to the queue"
    assert "is run again" not in found.heir_log
    counts = assert_resumed_to_ground_truth(found)
    measured(stops=1, resumed_to_ground_truth=1, **counts, seconds=round(time.monotonic() - started, 1))
