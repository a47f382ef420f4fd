"""The quote scan after an automatic sync on a deployment with sync workers (PostgreSQL): the emptied-market Binance
account of tests/test_quote_scan_e2e.py is put on daily auto-sync and never synced by hand; a `tallybot worker`
process runs the due pass, syncs it, finds USDT unexplained and scans in the same job, then tells the user once what
the scan found. /status turns green and every trade is stored."""

from __future__ import annotations

import asyncio
import base64
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.autosync import AutoSyncStore, Cadence
from bot.context import SERVICES_KEY, Services
from bot.vault import generate_key
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.postgres import fresh_database
from tests.reliability.conftest import is_long
from tests.test_quote_scan_e2e import connect, emulator, stored_trades
from tests.test_quote_scan_workers_e2e import lifted_worker
from tests.test_workers_e2e import worker_environment, workers_up


async def test_a_worker_auto_syncs_an_emptied_market_account_scans_it_and_tells_once(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # The same scan after an automatic sync runs in the default suite in-process (test_autosync_quote_scan_e2e.py),
    # and a worker's scan after /sync in test_quote_scan_workers_e2e.py: this pairing of the two costs a minute.
    if not is_long(request.config):
        pytest.skip("a worker's auto-sync followed by its scan: pytest --long")
    master_key = base64.b64encode(generate_key()).decode()
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database())
        binance = await stack.enter_async_context(emulator())
        every_trade = {(f"{t.base}/{t.quote}", t.id) for t in binance.account.trades}
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
        integration_id = await connect(services, binance)
        # "Daily" is 24 minutes here (never due twice in the story); the worker looks for due accounts every second.
        environment = worker_environment(
            telegram,
            binance,
            url,
            master_key,
            tmp_path,
            TALLYBOT_WORKER_CONCURRENCY="2",
            TALLYBOT_AUTOSYNC_HOUR_SECONDS="60",
            TALLYBOT_AUTOSYNC_CHECK_SECONDS="1",
        )
        log = tmp_path / "worker.log"
        await stack.enter_async_context(lifted_worker(environment, log))
        await workers_up(services.database, 1)
        before = len(telegram.bot_messages(ada.chat_id))
        await AutoSyncStore(services.database, hour_seconds=60).choose(integration_id, Cadence.DAILY, None)

        await telegram.wait_until(lambda: "the USDT scan asked" in ada.all_bot_texts(), timeout=240)
        await asyncio.sleep(1.0)  # time for a further message, were one sent
        told = [m.text or "" for m in telegram.bot_messages(ada.chat_id)[before:]]
        status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
        stored = await stored_trades(services, integration_id)
    worker_log = log.read_text(errors="replace")

    assert len(told) == 1, told
    assert "5 trades found and stored" in told[0], told
    assert "✅ Binance-1: the history explains every balance." in told[0], told
    assert "🟢 Binance-1" in status and "✅ The history explains every balance." in status, status
    assert stored == every_trade
    assert "tallybot.auto_sync_account" in worker_log, "the worker ran the automatic sync"
