"""Automatic sync as a user lives it: chosen in /keys, run by the bot itself when due, and a notice when it breaks,
told once per problem. An hour is shortened through TALLYBOT_AUTOSYNC_HOUR_SECONDS, the operator's setting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.autosync import AutoSyncStore, Cadence
from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from db.models import SyncRun
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BybitEmulator
from sandbox.exchanges.keys import Credentials
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

SMALL = AccountProfile(years=0.08, traded_markets=2, trades=10, deposits=2, withdrawals=1, converts=0, transfers=1)


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    async with BybitEmulator(seed=61, profile=SMALL, listed_symbols=10) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _short_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    # "Every 6 hours" comes due every 3 s; the bot looks for due accounts every 0.25 s.
    monkeypatch.setenv("TALLYBOT_AUTOSYNC_HOUR_SECONDS", "0.5")
    monkeypatch.setenv("TALLYBOT_AUTOSYNC_CHECK_SECONDS", "0.25")


async def connect(services: Services, key: Credentials, expires_at: datetime | None = None) -> int:
    summary = await services.integrations.connect(
        1001,
        exchange_id="bybit",
        key_type="default",
        account_name="Bybit-1",
        fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
        options=AdvancedOptions(sync_from=date.today() - timedelta(days=35)),
        expires_at=expires_at,  # what the key check read from the exchange, where it says
    )
    return summary.id


async def runs_of(services: Services, integration_id: int) -> int:
    async with services.database.reader() as session:
        found = await session.scalar(select(func.count()).where(SyncRun.integration_id == integration_id))
        return int(found or 0)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


async def test_an_account_on_auto_sync_syncs_when_due_and_a_revoked_key_is_told_once(
    telegram: BotApiEmulator, bybit: BybitEmulator, ada: Walker, tmp_path: Path
) -> None:
    keys = bybit.create_demo_keys()
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        integration_id = await connect(services, keys.read_only)
        listed = await ada.send("/keys")
        await ada.reply_to(listed, "Bybit-1")
        await ada.press("Bybit-1 ›")
        await telegram.wait_until(lambda: _has_button(ada, "Every 6 hours"))
        menu = ada.last_menu("Every 6 hours")
        offered = [button.text for button in menu.buttons]
        await asyncio.sleep(0.5)  # two due checks
        assert await runs_of(services, integration_id) == 0, "nothing syncs before it is asked to"
        await ada.press("Every 6 hours")
        await telegram.wait_until(lambda: _has_button(ada, "✅ Every 6 hours"))
        chosen = ada.last_menu("Every 6 hours")

        async def synced() -> bool:
            return (await services.integrations.get(1001, integration_id)).last_synced_at is not None

        await until(synced, timeout=30)  # never synced: due at once
        after_first = await services.integrations.get(1001, integration_id)
        stored = await services.integrations.transaction_count(1001, integration_id)
        quiet = ada.all_bot_texts()

        bybit.revoke_key(keys.read_only.api_key)
        await until(lambda: _more_runs(services, integration_id, 2))  # the run after the revocation

        async def told() -> bool:
            return "automatic sync of Bybit-1 failed" in ada.all_bot_texts()

        await until(told)
        notice = next(m for m in telegram.bot_messages(ada.chat_id) if "automatic sync" in (m.text or ""))
        await until(lambda: _more_runs(services, integration_id, 3), timeout=10)  # fails again, the same way
        await asyncio.sleep(0.5)  # time for a second notice, were one sent
        texts = [m.text or "" for m in telegram.bot_messages(ada.chat_id)]

    assert offered[-3:] == ["✅ Auto-sync: off", "Daily", "Every 6 hours"], offered
    ticked = [button.text for button in chosen.buttons if button.text.startswith("✅")]
    assert ticked == ["✅ Every 6 hours"], ticked
    assert menu.message_id == chosen.message_id, "the choice edits the account's menu"
    assert after_first.status == "ok", after_first.status_detail
    assert stored > 0, "the automatic run synced history"
    assert "automatic sync" not in quiet, "a run that went well says nothing"
    assert sum("automatic sync" in text for text in texts) == 1, "the same problem is told once"
    assert "key" in (notice.text or "").lower(), "the notice says what is wrong with the key"
    assert [button.text for button in notice.buttons] == ["🔑 Replace the key"]


async def _more_runs(services: Services, integration_id: int, at_least: int) -> bool:
    return await runs_of(services, integration_id) >= at_least


async def test_muted_notices_stay_quiet_when_an_automatic_sync_fails(
    telegram: BotApiEmulator, bybit: BybitEmulator, ada: Walker, tmp_path: Path
) -> None:
    keys = bybit.create_demo_keys()
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        integration_id = await connect(services, keys.revoked)
        asked = await ada.send("/settings")
        await ada.reply_to(asked, "")
        muted = await ada.press_for("Mute notices", "Notices muted")
        listed = await ada.send("/keys")
        await ada.reply_to(listed, "Bybit-1")
        await ada.press("Bybit-1 ›")
        await telegram.wait_until(lambda: _has_button(ada, "Every 6 hours"))
        await ada.press("Every 6 hours")
        await until(lambda: _more_runs(services, integration_id, 2))  # failed twice
        status = (await services.integrations.get(1001, integration_id)).status
        again = await ada.send("/settings")
        menu = await ada.reply_to(again, "")
        texts = ada.all_bot_texts()

    assert status == "failed"
    assert "automatic sync of Bybit-1" not in texts, "a muted user hears nothing"
    assert "Mute notices" not in [button.text for button in menu.buttons][-2]
    assert "Turn notices of automatic syncs back on" in [button.text for button in menu.buttons][-2]
    assert muted.text is not None


async def test_a_first_sync_offers_daily_auto_sync_and_the_choice_shows_in_keys(
    telegram: BotApiEmulator, bybit: BybitEmulator, ada: Walker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALLYBOT_AUTOSYNC_HOUR_SECONDS", "3600")  # chosen now, it would not come due in the story
    keys = bybit.create_demo_keys()
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        integration_id = await connect(services, keys.read_only)
        sent = await ada.send("/sync")
        summary = await ada.reply_to(sent, "Sync finished", timeout=30)
        confirmed = await ada.press_for("Sync Bybit-1 daily", "will sync by itself once a day")
        listed = await ada.send("/keys")
        await ada.reply_to(listed, "Bybit-1")
        await ada.press("Bybit-1 ›")
        await telegram.wait_until(lambda: _has_button(ada, "Daily"))
        menu = ada.last_menu("Daily")
        runs = await runs_of(services, integration_id)

    assert [button.text for button in summary.buttons][-1] == "🔁 Sync Bybit-1 daily by itself"
    assert "Change or stop it in /keys" in (confirmed.text or "")
    assert [button.text for button in menu.buttons][-3:] == ["Auto-sync: off", "✅ Daily", "Every 6 hours"]
    assert runs == 1, "choosing daily right after a sync does not sync again"


async def test_a_key_is_warned_of_once_a_week_before_its_expiry(
    telegram: BotApiEmulator, bybit: BybitEmulator, ada: Walker, tmp_path: Path
) -> None:
    keys = bybit.create_demo_keys()
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
    expiry = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=3)
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        later = await connect(services, keys.read_only, expires_at=datetime.now(UTC) + timedelta(days=30))
        soon = await connect_named(services, keys.read_only, "Bybit-2", expiry)

        async def warned() -> bool:
            return "expires on" in ada.all_bot_texts()

        await until(warned)
        await asyncio.sleep(1.0)  # four more checks: no second warning
        warnings = [m for m in telegram.bot_messages(ada.chat_id) if "expires on" in (m.text or "")]

    assert later != soon
    assert len(warnings) == 1, [m.text for m in warnings]
    worded = f"{expiry:%b} {expiry.day}, {expiry.year}"  # English's medium date, in the user's zone (UTC)
    assert "Bybit-2" in (warnings[0].text or "") and worded in (warnings[0].text or "")
    assert "Bybit-1" not in (warnings[0].text or ""), "a key 30 days from expiry is not warned of yet"
    assert [button.text for button in warnings[0].buttons] == ["🔑 Replace the key"]


async def connect_named(services: Services, key: Credentials, name: str, expires_at: datetime) -> int:
    summary = await services.integrations.connect(
        1001,
        exchange_id="bybit",
        key_type="default",
        account_name=name,
        fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
        options=AdvancedOptions(),
        expires_at=expires_at,
    )
    return summary.id


async def test_a_notice_that_cannot_be_sent_does_not_stop_the_other_due_accounts(
    telegram: BotApiEmulator, bybit: BybitEmulator, ada: Walker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob blocked the bot and his key was revoked: his notice is refused (403). Ada's account, due in the same pass
    right after his, is synced all the same, as a worker's job for her would be."""
    monkeypatch.setenv("TALLYBOT_AUTOSYNC_HOUR_SECONDS", "3600")  # one pass: an account claimed is not due again
    keys = bybit.create_demo_keys()
    bob = telegram.add_user(user_id=1002, first_name="Bob", started=True)
    telegram.block_bot(bob)
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        bobs = (
            await services.integrations.connect(
                1002,
                exchange_id="bybit",
                key_type="default",
                account_name="Bybit-1",
                fields={"apiKey": Secret(keys.revoked.api_key), "secret": Secret(keys.revoked.secret)},
                options=AdvancedOptions(),
            )
        ).id
        adas = await connect(services, keys.read_only)
        store = AutoSyncStore(services.database, 3600)
        await store.choose(bobs, Cadence.SIX_HOURS, None)  # due first (claimed in the order they came due)
        await store.choose(adas, Cadence.SIX_HOURS, None)

        async def ada_synced() -> bool:
            return (await services.integrations.get(1001, adas)).last_synced_at is not None

        await until(ada_synced, timeout=30)
        bob_after = await services.integrations.get(1002, bobs)
        bob_runs = await runs_of(services, bobs)
        ada_after = await services.integrations.get(1001, adas)

    assert bob_after.status == "failed" and bob_runs == 1
    assert ada_after.status == "ok", ada_after.status_detail
    assert telegram.bot_messages(bob) == [], "his notice was refused"


def _has_button(walker: Walker, label: str) -> bool:
    try:
        walker.last_menu(label)
    except AssertionError:
        return False
    return True
