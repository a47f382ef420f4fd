"""The whole scaled-out deployment at once, on the real PostgreSQL: two bot replicas in webhook mode and two
`tallybot worker` processes, all separate processes, behind the Bot API emulator delivering webhooks through a
round-robin balancer, with Telegram's documented limits enforced (sandbox/botapi/flood.py answers 429 over them).

Two users connect Binance in the Assistant (its steps alternate between the replicas), press /sync twice (the
second press queues nothing), send bursts of commands while their syncs run in the workers, and read /status. Shown:
every update delivered once and answered 200, every burst answered once per command and in order, one sync per
account, progress edited by the workers and a summary per account with exactly the exchange's records, both
replicas and both workers used, and not one 429 from the emulator: the replicas and workers share one budget
(bot/telegram_budget.py).
"""

from __future__ import annotations

import asyncio
import base64
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.vault import generate_key
from db.engine import Database
from db.models import Integration, SyncRun, Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from sandbox.exchanges import AccountProfile, BinanceEmulator
from sandbox.exchanges.faults import delay
from tests.assistant_story import Walker
from tests.postgres import fresh_database
from tests.sync.conftest import UNLIMITED, account_start, stored, truth
from tests.test_webhook_e2e import REPO, Balancer, burst, free_port, healthy, replica_env, run_cli
from tests.test_workers_e2e import worker_environment, worker_process, workers_up

ACCOUNT = AccountProfile(
    years=0.25, traded_markets=2, trades=16, deposits=5, withdrawals=3, converts=2, transfers=0, rewards=3
)
# Two users, one worker slot each (concurrency 1): both syncs run at once, one in each worker. Their keys read one
# Binance account (the emulator has one), whose UID budget is one account's: a third key's sync would wait out the
# minute of withdrawal-history weight the first two spent (18,000 a window of 180,000 a minute), as on Binance.
USERS = 2
# Texts from i18n/locales/en/LC_MESSAGES/tallybot.po, written out by hand.
HELP_START = "Tallybot syncs your exchange history through read-only API keys."
STATUS_START = "Your accounts"


@dataclass
class Deployment:
    telegram: BotApiEmulator
    binance: BinanceEmulator
    balancer: Balancer
    replicas: list[str]
    database: Database
    logs: list[Path]


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database())
        telegram = await stack.enter_async_context(BotApiEmulator())
        binance = await stack.enter_async_context(
            BinanceEmulator(seed=18, profile=ACCOUNT, listed_symbols=12, limits=UNLIMITED)
        )
        # Slow answers: a sync lasts a few seconds, long enough to be pressed for again and edited on the way.
        binance.faults.inject(delay(0.05), times=None)
        master_key = base64.b64encode(generate_key()).decode()

        ports = [free_port(), free_port()]
        replicas = [f"http://127.0.0.1:{port}" for port in ports]
        balancer = Balancer(replicas)
        app = web.Application()
        app.router.add_post("/telegram", balancer.forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        lb_port = free_port()
        await web.TCPSite(runner, "127.0.0.1", lb_port).start()
        public_url = f"http://127.0.0.1:{lb_port}/telegram"

        def bot_env(data_dir: Path, port: int) -> dict[str, str]:
            env = replica_env(telegram, url, master_key, data_dir, port)
            env.update(TALLYBOT_SYNC_WORKERS="1", EXCHANGE_URL_OVERRIDES=f"binance={binance.base_url}")
            return env

        cli = bot_env(tmp_path / "cli", ports[0])
        code, output = await run_cli(cli, "migrate")  # the Alembic schema and the job queue's, once
        assert code == 0, output
        code, output = await run_cli(cli, "set-webhook", public_url)
        assert code == 0, output

        logs: list[Path] = []
        for index, port in enumerate(ports):
            log_path = tmp_path / f"replica-{index}.log"
            logs.append(log_path)
            with log_path.open("wb") as sink:
                replica = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *("-m", "bot", "run", "--webhook", public_url),
                    cwd=REPO,
                    env=bot_env(tmp_path / f"r{index}", port),
                    stdout=sink,
                    stderr=asyncio.subprocess.STDOUT,
                )
            stack.push_async_callback(stopped, replica)
        environment = worker_environment(telegram, binance, url, master_key, tmp_path, TALLYBOT_WORKER_CONCURRENCY="1")
        for index in range(2):
            log_path = tmp_path / f"worker-{index}.log"
            logs.append(log_path)
            await stack.enter_async_context(worker_process(environment, log_path))
        database = Database(url)
        stack.push_async_callback(database.dispose)
        for replica_url in replicas:
            assert await healthy(replica_url, within=120) == {"ok": True, "database": "ok"}
        await workers_up(database, 2, timeout=120)
        telegram.enforce_flood_limits()
        yield Deployment(telegram, binance, balancer, replicas, database, logs)
    for log_path in logs:
        text = log_path.read_text(errors="replace")
        assert "Traceback" not in text, text


