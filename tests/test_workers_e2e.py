"""Sync workers on PostgreSQL: the bot queues /sync as jobs, two `tallybot worker` processes run them.

The bot runs here (in-process harness) against the Bot API emulator; the workers are separate processes started the
way an operator starts them (`python -m bot worker`, settings from the environment), editing the chat's progress
messages and sending the summaries through the same emulator.

The two Tallybot accounts hold two keys of the emulator's one Binance account, so they share its per-account (UID)
budgets, as Binance counts them: a year of spot rebates is 13 requests of 12,000 weight for each sync, 312,000 of the
endpoint's 180,000 a minute together, and whichever sync reads Binance's header second waits out the minute. The story
is the workers, not that wait: its workers pace the UID budget to the lifted one the emulator grants
(tests/lifted_worker.py), as the in-process tests do with `fetcher_options`."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date
from itertools import pairwise
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import func, select, text

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from bot.vault import generate_key
from db.engine import Database
from db.migrate import apply_job_schema
from db.models import SyncRun, Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.botapi.models import ChatMessage
from sandbox.exchanges import AccountProfile, BinanceEmulator
from sandbox.exchanges.faults import delay
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.postgres import fresh_database
from tests.sync.conftest import UNLIMITED, account_start, stored, truth

REPO_ROOT = Path(__file__).resolve().parents[1]
LIFTED_WORKER = "tests.lifted_worker"  # UID budget paced to 10**8; the emulator below grants UNLIMITED's 10**9
ACCOUNT = AccountProfile(
    years=1.0, traded_markets=3, trades=30, deposits=6, withdrawals=4, converts=3, transfers=0, rewards=4
)


def worker_environment(
    telegram: BotApiEmulator, binance: BinanceEmulator, database_url: str, master_key: str, data_dir: Path, **extra: str
) -> dict[str, str]:
    """What an operator puts in a worker's environment: the bot's token, database and master key."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "DATABASE_URL": database_url,
        "TALLYBOT_MASTER_KEY": master_key,
        "TALLYBOT_DATA_DIR": str(data_dir.resolve()),
        "EXCHANGE_URL_OVERRIDES": f"binance={binance.base_url}",
        "TALLYBOT_SYNC_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        **extra,
    }


