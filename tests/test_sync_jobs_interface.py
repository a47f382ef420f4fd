"""The one small interface a /sync press asks (bot/jobs/interface.py `SyncJobs`): procrastinate's queue and the bot's
own process both implement it (checked by mypy, as the product is), and the in-process one answers a second press for
an account whose sync it runs "running" instead of starting another, also while the quote scan that follows a press's
summary holds the account (the bot's stories: tests/test_sync_claims_e2e.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from mypy import api as mypy_api
from telegram import Bot

from bot.context import BackgroundWork
from bot.integrations import IntegrationService
from bot.jobs.in_process import InProcessJobs, InProcessPress, PressTask
from bot.jobs.order import JobInQueue, QueuedSync, SyncOrder
from bot.open_messages import OpenMessages
from bot.sync import SyncService
from bot.sync.lease import Lease
from bot.vault import KeyRing, Vault, generate_key
from connectors.clients import ClientPool
from db.engine import Database
from db.types import utcnow
from sandbox.botapi import BotApiEmulator

ROOT = Path(__file__).resolve().parent.parent

IMPLEMENTATIONS = """
from collections.abc import Sequence

from bot.jobs.in_process import InProcessJobs
from bot.jobs.interface import SyncJobs
from bot.jobs.order import JobInQueue
from bot.jobs.queue import QueuedJobs, SyncQueue


def the_queues(workers: QueuedJobs, per_press: SyncQueue, embedded: InProcessJobs) -> list[SyncJobs]:
    return [workers, per_press, embedded]


class NoDefer:
    one_message_per_press = True

    async def in_queue(self, integration_ids: Sequence[int]) -> dict[int, JobInQueue]:
        return {}


def not_a_queue(queue: NoDefer) -> SyncJobs:
    return queue
"""


def test_both_queues_satisfy_the_interface_and_mypy_refuses_one_that_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    checked = tmp_path / "queues.py"
    checked.write_text(IMPLEMENTATIONS)
    out, err, status = mypy_api.run(["--strict", "--config-file", str(ROOT / "pyproject.toml"), str(checked)])

    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1, out + err
    # One error only, on the class without `defer_press` (`return queue`): the two real queues pass.
    refused_at = IMPLEMENTATIONS.splitlines().index("    return queue") + 1
    assert len(errors) == 1, out
    assert f"queues.py:{refused_at}: error" in errors[0] and '"SyncJobs"' in errors[0], out
    assert "missing following" in out and "defer_press" in out, out


@pytest.fixture
async def sync(database: Database) -> AsyncIterator[SyncService]:
    pool = ClientPool()
    try:
        yield SyncService(database, IntegrationService(database, Vault(KeyRing([generate_key()]))), pool)
    finally:
        await pool.close()


@pytest.fixture
async def bot(telegram: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(telegram.token, base_url=telegram.base_url) as running:
        yield running


def queue(sync: SyncService, background: BackgroundWork, task: PressTask, bot: Bot) -> InProcessJobs:
    return InProcessJobs(
        sync, background, task, bot=bot, open_messages=OpenMessages(sync.database, bot.id, "this-host:1:test")
    )


class HeldPresses:
    """A press task that runs until let go, so a second press arrives while the first one's syncs run."""

    def __init__(self) -> None:
        self.started: list[tuple[int, ...]] = []
        self.go = asyncio.Event()

    async def __call__(self, press: InProcessPress) -> None:
        self.started.append(tuple(order.integration_id for order in press.orders))
        await self.go.wait()


async def until_free(jobs: InProcessJobs, integration_ids: list[int]) -> dict[int, JobInQueue]:
    """What the queue says of these accounts once their presses have ended (or after 5 s)."""
    for _ in range(500):
        asked = await jobs.in_queue(integration_ids)
        if not asked:
            break
        await asyncio.sleep(0.01)
    return asked


def order(integration_id: int, name: str, message_id: int) -> SyncOrder:
    return SyncOrder(1001, integration_id, name, 1001, message_id, "en", "st:show")


