"""A sync worker killed with SIGKILL mid-sync: its job is run again by another worker and the account ends with
exactly its ground truth.

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
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select, text

from bot.context import SERVICES_KEY, Services
from bot.vault import generate_key
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
STALLED_SECONDS = "2"
LEASE_SECONDS = "2"
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


async def test_a_worker_killed_mid_sync_leaves_its_job_to_another_and_nothing_is_lost_or_doubled(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, measured: Callable[..., None]
) -> None:
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database())
        binance = await stack.enter_async_context(
            BinanceEmulator(seed=91, profile=ACCOUNT, listed_symbols=12, limits=UNLIMITED)
        )
        binance.faults.inject(delay(0.1), times=None)  # pages arrive one by one: the kill lands between them
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
            doomed.send_signal(signal.SIGKILL)
            await doomed.wait()
        killed_at = time.monotonic()
        kept = await stored_keys(database, integration_id)
        async with database.reader() as session:
            left = await session.scalar(SYNC_JOB_STATUSES)

        await stack.enter_async_context(worker_process(environment, tmp_path / "heir.log"))
        summary = await summary_of(telegram, ada, pressed, "Binance-1")
        recovered_in = time.monotonic() - killed_at

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
    heir_log = (tmp_path / "heir.log").read_text(errors="replace")

    expected = truth(binance)
    lost = len(set(expected) - set(final))
    duplicated = len(final) - len(set(final))
    assert left == "doing", "the killed worker's job was left running, for the stalled-job check to find"
    assert 10 <= len(kept) < len(expected), "the kill landed mid-sync"
    assert set(kept) <= set(expected)
    assert lost == 0 and duplicated == 0 and set(final) == set(expected)
    # The heir resumed where the dead worker stopped: only the records not yet stored are new.
    assert f"Binance-1: {len(expected) - len(kept):,} new" in (summary.text or ""), summary.text
    assert "is run again" in heir_log, "the heir's periodic task retried the stalled job"
    assert sorted(run.status for run in runs) == ["interrupted", "ok"] and all(r.finished_at for r in runs)
    assert lease is None
    assert jobs == ["succeeded"], "one job, run to its end"
    measured(
        kills=1,
        resumed_to_ground_truth=1,
        records=len(expected),
        stored_at_kill=len(kept),
        lost=lost,
        duplicated=duplicated,
        recovery_seconds=round(recovered_in, 1),
        seconds=round(time.monotonic() - started, 1),
    )
