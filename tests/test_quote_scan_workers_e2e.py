"""The quote scan on a deployment with sync workers (issue 18, item 2; issue 15's story): the bot only queues /sync,
a `tallybot worker` process syncs, sends the summary, and — the account's USDT balance unexplained because AAVEUSDT,
bought and sold back in full, left no evidence — runs the scan as a follow-up job under the account's lock, then tells
the user what it found. /status is not green until the scan has stored AAVEUSDT's trades.

The account and its numbers are tests/test_quote_scan_e2e.py's (the same seed, read from the emulator's script)."""

from __future__ import annotations

import asyncio
import base64
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from pydantic import SecretStr

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from bot.vault import generate_key
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.postgres import fresh_database
from tests.test_quote_scan_e2e import emulator, held_for, stored_trades
from tests.test_workers_e2e import worker_environment, workers_up


@asynccontextmanager
async def lifted_worker(environment: dict[str, str], log: Path) -> AsyncIterator[None]:
    """`tallybot worker` with Binance's per-account budget paced as the emulator lifts it (tests/lifted_worker.py)."""
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.lifted_worker",
            "worker",
            cwd=log.parent,
            env=environment,
            stdout=sink,
            stderr=sink,
        )
        try:
            yield
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=15)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def test_a_worker_scans_an_emptied_market_after_its_summary_and_the_account_turns_green(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    master_key = base64.b64encode(generate_key()).decode()
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database())
        binance = await stack.enter_async_context(emulator())
        account = binance.account
        aave = account.trades_for("AAVEUSDT")
        assert len(aave) == 5 and aave[-1].side == "sell"
        assert all(b.total == 0 for b in account.balances if b.asset == "AAVE")
        every_trade = {(f"{t.base}/{t.quote}", t.id) for t in account.trades}
        reached, release = asyncio.Event(), asyncio.Event()
        binance.faults.inject(held_for("AAVEUSDT", reached, release), path="/api/v3/myTrades", times=None)
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
        key = binance.create_demo_keys().read_only
        connected = await services.integrations.connect(
            ada.user.user_id,
            exchange_id="binance",
            key_type="default",
            account_name="Binance-1",
            fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
            options=AdvancedOptions(),  # the whole history: nothing before a sync-from date can explain USDT
        )
        environment = worker_environment(telegram, binance, url, master_key, tmp_path, TALLYBOT_WORKER_CONCURRENCY="2")
        log = tmp_path / "worker.log"
        await stack.enter_async_context(lifted_worker(environment, log))
        await workers_up(services.database, 1)

        sent = await ada.send("/sync")
        # A whole-history first sync in a worker: the deployment's shared /sapi IP budget paces crypto loans' lists
        # (weight 400 of 12,000 a minute per path) evenly, about 3 s a request over some 30 requests, where the bot's
        # in-process pacing lets a minute's budget through at once (connectors/exchange_budget.py WindowBudget).
        summary = (await ada.reply_to(sent, "Sync finished", timeout=330)).text or ""
        started = (await ada.reply_to(sent, "Scanning every USDT market", timeout=60)).text or ""
        await asyncio.wait_for(reached.wait(), timeout=60)
        during = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
        stored_during = await stored_trades(services, connected.id)
        release.set()
        finished = (await ada.reply_to(sent, "the USDT scan asked", timeout=150)).text or ""
        after = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
        stored = await stored_trades(services, connected.id)
    worker_log = log.read_text(errors="replace")

    assert "⚠️ Binance-1: 1 balance the history does not explain: see /status." in summary, summary
    assert "Binance-1: the history does not explain the USDT balance." in started, started
    # Held at AAVEUSDT, the scan's first market: not green, the scan's progress named, AAVE's trades not stored yet.
    assert "🟢 Binance-1" not in during, during
    assert "Scanning USDT markets (6 of 34)" in during, during
    assert not {("AAVE/USDT", t.id) for t in aave} & stored_during
    assert "5 trades found and stored" in finished, finished
    assert "✅ Binance-1: the history explains every balance." in finished, finished
    assert "🟢 Binance-1" in after and "✅ The history explains every balance." in after, after
    assert stored == every_trade
    assert "tallybot.quote_scan" in worker_log, "the worker ran the scan as its own job"