@asynccontextmanager
async def worker_process(
    environment: dict[str, str], log: Path, *, module: str = "bot"
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`tallybot worker` in its own process (cwd: the log's folder, so no developer .env is read); `module`
    "tests.lifted_worker" runs it with Binance's UID budget paced as the emulator lifts it."""
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, "worker", cwd=log.parent, env=environment, stdout=sink, stderr=sink
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=15)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def workers_up(database: Database, count: int, timeout: float = 30) -> None:
    """Until `count` workers have registered in procrastinate's table (each does as it starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with database.reader() as session:
            try:
                alive = await session.scalar(text("SELECT count(*) FROM procrastinate_workers"))
            except Exception:  # the first worker is still creating the queue's tables
                alive = 0
        if alive == count:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{count} worker(s) did not start within {timeout} s")


async def connect(services: Services, user_id: int, name: str, api_key: str, secret: str, start: date) -> int:
    summary = await services.integrations.connect(
        user_id,
        exchange_id="binance",
        key_type="default",
        account_name=name,
        fields={"apiKey": Secret(api_key), "secret": Secret(secret)},
        options=AdvancedOptions(sync_from=start),
    )
    return summary.id


async def test_two_workers_run_the_queued_syncs_and_edit_the_chat_themselves(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database())
        binance = await stack.enter_async_context(
            BinanceEmulator(seed=77, profile=ACCOUNT, listed_symbols=12, limits=UNLIMITED)
        )
        # Slow answers: a sync lasts several seconds, long enough to be edited and to be pressed for again.
        binance.faults.inject(delay(0.12), times=None)
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
        start = account_start(binance)
        first_key, second_key = binance.add_key(label="one"), binance.add_key(label="two")
        ids = [
            await connect(services, ada.user.user_id, "Binance-1", first_key.api_key, first_key.secret, start),
            await connect(services, ada.user.user_id, "Binance-2", second_key.api_key, second_key.secret, start),
        ]
        environment = worker_environment(telegram, binance, url, master_key, tmp_path, TALLYBOT_WORKER_CONCURRENCY="1")
        logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
        for log in logs:
            await stack.enter_async_context(worker_process(environment, log, module=LIFTED_WORKER))
        await workers_up(services.database, 2)

        pressed = await ada.send("/sync")
        # One progress message per account, each its job's: both jobs are queued once the second one is there.
        shown = [await ada.reply_to(pressed, "Binance-1"), await ada.reply_to(pressed, "Binance-2")]
        again = await ada.send("/sync")
        answers = [await already(telegram, ada, again, name) for name in ("Binance-1", "Binance-2")]
        summaries = [await summary_of(telegram, ada, pressed, name) for name in ("Binance-1", "Binance-2")]
        progress = [telegram.message(ada.chat_id, m.message_id) for m in shown]
        status = (await ada.press_for("📊 Status", "Your accounts")).text or ""
        async with services.database.reader() as session:
            runs = {
                i: await session.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.integration_id == i))
                for i in ids
            }
            rows = {
                i: list((await session.scalars(select(Transaction).where(Transaction.integration_id == i))).all())
                for i in ids
            }
    worker_logs = [log.read_text(errors="replace") for log in logs]

    records = len(truth(binance))
    for name, summary in zip(("Binance-1", "Binance-2"), summaries, strict=True):
        assert f"{name}: {records:,} new" in (summary.text or ""), summary.text
        # The balance check after the sync ran in the worker too, and its line closes the summary.
        assert f"✅ {name}: the history explains every balance." in (summary.text or ""), summary.text
        # A first sync that ended well offers daily auto-sync, as under an in-process sync's summary.
        assert [button.text for button in summary.buttons][-1] == f"🔁 Sync {name} daily by itself"
    # A second press queued nothing: each account was said to be queued or running, in a reply to its progress.
    for answer, message in zip(answers, progress, strict=True):
        assert "already queued" in (answer.text or "") or "already running" in (answer.text or ""), answer.text
        assert answer.reply_to_message_id == message.message_id
    assert runs == {ids[0]: 1, ids[1]: 1}, "one sync per account, however often /sync was pressed"
    for i in ids:
        assert stored(rows[i]) == truth(binance)
    # The summary's Status button works as under an in-process sync's summary.
    assert "🟢 Binance-1" in status and "🟢 Binance-2" in status, status
    # Both workers took one job each (concurrency 1, two jobs at once) and edited progress messages on the way.
    assert [sum(log.count(f"sync job of integration {i} ended") for i in ids) for log in worker_logs] == [1, 1]
    for message in progress:
        assert len(message.history) >= 2, "the worker edited the progress while it ran, then showed the end"
        assert "✅ Spot trades" in (message.text or "") and "⏸" in (message.history[0].text or "")
        # Paced: edits at least 3 s apart (the emulator stamps whole seconds).
        stamps = [version.replaced_at for version in message.history]
        assert all(later - earlier >= 2 for earlier, later in pairwise(stamps)), stamps


async def already(telegram: BotApiEmulator, ada: Walker, sent: ChatMessage, name: str) -> ChatMessage:
    return await telegram.wait_for_bot_message(
        ada.chat_id,
        after_message_id=sent.message_id,
        predicate=lambda m: "already" in (m.text or "") and name in (m.text or ""),
        timeout=15,
    )


async def summary_of(telegram: BotApiEmulator, ada: Walker, sent: ChatMessage, name: str) -> ChatMessage:
    return await telegram.wait_for_bot_message(
        ada.chat_id,
        after_message_id=sent.message_id,
        predicate=lambda m: "Sync finished" in (m.text or "") and f"{name}:" in (m.text or ""),
        timeout=60,
    )


async def test_the_queue_schema_is_created_once_however_many_processes_apply_it() -> None:
    async with fresh_database() as url:
        created = await asyncio.gather(*(apply_job_schema(url) for _ in range(3)))
        again = await apply_job_schema(url)
        database = Database(url)
        try:
            async with database.reader() as session:
                tables = await session.scalar(
                    text(
                        "SELECT count(*) FROM pg_tables "
                        "WHERE tablename IN ('procrastinate_jobs', 'procrastinate_workers')"
                    )
                )
        finally:
            await database.dispose()

    assert sorted(created) == [False, False, True] and again is False
    assert tables == 2
