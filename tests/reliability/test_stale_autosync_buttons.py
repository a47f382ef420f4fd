"""Automatic-sync buttons pressed after the account's key or the account was removed: the press is answered as a
stale menu, nothing is stored and nothing is confirmed ("daily sync on for X" would be untrue)."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.autosync import AutoSyncStore, Cadence
from handlers.callbacks import KEYS
from i18n import t
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator
from tests.bot_harness import running_bot, settings_for
from tests.reliability.test_bad_input import ACCOUNT
from tests.reliability.test_stale_and_forged_buttons import Bot, errors
from tests.sync.conftest import UNLIMITED

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Bot]:
    async with (
        BotApiEmulator() as telegram,
        BinanceEmulator(seed=74, profile=ACCOUNT, listed_symbols=8, limits=UNLIMITED) as binance,
    ):
        folder = tmp_path_factory.mktemp("autosync-buttons") / "data"
        settings = settings_for(telegram, folder, exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            yield Bot(telegram, binance, binance.create_demo_keys(), app, itertools.count(5_000_001))


def plain(html: str) -> str:
    """A catalogue text as the chat shows it (the emulator keeps the text, not its markup)."""
    return re.sub(r"<[^>]+>", "", html)


def store(bot: Bot) -> AutoSyncStore:
    return AutoSyncStore(bot.services.database)


async def test_sync_daily_under_a_summary_turns_it_on_and_says_so(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    walker = bot.user()
    account = await bot.connect(walker)

    answer = await bot.press_data(walker, KEYS.data("autod", account, "daily"))

    assert answer == ""
    assert plain(t("autosync.daily_on", name="Binance-1")) in walker.all_bot_texts()
    assert await store(bot).cadence(account) is Cadence.DAILY
    assert errors(caplog) == []


async def test_sync_daily_pressed_after_the_key_was_removed_stores_and_confirms_nothing(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    walker = bot.user()
    account = await bot.connect(walker)
    await bot.services.integrations.delete(walker.user.user_id, account, keep_history=True)

    answer = await bot.press_data(walker, KEYS.data("autod", account, "daily"))

    assert answer == t("assistant.alert.expired_menu")
    assert plain(t("autosync.daily_on", name="Binance-1")) not in walker.all_bot_texts()
    assert await store(bot).cadence(account) is Cadence.OFF
    assert errors(caplog) == []


async def test_a_keys_cadence_pressed_after_the_key_was_removed_is_a_stale_menu(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    walker = bot.user()
    account = await bot.connect(walker)
    await bot.services.integrations.delete(walker.user.user_id, account, keep_history=True)

    answer = await bot.press_data(walker, KEYS.data("auto", account, "six"))

    assert answer == t("assistant.alert.expired_menu")
    assert await store(bot).cadence(account) is Cadence.OFF
    assert plain(t("assistant.keys.header")) in walker.all_bot_texts()  # the list as it is now, sent anew
    assert errors(caplog) == []