async def test_a_second_press_for_an_account_being_synced_is_answered_running_and_the_next_after_it_runs(
    sync: SyncService, bot: Bot
) -> None:
    binance = await sync.integrations.add_file_only(1001, exchange_id="binance", account_name="Binance-1")
    bybit = await sync.integrations.add_file_only(1001, exchange_id="bybit", account_name="Bybit-1")
    background = BackgroundWork()
    presses = HeldPresses()
    jobs = queue(sync, background, presses, bot)
    running = JobInQueue(QueuedSync.RUNNING, None, None, None)

    first = await jobs.defer_press([order(binance.id, "Binance-1", 50)])
    # Asked before the first press's task has even started (its lease not taken yet): the claim answers.
    asked = await jobs.in_queue([binance.id, bybit.id])
    second = await jobs.defer_press([order(binance.id, "Binance-1", 51), order(bybit.id, "Bybit-1", 51)])
    await asyncio.sleep(0)
    started_while_held = list(presses.started)
    presses.go.set()
    asked_after = await until_free(jobs, [binance.id, bybit.id])
    third = await jobs.defer_press([order(binance.id, "Binance-1", 52)])
    await until_free(jobs, [binance.id])

    assert first == {}
    assert asked == {binance.id: running}
    assert second == {binance.id: running}, "the account being synced is refused, the other one taken"
    assert started_while_held == [(binance.id,), (bybit.id,)]
    assert asked_after == {}
    assert third == {}
    assert presses.started[-1] == (binance.id,)


async def test_an_account_whose_lease_another_process_holds_is_answered_running_without_progress(
    sync: SyncService, bot: Bot
) -> None:
    binance = await sync.integrations.add_file_only(1001, exchange_id="binance", account_name="Binance-1")
    bybit = await sync.integrations.add_file_only(1001, exchange_id="bybit", account_name="Bybit-1")
    elsewhere = Lease(sync.database, binance.id, ttl=timedelta(minutes=5), clock=utcnow, holder="other-host:1:x")
    assert await elsewhere.acquire() is not None
    jobs = queue(sync, BackgroundWork(), HeldPresses(), bot)

    asked = await jobs.in_queue([binance.id, bybit.id])

    assert asked == {binance.id: JobInQueue(QueuedSync.RUNNING, None, None, None)}


class ScanAfterSummary:
    """A press whose syncs end and whose summary announces a scan of its first account: the press lets its accounts
    go but that one, and the scan holds it until let go."""

    def __init__(self) -> None:
        self.summary_sent = asyncio.Event()
        self.scan_runs = asyncio.Event()
        self.scan_may_end = asyncio.Event()

    async def __call__(self, press: InProcessPress) -> None:
        scanned = press.orders[0].integration_id
        press.release(keep=[scanned])
        self.summary_sent.set()
        press.follow_up(scanned, self.scan(), "quote-scan")

    async def scan(self) -> None:
        self.scan_runs.set()
        await self.scan_may_end.wait()


async def test_the_scan_after_a_summary_holds_its_account_from_the_press_to_its_own_end(
    sync: SyncService, bot: Bot
) -> None:
    binance = await sync.integrations.add_file_only(1001, exchange_id="binance", account_name="Binance-1")
    bybit = await sync.integrations.add_file_only(1001, exchange_id="bybit", account_name="Bybit-1")
    press = ScanAfterSummary()
    jobs = queue(sync, BackgroundWork(), press, bot)
    running = JobInQueue(QueuedSync.RUNNING, None, None, None)

    await jobs.defer_press([order(binance.id, "Binance-1", 50), order(bybit.id, "Bybit-1", 50)])
    await press.summary_sent.wait()
    on_summary = await jobs.in_queue([binance.id, bybit.id])
    await press.scan_runs.wait()
    during_scan = await jobs.defer_press([order(binance.id, "Binance-1", 51)])
    press.scan_may_end.set()
    after_scan = await until_free(jobs, [binance.id])

    assert on_summary == {binance.id: running}, "the scanned account stays claimed; the other one is free"
    assert during_scan == {binance.id: running}
    assert after_scan == {}
