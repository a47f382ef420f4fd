"""Automatic sync on a deployment with sync workers (PostgreSQL): the bot only offers the choice, a `tallybot worker`
process — started the way an operator starts it — runs the due pass (procrastinate's periodic task), syncs the
account when due and sends the notice when its key is revoked, once, with the button that fixes it; it also warns
once of another account's key that expires within the week.

An hour is shortened through TALLYBOT_AUTOSYNC_HOUR_SECONDS (the operator's setting), so "every 6 hours" is due
every 3 s; the worker looks for due accounts every second (TALLYBOT_AUTOSYNC_CHECK_SECONDS)."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from bot.vault import generate_key
from db.models import SyncRun
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BybitEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.postgres import fresh_database
from tests.test_workers_e2e import REPO_ROOT, worker_process, workers_up

SMALL = AccountProfile(years=0.08, traded_markets=2, trades=10, deposits=2, withdrawals=1, converts=0, transfers=1)
NOTICE = "automatic sync of Bybit-1 failed"


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    async with BybitEmulator(seed=61, profile=SMALL, listed_symbols=10) as emulator:
        yield emulator


async def runs_of(services: Services, integration_id: int) -> int:
    async with services.database.reader() as session:
        found = await session.scalar(select(func.count()).where(SyncRun.integration_id == integration_id))
        return int(found or 0)


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.1)


def has_button(walker: Walker, label: str) -> bool:
    try:
        walker.last_menu(label)
    except AssertionError:
        return False
    return True


async def test_a_worker_syncs_an_account_on_auto_sync_when_due_and_tells_a_revoked_key_once(
    telegram: BotApiEmulator, bybit: BybitEmulator, ada: Walker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bot's own reading of an hour: choosing "every 6 hours" for a never-synced account makes it due at once.
    monkeypatch.setenv("TALLYBOT_AUTOSYNC_HOUR_SECONDS", "0.5")
    keys = bybit.create_demo_keys()
    master_key = base64.b64encode(generate_key()).decode()
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database())
        settings = settings_for(
            telegram,
            tmp_path,
            database_url=url,
            master_key=SecretStr(master_key),
            sync_workers=True,
            exchange_url_overrides={"bybit": bybit.base_url},
        )
        app = await stack.enter_async_context(running_bot(settings))
        services: Services = app.bot_data[SERVICES_KEY]
        summary = await services.integrations.connect(
            ada.user.user_id,
            exchange_id="bybit",
            key_type="default",
            account_name="Bybit-1",
            fields={"apiKey": Secret(keys.read_only.api_key), "secret": Secret(keys.read_only.secret)},
            options=AdvancedOptions(sync_from=date.today() - timedelta(days=35)),
        )
        # A second key the exchange said expires in three days: the worker's pass warns of it once.
        expiring = await services.integrations.connect(
            ada.user.user_id,
            exchange_id="bybit",
            key_type="default",
            account_name="Bybit-2",
            fields={"apiKey": Secret(keys.read_only.api_key), "secret": Secret(keys.read_only.secret)},
            options=AdvancedOptions(),
            expires_at=datetime.now(UTC) + timedelta(days=3),
        )
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "DATABASE_URL": url,
            "TALLYBOT_MASTER_KEY": master_key,
            "TALLYBOT_DATA_DIR": str(tmp_path),  # absolute: pytest gives absolute paths
            "EXCHANGE_URL_OVERRIDES": f"bybit={bybit.base_url}",
            "TALLYBOT_SYNC_WORKERS": "1",
            "TALLYBOT_WORKER_CONCURRENCY": "2",  # the due pass takes a slot while a sync runs in the other
            "TALLYBOT_AUTOSYNC_HOUR_SECONDS": "0.5",
            "TALLYBOT_AUTOSYNC_CHECK_SECONDS": "1",
            "LOG_LEVEL": "INFO",
        }
        log = tmp_path / "worker.log"
        await stack.enter_async_context(worker_process(environment, log))
        await workers_up(services.database, 1)

        listed = await ada.send("/keys")
        await ada.reply_to(listed, "Bybit-1")
        await ada.press("Bybit-1 ›")
        await telegram.wait_until(lambda: has_button(ada, "Every 6 hours"))
        offered = [button.text for button in ada.last_menu("Every 6 hours").buttons]
        await asyncio.sleep(2.5)  # two of the worker's due passes: the account is not on auto-sync yet
        before_choice = await runs_of(services, summary.id)
        await ada.press("Every 6 hours")
        await telegram.wait_until(lambda: has_button(ada, "✅ Every 6 hours"))

        async def synced() -> bool:
            return (await services.integrations.get(ada.user.user_id, summary.id)).last_synced_at is not None

        await until(synced, 40, "the automatic sync after choosing every 6 hours")
        first = await services.integrations.get(ada.user.user_id, summary.id)
        stored = await services.integrations.transaction_count(ada.user.user_id, summary.id)
        quiet = ada.all_bot_texts()

        bybit.revoke_key(keys.read_only.api_key)

        async def told() -> bool:
            return NOTICE in ada.all_bot_texts()

        await until(told, 40, "the notice of the revoked key")
        runs_at_notice = await runs_of(services, summary.id)

        async def failed_again() -> bool:
            return await runs_of(services, summary.id) >= runs_at_notice + 2

        await until(failed_again, 40, "two more automatic runs with the revoked key")
        notices = [m for m in telegram.bot_messages(ada.chat_id) if "automatic sync" in (m.text or "")]
        warnings = [m for m in telegram.bot_messages(ada.chat_id) if "expires on" in (m.text or "")]
        last = await services.integrations.get(ada.user.user_id, summary.id)
        # The notice's button is answered by the bot (another process than the worker that built it).
        replacing = await ada.press_for("Replace the key", "paste your")
        runs_of_expiring = await runs_of(services, expiring.id)
    worker_log = log.read_text(errors="replace")

    assert offered[-3:] == ["✅ Auto-sync: off", "Daily", "Every 6 hours"], offered
    assert before_choice == 0, "nothing syncs by itself before it is chosen"
    assert first.status == "ok", first.status_detail
    assert stored > 0, "the automatic run synced the account's history"
    assert "automatic sync" not in quiet, "a run that went well says nothing"
    assert last.status == "failed"
    assert len(notices) == 1, [m.text for m in notices]
    notice = notices[0].text or ""
    assert "key" in notice.lower() and "❌" in notice, "the notice carries the diagnosis and its fix"
    assert [button.text for button in notices[0].buttons] == ["🔑 Replace the key"]
    assert "paste your" in (replacing.text or "")
    assert "tallybot.auto_sync_account" in worker_log, "the worker ran the automatic syncs"
    assert len(warnings) == 1 and "Bybit-2" in (warnings[0].text or ""), [m.text for m in warnings]
    assert [button.text for button in warnings[0].buttons] == ["🔑 Replace the key"]
    assert runs_of_expiring == 0, "a warning is not a sync: Bybit-2 is not on auto-sync"
