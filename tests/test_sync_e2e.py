"""/sync and /status through the Bot API emulator, syncing from the exchange emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits, BybitEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

SMALL = AccountProfile(
    years=1.0, traded_markets=5, trades=60, deposits=6, withdrawals=4, converts=3, transfers=4, rewards=4
)


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    # Binance allows 10 withdrawal-history calls a minute per account; the story is about the bot, not waiting.
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=31, profile=SMALL, listed_symbols=20, limits=limits) as emulator:
        yield emulator


@pytest.fixture
async def bybit() -> AsyncIterator[BybitEmulator]:
    async with BybitEmulator(seed=32, profile=SMALL, listed_symbols=20) as emulator:
        yield emulator


async def connect(services: Services, exchange_id: str, name: str, api_key: str, secret: str) -> int:
    summary = await services.integrations.connect(
        1001,
        exchange_id=exchange_id,
        key_type="default",
        account_name=name,
        fields={"apiKey": Secret(api_key), "secret": Secret(secret)},
        # The scripted account spans a year: start there instead of walking back to 2017 window by window.
        options=AdvancedOptions(sync_from=date.today() - timedelta(days=400)),
    )
    return summary.id


async def test_sync_shows_live_progress_then_a_summary_and_status_turns_green(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    key = binance.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        before = await ada.send("/status")
        nothing = (await ada.reply_to(before, "")).text or ""
        integration_id = await connect(services, "binance", "Binance-1", key.api_key, key.secret)
        status_before = await ada.send("/status")
        grey = (await ada.reply_to(status_before, "Your accounts")).text or ""

        sent = await ada.send("/sync")
        progress = await ada.reply_to(sent, "Syncing")
        summary = await ada.reply_to(sent, "Sync finished", timeout=60)
        stored = await services.integrations.transaction_count(1001, integration_id)
        after = await ada.send("/status")
        green = (await ada.reply_to(after, "Your accounts")).text or ""

    assert "no connected accounts" in nothing
    assert "⚪ Binance-1" in grey and "Never synced" in grey
    history = [version.text or "" for version in progress.history] + [progress.text or ""]
    assert any("⏳" in text or "✅" in text for text in history), "the progress message was edited as work advanced"
    expected = len(binance.account.trades) + len(binance.account.deposits) + len(binance.account.withdrawals)
    assert stored >= expected
    assert f"{stored:,} new" in (summary.text or "")
    assert "🟢 Binance-1" in green and f"Transactions stored: {stored:,}" in green


async def test_a_second_sync_finds_nothing_new(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    key = binance.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings) as app:
        await connect(app.bot_data[SERVICES_KEY], "binance", "Binance-1", key.api_key, key.secret)
        first = await ada.send("/sync Binance-1")
        await ada.reply_to(first, "Sync finished", timeout=60)
        second = await ada.send("/sync binance-1")
        again = await ada.reply_to(second, "Sync finished", timeout=60)

    assert "Binance-1: 0 new" in (again.text or "")


async def test_a_revoked_key_turns_the_account_red_with_its_reason_and_troubleshooting(
    telegram: BotApiEmulator, bybit: BybitEmulator, ada: Walker, tmp_path: Path
) -> None:
    keys = bybit.create_demo_keys()
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
    async with running_bot(settings) as app:
        await connect(app.bot_data[SERVICES_KEY], "bybit", "Bybit-1", keys.revoked.api_key, keys.revoked.secret)
        sent = await ada.send("/sync")
        summary = await ada.reply_to(sent, "Sync finished", timeout=60)
        asked = await ada.send("/status")
        red = await ada.reply_to(asked, "Your accounts")
        red_text = red.text or ""
        tips = await ada.press_for("Troubleshoot", "🛟 Bybit-1")

    assert "❌" in (summary.text or "")
    assert "🔴 Bybit-1" in red_text
    assert "key" in (tips.text or "").lower()


async def test_sync_of_an_unknown_account_name_lists_the_real_ones(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        await connect(app.bot_data[SERVICES_KEY], "binance", "Binance-1", "k" * 64, "s" * 64)
        sent = await ada.send("/sync Kraken-9")
        answer = await ada.reply_to(sent, "no account")

    # The name typed is not repeated (issue 12: it could be a key pasted after the command); the real ones are.
    assert "Kraken-9" not in (answer.text or "") and "Binance-1" in (answer.text or "")


async def test_sync_now_after_connecting_syncs_the_new_account(
    telegram: BotApiEmulator, binance: BinanceEmulator, ada: Walker, tmp_path: Path
) -> None:
    key = binance.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings) as app:
        sent = await ada.send("/connect")
        await ada.reply_to(sent, "Connect your exchanges")
        await ada.press("Binance")
        await ada.press_for("Confirm exchanges", "paste your")
        pasted = await ada.send(key.api_key)
        await ada.reply_to(pasted, "paste your Secret")
        pasted = await ada.send(key.secret)
        await ada.reply_to(pasted, "Check the key")
        await ada.press_for("⚙️ Advanced options", "Advanced options")
        await ada.press_for("Sync from date", "YYYY-MM-DD")
        typed = await ada.send((date.today() - timedelta(days=400)).isoformat())
        await ada.reply_to(typed, "Advanced options")
        await ada.press_for("Back", "Check the key")
        await ada.press_for("Check and connect", "All done")
        await ada.press_for("Sync now", "Sync finished", timeout=60)
        stored = await app.bot_data[SERVICES_KEY].integrations.list(1001)

    assert stored[0].status == "ok"
    assert stored[0].options.sync_from == date.today() - timedelta(days=400)


async def test_asking_for_a_sync_that_is_running_shows_its_progress_instead_of_starting_another(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    # Binance's real pace for withdrawal history (10 calls a minute) keeps the first sync busy for a while.
    async with BinanceEmulator(seed=33, profile=SMALL, listed_symbols=20) as slow:
        key = slow.create_demo_keys().read_only
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": slow.base_url})
        async with running_bot(settings) as app:
            summary = await app.bot_data[SERVICES_KEY].integrations.connect(
                1001,
                exchange_id="binance",
                key_type="default",
                account_name="Binance-1",
                fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
                options=AdvancedOptions(sync_from=date.today() - timedelta(days=1400)),
            )
            first = await ada.send("/sync")
            await ada.reply_to(first, "Withdrawals — ", timeout=30)
            second = await ada.send("/sync Binance-1")
            answer = await ada.reply_to(second, "already running", timeout=30)
            running = await app.bot_data[SERVICES_KEY].sync.running([summary.id])

    assert "Binance-1" in (answer.text or "") and "Deposits" in (answer.text or "")
    assert running == {summary.id}
    # Leaving running_bot stopped the sync: its progress message then says so instead of "Syncing".
    progress_messages = [m.text or "" for m in telegram.bot_messages(ada.chat_id)]
    assert sum("Syncing" in t or "the bot is shutting down" in t for t in progress_messages) == 1, "no second sync"