async def stopped(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
    await asyncio.wait_for(process.wait(), 30)


@dataclass
class Story:
    walker: Walker
    progress: ChatMessage
    again: ChatMessage
    summary: ChatMessage
    status: str


async def user_story(deployment: Deployment, walker: Walker, days_back: int) -> Story:
    key = deployment.binance.add_key(label=f"user-{walker.user.user_id}")
    await walker.connect_exchange("Binance", key.api_key, key.secret, days_back=days_back)
    pressed = await walker.send("/sync")
    progress = await walker.reply_to(pressed, "Binance-1")
    again = await walker.send("/sync")
    answer = await walker.reply_to(again, "already", timeout=20)
    # Commands while the sync runs in a worker: answered by the replicas, one each, in order.
    await burst(walker, ["/help", "/status", "/help", "/status"], [HELP_START, STATUS_START] * 2)
    summary = await deployment.telegram.wait_for_bot_message(
        walker.chat_id,
        after_message_id=pressed.message_id,
        predicate=lambda m: "Sync finished" in (m.text or "") and "Binance-1:" in (m.text or ""),
        timeout=150,
    )
    sent = await walker.send("/status")
    status = await walker.reply_to(sent, "Binance-1")
    return Story(walker, progress, answer, summary, status.text or "")


async def test_two_replicas_and_two_workers_serve_users_within_telegrams_limits(deployment: Deployment) -> None:
    telegram, binance = deployment.telegram, deployment.binance
    walkers = [Walker(telegram, telegram.add_user(6100 + n, f"User{n}")) for n in range(USERS)]
    days_back = (date.today() - account_start(binance)).days + 1
    stories = await asyncio.gather(*(user_story(deployment, walker, days_back) for walker in walkers))
    await telegram.wait_until(lambda: telegram.pending_updates == [])

    async with deployment.database.reader() as session:
        ids = list((await session.scalars(select(Integration.id).order_by(Integration.id))).all())
        runs = {
            i: await session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.integration_id == i))
            for i in ids
        }
        rows = {
            i: list((await session.scalars(select(Transaction).where(Transaction.integration_id == i))).all())
            for i in ids
        }

    records = len(truth(binance))
    for story in stories:
        summary = story.summary.text or ""
        assert f"Binance-1: {records:,} new" in summary, summary
        assert "already queued" in (story.again.text or "") or "already running" in (story.again.text or "")
        assert story.again.reply_to_message_id == story.progress.message_id
        progress = telegram.message(story.walker.chat_id, story.progress.message_id)
        assert len(progress.history) >= 2, "the worker edited the progress while it ran, then showed the end"
        assert "✅ Spot trades" in (progress.text or "")
        assert "🟢 Binance-1" in story.status, story.status
    assert len(ids) == USERS
    assert runs == dict.fromkeys(ids, 1), "one sync per account, however often /sync was pressed"
    for i in ids:
        assert stored(rows[i]) == truth(binance)

    # Every update delivered once and answered 200; both replicas served, both workers ran syncs.
    deliveries = telegram.webhook_deliveries
    delivered = [update_id for update_id, _status in deliveries]
    assert len(delivered) == len(set(delivered)), "an update was delivered twice"
    assert {status for _update_id, status in deliveries} == {200}
    assert set(deployment.balancer.served_by.values()) == set(deployment.replicas)
    worker_logs = [log.read_text(errors="replace") for log in deployment.logs[2:]]
    jobs = [sum(log.count(f"sync job of integration {i} ended") for i in ids) for log in worker_logs]
    assert sum(jobs) == USERS and all(jobs), jobs

    # Within Telegram's limits, all four processes together.
    assert telegram.flood.refusals == [], telegram.flood.refusals
    assert telegram.flood.most_in_one_second() <= 30
